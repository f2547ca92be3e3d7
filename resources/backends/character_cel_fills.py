"""A drawn character's cel-fill mosaic as a prior for its cut (drawn shots only). No Dagster.

A drawn character is painted in cel fills (``resources/cel_fills.py``: flat-colour regions with crisp borders, beside
other such fills), and its fills lie next to each other with only an ink or colour step between them: a mosaic. A
rendered or filmed background has few such fills, and they do not join into a figure-sized mosaic. The cut of a
drawn seed (``opencv_characters.grabcut_seed``) starts from colour regions inside its box; where a detector's box
ends at the character's knees or beside its arms, the rest of the figure starts as background, and GrabCut, which
learns its colours from the start, keeps it out (the composites' "misses_parts": recall 0.7 at precision 0.99 on
Kenney's characters).

``frame_mosaics`` labels the frame's mosaics once: the cel-fill map at the scale its constants were measured at
(``FILLS_WIDTH`` px wide), fills joined across the steps between them (a morphological closing over
``cel_fills.FILL_GAP`` px, which does not grow a mosaic's outer border), each 8-connected piece one mosaic.
``seed_mosaic`` is the part, in the seed's search window, of the mosaics the seed's core (its face, or the guessed
ellipse of a faceless seed) lies on (at least MIN_CORE_SHARE of it): GrabCut's probable foreground, in or out of the
seed box. A flat sky or wall joins the mosaic of the character standing on it, and two characters who touch share
one: fills that reach the window's border (where it is not the frame's edge) and fills mostly outside the seed box
are left out. The caller gives it only to seeds a detector boxed: a drawn background painted in cel fills is one
mosaic with the figure, and a lone face's guessed box holds it (docs/instances.md, "Session 25 (g1)").
"""

import cv2
import numpy as np

from resources.backends.character_regions import border_regions
from resources.cel_fills import FILL_GAP, cel_fill_map

FILLS_WIDTH = 320  # the width cel_fills' constants are pixels of (resources/style shrinks frames to it)
# A fill of the seed's mosaic with more than this share of its pixels outside the seed box is left out: where two
# drawn characters touch, their fills join into one mosaic, and the neighbour's (the legs of a character seen from
# behind beside a man; a zombie beside a man) taught GrabCut its colours. Kenney composites tune seed 7, 16 scenes,
# anime preset, mean IoU: 0.6963 without the mosaic, 0.7084 with every fill, 0.7170 at 0.5 and at 0.25.
MAX_OUTSIDE = 0.5
# The core lies on a mosaic where the mosaic holds at least this share of it: a faceless seed's guessed core (an
# ellipse at its box's upper centre) that touches a neighbour's mosaic at its rim took the neighbour's fills, and its
# own figure was lost (Kenney tune film, the zombie beside the adventurers, frames 184 / 192: IoU 0.93 -> 0.57).
# Tune composites (above) 0.7170 at 0 / 0.7184 at 0.1 / 0.7139 at 0.25 / 0.6977 at 0.5; tune film 0.6389 at 0,
# 0.6470 at 0.1, 0.6408 at 0.25 (0.6393 without the mosaic).
MIN_CORE_SHARE = 0.1


def frame_mosaics(bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(fills, mosaics) at ``bgr``'s size (BGR uint8): bool, the cel fills; int32, 0 off the mosaics, n > 0 the n-th
    mosaic of joined fills."""
    height, width = bgr.shape[:2]
    scale = min(1.0, FILLS_WIDTH / width)
    small = bgr if scale == 1.0 else cv2.resize(bgr, (FILLS_WIDTH, max(1, round(height * scale))),
                                               interpolation=cv2.INTER_AREA)
    fills = cel_fill_map(cv2.cvtColor(small, cv2.COLOR_BGR2RGB)).astype(np.uint8)
    joined = cv2.morphologyEx(fills, cv2.MORPH_CLOSE, np.ones((FILL_GAP + 1, FILL_GAP + 1), np.uint8))
    _, labels = cv2.connectedComponents(joined, connectivity=8)
    if scale < 1.0:
        fills = cv2.resize(fills, (width, height), interpolation=cv2.INTER_NEAREST)
        labels = cv2.resize(labels.astype(np.float32), (width, height), interpolation=cv2.INTER_NEAREST)
    return fills > 0, labels.astype(np.int32)


def seed_mosaic(fills: np.ndarray, mosaics: np.ndarray, core: np.ndarray, inside: np.ndarray,
                sides: tuple[bool, bool, bool, bool]) -> np.ndarray:
    """bool plane: the mosaics (``frame_mosaics``, both cut to the seed's search window) that the seed's ``core``
    (bool, same size) lies on, less their fills that reach the window's border on ``sides`` (left, top, right,
    bottom; False where the window ends at the frame's edge: a flat sky or wall beside the character goes on past
    the window, ``character_regions.border_regions``' prior) and those mostly outside the seed box ``inside`` (bool,
    same size; MAX_OUTSIDE); all false where the core lies on no mosaic."""
    under = np.bincount(mosaics[core], minlength=1)
    held = np.flatnonzero(under >= MIN_CORE_SHARE * max(1, core.sum()))
    held = held[held > 0]
    if held.size == 0:
        return np.zeros(mosaics.shape, bool)
    part = np.isin(mosaics, held)
    count, pieces = cv2.connectedComponents((fills & part).astype(np.uint8), connectivity=4)
    away = np.bincount(pieces[~inside], minlength=count) > MAX_OUTSIDE * np.bincount(pieces.ravel(), minlength=count)
    away[0] = False
    return part & ~(border_regions(pieces, sides) & (pieces > 0)) & ~away[pieces]

