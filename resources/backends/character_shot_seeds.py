"""Figure seeds from the shot: boxes of characters cut in a neighbouring key frame of the same drawn shot and
carried here by optical flow onto pixels no cut of this frame held (assets/instances/shot_seeds.py decides them).
Each box is a seed of its own, confirmed as a figure (the filter keeps it like a figure BlazePose confirmed: the
neighbour showed the character), unless a seed of the frame already has nearly that box (its cut went elsewhere;
a second seed there would cut the same). Frame pixels throughout."""

import numpy as np

from resources.backends.character_cues import box_iou
from resources.backends.character_seeds import Seed

SHOT_SEED_KIND = "shot"  # the instance's seed reads "shot+figure"
SAME_BOX_IOU = 0.7  # a carried box this close to a seed's box is that seed's


def with_shot_seeds(seeds: list[Seed], boxes: "list[np.ndarray] | None", drawn: bool, score: float) -> list[Seed]:
    """``seeds`` and, in a drawn frame, a figure seed (scored ``score``) for every carried box no seed already has."""
    if not boxes or not drawn:
        return seeds
    added = [Seed(np.asarray(box[:4], np.float32), score, SHOT_SEED_KIND, figure=True) for box in boxes
             if not any(box_iou(np.asarray(box[:4], np.float32), s.box) >= SAME_BOX_IOU for s in seeds)]
    return seeds + added
