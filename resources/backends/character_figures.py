"""Characters standing inside another seed's box that no detector names: a class-agnostic YOLOX box that BlazePose
is sure holds a figure, kept as a person box.

YOLOX-nano's objectness (is there an object here, whatever its class) finds drawn characters that its class heads
do not call a person, an animal or a teddy bear: a small drawn girl in front of a larger box is boxed with
objectness 0.2-0.3 as a kite, a tennis racket or a sports ball. Such a character gets no seed of her own; the larger
box around her (a character behind her, or scenery a person box took) cuts her with it (merged) or leaks around her.
Objectness alone is no evidence of a character (most such boxes are props and scenery), and BlazePose's pose flag on
an arbitrary box is not either: on the tune composites the class-agnostic boxes that lie outside every seed, with a
pose flag of 0.5 or more, found no character and made 13 false seeds (4 runs, 3D defaults). So a box seeds only
where all of these hold:
- it lies inside a larger box that already seeds a character (INSIDE of it), and is not that box again (box IoU at
  most SAME_BOX with every seed box);
- it reaches down to that box's lower end (its bottom at least STANDS_ON of the way down the box): a figure in front
  stands on the same ground or nearer, while a box on the head and torso of the box's own character ends halfway
  (tune seed 11, anime preset: such a box on a Sita whose face AnimeFace misses split her cut, IoU 0.94 -> 0.49);
- it holds no trusted face's centre (a box on the head of the character whose box holds it is that character);
- its objectness is at least character_cues.OBJECT_SCORE and BlazePose's pose flag on it at least POSE_FLAG.
Drawn shots only (``Cues.drawn``: the anime preset, or a mixed film's drawn shots): in rendered footage the boxes
that pass are parts of a large creature or person inside its own box, which BlazePose is as sure of (Sintel trailer,
3D defaults: 4 new kept instances, the dragon's claw, a piece of its throat, the girl's head apart from the
dragon's cut, the Shaman's staff, and none a character). A confirmed box joins the person boxes with the pose
flag as its score (the evidence that it is a figure; its objectness, 0.2-0.3, is below the score at which a person
box seeds without a face). Boxes are x0, y0, x1, y1, score, COCO class in the image's pixels.
"""

import numpy as np

from resources.backends.character_cues import Cues, box_iou, overlap_of_smaller
from resources.backends.character_seeds import guessed_body

INSIDE = 0.7  # share of the candidate box that a larger seed box holds
STANDS_ON = 0.9  # the candidate's bottom lies at least this far down that box (0: its top, 1: its bottom)
SAME_BOX = 0.45  # a candidate overlapping a seed box this much (IoU) is that seed's character boxed again
APART = 0.3  # candidates overlapping a better kept one by this share of the smaller box: the same figure
POSE_FLAG = 0.8  # BlazePose's pose flag on the candidate box


def _area(box: np.ndarray) -> float:
    return float((box[2] - box[0]) * (box[3] - box[1]))


def _holds_centre(box: np.ndarray, face: np.ndarray) -> bool:
    x, y = (face[0] + face[2]) / 2, (face[1] + face[3]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _stands_inside(box: np.ndarray, seed: np.ndarray) -> bool:
    """``box`` is smaller than ``seed``, mostly inside it and reaches its lower end."""
    return _area(seed) > _area(box) and overlap_of_smaller(box, seed) >= INSIDE \
        and box[3] >= seed[1] + STANDS_ON * (seed[3] - seed[1])


def confirmed_figures(rgb: np.ndarray, objects: np.ndarray, bodies: np.ndarray, faces: np.ndarray, matte,
                      person_score: float = 0.3) -> np.ndarray:
    """The ``objects`` boxes (O x 6, objectness in column 4) that stand inside a larger seed box (trusted ``bodies``:
    person boxes from ``person_score``, animal boxes; the guessed bodies of ``faces``), are not a seed box again,
    hold no face's centre, and on which ``matte`` (a ``character_skeleton.MatteCue``, or None: nothing is
    confirmed) is sure of a figure (pose flag at least POSE_FLAG); of overlapping ones the best. Returns them as
    person boxes (N x 6) scored by the pose flag."""
    if matte is None or not len(objects):
        return np.zeros((0, 6), np.float32)
    height, width = rgb.shape[:2]
    seeds = [b[:4] for b in bodies if b[5] != 0 or b[4] >= person_score]
    seeds += [guessed_body(f, width, height) for f in faces]
    kept: list[np.ndarray] = []
    for box in objects[np.argsort(-objects[:, 4])]:
        if not any(_stands_inside(box, s) for s in seeds) \
                or any(box_iou(box[:4], s) > SAME_BOX for s in seeds) \
                or any(_holds_centre(box, f) for f in faces) \
                or any(overlap_of_smaller(box, k) >= APART for k in kept):
            continue
        x0, y0, x1, y1 = np.round(box[:4]).astype(int)
        found = matte.estimate(rgb, (int(x0), int(y0), int(x1), int(y1)))
        if found is not None and found.score >= POSE_FLAG:
            kept.append(np.array([*box[:4], found.score, 0], np.float32))
    return np.array(kept, np.float32).reshape(-1, 6)


FIGURE_SEEDS = True


def with_figures(rgb: np.ndarray, cues: Cues, matte, person_score: float = 0.3) -> Cues:
    """``cues`` with its confirmed figures (``confirmed_figures``) among its person boxes, for seeding; only in a
    drawn shot's cues (``cues.drawn``)."""
    objects = getattr(cues, "objects", None)  # cues pickled before class-agnostic boxes existed have none
    if not FIGURE_SEEDS or not getattr(cues, "drawn", False) or objects is None or not len(objects):
        return cues
    more = confirmed_figures(rgb, objects, cues.bodies, cues.faces, matte, person_score)
    if not len(more):
        return cues
    return Cues(cues.faces, np.concatenate([cues.bodies, more]).astype(np.float32),
                class_mask_of=lambda: cues.class_mask, weak_faces=cues.weak_faces, toys=cues.toys,
                drawn=getattr(cues, "drawn", False))
