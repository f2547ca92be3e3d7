"""A drawn face seen close: a skin fill round the face's own features.

``character_weak_faces.drawn_skin`` reads a drawn face by its middle half being one flat skin fill. That holds for a
face seen small (its eyes and mouth a few pixels in the fill) and for faces whose features are fine lines, but not
for a big-featured face seen close: Kenney's characters at 110-220 px a face (session 29, the Kenney composites of
tune seed 29) have two dark eyes, a nose, a mouth and a moustache drawn as flat shapes of their own that fill half
of the middle, so the middle's per-channel median is a mix of skin and ink that no pixel has, and no weak face over
55 px passed (AnimeFace, the other drawn-face detector, finds none of these faces at any scale: its classifier does
not know the style). Such a face is still a fill of one skin colour *round* its features: the most common colour of
the middle (the skin), spread over the face box with its soft shading (neighbouring pixels close, the whole within
``SPREAD_LAB`` of it), holds the features as holes: filled, it covers the middle; the holes are a share of it.

A flat sky or a wall has no holes (``drawn_skin`` judges those as before); foliage and rubble have no fill that
covers the middle. Boxes are x0, y0, x1, y1 (plus score) in the image's pixels; the image is RGB uint8.
"""

import colorsys

import cv2
import numpy as np

from resources.backends.animeface import SKIN_MIN_LIGHTNESS, SKIN_MIN_SATURATION, SKIN_WARM_HUES

MIN_SIDE = 40  # px: a smaller face's features are a few pixels of its fill (``drawn_skin`` reads it)
MARGIN = 0.1  # the face box shrunk by this share of its side each way (YuNet's box may take in hair or background)
# In the box shrunk by MARGIN an eye or a moustache near its side touches the side and is then no hole, so a shift of
# YuNet's box by 3-4 px (what a video codec's noise does to it: Kenney tune seed 7 at x264 crf 23, scene 10, box
# (579, 124) -> (583, 121)) turned a close face's cover 0.87 into 0.68 on the same pixels. With this switch the face
# is also judged with its holes closed in the whole box (margin 0), and is a close face where either judgement says so
# (the whole box alone takes more of a figure's dark parts for holes: Kenney tune seed 29 scene 17's 0.61 -> 0.72,
# past MAX_HOLES). Session 33 (h4).
WHOLE_BOX_HOLES = True
BIN_LAB = 4.0  # Lab units of the bins whose fullest gives the skin colour
SPREAD_LAB = 10.0  # the skin fill: pixels within this of the skin colour (soft shading across the face)
MIN_COVER = 0.85  # the fill with its holes closed covers this share of the middle half
MIN_HOLES = 0.08  # ... and its holes (the features) are this share of the middle half
MAX_HOLES = 0.7  # ... a fill that is mostly holes is an outline round something else
MIN_SKIN_LIGHTNESS = 0.3  # dark fills (hair, shadow) are not skin whatever their hue (drawn_skin's too)


def skin_colour(rgb_pixel: np.ndarray, monochrome: bool = False) -> bool:
    """Whether an RGB colour is a drawn face's skin: light, or warm and saturated (animeface.has_skin_colour); in a
    ``monochrome`` frame (``character_monochrome``) any colour not dark enough for hair or shadow. The one skin rule
    of the weak faces' middles (``character_weak_faces.drawn_skin``) and the close faces' fills."""
    hue, lightness, saturation = colorsys.rgb_to_hls(*(rgb_pixel / 255.0))
    warm = hue * 360 >= SKIN_WARM_HUES[0] or hue * 360 <= SKIN_WARM_HUES[1]
    return lightness >= MIN_SKIN_LIGHTNESS and (monochrome or lightness >= SKIN_MIN_LIGHTNESS or
                                                 (warm and saturation >= SKIN_MIN_SATURATION))


def _closed(mask: np.ndarray) -> np.ndarray:
    """``mask`` with its holes (regions of not-mask that do not reach the border) filled."""
    outside = np.pad(~mask, 1, constant_values=True).astype(np.uint8)
    cv2.floodFill(outside, None, (0, 0), 2)
    return outside[1:-1, 1:-1] != 2


def features_in_skin(rgb: np.ndarray, face: np.ndarray, monochrome: bool = False) -> bool:
    """Whether ``face`` (at least MIN_SIDE) is a skin fill round features of its own (``skin_round_features``): the
    fill, its holes closed, covers MIN_COVER of the middle half, and the holes are MIN_HOLES to MAX_HOLES of it; in
    the box shrunk by MARGIN or, with WHOLE_BOX_HOLES, in the whole box."""
    x0, y0, x1, y1 = face[:4]
    if min(x1 - x0, y1 - y0) < MIN_SIDE:
        return False
    margins = (MARGIN, 0.0) if WHOLE_BOX_HOLES else (MARGIN,)
    for found in (skin_round_features(rgb, face, monochrome, margin) for margin in margins):
        if found is not None and found[0] >= MIN_COVER and MIN_HOLES <= found[1] <= MAX_HOLES:
            return True
    return False


def skin_round_features(rgb: np.ndarray, face: np.ndarray, monochrome: bool = False,
                        margin: float = MARGIN) -> tuple[float, float] | None:
    """(cover, holes): where the middle half's most common colour is a skin colour, the share of the middle half
    that the part of its fill joined to the middle covers once its holes are closed (in the face box shrunk by
    ``margin`` of its sides), and the share the holes take; None where that colour is no skin's."""
    x0, y0, x1, y1 = face[:4]
    w, h = x1 - x0, y1 - y0
    height, width = rgb.shape[:2]
    bx0, by0 = max(0, int(x0 + margin * w)), max(0, int(y0 + margin * h))
    bx1, by1 = min(width, int(x1 - margin * w)), min(height, int(y1 - margin * h))
    if bx1 - bx0 < 8 or by1 - by0 < 8:
        return None
    crop = rgb[by0:by1, bx0:bx1]
    lab = cv2.cvtColor(crop, cv2.COLOR_RGB2LAB).astype(np.float32)
    middle = np.zeros(crop.shape[:2], bool)
    middle[max(0, int(y0 + 0.25 * h) - by0):max(0, int(y1 - 0.25 * h) - by0),
           max(0, int(x0 + 0.25 * w) - bx0):max(0, int(x1 - 0.25 * w) - bx0)] = True
    if middle.sum() < 16:
        return None
    bins = np.floor(lab[middle] / BIN_LAB).astype(np.int32)
    keys = (bins[:, 0] << 16) | (bins[:, 1] << 8) | bins[:, 2]
    values, counts = np.unique(keys, return_counts=True)
    fullest = keys == values[np.argmax(counts)]
    skin_lab = np.median(lab[middle][fullest], axis=0)
    skin_rgb = np.median(crop[middle][fullest], axis=0).astype(np.float64)
    if not skin_colour(skin_rgb, monochrome):
        return None
    fill = (np.abs(lab - skin_lab).max(axis=2) <= SPREAD_LAB).astype(np.uint8)
    count, labels = cv2.connectedComponents(fill, connectivity=4)
    if count < 2:
        return None
    inside = np.bincount(labels[middle & (fill > 0)], minlength=count)
    inside[0] = 0
    part = labels == int(np.argmax(inside))
    closed = _closed(part)
    return (float((closed & middle).sum() / middle.sum()), float((closed & ~part & middle).sum() / middle.sum()))
