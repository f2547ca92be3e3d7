"""The MediaPipe face mesh backend on real photographs (../shared), and its missing-weights advice."""

import cv2
import numpy as np
import pytest

from assets.references.core import ReferenceParams, expression
from resources.errors import MissingWeightsError

KNN = "media/faces/knn_examples"


def test_face_mesh_fits_a_real_face_and_reads_its_expression(shared, monkeypatch):
    monkeypatch.setenv("CASTFORGE_MODELS", str(shared / "models"))
    from resources.backends.litert_face_mesh import LitertFaceMesh
    from resources.backends.onnx_faces import OnnxFaceAnalyzer

    image = cv2.cvtColor(cv2.imread(str(shared / KNN / "test" / "obama1.jpg")), cv2.COLOR_BGR2RGB)
    face = max(OnnxFaceAnalyzer().detect(image), key=lambda f: (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))
    mesh = LitertFaceMesh()
    points, score = mesh.landmarks(image, face.box)
    assert points.shape == (468, 3) and score > 0
    x0, y0, x1, y1 = face.box
    inside = ((points[:, 0] > x0 - 0.2 * (x1 - x0)) & (points[:, 0] < x1 + 0.2 * (x1 - x0))
              & (points[:, 1] > y0 - 0.2 * (y1 - y0)) & (points[:, 1] < y1 + 0.2 * (y1 - y0)))
    assert inside.mean() > 0.95                                  # mapped back to image pixels
    assert points[13, 1] > points[33, 1] and points[13, 1] > points[263, 1]   # lips below the eyes
    label, how = expression(points, score, ReferenceParams())
    assert label in ("neutral", "smile", "mouth_open", "eyes_closed") and "lip gap" in how
    blank = np.full_like(image, 128)
    assert mesh.landmarks(blank, face.box)[1] < score            # no face: a much lower presence score


def test_missing_face_mesh_says_how_to_provide_it(tmp_path, monkeypatch):
    monkeypatch.setenv("CASTFORGE_MODELS", str(tmp_path))
    from resources.backends.litert_face_mesh import LitertFaceMesh

    with pytest.raises(MissingWeightsError, match="mp_face_landmark.tflite.*CASTFORGE_MODELS"):
        LitertFaceMesh()
