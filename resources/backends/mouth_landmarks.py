"""Mouth openness of a face over time: MediaPipe face mesh inner lips (photos, 3D-animated faces) with lower-face
motion as the fallback (drawn faces, where the mesh's mouth lands on the chin, and faces the mesh rejects).

``MeshMouth.openness(image, box)``: inner-lip gap (points 13 / 14) over the face height (forehead 10 to chin 152),
or None when the mesh's face score is below ``min_score``. ``lower_face_motion(previous, current, box)``: mean
absolute change of the lower half of the face box (grey, 32 x 16), in [0, 1].
"""

import cv2
import numpy as np

UPPER_LIP, LOWER_LIP, FOREHEAD, CHIN = 13, 14, 10, 152


class MeshMouth:
    name = "litert_face_mesh"

    def __init__(self, model: str = "face/mp_face_landmark.tflite", min_score: float = 0.5):
        from resources.backends.litert_face_mesh import LitertFaceMesh

        self.mesh = LitertFaceMesh(model)
        self.model = self.mesh.model
        self.min_score = min_score

    def openness(self, image: np.ndarray, box: tuple[float, float, float, float]) -> float | None:
        points, score = self.mesh.landmarks(image, box)
        # the mesh's face flag is a logit in some exports and a probability in others
        probability = score if 0.0 <= score <= 1.0 else 1.0 / (1.0 + np.exp(-score))
        if probability < self.min_score:
            return None
        height = float(np.linalg.norm(points[FOREHEAD, :2] - points[CHIN, :2]))
        if height < 1e-6:
            return None
        return float(np.linalg.norm(points[UPPER_LIP, :2] - points[LOWER_LIP, :2]) / height)


def lower_face_patch(image: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray | None:
    """The lower half of the face box (the mouth's region), grey, resized to 32 x 16, in [0, 1]."""
    x0, y0, x1, y1 = (float(v) for v in box)
    h, w = image.shape[:2]
    top = int(max(y0 + (y1 - y0) * 0.5, 0))
    left, right, bottom = int(max(x0, 0)), int(min(x1, w)), int(min(y1, h))
    if right - left < 4 or bottom - top < 4:
        return None
    patch = image[top:bottom, left:right]
    grey = cv2.cvtColor(patch, cv2.COLOR_RGB2GRAY) if patch.ndim == 3 else patch
    return cv2.resize(grey, (32, 16), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def lower_face_motion(previous: np.ndarray | None, current: np.ndarray | None) -> float:
    """Mean absolute change between two lower-face patches; NaN when either is missing."""
    if previous is None or current is None:
        return float("nan")
    return float(np.mean(np.abs(current - previous)))
