"""Whole bodies from BlazePose's legs: where GrabCut's colour models give a character's legs to a background of the
same colour (dark trousers on a dark street or a black night sky), BlazePose's person matte still holds them, and
its landmarks say where the legs run. The segmenter's cut is then made again with the sure matte pixels along the
legs BlazePose sees as sure foreground, and keeps from that second cut only what the matte supports.

Why a second cut and not the legs as sure foreground in the first: sure leg pixels teach GrabCut's foreground
colour model the trousers' dark grey, and the cut then takes the water or the bushes of that grey beside the
character too (tune split with drawn backgrounds, seed 7: two Sahas 0.83 / 0.86 -> 0.80 / 0.78 IoU); what the
second cut adds outside the matte is dropped. Why not the matte's sure pixels (eroded) as sure foreground everywhere: they spill onto what stands
beside a drawn character (a dragon beside saha_side: IoU 0.97 -> 0.40); only along the legs, in a band 0.04 of the
box's height wide, is it the character's. Arms were tried too and spill the same way (a wrist landmark on the dragon).

Boxes are x0, y0, x1, y1 and planes bool, in the pixels of the frame the segmenter cuts; ``found`` is a
mediapipe_person.PersonMatte on that frame.
"""

from collections.abc import Callable

import cv2
import numpy as np

LEGS_FROM_POSE = True  # tests switch it off to show the legs lost without it
# BlazePose's 33 landmarks: 23 / 24 hips, 25 / 26 knees, 27 / 28 ankles
LEGS = ((23, 25), (25, 27), (24, 26), (26, 28))
MIN_VISIBILITY = 0.5  # a leg bone counts where BlazePose gives both its landmarks at least this visibility
BAND = 0.04  # width of the band along a leg bone, share of the seed box's height (0.08 took the gap between legs)
MATTE_SUPPORT = 0.5  # the second cut adds only pixels the matte gives at least this
MIN_LEFT_OUT = 0.1  # cut again only where the first cut left out at least this share of the sure leg pixels
# GrabCut iterations of the second cut (the first's: 4): the same composites figures within 0.002, 0.58 times its CPU
SECOND_CUT_ITERATIONS = 2


def leg_bands(found, box: tuple[int, int, int, int], shape: tuple[int, int]) -> np.ndarray:
    """bool plane of ``shape``: bands along the leg bones whose two landmarks BlazePose sees inside ``box``."""
    out = np.zeros(shape, np.uint8)
    x0, y0, x1, y1 = box
    points = found.keypoints
    inside = (points[:, 0] >= x0) & (points[:, 0] < x1) & (points[:, 1] >= y0) & (points[:, 1] < y1)
    seen = inside & (points[:, 2] >= MIN_VISIBILITY)
    width = max(1, round(BAND * (y1 - y0)))
    for a, b in LEGS:
        if seen[a] and seen[b]:
            cv2.line(out, tuple(int(v) for v in points[a, :2]), tuple(int(v) for v in points[b, :2]), 1, width)
    return out.astype(bool)


def sure_legs(found, sure_matte: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The matte's sure pixels (``sure_matte``) along the legs BlazePose sees in ``box``."""
    return leg_bands(found, box, sure_matte.shape) & sure_matte


def with_legs(cut: Callable[..., np.ndarray], limbs: np.ndarray | None, found,
              sure_matte: np.ndarray | None, box: tuple[int, int, int, int]) -> np.ndarray:
    """``cut(limbs)`` (the seed's GrabCut with ``limbs`` as sure foreground; ``cut(limbs, iterations)`` with fewer
    GrabCut iterations), plus, where it left out the legs BlazePose sees (``found``, trusted, with its
    ``sure_matte``), what a second cut with those legs sure too adds inside the matte. Without a trusted matte
    (``sure_matte`` None) or with the legs in the first cut: the first cut."""
    first = cut(limbs)
    if not LEGS_FROM_POSE or found is None or sure_matte is None:
        return first
    legs = sure_legs(found, sure_matte, box)
    total = int(legs.sum())
    if total == 0 or int((legs & ~first).sum()) <= MIN_LEFT_OUT * total:
        return first
    second = cut(legs if limbs is None else limbs | legs, SECOND_CUT_ITERATIONS)
    return first | (second & (found.matte >= MATTE_SUPPORT))
