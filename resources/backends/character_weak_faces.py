"""Faces a face detector scores too low to trust alone, kept where other evidence confirms them.

YuNet, trained on photographs, scores a drawn face 0.05-0.5 where it sees one at all (a 2D face's eyes, nose and
mouth are lines and flat fills), below the 0.6 at which a face is trusted; AnimeFace misses small drawn faces (a
54 px face at 480 rows that it finds in the frame scaled 1.5 times) and faces drawn in other styles. Without a face
and without a person box such a character gets no seed (missed); under a person box that another character's face
heads, it is cut with that character (merged). Most weak detections are texture (grass, leaves, windows); a drawn
face differs in two ways that need no training on drawn faces:
- its middle is a flat fill of a skin colour (``drawn_skin``: most of the pixels within a few Lab units of their
  median, whose colour is warm or light, as ``animeface.has_skin_colour`` reads a drawn face's skin);
  in drawn shots, a big-featured face seen close, whose eyes, nose and mouth fill its middle, is instead a skin fill
  round features of its own (``character_close_faces.features_in_skin``, CLOSE_FACES);
- BlazePose (resources/backends/mediapipe_person.py), run on the body the face implies
  (``character_seeds.guessed_body``, the box a lone face is cut in), is sure a person fills it (pose flag) and its
  matte holds the face.

Boxes are x0, y0, x1, y1 (plus score) in the image's pixels; the image is RGB uint8.
"""

import cv2
import numpy as np

from resources.backends.character_close_faces import features_in_skin, skin_colour
from resources.backends.character_cues import Cues, overlap_of_smaller, merge_faces
from resources.backends.character_seeds import guessed_body

MIN_FACE_SIDE = 12  # px of the analysis frame (a face half hidden behind another character is small)
FLAT_SHARE = 0.5  # share of the face's middle within FLAT_LAB of its median colour: a flat fill
FLAT_LAB = 3.0
POSE_FLAG = 0.5  # BlazePose's pose flag on the face's guessed body
MATTE_HOLDS_FACE = 0.5  # share of the face's core the matte gives 0.5 or more
# A weak face YuNet scores this high needs the pose flag but not the matte holding it: where a character stands half
# behind another, BlazePose's matte on his guessed body holds the one in front (tune, seed 11: a Saha behind
# another, face 0.45, matte 0.01 on it). Tune seeds 7 / 11 / 13: anime 0.8884 / 0.7027 / 0.7869 -> 0.8884 / 0.7153 /
# 0.7869, 3D 0.8495 / 0.6730 / 0.7458 -> 0.8495 / 0.6848 / 0.7458
SURE_WEAK_SCORE = 0.3


def drawn_skin(rgb: np.ndarray, face: np.ndarray, monochrome: bool = False) -> bool:
    """Whether the middle half of ``face`` is a flat fill of a skin colour (a drawn face's cheeks and forehead);
    in a ``monochrome`` frame (``character_monochrome``) a flat fill not dark enough for hair or shadow."""
    x0, y0, x1, y1 = face[:4]
    w, h = x1 - x0, y1 - y0
    middle = rgb[max(0, int(y0 + 0.25 * h)):max(0, int(y1 - 0.25 * h)),
                 max(0, int(x0 + 0.25 * w)):max(0, int(x1 - 0.25 * w))].reshape(-1, 3)
    if len(middle) < 16:
        return False
    lab = cv2.cvtColor(middle[None], cv2.COLOR_RGB2LAB)[0].astype(np.float32)
    if (np.abs(lab - np.median(lab, axis=0)).max(axis=1) <= FLAT_LAB).mean() < FLAT_SHARE:
        return False
    return skin_colour(np.median(middle, axis=0), monochrome)


# A face this many of its heights below another (centre to centre), and within half its width of the same vertical
# line, is the same character's torso: AnimeFace takes a drawn midriff (a navel between two curves) for a face
STACKED_BELOW = (0.0, 3.0)


def _stacked(upper: np.ndarray, lower: np.ndarray) -> bool:
    """Whether ``lower`` sits on ``upper``'s body axis, where its torso is: one character, not two."""
    w, h = upper[2] - upper[0], upper[3] - upper[1]
    dx = abs((lower[0] + lower[2]) / 2 - (upper[0] + upper[2]) / 2)
    dy = (lower[1] + lower[3]) / 2 - (upper[1] + upper[3]) / 2
    return dx <= 0.5 * w and STACKED_BELOW[0] * h <= dy <= STACKED_BELOW[1] * h


