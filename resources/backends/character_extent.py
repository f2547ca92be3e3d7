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

A rendered character's part that DeepLab's person / animal map holds but GrabCut's colour models gave to a
background of its colours (an arm patterned like the rubble behind it, hair against a sky of its hue) comes back
too (``with_class_extent``), but only pieces that extend the cut's silhouette: the class map also fills the
background between legs or between overlapping characters, and joins a character to a dragon beside it.

Boxes are x0, y0, x1, y1 and planes bool, in the pixels of the frame the segmenter cuts; ``found`` is a
mediapipe_person.PersonMatte on that frame.
"""

from collections.abc import Callable

import cv2
import numpy as np

from resources.backends.character_hanging_pieces import HANGING_SELFIE, hanging_pieces
from resources.backends.character_unheld_pieces import without_unheld_pieces

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


# A rendered character whose cut (GrabCut on colour) left out a part DeepLab's person / animal map holds (an arm or
# legs in the colours of the rubble or the snow haze behind them) gets that part back: the class map's parts that
# hold the seed's face (else the most of its cut), inside the seed's box. Only where DeepLab sees the character
# (its class map covers CLASS_SHARE of the box: grabcut_seed's own test) and outside drawn shots.
CLASS_EXTENT = True
CLASS_SHARE = 0.3  # opencv_characters.CLASS_SHARE: DeepLab sees the character in its box
CLASS_MIN_LEFT_OUT = 0.1  # only where the cut left out at least this share of the class map's part in the box
# a left-out piece larger than this share of the cut is not a limb but another character the class map joins to it
# (a dragon beside the girl, a second drawn character overlapping the first)
CLASS_MAX_PIECE = 0.3
# the left-out pixels are opened by a disc of this share of the box's height first: the class map's coarse rim
# around the cut and the background between two legs are thinner than a limb
CLASS_OPENING = 0.025
# a left-out piece lying mostly inside the cut's convex hull is background the class map fills between the legs or
# between an arm and the back; a lost limb, hair or the back of a head extends the silhouette
CLASS_OUTSIDE_HULL = 0.5


def deeplab_sees(class_mask: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    """Whether DeepLab sees the character in its seed's ``box`` (x0, y0, x1, y1): its ``class_mask`` covers at least
    CLASS_SHARE of the box (grabcut_seed's own test)."""
    x0, y0, x1, y1 = box
    return x1 > x0 and y1 > y0 and class_mask[y0:y1, x0:x1].sum() >= CLASS_SHARE * (x1 - x0) * (y1 - y0)


def with_class_extent(first: np.ndarray, class_mask: np.ndarray, core: np.ndarray,
                      box: tuple[int, int, int, int], drawn: bool) -> np.ndarray:
    """``first`` (the seed's cut) plus the pixels of DeepLab's ``class_mask`` inside ``box`` that belong to the
    class map's connected parts holding the seed's ``core`` (its face or guessed core; else the part holding most
    of the cut), where the cut left out at least CLASS_MIN_LEFT_OUT of them: each left-out piece, opened by a disc
    of CLASS_OPENING of the box's height, joins when it is at most CLASS_MAX_PIECE of the cut and lies at least
    CLASS_OUTSIDE_HULL outside the cut's convex hull. Drawn shots and seeds DeepLab does not see keep ``first``."""
    x0, y0, x1, y1 = box
    if not CLASS_EXTENT or drawn or not first.any() or not deeplab_sees(class_mask, box):
        return first
    _, labels = cv2.connectedComponents(class_mask.astype(np.uint8), connectivity=8)
    held = labels[core & first]
    if not held.any():
        held = labels[first]
    held = held[held > 0]
    if held.size == 0:
        return first
    ids = np.unique(held) if (core & first).any() else [np.bincount(held).argmax()]
    part = np.zeros_like(first)
    part[y0:y1, x0:x1] = np.isin(labels[y0:y1, x0:x1], ids)
    return first | silhouette_pieces(first, part & ~first, part, box)


def silhouette_pieces(first: np.ndarray, left: np.ndarray, part: np.ndarray,
                      box: tuple[int, int, int, int]) -> np.ndarray:
    """The pieces of ``left`` (an evidence map's ``part`` that the cut ``first`` left out) that extend the cut's
    silhouette, where it left out at least CLASS_MIN_LEFT_OUT of ``part``: ``left`` opened by a disc of CLASS_OPENING
    of ``box``'s height, each piece at most CLASS_MAX_PIECE of the cut and at least CLASS_OUTSIDE_HULL outside its
    convex hull."""
    out = np.zeros_like(first)
    x0, y0, x1, y1 = box
    if left.sum() < CLASS_MIN_LEFT_OUT * part.sum() or not left.any():
        return out
    radius = max(1, round(CLASS_OPENING * (y1 - y0)))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    opened = cv2.morphologyEx(left.astype(np.uint8), cv2.MORPH_OPEN, disc)
    count, pieces, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    if count <= 1:
        return out
    hull = np.zeros(first.shape, np.uint8)
    cv2.fillPoly(hull, [cv2.convexHull(cv2.findNonZero(first.astype(np.uint8)))], 1)
    outside = np.bincount(pieces[hull == 0], minlength=count)
    areas = stats[:, cv2.CC_STAT_AREA]
    keep = [i for i in range(1, count)
            if areas[i] <= CLASS_MAX_PIECE * first.sum() and outside[i] >= CLASS_OUTSIDE_HULL * areas[i]]
    return np.isin(pieces, keep)


def touching_parts(evidence: np.ndarray, first: np.ndarray) -> np.ndarray:
    """The connected parts of ``evidence`` (bool) that touch the cut ``first`` (8-connected, within a pixel)."""
    _, labels = cv2.connectedComponents(evidence.astype(np.uint8), connectivity=8)
    touching = np.unique(labels[cv2.dilate(first.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)])
    return np.isin(labels, touching[touching > 0])


# BlazePose's pose flag asks whether a whole person fills its ROI, so a person seen close, from behind or in part gets
# a low flag and an untrusted matte (the Sintel girl beside the dragon at 00723-00733: flags 0.10-0.50), while the
# matte itself still outlines her arm and back; DeepLab's map holds them too, but also the dragon it calls a person,
# and GrabCut gave her arm to the dragon's colours. Where the two person models agree (the matte's sure pixels that
# DeepLab's map holds), inside GrabCut's window and touching the cut, the agreement gives the same
# silhouette-extending pieces as the class map. Only for the seed's own untrusted matte (the segmenter's ``_unsure``:
# a low flag, the seed's face in the matte); a trusted one's sure pixels were already GrabCut's probable foreground.
# Rendered and filmed shots only (drawn: the matte spills).
MATTE_CLASS_EXTENT = True
MATTE_SURE = 0.9  # the matte's sure pixels (character_skeleton.MATTE_HIGH)


def with_matte_class_extent(first: np.ndarray, found, class_mask: np.ndarray, window: tuple[int, int, int, int],
                            box: tuple[int, int, int, int], drawn: bool) -> np.ndarray:
    """``first`` (the seed's cut) plus the pieces of the agreement of BlazePose's matte (``found``, a PersonMatte
    the segmenter does not trust: a low pose flag) at MATTE_SURE and up with DeepLab's ``class_mask`` inside
    ``window`` that touch the cut, where they extend its silhouette (``silhouette_pieces``, sized by ``box``). Drawn
    shots, seeds without such a matte (animals, trusted mattes) and empty cuts keep ``first``."""
    if not MATTE_CLASS_EXTENT or drawn or found is None or not first.any():
        return first
    x0, y0, x1, y1 = window
    agree = np.zeros_like(first)
    agree[y0:y1, x0:x1] = (found.matte[y0:y1, x0:x1] >= MATTE_SURE) & class_mask[y0:y1, x0:x1]
    if not agree.any():
        return first
    part = touching_parts(agree, first)
    return first | silhouette_pieces(first, part & ~first, part, box)


# A rendered character seen close (a head and shoulders: a seed with a face) whose hair or arm GrabCut gave to a
# background of its colours, where DeepLab's map misses it too: MediaPipe's selfie matte (trained on people close to
# a camera) on the seed's box holds it; its sure pixels touching the cut, inside GrabCut's window, give the same
# silhouette-extending pieces. Rendered shots only (on drawn characters the matte spills onto the background).
SELFIE_EXTENT = True
SELFIE_HIGH = 0.9  # the matte's sure pixels
# the seed's face is this much DeepLab's person / animal pixels: a rendered (or filmed) face; DeepLab rarely sees a
# drawn one, whose background the selfie matte takes for hair (tune 3D seed 7: a dragon behind a Saha's head)
SELFIE_FACE_CLASS = 0.5


# A rendered person seen from behind has no face, yet the matte holds the hand DeepLab ends before (Sintel 00711: her
# hand reaching out past her wrist, in the dark clouds' colours). Its guessed core often lies on the sky beside the
# head (00711: DeepLab holds 0.18 of it), so a face-less seed qualifies where DeepLab sees the character in its box
# (CLASS_SHARE); it gets the matte's silhouette pieces and the pieces that hang off its cut (character_hanging_pieces),
# not the head's reach, which needs a face (issue #13, session 51)
SELFIE_FACELESS = True


def selfie_applies(has_face: bool, core: np.ndarray, class_mask: np.ndarray, drawn: bool,
                   box: tuple[int, int, int, int] | None = None) -> bool:
    """Whether the selfie matte is evidence for this seed: outside drawn shots, a seed with a face (``core``, its
    face's centre) that DeepLab's ``class_mask`` holds for at least SELFIE_FACE_CLASS, or (SELFIE_FACELESS) a
    face-less seed whose ``box`` DeepLab's map covers for at least CLASS_SHARE."""
    if not SELFIE_EXTENT or drawn:
        return False
    if has_face:
        return bool(core.any() and class_mask[core].mean() >= SELFIE_FACE_CLASS)
    return SELFIE_FACELESS and box is not None and deeplab_sees(class_mask, box)


# Above a rendered head, GrabCut keeps background strips of the hair's colours (Sintel: the debris above the looking-up
# girl's head) that the selfie matte gives nearly nothing; hair and headwear the face box reaches (a turban cut by the
# frame's top) stay: only pixels higher than SELFIE_ABOVE_FACE of the face's height above its box go
SELFIE_DEBRIS = True
SELFIE_LOW = 0.1  # the matte's "not a person" pixels
SELFIE_ABOVE_FACE = 0.1


def without_debris_above(first: np.ndarray, selfie: np.ndarray, face, class_mask: np.ndarray) -> np.ndarray:
    """``first`` less its pixels above the ``face`` box (x0, y0, x1, y1, ...) by more than SELFIE_ABOVE_FACE of its
    height that the selfie matte holds below SELFIE_LOW and DeepLab's ``class_mask`` does not hold (an arm raised
    above the head)."""
    if not SELFIE_DEBRIS or face is None:
        return first
    above = int(np.floor(face[1] - SELFIE_ABOVE_FACE * (face[3] - face[1])))
    if above <= 0:
        return first
    debris = np.zeros_like(first)
    debris[:above] = first[:above] & (selfie[:above] < SELFIE_LOW) & ~class_mask[:above]
    return first & ~debris


# The selfie matte's sure pixels beside and just above a rendered face are its hair and the back of its head, which
# the silhouette tests leave out: a notch of the head lies inside the cut's convex hull (the Shaman's ear and the back
# of his head at 00304), a side of hair is larger than CLASS_MAX_PIECE of a cut that held only the face (the girl
# looking up at 00540: 3361 px against a cap of 2734). Within the head's reach they join (opened like the silhouette
# pieces, touching the cut). HEAD_ABOVE: the crown lies 0.2 of the face's height above YuNet's box at 00540; 0.6 also
# took the lit debris above her hair that the selfie matte calls hair.
HEAD_REACH = True
HEAD_SIDE = 0.5  # the head's reach beside the face's box, share of the face's width
HEAD_ABOVE = 0.3  # and above it, share of the face's height; it ends at the face's bottom (not the shoulders)


def head_pieces(first: np.ndarray, left: np.ndarray, face, box: tuple[int, int, int, int]) -> np.ndarray:
    """The pieces of ``left`` (the selfie matte's sure part the cut ``first`` left out) inside the head's reach of
    ``face`` (x0, y0, x1, y1, ...; HEAD_SIDE of its width to each side, HEAD_ABOVE of its height above, down to its
    bottom), opened by a disc of CLASS_OPENING of ``box``'s height, that touch the cut. None without a face."""
    out = np.zeros_like(first)
    if not HEAD_REACH or face is None:
        return out
    x0, y0, x1, y1 = (float(v) for v in face[:4])
    height, width = first.shape
    rx0, ry0 = max(0, int(x0 - HEAD_SIDE * (x1 - x0))), max(0, int(y0 - HEAD_ABOVE * (y1 - y0)))
    rx1, ry1 = min(width, int(np.ceil(x1 + HEAD_SIDE * (x1 - x0)))), min(height, int(np.ceil(y1)))
    out[ry0:ry1, rx0:rx1] = left[ry0:ry1, rx0:rx1]
    radius = max(1, round(CLASS_OPENING * (box[3] - box[1])))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    opened = cv2.morphologyEx(out.astype(np.uint8), cv2.MORPH_OPEN, disc).astype(bool)
    return touching_parts(opened, first) if opened.any() else opened


def with_selfie_extent(first: np.ndarray, selfie: np.ndarray | None, window: tuple[int, int, int, int],
                       box: tuple[int, int, int, int], face=None, class_mask: np.ndarray | None = None) -> np.ndarray:
    """``first`` without the background above its head the matte does not hold (``without_debris_above``, where
    ``face`` and ``class_mask`` are given) plus the pieces of the selfie matte's sure pixels (``selfie``: float, frame-sized, or None)
    inside ``window`` that touch the cut, where they extend its silhouette (``silhouette_pieces``, sized by ``box``)
    or lie within the head's reach of ``face`` (``head_pieces``)."""
    if not SELFIE_EXTENT or selfie is None or not first.any():
        return first
    if class_mask is not None:
        first = without_debris_above(first, selfie, face, class_mask)
    if face is None and class_mask is not None:  # seen from behind: a neighbour the matte does not see goes
        first = without_unheld_pieces(first, selfie, box)
    if not first.any():
        return first
    x0, y0, x1, y1 = window
    sure = np.zeros_like(first)
    sure[y0:y1, x0:x1] = selfie[y0:y1, x0:x1] >= SELFIE_HIGH
    part = touching_parts(sure, first)
    extent = first | head_pieces(first, part & ~first, face, box) | silhouette_pieces(first, part & ~first, part, box)
    if face is None and class_mask is not None:  # seen from behind: a hand hanging off the cut (SELFIE_FACELESS)
        loose = np.zeros_like(first)
        loose[y0:y1, x0:x1] = selfie[y0:y1, x0:x1] >= HANGING_SELFIE
        extent |= hanging_pieces(first, touching_parts(loose, first) & ~first, class_mask, box)
    return extent
