"""Mouth openness of a face over time, by kind of face, with lower-face motion as the common fallback.

- ``MeshMouth(landmarker)``: photos and 3D-animated faces; inner-lip gap (MediaPipe mesh points 13 / 14) over the
  face height (forehead 10 to chin 152), None when the mesh's face score is below ``min_score``. The landmarker
  (``protocols.FaceLandmarker``) comes from the ``face_landmarker`` resource.
- ``DrawnMouth(analyzer)``: drawn 2D faces, where the mesh's mouth lands on the chin. The 2D face detector (AnimeFace
  through the ``face_analyzer`` resource's drawn analyzer) finds the face again around its box and gives the mouth
  corners; openness is the share of the mouth's region (``mouth_region_openness``) that is not skin-coloured: a
  drawn mouth opens as a dark or red shape that grows, a closed one is a line. None when the detector finds no face.
- ``lower_face_patch`` / ``lower_face_motion``: mean absolute change of the lower half of the face box (grey,
  32 x 16), in [0, 1]; used where neither reader measures the face.
"""

import cv2
import numpy as np

from resources.protocols import FaceAnalyzer, FaceLandmarker

UPPER_LIP, LOWER_LIP, FOREHEAD, CHIN = 13, 14, 10, 152
Box = tuple[float, float, float, float]


class MeshMouth:
    name = "face_mesh"

    def __init__(self, landmarker: FaceLandmarker, min_score: float = 0.5):
        self.mesh = landmarker
        self.model = landmarker.model
        self.min_score = min_score

    def openness(self, image: np.ndarray, box: Box) -> float | None:
        points, score = self.mesh.landmarks(image, box)
        # the mesh's face flag is a logit in some exports and a probability in others
        probability = score if 0.0 <= score <= 1.0 else 1.0 / (1.0 + np.exp(-score))
        if probability < self.min_score:
            return None
        height = float(np.linalg.norm(points[FOREHEAD, :2] - points[CHIN, :2]))
        if height < 1e-6:
            return None
        return float(np.linalg.norm(points[UPPER_LIP, :2] - points[LOWER_LIP, :2]) / height)


class DrawnMouth:
    """``openness(image, box)`` of a drawn face from a 2D detector's mouth corners (``FaceDetection.landmarks``
    rows 3 and 4). ``context`` widens the box before detecting (the detector needs the whole head);
    ``skin_distance``: RGB distance from the face's skin colour above which a pixel is mouth, not skin."""

    name = "drawn_mouth"

    def __init__(self, analyzer: FaceAnalyzer, detector: str = "animeface", context: float = 0.5,
                 skin_distance: float = 60.0):
        self.analyzer, self.detector = analyzer, detector
        self.model = f"{analyzer.name}:{detector} mouth corners"
        self.context, self.skin_distance = context, skin_distance

    def openness(self, image: np.ndarray, box: Box) -> float | None:
        h, w = image.shape[:2]
        x0, y0, x1, y1 = box
        mx, my = (x1 - x0) * self.context, (y1 - y0) * self.context
        left, top = int(max(x0 - mx, 0)), int(max(y0 - my, 0))
        right, bottom = int(min(x1 + mx, w)), int(min(y1 + my, h))
        if right - left < 16 or bottom - top < 16:
            return None
        crop = np.ascontiguousarray(image[top:bottom, left:right])
        faces = [f for f in self.analyzer.detect(crop, self.detector) if f.landmarks is not None]
        if not faces:
            return None
        centre = np.array([(x0 + x1) / 2 - left, (y0 + y1) / 2 - top])
        face = min(faces, key=lambda f: np.hypot((f.box[0] + f.box[2]) / 2 - centre[0],
                                                 (f.box[1] + f.box[3]) / 2 - centre[1]))
        return mouth_region_openness(crop, face.box, face.landmarks[3], face.landmarks[4], self.skin_distance)


def mouth_region_openness(image: np.ndarray, face_box: Box, mouth_left: np.ndarray, mouth_right: np.ndarray,
                          skin_distance: float = 60.0) -> float | None:
    """Share of non-skin pixels in the mouth region of a drawn face (as wide as the mouth plus a fifth each side,
    from a third of its width above its line to its width below). Skin is the median colour of the band just above
    the region (between nose and mouth: skin on nearly every drawn face, where the face box's lower half also holds
    hair and collar)."""
    width = max(float(np.hypot(*(np.asarray(mouth_right) - np.asarray(mouth_left)))), 0.15 * (face_box[2] - face_box[0]))
    cx, cy = (np.asarray(mouth_left, dtype=float) + np.asarray(mouth_right, dtype=float)) / 2
    h, w = image.shape[:2]
    rx0, rx1 = int(max(cx - 0.7 * width, 0)), int(min(cx + 0.7 * width, w))
    ry0, ry1 = int(max(cy - 0.35 * width, 0)), int(min(cy + width, h))
    sy0 = int(max(cy - 0.75 * width, 0))
    if rx1 - rx0 < 3 or ry1 - ry0 < 3 or ry0 - sy0 < 2:
        return None
    skin = np.median(image[sy0:ry0, rx0:rx1].reshape(-1, 3).astype(np.float32), axis=0)
    region = image[ry0:ry1, rx0:rx1].reshape(-1, 3).astype(np.float32)
    return float(np.mean(np.linalg.norm(region - skin, axis=1) > skin_distance))


def lower_face_patch(image: np.ndarray, box: Box) -> np.ndarray | None:
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
