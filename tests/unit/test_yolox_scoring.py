"""YOLOX-nano's boxes (resources/backends/yolox_boxes.py) scored only on the rows whose best score can pass a
threshold are the boxes of scoring every row: on real frames, and on network outputs made to hold equal class
scores, rows exactly at a threshold and a negative objectness (where the shortcut does not hold and every row is
scored)."""

import numpy as np
import pytest

from assets.instances.composites import read_background
from resources.backends.yolox_boxes import YoloxCharacterDetector


@pytest.fixture(scope="module")
def detectors(shared):
    import os

    os.environ.setdefault("CASTFORGE_MODELS", str(shared / "models"))
    reference = YoloxCharacterDetector(0.3, 0.5)
    reference.lowest_score = -np.inf   # every row scored, as before the shortcut
    return YoloxCharacterDetector(0.3, 0.5), reference


def test_real_frames_give_the_boxes_of_scoring_every_row(shared, detectors):
    detector, reference = detectors
    video, found = shared / "media" / "video", 0
    frames = [read_background(video / "sintel_trailer_480x204.mp4", s, 204) for s in (14.0, 30.0, 35.0, 41.0)]
    frames += [read_background(video / "big_buck_bunny_0_30.webm", s, 480) for s in (6.0, 16.0, 28.0)]
    frames += [read_background(video / "2d" / "penny_and_chip_26shots_480p.mp4", s, 480) for s in (3.0, 20.0, 47.0)]
    for rgb in frames:
        for zoom in (1.0, 2.0):
            (boxes, objects), (expected, expected_objects) = detector._pass(rgb, zoom), reference._pass(rgb, zoom)
            np.testing.assert_array_equal(boxes, expected)
            np.testing.assert_array_equal(objects, expected_objects)   # any class, by objectness
            found += len(boxes)
    assert found >= 10


class MadeOutputs:
    """A session whose output is a given (1, 3549, 85) array."""

    def __init__(self, out: np.ndarray):
        self.out = out

    def run(self, _, __):
        return [self.out[None]]


@pytest.mark.parametrize("negative", [False, True])
def test_equal_class_scores_and_rows_at_a_threshold_are_kept_as_before(detectors, negative, monkeypatch):
    detector, reference = detectors
    rng = np.random.default_rng(5)
    out = np.zeros((len(detector.grid), 85), np.float32)
    out[:, :2] = rng.random((len(out), 2), np.float32)
    out[:, 2:4] = rng.random((len(out), 2), np.float32) - 0.5
    out[:, 4] = rng.choice(np.float32([0.0, 0.25, 0.5, 0.7, 1.0]), len(out))
    out[:, 5:] = rng.choice(np.float32([0.0, 0.2, 0.6, 0.7, 1.0]), (len(out), 80))   # many equal maxima
    out[:40, 4], out[:40, 5:] = 1.0, 0.0
    out[:20, 5 + 0], out[20:40, 5 + 77] = detector.weak_score, detector.toy_score     # exactly at the thresholds
    if negative:
        out[::7, 4] *= -1
    rgb = np.full((480, 854, 3), 90, np.uint8)
    monkeypatch.setattr(detector, "session", MadeOutputs(out))
    monkeypatch.setattr(reference, "session", MadeOutputs(out))
    (boxes, objects), (expected, expected_objects) = detector._pass(rgb, 1.0), reference._pass(rgb, 1.0)
    assert len(expected) > 100
    np.testing.assert_array_equal(boxes, expected)
    np.testing.assert_array_equal(objects, expected_objects)
