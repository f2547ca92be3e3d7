"""Seeds of the offline character segmenter: one per character, from the face and body cues. Every YOLOX person /
animal box is a seed, with the YuNet / AnimeFace face that is its head; a face no box holds gets a body box guessed
below it; a box that two characters' faces share side by side is split between them. Frame pixels throughout."""

from dataclasses import dataclass

import numpy as np

from resources.backends.character_cues import COCO_CHARACTERS, Cues


@dataclass
class Seed:
    box: np.ndarray  # x0, y0, x1, y1 frame pixels
    score: float
    kind: str  # person | bird | ... | face
    face: np.ndarray | None = None  # x0, y0, x1, y1, score
    shared: bool = False  # a detector box split between characters: outside it is only probably background
    figure: bool = False  # a toy or weak person box BlazePose confirmed as a figure (character_toys)


def _contains(box: np.ndarray, x: float, y: float) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


# A face well below the box's head and at least this tall (fraction of the head's height) is another character in
# front, not a hand or jewellery taken for a face (those are smaller than the head they belong to)
FRONT_FACE_SIZE = 0.8


def seeds_from_cues(cues: Cues, width: int, height: int, person_score: float = 0.3,
                    figures_from: int | None = None) -> list[Seed]:
    """Pairs faces with body boxes; a face that no box holds gets a body box guessed from the face. In a box that
    holds several faces the highest is its head; a face level with it, or one well below it at least
    FRONT_FACE_SIZE of its size, is a second character (its own seed); a smaller one well below it is dropped (drawn
    hands and jewellery get taken for faces); a box whose faces stand side by side is split between them
    (``_split_shared_box``), and guessed boxes of faces side by side end between them (``_part_guessed_boxes``).
    A person box scoring below ``person_score`` (a weak one: drawn characters often score low) is a seed only with
    a face. Body boxes from index ``figures_from`` on are the toy and weak person boxes BlazePose confirmed
    (``character_toys.with_toy_boxes`` appends them): their seeds say so (``Seed.figure``). In a drawn shot
    (``cues.drawn``) a face rising over a box's top is not its head (HEAD_IN_BOX), nor is the highest face where
    it is off the box's body column and a lower face sits on it (HEAD_ON_BODY_COLUMN): a figure painted behind."""
    seeds = [Seed(b[:4].astype(np.float32), float(b[4]), COCO_CHARACTERS.get(int(b[5]), "object"),
                  figure=figures_from is not None and i >= figures_from) for i, b in enumerate(cues.bodies)]
    unclaimed = list(cues.faces)
    boxes: dict[int, np.ndarray] = {}  # id(face) -> its part of a box it shares with another character
    behind: set[int] = set()  # id(face) of faces a box's body showed to be a figure behind it (drawn shots)
    # strongest, then tightest boxes choose first
    for body in sorted([s for s in seeds if s.kind == "person"], key=lambda s: (s.score < person_score, _area(s.box))):
        inside = [i for i, f in enumerate(unclaimed) if _holds(body.box, f)]
        if HEAD_IN_BOX and getattr(cues, "drawn", False):  # a face rising over the box's top: a figure behind
            above = [i for i in inside if (unclaimed[i][1] + unclaimed[i][3]) / 2 < body.box[1]]
            behind.update(id(unclaimed[i]) for i in above)
            inside = [i for i in inside if i not in above]
        if not inside and CUT_BOX_FACES and body.box[3] >= height - CUT_BOX_EDGE_PX:
            inside = [i for i, f in enumerate(unclaimed) if _holds(body.box, f, 1.0)]
        if inside:
            face = unclaimed[min(inside, key=lambda i: unclaimed[i][1])]
            if HEAD_ON_BODY_COLUMN and getattr(cues, "drawn", False):
                highest, face = face, _head_on_body_column(body.box, face, [unclaimed[i] for i in inside])
                behind.update([id(highest)] if face is not highest else [])
            body.face = face
            head_y, head_h = (face[1] + face[3]) / 2, face[3] - face[1]
            body.box[1] = min(body.box[1], face[1] - 0.5 * head_h)
            # a face level with the head is a second character sharing the box; a small one well below it is not a
            # head (a drawn hand or a brooch), a large one is a character standing in front (its own seed)
            below = [i for i in inside if (unclaimed[i][1] + unclaimed[i][3]) / 2 - head_y > 0.8 * head_h
                     and _face_size(unclaimed[i]) < FRONT_FACE_SIZE * _face_size(face)]
            if SPLIT_SHARED_BOXES:
                boxes.update(_split_shared_box(body, [unclaimed[i] for i in inside
                                                      if unclaimed[i] is not face and i not in below]))
            unclaimed = [f for i, f in enumerate(unclaimed) if f is not face and i not in below]
    for face in sorted(unclaimed, key=lambda f: -f[4]):
        if id(face) in boxes:  # a character sharing a detector box: its side of that box
            seeds.append(Seed(boxes[id(face)], float(face[4]), "face", face))
            continue
        guess = head_box if BEHIND_HEAD_BOXES and id(face) in behind else guessed_body
        seeds.append(Seed(guess(face, width, height), float(face[4]), "face", face))
    if SPLIT_GUESSED_BOXES:
        _part_guessed_boxes([s for s in seeds if s.kind == "face" and not s.shared])
    return [s for s in seeds if s.kind != "person" or s.score >= person_score or s.face is not None]


