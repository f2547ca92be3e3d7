"""Body extent from keypoints: MoveNet (resources/backends/litert_pose.py) on a seed's window gives the character's
joints; its confident limbs (shoulders to wrists, hips to ankles, the torso) are drawn as thin lines that GrabCut
must keep. Colour alone loses dark trousers on a dark floor or a sleeve against a wall of the same colour; the
skeleton says the leg is there.

Boxes are x0, y0, x1, y1 in the image's pixels; the image is RGB uint8.
"""

import logging

import cv2
import numpy as np

from resources.cores import model_threads

log = logging.getLogger(__name__)

# COCO keypoints: 5/6 shoulders, 7/8 elbows, 9/10 wrists, 11/12 hips, 13/14 knees, 15/16 ankles
LIMBS = ((5, 7), (7, 9), (6, 8), (8, 10), (11, 13), (13, 15), (12, 14), (14, 16), (5, 11), (6, 12), (5, 6),
         (11, 12))


class SkeletonCue:
    """MoveNet Lightning on each seed's window; ``lines(rgb, box)`` -> bool mask of its confident limbs."""

    def __init__(self, min_score: float = 0.4):
        from resources.backends.litert_pose import LitertMoveNetPoseEstimator

        self.estimator = LitertMoveNetPoseEstimator(threads=model_threads())
        self.model = self.estimator.model
        self.min_score = min_score

    def lines(self, rgb: np.ndarray, box: tuple[int, int, int, int], thickness: int) -> np.ndarray:
        """Frame-sized bool mask: the limbs whose two joints MoveNet places confidently inside ``box``."""
        x0, y0, x1, y1 = box
        out = np.zeros(rgb.shape[:2], np.uint8)
        if x1 - x0 < 8 or y1 - y0 < 8:
            return out.astype(bool)
        points = self.estimator.estimate(np.ascontiguousarray(rgb[y0:y1, x0:x1]))
        points[:, 0] += x0
        points[:, 1] += y0
        inside = (points[:, 0] >= x0) & (points[:, 0] < x1) & (points[:, 1] >= y0) & (points[:, 1] < y1)
        sure = inside & (points[:, 2] >= self.min_score)
        for a, b in LIMBS:
            if sure[a] and sure[b]:
                cv2.line(out, tuple(int(v) for v in points[a, :2]), tuple(int(v) for v in points[b, :2]), 1,
                         max(1, thickness))
        return out.astype(bool)


def skeleton_cue() -> "SkeletonCue | None":
    """The cue, or None (logged) where MoveNet's weights are missing: the segmenter then works without it."""
    try:
        return SkeletonCue()
    except Exception as error:  # missing weights / runtime: named in the log, colour and detectors still work
        log.warning("body keypoints (MoveNet) unavailable, cutting out without them: %s", error)
        return None
