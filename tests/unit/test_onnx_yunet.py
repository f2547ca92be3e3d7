"""YuNet on onnxruntime (resources/backends/onnx_yunet.py) gives OpenCV FaceDetectorYN's rows to within float
rounding: the same faces in the same order, boxes, landmarks and scores within 0.005, on real drawn (Penny & Chip)
and rendered (Sintel, Big Buck Bunny) frames at sizes that are and are not multiples of 32, and a photograph."""

import cv2
import numpy as np
import pytest

from assets.instances.composites import read_background
from resources.backends.onnx_yunet import OnnxYunet


@pytest.fixture(scope="module")
def weights(shared) -> str:
    return str(shared / "models/face/face_detection_yunet_2023mar.onnx")


def real_frames(shared) -> list[np.ndarray]:
    video = shared / "media" / "video"
    frames = [read_background(video / "2d" / "penny_and_chip_26shots_480p.mp4", s, 480) for s in (27.5, 43.5, 59.5)]
    frames += [read_background(video / "sintel_trailer_480x204.mp4", s, 204) for s in (20.0, 30.0)]
    frames += [read_background(video / "big_buck_bunny_0_30.webm", 16.0, 360)]
    photo = cv2.imread(str(shared / "media/faces/knn_examples/test/obama_and_biden.jpg"))
    frames.append(cv2.cvtColor(photo, cv2.COLOR_BGR2RGB))
    return [cv2.cvtColor(f, cv2.COLOR_RGB2BGR) for f in frames]


@pytest.mark.parametrize("threshold", [0.05, 0.6])
def test_the_rows_are_opencvs_to_within_rounding(shared, weights, threshold):
    ours = OnnxYunet(weights, threshold, 0.3, 5000)
    opencv = cv2.FaceDetectorYN.create(weights, "", (320, 320), threshold, 0.3, 5000)
    faces = 0
    for bgr in real_frames(shared):
        opencv.setInputSize((bgr.shape[1], bgr.shape[0]))
        _, expected = opencv.detect(bgr)
        expected = np.zeros((0, 15), np.float32) if expected is None else expected
        rows = ours.detect(bgr)
        assert rows.dtype == np.float32 and rows.shape == expected.shape
        np.testing.assert_allclose(rows, expected, atol=0.005, rtol=0)
        faces += len(rows)
    assert faces >= (6 if threshold > 0.5 else 20)