# Drawn shots: the highest face in a person box is not its head where it sits off the box's body column and a lower
# face at least FRONT_FACE_SIZE of its size sits on it (a figure painted behind the character, its face rising at
# the box's top: Kenney tune redraw 35's female person under the capped boy). The lower face heads the box; the
# higher is seeded apart (BEHIND_HEAD_BOXES). Session 33 (docs/anime_2d.md): with HEAD_IN_BOX, the Kenney tune image
# sets re-cut (bench/cut_background.py --rerun) 3 797 714 -> 3 776 868 background px, mean IoU of the 262 labelled
# cuts 0.7625 -> 0.7642; the tune composites and Sintel's masks identical
HEAD_ON_BODY_COLUMN = True
# Drawn shots: a face whose centre lies above a person box's top is not its head (``_holds`` lets a head stick out
# above the box by half a face): the box seeds without it (redraw 35: the boy's glasses behind the female
# adventurer's hair, her box's top at her head's)
HEAD_IN_BOX = True
OFF_COLUMN = 0.25  # a face's centre this share of the box's width or more from the box's middle is off its column


def _head_on_body_column(box: np.ndarray, highest: np.ndarray, inside: list[np.ndarray]) -> np.ndarray:
    """The face in ``box`` that is its head: ``highest``, unless it is off the box's body column (OFF_COLUMN) and a
    face well below it (0.8 of its height), at least FRONT_FACE_SIZE of its size, lies nearer the column."""
    middle, width = (box[0] + box[2]) / 2, max(float(box[2] - box[0]), 1e-6)
    off = lambda f: abs((f[0] + f[2]) / 2 - middle)  # noqa: E731
    if off(highest) < OFF_COLUMN * width:
        return highest
    head_y, head_h = (highest[1] + highest[3]) / 2, highest[3] - highest[1]
    lower = [f for f in inside if f is not highest and (f[1] + f[3]) / 2 - head_y > 0.8 * head_h
             and _face_size(f) >= FRONT_FACE_SIZE * _face_size(highest) and off(f) < off(highest)]
    return min(lower, key=off) if lower else highest


# A face a box's body showed to be a figure behind (above) is seeded in its head's box, not a guessed body: below it
# is the box's character (Penny & Chip 02666: AnimeFace's face on Chip's raised hand, its guessed body cut the
# kitchen wall behind the two children, 66 283 px; session 33)
BEHIND_HEAD_BOXES = True


def head_box(face: np.ndarray, width: int, height: int) -> np.ndarray:
    """The box of a face's head alone (hair above, the chin below): a figure behind a character shows no more."""
    fw, fh = face[2] - face[0], face[3] - face[1]
    box = np.array([face[0] - 0.5 * fw, face[1] - 0.6 * fh, face[2] + 0.5 * fw, face[3] + 0.3 * fh], np.float32)
    return np.clip(box, 0, [width, height, width, height])


def guessed_body(face: np.ndarray, width: int, height: int) -> np.ndarray:
    """The body box of a face that no detector box holds: below the face, wide enough for arms and tall enough for
    a drawn character's legs (2D characters are 3-6 heads tall); GrabCut and the colour regions trim the excess."""
    fw, fh = face[2] - face[0], face[3] - face[1]
    box = np.array([face[0] - 2.0 * fw, face[1] - 1.2 * fh, face[2] + 2.0 * fw, face[3] + 5.5 * fh], np.float32)
    return np.clip(box, 0, [width, height, width, height])


# Tune split, seeds 7 / 11 / 13, anime preset: 0.7180 -> 0.7197 mean IoU over 90 characters (seed 13 0.740 -> 0.745,
# the others unchanged); held out unchanged
SPLIT_GUESSED_BOXES = True


