"""The frame the segmenter analyses: a large frame scaled down to at most ``max_height`` rows, its results scaled
back up to the source frame.

The cues (AnimeFace, YuNet), the seeds, GrabCut, the colour regions, the flat parts and the component gaps hold
sizes in pixels that were tuned on 480p frames; run on a 1080p frame, the same drawn character came out worse
(tune composites, anime preset: 0.78 mean IoU against 0.83 at 480p; AnimeFace missed or invented faces at the
other scale). Analysing the frame at a 480p-like size and scaling the masks back up keeps those sizes right; the
instances stage's matting then gives every mask its soft edge at the source resolution. Pure numpy / OpenCV.
"""

import cv2
import numpy as np

from resources.area_resize import area_resized
from resources.backends.character_cues import Cues


def analysis_scale(height: int, max_height: int | None) -> float:
    """Factor (at most 1) that brings a frame of ``height`` rows to at most ``max_height`` rows; None: 1."""
    if not max_height or height <= max_height:
        return 1.0
    return max_height / height


def scaled_frame(rgb: np.ndarray, scale: float) -> np.ndarray:
    """``rgb`` resized by ``scale`` (area interpolation); the frame itself when ``scale`` is 1."""
    if scale >= 1.0:
        return rgb
    height, width = rgb.shape[:2]
    # OpenCV's area bytes at about half its CPU (resources/area_resize.py): 1920 x 1078 -> 855 x 480 a key frame
    return area_resized(rgb, max(1, round(width * scale)), max(1, round(height * scale)))


def full_mask(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A bool mask of the analysis frame at the source frame's (height, width), edges interpolated (not blocks)."""
    if mask.shape == tuple(shape):
        return mask
    up = cv2.resize(mask.astype(np.uint8) * 255, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
    return up > 127


def full_cues(cues: Cues, scale: float, shape: tuple[int, int]) -> Cues:
    """The analysis frame's cues in source frame pixels: boxes divided by ``scale``, the class map (read lazily, as
    the cues read it) scaled up to ``shape``."""
    if scale >= 1.0:
        return cues
    faces, bodies = cues.faces.copy(), cues.bodies.copy()
    faces[:, :4] /= scale
    bodies[:, :4] /= scale

    def class_mask() -> np.ndarray | None:
        small = cues.class_mask
        if small is None:
            return None
        return cv2.resize(small.astype(np.uint8), (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST) > 0

    return Cues(faces, bodies, class_mask_of=class_mask)


def full_instances(found: list[dict], shape: tuple[int, int]) -> list[dict]:
    """The segmenter's instances with their masks at the source frame's size (other fields as they are)."""
    return [{**item, "mask": full_mask(item["mask"], shape)} for item in found]
