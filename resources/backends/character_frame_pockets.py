"""A rendered character's body where the frame cuts it: the pocket its cut leaves against the frame's edge.

A character seen close runs out of the frame at its edge (shoulders and robe at the bottom, an arm at the side).
GrabCut decides those pixels by colour, and where they share the background's colours (the girl's pale shoulder guard
against the bright sky, the Shaman's dark robe against the dark room: Sintel 00731, 00308) it leaves a pocket that
the cut and the frame's edge enclose. DeepLab's person / animal map holds such a pocket; the silhouette rules of
``character_extent`` do not give it back, because a pocket lies inside the cut's convex hull, where those rules read
background between the legs or between an arm and the back. That background is open to the rest of the frame's
background or enclosed by the cut alone; a pocket against the frame's edge is neither.
"""

import cv2
import numpy as np

from resources.backends.character_extent import deeplab_sees

FRAME_POCKETS = True
POCKET_CLASS = 0.5  # DeepLab holds at least this share of the pocket: the character's own body, not background
POCKET_MAX = 0.3  # a pocket larger than this share of the cut is another character (character_extent.CLASS_MAX_PIECE)
POCKET_OPENING = 0.025  # share of the box's height: a limb is thicker (character_extent.CLASS_OPENING)


def frame_pockets(cut: np.ndarray, class_mask: np.ndarray, radius: int) -> np.ndarray:
    """The pockets of ``cut`` (bool, frame-sized) against the frame's edge: the connected parts (4-connected) of the
    pixels outside the cut that touch the frame's edge, other than the largest (the background), at most POCKET_MAX
    of the cut, of which DeepLab's ``class_mask``, opened by a disc of ``radius``, holds at least POCKET_CLASS (the
    opening drops the class map's coarse rim, which fills the gap between two legs standing on the frame's edge)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats((~cut).astype(np.uint8), connectivity=4)
    if count <= 2:
        return np.zeros_like(cut)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    body = cv2.morphologyEx((class_mask & ~cut).astype(np.uint8), cv2.MORPH_OPEN, disc).astype(bool)
    held = np.bincount(labels[body], minlength=count)
    areas = stats[:, cv2.CC_STAT_AREA]
    background = 1 + int(np.argmax(areas[1:]))
    pockets = [i for i in edge if i > 0 and i != background and areas[i] <= POCKET_MAX * cut.sum()
               and held[i] >= POCKET_CLASS * areas[i]]
    return np.isin(labels, pockets)


def with_frame_pockets(cut: np.ndarray, class_mask: np.ndarray, box: tuple[int, int, int, int], others: np.ndarray,
                       drawn: bool) -> np.ndarray:
    """``cut`` plus its pockets against the frame's edge (``frame_pockets``) inside the seed's ``box`` (x0, y0, x1,
    y1), less the pixels ``others`` (the other characters' cuts) hold. Only where DeepLab sees the character
    (``character_extent.deeplab_sees``) and outside drawn shots (DeepLab is blind to drawn characters and their
    pockets are the anime rules' business)."""
    x0, y0, x1, y1 = box
    if not FRAME_POCKETS or drawn or not cut.any() or not deeplab_sees(class_mask, box):
        return cut
    inside = np.zeros_like(cut)
    inside[y0:y1, x0:x1] = True
    return cut | (frame_pockets(cut, class_mask, max(1, round(POCKET_OPENING * (y1 - y0)))) & inside & ~others)