def _part_guessed_boxes(seeds: list[Seed]) -> None:
    """Guessed body boxes of faces side by side (vertically overlapping faces, at least a face width apart) end
    halfway between the faces plus half a face width: each body is guessed 2 face widths to each side, so two
    neighbours' guesses would each hold the other character."""
    centre = lambda f: (f[0] + f[2]) / 2  # noqa: E731
    for a in seeds:
        for b in seeds:
            fa, fb = a.face, b.face
            if a is b or centre(fa) >= centre(fb) or min(fa[3], fb[3]) <= max(fa[1], fb[1]) \
                    or centre(fb) - centre(fa) < fa[2] - fa[0]:
                continue
            middle = (centre(fa) + centre(fb)) / 2
            a.box[2] = min(a.box[2], middle + 0.5 * (fa[2] - fa[0]))
            b.box[0] = max(b.box[0], middle - 0.5 * (fb[2] - fb[0]))


# Split a detector box that holds several characters' faces side by side (tune split, seeds 7 / 11 / 13, anime
# preset: mean IoU 0.8256 / 0.5747 / 0.7314 -> 0.8256 / 0.5874 / 0.7297, found@0.8 over the 90 characters 0.51 -> 0.52)
SPLIT_SHARED_BOXES = True


def _split_shared_box(body: Seed, others: list[np.ndarray]) -> dict[int, np.ndarray]:
    """A detector box that holds several characters' faces side by side (two overlapping drawn characters get one
    box): each character gets its side of the box, cut halfway between neighbouring faces plus half a face width
    of overlap (an arm reaching across), and the box stops being trusted (``body.shared``: outside it is only
    probably background). Returns id(face) -> box for the other faces; ``body.box`` is narrowed in place."""
    head = body.face
    centre = lambda f: (f[0] + f[2]) / 2  # noqa: E731
    apart = [f for f in others if abs(centre(f) - centre(head)) >= head[2] - head[0]]
    if not apart:
        return {}
    faces = sorted([head, *apart], key=centre)
    x0, y0, x1, y1 = body.box
    out = {}
    for k, f in enumerate(faces):
        pad = 0.5 * (f[2] - f[0])
        left = x0 if k == 0 else (centre(faces[k - 1]) + centre(f)) / 2 - pad
        right = x1 if k == len(faces) - 1 else (centre(f) + centre(faces[k + 1])) / 2 + pad
        part = np.array([max(x0, left), min(y0, f[1] - 0.5 * (f[3] - f[1])), min(x1, right), y1], np.float32)
        if f is head:
            body.box, body.shared = part, True
        else:
            out[id(f)] = part
    return out


# A face's size is the side of the square of its area, not its height: a profile's box (a drawn face seen from the
# side) is tall and narrow, so a frontal face below it of the same size read as a small one (a hand) by height
FACE_SIZE_BY_AREA = True


def _face_size(face: np.ndarray) -> float:
    w, h = face[2] - face[0], face[3] - face[1]
    return float(np.sqrt(max(w, 0) * max(h, 0))) if FACE_SIZE_BY_AREA else float(h)


def _area(box: np.ndarray) -> float:
    return float((box[2] - box[0]) * (box[3] - box[1]))


def _holds(box: np.ndarray, face: np.ndarray, upper: float = 0.6) -> bool:
    """The face is this body's head: its centre in the box (the head may stick out above it a little), in the
    ``upper`` share of it (60 %)."""
    cx, cy, fh = (face[0] + face[2]) / 2, (face[1] + face[3]) / 2, face[3] - face[1]
    return _contains(box + np.array([0, -0.5 * fh, 0, 0]), cx, cy) and cy <= box[1] + upper * (box[3] - box[1])


# A person box the frame's bottom cuts holds only what the frame shows of the body: a head seen close from above (the
# Sintel trailer's girl in the rubble at 00566: her hair fills the box's top, her face its bottom, cut by the frame)
# has its face low in the box. Such a box with no face in its upper 60 % takes a face anywhere in it as its head; as
# its own seed that face got a body guessed over the whole frame, and GrabCut gave it the debris around her hair
# (Sintel whole 26 -> 27 of 53; the composites' tune and held-out figures identical, docs/instances.md session 15).
CUT_BOX_FACES = True
CUT_BOX_EDGE_PX = 2  # the box's bottom this close to the frame's (pixels of the frame the seeds are made on)
