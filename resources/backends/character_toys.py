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
  least POSE_FLAG), as it confirms a weak face's body (character_weak_faces).
Confirmed toy boxes join the cues' person boxes, so faces pair with them as heads and the cut treats them as
bodies (limbs, matte, body axis). Boxes are x0, y0, x1, y1, score, COCO class in the image's pixels.
"""

import numpy as np

from resources.backends.character_cues import Cues, box_iou, overlap_of_smaller

SAME_BOX = 0.45  # a toy box overlapping a trusted body box this much (IoU) is that box's character named again
INSIDE = 0.7  # ... and so is one this much inside such a box (a part: the head and torso), or holding one (a group)
TOYS_APART = 0.3  # a toy box overlapping a better confirmed one by this share of the smaller box: the same character
POSE_FLAG = 0.5  # BlazePose's pose flag on the toy box


def confirmed_toy_boxes(rgb: np.ndarray, toys: np.ndarray, bodies: np.ndarray, matte,
                        person_score: float = 0.3) -> np.ndarray:
    """The ``toys`` boxes (N x 6) that no trusted ``bodies`` box (person boxes from ``person_score``, animal boxes)
    already holds and on which ``matte`` (a ``character_skeleton.MatteCue``, or None: nothing is confirmed) finds a
    figure; of toy boxes overlapping by TOYS_APART the best scored is kept (YOLOX boxes a drawn character's arm and
    the background beside it again)."""
    if matte is None or not len(toys):
        return np.zeros((0, 6), np.float32)
    trusted = [b for b in bodies if b[5] != 0 or b[4] >= person_score]
    kept: list[np.ndarray] = []
    for toy in toys[np.argsort(-toys[:, 4])]:
        if any(box_iou(toy[:4], b[:4]) > SAME_BOX or overlap_of_smaller(toy, b) >= INSIDE for b in trusted) \
                or any(overlap_of_smaller(toy, b) >= TOYS_APART for b in kept):
            continue
        x0, y0, x1, y1 = np.round(toy[:4]).astype(int)
        found = matte.estimate(rgb, (int(x0), int(y0), int(x1), int(y1)))
        if found is not None and found.score >= POSE_FLAG:
            kept.append(toy)
    return np.array(kept, np.float32).reshape(-1, 6)


TOY_SEEDS = True


def with_toy_boxes(rgb: np.ndarray, cues: Cues, matte, person_score: float = 0.3) -> Cues:
    """``cues`` with its confirmed toy boxes (``confirmed_toy_boxes``) among its person boxes, for seeding."""
    toys = getattr(cues, "toys", None)  # cues pickled before toy boxes existed have none
    if not TOY_SEEDS or toys is None or not len(toys):
        return cues
    more = confirmed_toy_boxes(rgb, toys, cues.bodies, matte, person_score)
    if not len(more):
        return cues
    as_people = np.c_[more[:, :5], np.zeros(len(more))].astype(np.float32)
    return Cues(cues.faces, np.concatenate([cues.bodies, as_people]).astype(np.float32),
                class_mask_of=lambda: cues.class_mask, weak_faces=cues.weak_faces,
                drawn=getattr(cues, "drawn", False))
