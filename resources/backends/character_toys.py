"""Characters a detector trained on photographs boxes as a toy, kept where nothing else boxes them and BlazePose
confirms a figure in the box.

YOLOX-nano (COCO) scores a drawn character as a person only now and then (0.1-0.3, or nothing: a character with
a large head, round eyes and flat fills is not a photographed person), but often boxes the same character well as a
teddy bear (``character_cues.COCO_TOYS``; tune composites: Sita at 0.26-0.75, the box at IoU 0.65-0.96 with her).
Without a face and a person box such a character gets no seed (missed), or the seed of the character beside it
takes it (merged). A toy box is not a character by itself (a real teddy bear on a shelf is a prop), so it seeds
only where:
- no person or animal box the segmenter trusts already holds the same character (box IoU above SAME_BOX, or one
  box mostly inside the other: a toy box on a character's head and torso, or round a group), and
- BlazePose (resources/backends/mediapipe_person.py), run on the box, is sure a figure fills it (pose flag at
  least POSE_FLAG), as it confirms a weak face's body (character_weak_faces), or, in a drawn shot, YOLOX also
  boxes the same figure as a person, too weakly to seed (below ``person_score``; box IoU at least SAME_FIGURE):
  two of the detector's classes on one drawn figure (TOY_AND_PERSON).
Confirmed toy boxes join the cues' person boxes, so faces pair with them as heads and the cut treats them as
bodies (limbs, matte, body axis). Boxes are x0, y0, x1, y1, score, COCO class in the image's pixels.

In drawn shots a weak person box (YOLOX below ``person_score``, no face at its head) joins them the same way where
BlazePose is sure of a figure inside it (``confirmed_weak_people``: pose flag at least WEAK_POSE_FLAG, most of its
visible keypoints inside the box). The seeds of both say so (``Seed.figure``; the instance's seed ``figure``), and
the filter keeps such a figure as a character (assets/instances/filtering.py, ``FilterParams.confirmed_figures``).
"""

import numpy as np

from resources.backends.character_cues import Cues, box_iou, overlap_of_smaller

SAME_BOX = 0.45  # a toy box overlapping a trusted body box this much (IoU) is that box's character named again
INSIDE = 0.7  # ... and so is one this much inside such a box (a part: the head and torso), or holding one (a group)
TOYS_APART = 0.3  # a toy box overlapping a better confirmed one by this share of the smaller box: the same character
POSE_FLAG = 0.5  # BlazePose's pose flag on the toy box


def confirmed_toy_boxes(rgb: np.ndarray, toys: np.ndarray, bodies: np.ndarray, matte,
                        person_score: float = 0.3, drawn: bool = False) -> np.ndarray:
    """The ``toys`` boxes (N x 6) that no trusted ``bodies`` box (person boxes from ``person_score``, animal boxes)
    already holds and on which ``matte`` (a ``character_skeleton.MatteCue``, or None: nothing is confirmed) finds a
    figure or, in a ``drawn`` shot, which a weak person box of ``bodies`` boxes again (TOY_AND_PERSON); of toy boxes
    overlapping by TOYS_APART the best scored is kept (YOLOX boxes a drawn character's arm and the background
    beside it again)."""
    if matte is None or not len(toys):
        return np.zeros((0, 6), np.float32)
    trusted = [b for b in bodies if b[5] != 0 or b[4] >= person_score]
    kept: list[np.ndarray] = []
    for toy in toys[np.argsort(-toys[:, 4])]:
        if any(box_iou(toy[:4], b[:4]) > SAME_BOX or overlap_of_smaller(toy, b) >= INSIDE for b in trusted) \
                or any(overlap_of_smaller(toy, b) >= TOYS_APART for b in kept):
            continue
        if drawn and TOY_AND_PERSON and any(int(b[5]) == 0 and b[4] < person_score
                                            and box_iou(toy[:4], b[:4]) >= SAME_FIGURE for b in bodies):
            kept.append(toy)
            continue
        x0, y0, x1, y1 = np.round(toy[:4]).astype(int)
        found = matte.estimate(rgb, (int(x0), int(y0), int(x1), int(y1)))
        if found is not None and found.score >= POSE_FLAG:
            kept.append(toy)
    return np.array(kept, np.float32).reshape(-1, 6)


TOY_SEEDS = True
# In a drawn shot a toy box that a weak person box (YOLOX, below person_score) boxes again is a figure without
# BlazePose, which sees none in a drawn character from behind or in a flat-fill design (Kenney's zombie walking: flag
# 0.01, a 0.27 person box and a 0.38 teddy bear box at IoU 0.99). Kenney tune seeds 7 / 11, anime preset: 0.5679 /
# 0.4825 -> 0.6014 / 0.4825; the shared tune runs, their bare backgrounds and Penny & Chip: docs/instances.md
# session 21 (d1)
TOY_AND_PERSON = True
SAME_FIGURE = 0.8  # box IoU of the toy box and the weak person box

