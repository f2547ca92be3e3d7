"""A drawn face that heads no character does not seed a cut-out (issue #13).

On drawn footage AnimeFace and YuNet find faces on things that are no character's head: a sled's runners, a wheel, a
clock, bunting, a ball, the grass or the sand, a shirt or a lap (Penny & Chip: 46 kept instances seeded by a lone
false face, scores 0.06-1.0, so the score does not tell; docs/instances.md, session 23 d1). Such a face's seed is
cut in a body box guessed below it, and GrabCut cuts the object, the background or a piece of a character there.

A real drawn face shows one of two things the false ones lack:

- **a body below it** (``body_below``): its seed's cut runs on down, in the face's columns, at least
  ``BODY_BELOW`` face heights below the face box (or into the frame's bottom edge, which cuts the character). Kenney's
  big-headed characters end 0.5-1.3 face heights below their face, taller characters further down;
- **skin between its eyes** (``skin_share``): the lower middle of the face box (cheeks, nose, mouth) is mostly a
  drawn skin fill, light and warm. A head seen alone in a crowd, or above a table that hides the body, shows it.

A face with neither gives no instance (``heads_character``), unless its cut holds something well above it
(``held_above``: ``HEAD_ABOVE`` face heights over the face box, in its columns): a face found on a figure's shirt,
lap or legs, whose own head the detectors missed, is then the only seed that figure has, and its cut the figure's
(Penny kicking a ball, her face found on her shorts). Nor does a face on another face's body (``on_body_below``): the
other seed's cut holds it, and it lies ``BELOW_HEAD`` face heights under that face, in its column (AnimeFace's faces
on a shirt or a lap below the character's own face). Such a seed is still cut and competes for its pixels with
the others' cuts (``false_faces``); only its instance is dropped.

The guard runs on drawn shots only (AnimeFace's cues; rendered footage was not measured), and only on the seeds a
lone face makes: a detector's person box with a face keeps its seed. Boxes and masks in the pixels of the frame the
segmenter cuts.
"""

import cv2
import numpy as np

from resources.backends.character_seeds import FRONT_FACE_SIZE, _face_size

BODY_BELOW = 0.5  # face heights below the face box's bottom the cut must reach in the face's columns
SKIN_SHARE = 0.5  # share of the face's lower middle in a drawn skin fill
# A drawn skin fill: a warm hue (red through yellow, degrees), some saturation (a grey or white object's hue means
# nothing) and a lightness neither dark (hair, shadow, outlines) nor paper white
SKIN_HUES = (345.0, 50.0)
SKIN_MIN_SATURATION = 0.15
SKIN_LIGHTNESS = (0.45, 0.92)
# A darker drawn skin is skin too: with DARK_SKIN the lightness floor is DARK_SKIN_LIGHTNESS, the floor
# character_close_faces.MIN_SKIN_LIGHTNESS already takes for a drawn skin. At 0.45 the brown-skinned Kenney man's face
# (median lightness 0.41-0.52) read 0.40-0.49 skin and, with his cut not reaching below it, his own face cut was
# dropped as a false face (Kenney tune films 31 key frame 997, IoU 0.47, and 19 key frame 697, 0.70; session 53 h89,
# session 54 h94); at 0.3 it reads 0.52-0.60. Colour frames only: a monochrome frame's skin is read by lightness
DARK_SKIN = True
DARK_SKIN_LIGHTNESS = 0.3
HEAD_ABOVE = 1.0  # face heights above the face box's top the cut reaches where the face lies on a figure's body
BELOW_HEAD = (1.0, 4.0)  # face heights (of the lower face) from the head's centre down to a face on its body
FACE_COLUMNS = 0.2  # the face's columns: its box less this share of its width on each side


def skin_share(bgr: np.ndarray, face: np.ndarray, monochrome: bool = False) -> float:
    """Share of the face box's lower middle (0.3-0.95 of its height, its middle 70% wide) in a drawn skin colour;
    in a ``monochrome`` frame (``character_monochrome``) in a skin's lightness, whatever its (absent) hue."""
    x0, y0, x1, y1 = face[:4]
    w, h = x1 - x0, y1 - y0
    patch = bgr[max(0, int(y0 + 0.3 * h)):max(0, int(y1 - 0.05 * h)),
                max(0, int(x0 + 0.15 * w)):max(0, int(x1 - 0.15 * w))]
    if patch.size == 0:
        return 0.0
    hls = cv2.cvtColor(np.ascontiguousarray(patch), cv2.COLOR_BGR2HLS_FULL).reshape(-1, 3).astype(np.float32)
    hue, lightness, saturation = hls[:, 0] * (360.0 / 256.0), hls[:, 1] / 255.0, hls[:, 2] / 255.0
    warm = (hue >= SKIN_HUES[0]) | (hue <= SKIN_HUES[1])
    light = (lightness >= SKIN_LIGHTNESS[0]) & (lightness <= SKIN_LIGHTNESS[1])
    if monochrome:  # no hue to tell a dark skin from a shadow: the lightness alone, as before
        return float(light.mean())
    floor = DARK_SKIN_LIGHTNESS if DARK_SKIN else SKIN_LIGHTNESS[0]
    skin = warm & (saturation >= SKIN_MIN_SATURATION) & (lightness >= floor) & (lightness <= SKIN_LIGHTNESS[1])
    return float(skin.mean())