def _same_character(a: np.ndarray, b: np.ndarray) -> bool:
    """Two face boxes of one character: they overlap (half the smaller, or a centre in the other box: YuNet frames
    a drawn face several times, shifted) or one sits on the other's torso (``_stacked``)."""
    def centre_in(p: np.ndarray, q: np.ndarray) -> bool:
        x, y = (p[0] + p[2]) / 2, (p[1] + p[3]) / 2
        return q[0] <= x <= q[2] and q[1] <= y <= q[3]

    return overlap_of_smaller(a, b) >= 0.5 or centre_in(a, b) or centre_in(b, a) or _stacked(a, b) or _stacked(b, a)


# In drawn shots, a weak face whose box is a skin fill round features of its own (character_close_faces: a big-featured
# drawn face seen close, whose middle ``drawn_skin`` reads as no fill) counts as a drawn face too; and scored
# SURE_WEAK_SCORE or more it needs no pose: BlazePose's flag on a close figure's guessed body, cut by the frame's
# bottom, is low (Kenney tune seed 29, scene 17: 0.01 / 0.31 on two faces YuNet scores 0.52 / 0.53; session 29, h1)
CLOSE_FACES = True


def confirmed_weak_faces(rgb: np.ndarray, weak: np.ndarray, faces: np.ndarray, matte,
                         drawn: bool = False, monochrome: bool = False) -> np.ndarray:
    """The ``weak`` face boxes (N x 5) that no trusted face in ``faces`` already holds, at least MIN_FACE_SIDE,
    with a drawn skin middle, and on which ``matte`` (a ``character_skeleton.MatteCue``, or None: nothing is
    confirmed) finds a person: pose flag at least POSE_FLAG on its guessed body, its matte holding the face (or the
    face scored SURE_WEAK_SCORE or more). In ``drawn`` shots with CLOSE_FACES, a face that is a skin fill round its
    features (``features_in_skin``) also has a drawn skin, and is kept without the pose where it scored
    SURE_WEAK_SCORE or more. In a ``monochrome`` frame skin is read by lightness alone (``character_monochrome``).
    Overlapping candidates keep the best scored."""
    if matte is None or not len(weak):
        return np.zeros((0, 5), np.float32)
    height, width = rgb.shape[:2]
    kept: list[np.ndarray] = []
    for face in merge_faces(weak):
        if min(face[2] - face[0], face[3] - face[1]) < MIN_FACE_SIDE \
                or any(_same_character(face, f) for f in [*faces, *kept]):
            continue
        close = CLOSE_FACES and drawn and features_in_skin(rgb, face, monochrome)
        if not close and not drawn_skin(rgb, face, monochrome):
            continue
        if close and face[4] >= SURE_WEAK_SCORE:
            kept.append(face)
            continue
        x0, y0, x1, y1 = guessed_body(face, width, height).round().astype(int)
        found = matte.estimate(rgb, (int(x0), int(y0), int(x1), int(y1)))
        if found is None or found.score < POSE_FLAG:
            continue
        x0, y0, x1, y1 = face[:4]
        w, h = x1 - x0, y1 - y0
        core = found.matte[int(y0 + 0.2 * h):int(y1 - 0.2 * h), int(x0 + 0.2 * w):int(x1 - 0.2 * w)]
        if core.size and ((core >= 0.5).mean() >= MATTE_HOLDS_FACE or face[4] >= SURE_WEAK_SCORE):
            kept.append(face)
    return np.array(kept, np.float32).reshape(-1, 5)


WEAK_FACES = True


def with_weak_faces(rgb: np.ndarray, cues: Cues, matte, monochrome: bool = False) -> Cues:
    """``cues`` with its confirmed weak faces (``confirmed_weak_faces``; ``monochrome``: the frame has no colour)
    among its faces, for seeding."""
    weak = getattr(cues, "weak_faces", None)  # cues pickled before weak faces existed have none
    if not WEAK_FACES or weak is None or not len(weak):
        return cues
    more = confirmed_weak_faces(rgb, weak, cues.faces, matte, getattr(cues, "drawn", False), monochrome)
    if not len(more):
        return cues
    return Cues(np.concatenate([cues.faces, more]).astype(np.float32), cues.bodies,
                class_mask_of=lambda: cues.class_mask, drawn=getattr(cues, "drawn", False))
