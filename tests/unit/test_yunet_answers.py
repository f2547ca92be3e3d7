"""YuNet's answers shared through the result cache (resources/backends/yunet_answers.py): on real drawn (Penny &
Chip) and rendered (Sintel) frames, the faces stage's detectors at 0.35 / 0.5 read the instances cue's answers
stored at 0.05 and get exactly the rows the network gives them at their own threshold; answers that cannot serve
(asked at a higher threshold, a row scoring exactly the threshold, a malformed entry) are asked of the network."""

import cv2
import numpy as np
import pytest

from resources.backends.yunet_answers import CachedYunet

PENNY_TIMES = (27.5, 43.5, 59.5, 91.5)   # s: drawn faces scoring 0.05-0.86
SINTEL_TIMES = (20.0, 30.0)


def frames_at(path, times) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    for seconds in times:
        capture.set(cv2.CAP_PROP_POS_MSEC, seconds * 1000)
        ok, bgr = capture.read()
        assert ok, f"{path} at {seconds} s"
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    capture.release()
    return frames


@pytest.fixture(scope="module")
def frames(shared) -> list[np.ndarray]:
    return (frames_at(shared / "media/video/2d/penny_and_chip_26shots_480p.mp4", PENNY_TIMES)
            + frames_at(shared / "media/video/sintel_trailer_480x204.mp4", SINTEL_TIMES))


@pytest.fixture(scope="module")
def weights(shared) -> str:
    return str(shared / "models/face/face_detection_yunet_2023mar.onnx")


@pytest.mark.parametrize("threshold", [0.35, 0.5])
def test_answers_stored_at_the_cues_threshold_are_the_networks_rows_at_a_higher_one(frames, weights, tmp_path,
                                                                                     threshold):
    cue = CachedYunet(weights, 0.05, cache_dir=tmp_path, read=False)
    stored = [cue.rows(frame) for frame in frames]
    faces = CachedYunet(weights, threshold, cache_dir=tmp_path)
    own = CachedYunet(weights, threshold, cache_dir=None)
    compared = 0
    for frame, low in zip(frames, stored):
        expected = own.rows(frame)
        assert np.array_equal(faces.rows(frame), expected)
        compared += len(expected)
        assert len(low) > len(expected)   # the stored answer held rows this threshold drops
    assert compared >= 4
    assert faces.calls == {"network": 0, "cached": len(frames)}


def test_the_instances_cue_and_the_drawn_faces_detector_share_answers(frames, castforge_home):
    """The real classes: the segmenter's YuNet cue stores (never reads), the faces stage's detectors read."""
    from resources.backends.character_cues import WEAK_FACE_SCORE, YunetFaceDetector
    from resources.backends.onnx_faces import OnnxFaceDetectors

    cue = YunetFaceDetector(WEAK_FACE_SCORE)
    for frame in frames:
        cue.detect(frame)                          # a rendered frame: nothing stored
    assert not castforge_home.exists() or not any(castforge_home.rglob("*.json"))
    for frame in frames:
        cue.detect(frame, keep=True)               # a drawn frame
        cue.detect(frame, keep=True)
    assert cue.detector.calls == {"network": 3 * len(frames), "cached": 0}
    shared_answers = OnnxFaceDetectors(("yunet",), thresholds={"yunet": 0.35})
    alone = OnnxFaceDetectors(("yunet",), thresholds={"yunet": 0.35})
    alone._detector("yunet").cache = None
    for frame in frames:
        got, expected = shared_answers.detect(frame, "yunet"), alone.detect(frame, "yunet")
        assert [(f.box, f.score) for f in got] == [(f.box, f.score) for f in expected]
        assert all(np.array_equal(a.landmarks, b.landmarks) for a, b in zip(got, expected))
    assert shared_answers._detector("yunet").calls == {"network": 0, "cached": len(frames)}


def test_answers_that_cannot_serve_are_asked_again(frames, weights, tmp_path):
    frame = frames[1]
    CachedYunet(weights, 0.5, cache_dir=tmp_path).rows(frame)
    lower = CachedYunet(weights, 0.35, cache_dir=tmp_path)
    rows = lower.rows(frame)                       # stored at 0.5: drops faces 0.35 keeps
    assert lower.calls == {"network": 1, "cached": 0}
    assert np.array_equal(CachedYunet(weights, 0.5, cache_dir=tmp_path).rows(frame), rows[rows[:, 14] > 0.5])

    cue = CachedYunet(weights, 0.05, cache_dir=tmp_path, read=False)
    low = cue.rows(frame)
    key = next(tmp_path.rglob("*.json"))
    exact = low.copy()
    exact[-1, 14] = np.float32(0.35)              # a row scoring exactly the asked threshold: cannot be told
    cue.cache.put(key.stem, {"threshold": 0.05, "rows": exact.tolist()})
    again = CachedYunet(weights, 0.35, cache_dir=tmp_path)
    assert np.array_equal(again.rows(frame), rows) and again.calls["network"] == 1
    key.write_text('{"threshold": 0.05, "rows": [[1, 2, 3]]}')
    assert np.array_equal(again.rows(frame), rows) and again.calls["network"] == 2


def test_the_segmenters_cues_store_yunets_answer_on_drawn_frames_only(frames, castforge_home):
    """``CharacterCues`` (the instances stage's cue models): a frame cut with the 2D faces (a drawn shot, whose
    analysis frame the faces stage's 2D analyzer reads) leaves YuNet's answer in the cache, a rendered one none."""
    from resources.segmenter import SegmenterResource

    cues = SegmenterResource().cue_models()
    cues(frames[0], False)
    assert not list(castforge_home.rglob("yunet/*/*.json"))
    cues(frames[0], True)
    assert len(list(castforge_home.rglob("yunet/*/*.json"))) == 1
