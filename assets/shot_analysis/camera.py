"""Global (camera) motion between consecutive frames and its classification per shot. No Dagster, no models.

Between two downscaled grey frames, corners found on the background (characters' boxes masked out) are tracked
with pyramidal Lucas-Kanade and a similarity transform (translation, rotation, uniform scale) is fitted with
RANSAC. The transform is re-expressed about the frame centre, so a zoom does not leak into the translation.

Sign conventions (image coordinates, y down): when the camera pans left the background moves right in the frame
(dx > 0); when it tilts up the background moves down (dy > 0); zooming in magnifies the background (scale > 1).
"""

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from assets.shot_analysis.params import ShotAnalysisParams

CAMERA_MOTIONS = ("static", "pan_left", "pan_right", "tilt_up", "tilt_down", "zoom_in", "zoom_out", "handheld",
                  "complex")


@dataclass(frozen=True)
class PairMotion:
    """Background motion from one frame to the next, in pixels of the analysed (downscaled) frame."""

    dx: float
    dy: float
    log_scale: float
    rotation_deg: float
    inliers: int
    tracked: int

    @property
    def valid(self) -> bool:
        return self.tracked > 0


NO_MOTION = PairMotion(0.0, 0.0, 0.0, 0.0, 0, 0)


def background_mask(shape: tuple[int, int], boxes: list[tuple[float, float, float, float]],
                    grow: float = 0.1) -> np.ndarray | None:
    """255 where corners may be taken: the frame minus the characters' boxes (grown by ``grow`` of their size).
    None (no mask) when the boxes would leave under 15% of the frame: better a biased estimate than none."""
    if not boxes:
        return None
    height, width = shape
    mask = np.full((height, width), 255, np.uint8)
    for x0, y0, x1, y1 in boxes:
        pad_x, pad_y = (x1 - x0) * grow, (y1 - y0) * grow
        mask[max(0, int(y0 - pad_y)):min(height, int(np.ceil(y1 + pad_y))),
             max(0, int(x0 - pad_x)):min(width, int(np.ceil(x1 + pad_x)))] = 0
    return mask if (mask > 0).mean() >= 0.15 else None


def pair_motion(previous: np.ndarray, current: np.ndarray, mask: np.ndarray | None,
                params: ShotAnalysisParams = ShotAnalysisParams()) -> PairMotion:
    """Similarity transform of the background from ``previous`` to ``current`` (grey uint8 of equal size)."""
    corners = cv2.goodFeaturesToTrack(previous, maxCorners=params.max_corners, qualityLevel=0.01, minDistance=5,
                                      mask=mask, blockSize=5)
    if corners is None or len(corners) < params.min_inliers:
        return NO_MOTION
    moved, status, _ = cv2.calcOpticalFlowPyrLK(previous, current, corners, None, winSize=(21, 21), maxLevel=3,
                                                criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01))
    good = status.reshape(-1) == 1
    source, target = corners.reshape(-1, 2)[good], moved.reshape(-1, 2)[good]
    if len(source) < params.min_inliers:
        return NO_MOTION
    matrix, inliers = cv2.estimateAffinePartial2D(source, target, method=cv2.RANSAC,
                                                  ransacReprojThreshold=params.ransac_px, maxIters=500,
                                                  confidence=0.99)
    count = int(inliers.sum()) if inliers is not None else 0
    if matrix is None or count < params.min_inliers:
        return NO_MOTION
    scale = float(np.hypot(matrix[0, 0], matrix[1, 0]))
    centre = np.array([current.shape[1] / 2.0, current.shape[0] / 2.0])
    shift = matrix[:, :2] @ centre + matrix[:, 2] - centre  # where the centre goes: translation about the centre
    return PairMotion(float(shift[0]), float(shift[1]), float(np.log(max(scale, 1e-6))),
                      float(np.degrees(np.arctan2(matrix[1, 0], matrix[0, 0]))), count, len(source))


