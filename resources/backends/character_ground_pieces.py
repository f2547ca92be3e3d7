"""A rendered character's cut loses the ground it closed over between its limbs: the pieces in the colours of the
ground round the cut that neither DeepLab nor MediaPipe's selfie matte calls a person.

GrabCut's box takes everything inside it as probable foreground, and its smoothness term closes a cut over the
background between legs, between an arm and the head, or between a staff and the body (Sintel 00402: the snow between
her staff and her legs; 00410: the sky between the guard's arm and his head). There the cut holds pixels whose colour
is the ground's just outside the cut. Colour alone is no test: dark hair on a dark ground, a dark beard against a
dark wall are the ground's colour too, and DeepLab often ends before them; the selfie matte holds them (it is trained
on people's hair), and reads the ground between the limbs below SELFIE_LOW. So a piece goes only where all three
agree: the ground's colour, outside DeepLab's person / animal map, below the matte's "not a person".
"""

import cv2
import numpy as np

GROUND_PIECES = True
GROUND_RING = 0.06  # the ground round the cut: a band this share of the box's height outside it
GROUND_COLOURS = 8  # k-means centres of the ring's Lab colours
GROUND_LAB = 10.0  # a cut pixel within this Lab distance (OpenCV's 8-bit Lab) of a ring centre has the ground's colour
# the matte holds the ground between a person's limbs below half (Sintel 00402's snow 0.3-0.5), their hair near 1
GROUND_LOW = 0.5
GROUND_OPENING = 0.025  # character_extent.CLASS_OPENING, share of the box's height: thinner than a limb stays
GROUND_MIN_PIECE = 0.02  # a piece this share of the cut or more goes (a rim of a few pixels stays)
GROUND_MAX = 0.5  # where the pieces together exceed this share of the cut, the colours are the character's: it stays
# a piece lying this much inside the hull of the rest of the cut is between its parts; a limb in the ground's colours
# extends the silhouette and stays
GROUND_INSIDE_HULL = 0.8
# DeepLab holds at least this share of the rest of the cut: a rendered character, whose legs and arms the person
# cues hold (Sintel 00402: 0.78); a drawn figure pasted on a rendered frame is held at its face and hands only (3D
# composites tune seed 7: a Saha 0.25), and its dark trousers on a dark rock are the ground's colour
GROUND_CLASS_HELD = 0.5
MIN_RING = 50  # fewer ground pixels than this (a cut filling its frame) give no colour model


def _disc(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def ground_colours(lab: np.ndarray, cut: np.ndarray, class_mask: np.ndarray, height: int) -> np.ndarray | None:
    """GROUND_COLOURS k-means centres (float32, K x 3) of the Lab colours in a band GROUND_RING of ``height`` wide
    round ``cut``, DeepLab's ``class_mask`` left out (a part of the character the cut missed is no ground); None
    where the band holds fewer than MIN_RING pixels."""
    ring = cv2.dilate(cut.astype(np.uint8), _disc(max(2, round(GROUND_RING * height)))).astype(bool)
    ring &= ~cut & ~class_mask
    points = lab[ring]
    if len(points) < MIN_RING:
        return None
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    cv2.setRNGSeed(0)  # k-means++ draws its first centres: the same cut on every run
    _, _, centres = cv2.kmeans(points, min(GROUND_COLOURS, len(points)), None, criteria, 2, cv2.KMEANS_PP_CENTERS)
    return centres


def between_parts(rest: np.ndarray, piece: np.ndarray) -> bool:
    """Whether ``piece`` lies at least GROUND_INSIDE_HULL inside the convex hull of ``rest`` (the cut without every
    pixel that may be ground; the opening leaves a piece's corners out of it): between two of the cut's parts (legs,
    an arm and the body), not extending its silhouette as a limb would."""
    if not rest.any():
        return False
    hull = np.zeros(rest.shape, np.uint8)
    cv2.fillPoly(hull, [cv2.convexHull(cv2.findNonZero(rest.astype(np.uint8)))], 1)
    return bool(hull[piece].mean() >= GROUND_INSIDE_HULL)


def without_ground_pieces(first: np.ndarray, bgr: np.ndarray, selfie: np.ndarray, class_mask: np.ndarray,
                          box: tuple[int, int, int, int]) -> np.ndarray:
    """``first`` (the seed's cut, bool) less its pieces within GROUND_LAB of the ground's colours round it
    (``ground_colours``, from ``bgr``) that DeepLab's ``class_mask`` does not hold and the ``selfie`` matte (float,
    frame-sized) holds below GROUND_LOW inside ``box`` (where the matte was estimated), opened by a disc of
    GROUND_OPENING of ``box``'s height: each piece at least GROUND_MIN_PIECE of the cut that the ground's colours
    link to the ground outside the cut and that lies between the cut's parts (``between_parts``). Unchanged where
    those pieces together exceed GROUND_MAX of the cut or DeepLab holds less than GROUND_CLASS_HELD of the rest."""
    if not GROUND_PIECES or not first.any():
        return first
    x0, y0, x1, y1 = box
    height = y1 - y0
    candidates = np.zeros_like(first)  # inside the box, where the matte was estimated
    candidates[y0:y1, x0:x1] = first[y0:y1, x0:x1] & ~class_mask[y0:y1, x0:x1] & (selfie[y0:y1, x0:x1] < GROUND_LOW)
    if candidates.sum() < GROUND_MIN_PIECE * first.sum():
        return first
    lab = cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB).astype(np.float32)
    centres = ground_colours(lab, first, class_mask, height)
    if centres is None:
        return first
    near = np.zeros(first.shape, bool)  # the cut's pixels in the ground's colours, whatever holds them
    near[first] = np.min(np.linalg.norm(lab[first][:, None, :] - centres[None], axis=-1), axis=-1) < GROUND_LAB
    ground = (candidates & near).astype(np.uint8)
    opened = cv2.morphologyEx(ground, cv2.MORPH_OPEN, _disc(max(1, round(GROUND_OPENING * height))))
    count, pieces, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    area = first.sum()
    # a piece the ground's colours link to the ground outside the cut is ground; one the character's own colours
    # enclose is a shadow inside its body
    _, linked = cv2.connectedComponents((near | ~first).astype(np.uint8), connectivity=8)
    reached = np.unique(linked[~first])
    big = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= GROUND_MIN_PIECE * area]
    gone = [i for i in big if np.isin(linked[pieces == i][0], reached)  # a piece lies in one linked part
            and between_parts(first & ~ground.astype(bool), pieces == i)]
    between = np.isin(pieces, gone)
    if not gone or between.sum() > GROUND_MAX * area or not class_mask[first & ~between].mean() >= GROUND_CLASS_HELD:
        return first
    return first & ~between