# A weak person box (YOLOX below person_score, no face at its head: a faceless drawn character YOLOX scores 0.1-0.3
# as a person) seeds where BlazePose, run on the box, is surer of a figure than on a toy box (pose flag at least
# WEAK_POSE_FLAG) and sees it in the box: at least WEAK_KEYPOINTS_INSIDE of its visible keypoints (visibility
# >= 0.5) lie inside it. With the flag alone (>= 0.5) the shared tune seed 13 lost 0.013 (session 18): there a
# 0.10 box holds a third of Saha and the background beside her, and BlazePose, sure of her (0.82), puts 63 % of the
# keypoints it sees outside the box. Only in drawn shots (``Cues.drawn``): on the Sintel trailer (rendered) the same
# rule seeds 15 more cut-outs, 12 kept, most of them rock, rubble, tower pieces and the dragon's claws with sky.
WEAK_PERSON_SEEDS = True
WEAK_POSE_FLAG = 0.8
WEAK_KEYPOINTS_INSIDE = 0.9


def confirmed_weak_people(rgb: np.ndarray, cues: Cues, matte, person_score: float = 0.3) -> np.ndarray:
    """In a drawn shot, the weak person boxes of ``cues`` (class 0, below ``person_score``, no face in their upper
    60 %) that no trusted box holds and on which ``matte`` finds a figure it is sure of, inside the box; scored
    ``person_score`` (as seeds) and in the toy boxes' layout (N x 6)."""
    if matte is None or not WEAK_PERSON_SEEDS or not getattr(cues, "drawn", False):
        return np.zeros((0, 6), np.float32)
    faces = cues.faces
    weak = [b for b in cues.bodies if int(b[5]) == 0 and b[4] < person_score and not any(
        b[0] <= (f[0] + f[2]) / 2 <= b[2] and b[1] <= (f[1] + f[3]) / 2 <= b[1] + 0.6 * (b[3] - b[1]) for f in faces)]
    trusted = [b for b in cues.bodies if b[5] != 0 or b[4] >= person_score]
    kept: list[np.ndarray] = []
    for box in sorted(weak, key=lambda b: -b[4]):
        if any(box_iou(box[:4], b[:4]) > SAME_BOX or overlap_of_smaller(box, b) >= INSIDE for b in trusted) \
                or any(overlap_of_smaller(box, b) >= TOYS_APART for b in kept):
            continue
        if posed_figure(rgb, box, matte):
            kept.append(np.r_[box[:4], max(float(box[4]), person_score), 0.0])
    return np.array(kept, np.float32).reshape(-1, 6)


def posed_figure(rgb: np.ndarray, box: np.ndarray, matte) -> bool:
    """Whether BlazePose (``matte``, a ``character_skeleton.MatteCue``) is sure of a figure in ``box`` and sees it
    there: pose flag at least WEAK_POSE_FLAG, WEAK_KEYPOINTS_INSIDE of its visible keypoints inside the box."""
    x0, y0, x1, y1 = (int(v) for v in np.round(box[:4]))
    found = matte.estimate(rgb, (max(0, x0), max(0, y0), x1, y1))
    if found is None or found.score < WEAK_POSE_FLAG:
        return False
    points = found.keypoints[found.keypoints[:, 2] >= 0.5]
    inside = (points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0) & (points[:, 1] <= y1)
    return bool(len(points)) and float(inside.mean()) >= WEAK_KEYPOINTS_INSIDE


def with_toy_boxes(rgb: np.ndarray, cues: Cues, matte, person_score: float = 0.3) -> Cues:
    """``cues`` with its confirmed toy boxes (``confirmed_toy_boxes``) and weak person boxes
    (``confirmed_weak_people``) appended to its person boxes, for seeding."""
    toys = getattr(cues, "toys", None)  # cues pickled before toy boxes existed have none
    more = np.zeros((0, 6), np.float32)
    if TOY_SEEDS and toys is not None and len(toys):
        more = confirmed_toy_boxes(rgb, toys, cues.bodies, matte, person_score, getattr(cues, "drawn", False))
    weak = confirmed_weak_people(rgb, cues, matte, person_score)
    if len(weak) and len(more):
        weak = weak[[not any(overlap_of_smaller(w, t) >= TOYS_APART for t in more) for w in weak]]
    more = np.concatenate([more, weak]).astype(np.float32)
    if not len(more):
        return cues
    return cues.with_bodies(np.c_[more[:, :5], np.zeros(len(more))])
