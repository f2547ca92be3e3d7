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


def optional_cue(build, what: str):
    """``build()``, or None (logged, naming ``what`` and the error) where its weights or runtime are missing: the
    segmenter then works without that cue."""
    try:
        return build()
    except Exception as error:  # missing weights / runtime: named in the log, colour and detectors still work
        log.warning("%s unavailable, cutting out without it: %s", what, error)
        return None


def skeleton_cue() -> "SkeletonCue | None":
    """The MoveNet cue, or None (logged) where its weights are missing."""
    return optional_cue(SkeletonCue, "body keypoints (MoveNet)")


# The BlazePose matte is evidence where the model is sure: a pose flag at least MATTE_MIN_SCORE and pixels at or above
# MATTE_HIGH. Tune split, anime preset, seeds 7 / 11 / 13 (mean IoU, matte off -> on): 0.850 / 0.577 / 0.745 ->
# 0.863 / 0.584 / 0.753; 3D defaults, seed 7: 0.694 -> 0.707. Its low values as probable background lost parts that
# the matte, trained on real people, does not see in a drawn character (seed 7: 0.850 -> 0.828), so they are unused
MATTE_MIN_SCORE = 0.5
MATTE_HIGH = 0.9


class MatteCue:
    """BlazePose lite (resources/backends/mediapipe_person.py) on each seed's box: ``estimate(rgb, box)`` -> its
    PersonMatte; ``trusted(found, core)``: the model is sure (pose flag at least MATTE_MIN_SCORE) and agrees with
    the seed (its matte holds most of the seed's face ``core``); the segmenter then takes the pixels at or above
    ``high`` as probable foreground."""

    def __init__(self, min_score: float = MATTE_MIN_SCORE, high: float = MATTE_HIGH):
        from resources.backends.mediapipe_person import MediapipePersonMatte

        self.estimator = MediapipePersonMatte(threads=model_threads())
        self.model = self.estimator.model
        self.min_score, self.high = min_score, high

    def estimate(self, rgb: np.ndarray, box: tuple[int, int, int, int]):
        """BlazePose's PersonMatte for ``box`` (its pose flag, keypoints, matte), or None for a box under 8 px."""
        x0, y0, x1, y1 = box
        return None if x1 - x0 < 8 or y1 - y0 < 8 else self.estimator.estimate(rgb, box)

    def trusted(self, found, core: np.ndarray | None = None) -> bool:
        """The model is sure (pose flag >= min_score) and agrees with the seed (its matte holds most of ``core``)."""
        if found is None or found.score < self.min_score:
            return False
        return self.holds(found, core)

    @staticmethod
    def holds(found, core: np.ndarray | None = None) -> bool:
        """The matte holds most of ``core`` (the seed's face; None or empty: a face-less seed, always)."""
        return core is None or not core.any() or (found.matte[core] >= 0.5).mean() >= 0.5


def matte_cue() -> "MatteCue | None":
    """The BlazePose matte cue, or None (logged) where its weights are missing."""
    return optional_cue(MatteCue, "person matte (BlazePose)")


def selfie_cue():
    """MediaPipe's selfie matte (resources/backends/mediapipe_selfie.py), or None (logged) where its weights are
    missing."""
    def build():
        from resources.backends.mediapipe_selfie import MediapipeSelfieMatte

        return MediapipeSelfieMatte(threads=model_threads())
    return optional_cue(build, "selfie matte (MediaPipe)")