def _face_rows(cut: np.ndarray, face: np.ndarray) -> np.ndarray:
    """The rows where ``cut`` holds pixels in the face's columns (its box less FACE_COLUMNS of its width a side)."""
    x0, x1 = face[0], face[2]
    inset = FACE_COLUMNS * (x1 - x0)
    c0 = max(0, int(x0 + inset))
    return np.flatnonzero(cut[:, c0:min(cut.shape[1], max(c0 + 1, int(x1 - inset)))].any(axis=1))


def body_below(cut: np.ndarray, face: np.ndarray) -> bool:
    """The cut reaches BODY_BELOW face heights below the face box in the face's columns, or the frame's bottom."""
    rows = _face_rows(cut, face)
    if rows.size == 0:
        return False
    lowest = rows.max() + 1
    return bool(lowest >= cut.shape[0] - 1 or lowest - face[3] >= BODY_BELOW * (face[3] - face[1]))


def held_above(cut: np.ndarray, face: np.ndarray) -> bool:
    """The cut reaches HEAD_ABOVE face heights above the face box's top in the face's columns."""
    rows = _face_rows(cut, face)
    return bool(rows.size and face[1] - rows.min() >= HEAD_ABOVE * (face[3] - face[1]))


def heads_character(bgr: np.ndarray, face: np.ndarray, cut: np.ndarray, monochrome: bool = False) -> bool:
    """Whether ``face`` heads a character (its cut shows a body below it, or its box a drawn skin fill), or lies on
    a figure its cut holds above it."""
    return body_below(cut, face) or skin_share(bgr, face, monochrome) >= SKIN_SHARE or held_above(cut, face)


def on_body_below(face: np.ndarray, head: np.ndarray, head_cut: np.ndarray) -> bool:
    """``face`` lies on the body below ``head`` (another seed's face): ``head_cut`` (that seed's cut) holds its
    centre, which lies BELOW_HEAD of its heights below the head's centre and within its width of the head's."""
    height, width = head_cut.shape
    fh = face[3] - face[1]
    cx, cy = (face[0] + face[2]) / 2, (face[1] + face[3]) / 2
    below = (cy - (head[1] + head[3]) / 2) / max(fh, 1e-6)
    aligned = abs(cx - (head[0] + head[2]) / 2) < face[2] - face[0]
    return bool(aligned and BELOW_HEAD[0] <= below <= BELOW_HEAD[1]
                and head_cut[min(height - 1, max(0, int(cy))), min(width - 1, max(0, int(cx)))])


# A face on the body below another seed's face that is a drawn skin fill (SKIN_SHARE) and at least FRONT_FACE_SIZE of
# that head's size is another character's face, not a face found on a shirt or a lap (those show no skin: 0.00-0.13)
# nor a hand (skin, but smaller than the head): a character standing behind, shorter than the one in front, whose
# face the front one's cut (made before the cuts are parted) holds (tune composites, Sita / Saha seed 31 scene 7:
# Sita's AnimeFace face 0.67 at Saha's chest, skin 0.74, 1.27 times Saha's face; her instance was dropped and Saha's
# cut kept her; session 49, h74)
FACE_BEHIND = True


def another_characters_face(bgr: np.ndarray, face: np.ndarray, head: np.ndarray, monochrome: bool = False) -> bool:
    """Whether ``face``, lying on the body below ``head``, is another character's face: a drawn skin fill at least
    FRONT_FACE_SIZE of the head's size (``character_seeds._face_size``)."""
    return FACE_BEHIND and _face_size(face) >= FRONT_FACE_SIZE * _face_size(head) \
        and skin_share(bgr, face, monochrome) >= SKIN_SHARE


def false_face_seeds(bgr: np.ndarray, seeds: list, cuts: list[np.ndarray], drawn: bool,
                     monochrome: bool = False) -> list[bool]:
    """Per seed, whether it is a lone face's seed on a drawn shot whose face lies on the body below another seed's
    face (``on_body_below``; unless it is ``another_characters_face``) or heads no character (``heads_character``;
    ``monochrome``: the frame has no colour)."""
    if not drawn:
        return [False] * len(seeds)
    heads = [(seed.face, cut) for seed, cut in zip(seeds, cuts) if seed.face is not None]
    return [seed.kind == "face" and seed.face is not None and
            (any(on_body_below(seed.face, head, head_cut) and not another_characters_face(bgr, seed.face, head,
                                                                                         monochrome)
                 for head, head_cut in heads if head is not seed.face)
             or not heads_character(bgr, seed.face, cut, monochrome)) for seed, cut in zip(seeds, cuts)]


def false_faces(bgr: np.ndarray, seeds: list, scaled: list, masks: list[np.ndarray], cues,
                monochrome: bool = False) -> list[bool]:
    """Per seed, whether it is a false face's seed (``false_face_seeds``, on ``scaled`` and the cuts). Such a seed
    stays a competitor in the watershed that parts the cuts, and only its instance is dropped after it: the other
    cuts keep the borders they had. (Dropped first, a neighbour's cut grew over its object: a ghost's over the
    Halloween scene, 69.7 s, then kept by the filter.) The false faces leave ``cues.faces``: no instance is
    confirmed by them (the filter's face evidence); ``cues.false_faces`` counts them (a frame left without an
    instance says why: segmenter.no_instance_reason)."""
    false = false_face_seeds(bgr, scaled, masks, cues.drawn, monochrome)
    if any(false):
        dropped = [seed.face[:4] for seed, drop in zip(seeds, false) if drop]
        cues.false_faces = len(dropped)
        cues.faces = cues.faces[[not any(np.allclose(face[:4], other) for other in dropped) for face in cues.faces]]
    return false
