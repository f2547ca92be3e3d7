"""The dark rim a character's cut leaves outside: where the background beside a character is darker than its edge,
the edge that GrabCut and the guided filter place (resources/backends/character_edges.py, assets/instances/matting.py)
sits one line too far in. A drawn character's dark outline is part of the character, yet its colour matches a dark
background's colour model, so it falls outside; so do the mixed pixels of an anti-aliased edge over a darker
background, which are at least half character. Measured on the tune composites (bench/composites.py, exact alpha,
anime preset, seed 7): of the characters found at IoU >= 0.8, 2.1% of their pixels were missed on the first pixel
outside the mask against 0.4% taken there wrongly, and 4.2% of 6.1% missed were dark (grey < 60).

The rim is the pixels just outside the mask (one line width: 1 px at 480 rows, 2 at 1080) that are darker than the
mask's edge beside them and about as dark as the character's own line art nearby (the thin dark strokes inside the
mask): a pink dress without a dark outline does not take a strip of a dark street, a black outline on a black
background does come back. A character whose line art is only a few strokes (a flat vector design's eyes and mouth:
Kenney's characters) has no outline to bring back: beside it the dark pixels are background, so the rim joins only
a character whose strokes cover LINE_ART_MIN_SHARE of its mask (LINE_ART_GATE; session 31, docs/instances.md).
numpy / OpenCV only; grey images uint8, masks bool.
"""

import cv2
import numpy as np

OUTLINE_CONTRAST = 15.0   # grey levels the rim is darker than the mask's edge beside it
LINE_TOLERANCE = 70.0     # grey levels the rim may differ from the character's line art nearby
LINE_HAT = 20             # black-hat response (grey levels) of a thin dark stroke inside the mask
OUTLINE_ALPHA = 0.63      # the rim's alpha: the truth there is part line, part mixed edge (0.5-1)
# a rim only for a character drawn with line art: at least this share of its mask's inside is thin dark strokes
# (tune composites: Sita / Saha 0.05-0.11, Kenney's flat vector figures 0.000-0.032, their eyes and mouths)
LINE_ART_GATE = True
LINE_ART_MIN_SHARE = 0.04
_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))


def outline_width_px(frame_height: int) -> int:
    """How far out the rim reaches: one pixel at 480 rows, scaled with the frame (two at 1080)."""
    return max(1, round(frame_height / 480))


def line_art(grey: np.ndarray, mask: np.ndarray, width: int) -> np.ndarray:
    """The thin dark strokes inside ``mask`` (black-hat of a disc a few line widths across), its own edge left out."""
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (4 * width + 3, 4 * width + 3))
    hat = cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, disc)
    inside = cv2.erode(mask.astype(np.uint8), _CROSS, iterations=2).astype(bool)
    return inside & (hat >= LINE_HAT)


def local_mean(values: np.ndarray, where: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean of ``values`` over the ``where`` pixels in a ``size`` square around each pixel, whether any was there)."""
    share = cv2.blur(where.astype(np.float32), (size, size))
    total = cv2.blur(np.where(where, values, 0).astype(np.float32), (size, size))
    return total / np.maximum(share, 1e-6), share > 0


def outline_rim(grey: np.ndarray, mask: np.ndarray, width: int, contrast: float = OUTLINE_CONTRAST) -> np.ndarray:
    """The pixels within ``width`` px outside ``mask`` (reached through each other) darker by ``contrast`` than the
    mask's edge beside them and within LINE_TOLERANCE of the line art's grey nearby (within 6 line widths, else the
    character's median line grey; none without line art)."""
    if not mask.any():
        return np.zeros_like(mask)
    lines = line_art(grey, mask, width)
    if not lines.any() or LINE_ART_GATE and np.count_nonzero(lines) < LINE_ART_MIN_SHARE * np.count_nonzero(mask):
        return np.zeros_like(mask)
    edge = mask & ~cv2.erode(mask.astype(np.uint8), _CROSS, borderType=cv2.BORDER_REPLICATE).astype(bool)
    beside, touches = local_mean(grey, edge, 2 * width + 3)
    level, near = local_mean(grey, lines, 12 * width + 3)
    level = np.where(near, level, float(np.median(grey[lines])))
    darker = touches & ~mask & (beside - grey > contrast) & (np.abs(grey - level) <= LINE_TOLERANCE)
    grown = mask.copy()
    for _ in range(width):
        grown |= cv2.dilate(grown.astype(np.uint8), _CROSS).astype(bool) & darker
    return grown & ~mask
