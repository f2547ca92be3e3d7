"""Shaded parts of a drawn character that its cut left out, taken back by colour (drawn shots only). No Dagster.

A character drawn without ink lines and shaded in each fill (Kenney's flat vector figures: highlights and shadows,
spread 2-8 Lab) is not flat, so ``character_regions.flat_parts`` does not take back the leg, arm or hair that GrabCut's
colour models gave to the background. Measured on the Kenney tune composites (bench/composites.py, seed 7, session
32): of the 38 parts of found characters' truth more than 8 px outside the kept mask, all 38 lay inside the seed box,
37 touched the cut, 36 were of the character's own colour (within 10 Lab of a pixel of the cut, median 1.2) and they
differed from the background beside them by a median 46 Lab; 21 were never GrabCut's probable foreground, 15 were and
its colour model dropped them, 2 went to another character where the cuts overlapped.

Such a region (enclosed in the seed box, off the window's border, off the cut, and standing out from its neighbours
off the cut as any flat part must) joins when its mean colour is one of the cut's own fills: at least OWN_FILL_SHARE of
the cut's pixels lie within OWN_FILL_TOLERANCE Lab of it, more than OWN_FILL_BACKGROUND times the share of the
background's (the regions reaching the window's border). A character drawn in line art (Sita and Saha, Penny & Chip)
is left to ``flat_parts``: its fills are flat and closed by ink, and beside it a pink cloud or a sky matches a skin or a
dress; the step applies to a cut whose inside is less than OWN_FILL_MAX_INK thin dark strokes (``ink_lines`` at the
window's scale; GrabCut's cuts on the tune composites: Kenney's figures 0.000-0.048, Sita and Saha 0.003-0.088, median
0.054; the kept masks of Penny & Chip median 0.16). Off: OWN_FILLS False.

A region's share is counted among the pixels whose lightness lies within OWN_FILL_TOLERANCE of its mean (the others are
farther in Lab, so never counted), each pixel's distance computed as before: the same shares, the same regions
(session 33, h3: the 202 calls of three tune composite sets, 5,407 regions, every share bit-identical): 1.8 -> 0.48
CPU-s for those calls, 3-4 % of a drawn flat-fill frame's segmenting (the Kenney film's `instances` 34.4 -> 33.3
CPU-s, the same pixels). Off (one pass over every pixel per region): SHARES_BY_LIGHTNESS False.
"""

import cv2
import numpy as np

from resources.backends.character_ink_outline import ink_lines

OWN_FILLS = True
# chosen on the Kenney tune split (seed 7, regions touching the cut that the flat test refuses): within 10 Lab of a
# twentieth of the cut, 11 were the character's and none of 186 background ones; at 15 Lab 12 background ones joined
OWN_FILL_SHARE = 0.05
OWN_FILL_TOLERANCE = 10.0
# the cut's share at least twice the background's (seed 29: background taken 3972 -> 1803 px, the character's
# 5754 -> 5461 px; Sita and Saha on cartoon backgrounds 1196 -> 427 px)
OWN_FILL_BACKGROUND = 2.0
# GrabCut's cuts of the two tune sets overlap at 0.031-0.048: at 0.04 two of seed 7's Kenney cuts lost the step
# (0.7854 -> 0.7753), at 0.05 Sita and Saha 0.8925 -> 0.8934 (base 0.8936), on cartoon backgrounds 0.8122 as without
# the step
OWN_FILL_MAX_INK = 0.05
SHARES_BY_LIGHTNESS = True
# a pixel whose lightness differs from a region's mean by more than the tolerance cannot be within it: the rounding of
# its computed distance is far under this margin, so every pixel the full pass counts lies in the searched lightnesses
LIGHTNESS_MARGIN = 1e-3


def own_fills_apply(bgr: np.ndarray, foreground: np.ndarray) -> bool:
    """Whether the cut ``foreground`` (bool, the window ``bgr``'s size) is of a character drawn without line art:
    OWN_FILLS on and thin dark strokes covering under OWN_FILL_MAX_INK of it (its own edge left out)."""
    if not OWN_FILLS or not foreground.any():
        return False
    inner = cv2.erode(foreground.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=2) > 0
    ink = ink_lines(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), 1)
    return np.count_nonzero(ink & inner) < OWN_FILL_MAX_INK * np.count_nonzero(foreground)


def own_fill_regions(lab: np.ndarray, foreground: np.ndarray, means: np.ndarray, candidate: np.ndarray,
                     background: np.ndarray) -> np.ndarray:
    """bool per region: the ``candidate`` regions (bool per region) whose mean colour (``means``, Lab) is one of the
    cut's own: at least OWN_FILL_SHARE of ``foreground``'s pixels (``lab``, float Lab) within OWN_FILL_TOLERANCE, more
    than OWN_FILL_BACKGROUND times the share of ``background``'s (bool plane: the regions reaching the window's
    border)."""
    own = np.zeros(len(candidate), bool)
    colours = lab[foreground][::3]  # every third pixel: the share, not each pixel, matters
    regions = np.flatnonzero(candidate)
    if not len(colours) or not len(regions):
        return own
    behind = lab[background & ~foreground][::3]
    share = _shares_near(colours, means[regions])
    # where the window shows no background (it ends at the frame's edges), the cut's share alone decides
    near_behind = _shares_near(behind, means[regions]) if len(behind) else np.zeros(len(regions))
    own[regions] = (share >= OWN_FILL_SHARE) & (share > OWN_FILL_BACKGROUND * near_behind)
    return own


def _shares_near(colours: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """float per centre (Lab, k x 3): the share of ``colours`` (Lab, n x 3) within OWN_FILL_TOLERANCE of it, each
    distance ``np.linalg.norm`` of the colour's difference, as a mean of the comparisons. With SHARES_BY_LIGHTNESS
    only the colours whose lightness lies within the tolerance (and LIGHTNESS_MARGIN) of the centre's are measured,
    found in the colours sorted by lightness."""
    if not SHARES_BY_LIGHTNESS:
        return np.array([(np.linalg.norm(colours - centre, axis=1) <= OWN_FILL_TOLERANCE).mean() for centre in centres])
    ordered = colours[np.argsort(colours[:, 0], kind="stable")]
    reach = OWN_FILL_TOLERANCE + LIGHTNESS_MARGIN
    starts = np.searchsorted(ordered[:, 0], centres[:, 0] - reach, "left")
    ends = np.searchsorted(ordered[:, 0], centres[:, 0] + reach, "right")
    near = np.array([np.count_nonzero(np.linalg.norm(ordered[start:end] - centre, axis=1) <= OWN_FILL_TOLERANCE)
                     for start, end, centre in zip(starts, ends, centres)], np.float64)
    return near / len(colours)