@dataclass(frozen=True)
class ShotCamera:
    camera_motion: str | None  # one of CAMERA_MOTIONS, None when it could not be estimated (see note)
    motion_magnitude: float  # frame widths per second (a zoom: the corners' displacement rate); handheld: the
    # RMS wander of the camera path in frame widths
    pan_rate: float  # signed, frame widths per second of the camera (right > 0)
    tilt_rate: float  # signed, frame widths per second of the camera (down > 0)
    zoom_rate: float  # signed, log-scale per second (in > 0)
    jitter: float  # RMS wander of the camera path around 1 s straight pieces, frame widths
    estimated_pairs: int
    note: str | None


def classify_shot_motion(pairs: list[PairMotion], width: int, height: int, fps: float,
                         params: ShotAnalysisParams = ShotAnalysisParams()) -> ShotCamera:
    """The camera move of one shot from its consecutive-frame background motions (analysed-frame pixels)."""
    valid = [p for p in pairs if p.valid]
    if len(valid) < params.min_pairs:
        frames = len(pairs) + 1
        why = (f"too short to estimate motion ({frames} frame{'s' if frames != 1 else ''})"
               if len(pairs) < params.min_pairs
               else f"too little trackable texture ({len(valid)} of {len(pairs)} frame pairs estimated)")
        return ShotCamera(None, 0.0, 0.0, 0.0, 0.0, 0.0, len(valid), why)
    fps = fps if fps > 0 else 24.0
    dx = np.array([p.dx for p in valid]) / width
    dy = np.array([p.dy for p in valid]) / width
    zoom = np.array([p.log_scale for p in valid])
    half_diagonal = 0.5 * np.hypot(width, height) / width  # a corner's distance from the centre, frame widths
    # the camera moves opposite to the background; medians ignore single-pair tracking failures
    pan, tilt, zoom_rate = -np.median(dx) * fps, -np.median(dy) * fps, float(np.median(zoom) * fps)
    rates = {"pan": abs(pan), "tilt": abs(tilt), "zoom": abs(zoom_rate) * half_diagonal}
    jitter = _wobble(np.cumsum(dx), np.cumsum(dy), max(8, int(round(fps))))
    magnitude = float(np.hypot(rates["pan"], rates["tilt"]) + rates["zoom"])
    ordered = sorted(rates.items(), key=lambda item: item[1], reverse=True)
    (leader, lead_rate), (_, second_rate) = ordered[0], ordered[1]
    shaky = jitter >= params.handheld_jitter
    if shaky and lead_rate < params.handheld_move_rate:
        label, magnitude = "handheld", jitter  # the wobble is the move; its size is the magnitude
    elif lead_rate < params.static_rate:
        label = "static"
    elif lead_rate < params.dominance * second_rate:
        label = "complex"
    else:  # a deliberate move, hand-held or not, is named for its leading component
        label = {"pan": "pan_right" if pan > 0 else "pan_left", "tilt": "tilt_down" if tilt > 0 else "tilt_up",
                 "zoom": "zoom_in" if zoom_rate > 0 else "zoom_out"}[leader]
    return ShotCamera(label, round(magnitude, 4), round(float(pan), 4), round(float(tilt), 4),
                      round(zoom_rate, 4), round(jitter, 5), len(valid), None)


def _wobble(x: np.ndarray, y: np.ndarray, chunk: int) -> float:
    """RMS distance (frame widths) of the camera path from straight lines fitted over ``chunk``-pair pieces:
    a deliberate move is smooth over a second, a hand-held camera wanders around it."""
    residuals = []
    for start in range(0, len(x), chunk):
        piece = slice(start, min(start + chunk, len(x)))
        if piece.stop - piece.start < 4:
            continue
        t = np.arange(piece.stop - piece.start)
        for values in (x[piece], y[piece]):
            residuals.append(values - np.polyval(np.polyfit(t, values, 1), t))
    return float(np.sqrt(np.mean(np.concatenate(residuals) ** 2))) if residuals else 0.0


def camera_row(camera: ShotCamera) -> dict[str, Any]:
    return {"camera_motion": camera.camera_motion, "motion_magnitude": camera.motion_magnitude,
            "pan_rate": camera.pan_rate, "tilt_rate": camera.tilt_rate, "zoom_rate": camera.zoom_rate,
            "camera_jitter": camera.jitter, "motion_pairs": camera.estimated_pairs, "motion_note": camera.note}
