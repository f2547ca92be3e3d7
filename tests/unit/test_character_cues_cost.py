"""What the cue models cost without changing what they find: DeepLab's class map runs only when something reads it,
and a model's output does not depend on its thread count (a pool of workers runs each model on one thread)."""

import cv2
import numpy as np
import pytest

from resources.cores import MODEL_THREADS_ENV, model_threads, threads_per_worker


@pytest.fixture(scope="module")
def photo(shared) -> np.ndarray:
    path = shared / "media/faces/knn_examples/test/obama_and_biden.jpg"
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="module")
def segmenter(shared):
    import os

    os.environ.setdefault("CASTFORGE_MODELS", str(shared / "models"))
    from resources.backends.opencv_characters import OpencvCharacterSegmenter

    return OpencvCharacterSegmenter()


def _counting_class_maps(segmenter, monkeypatch) -> list[int]:
    calls: list[int] = []
    original = segmenter.cues.classes.mask

    def counted(rgb: np.ndarray) -> np.ndarray:
        calls.append(1)
        return original(rgb)

    monkeypatch.setattr(segmenter.cues.classes, "mask", counted)
    return calls


def test_a_frame_with_no_character_never_runs_the_class_map(segmenter, monkeypatch):
    calls = _counting_class_maps(segmenter, monkeypatch)
    card = np.full((204, 480, 3), 20, np.uint8)
    cv2.putText(card, "THE END", (120, 110), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (230, 230, 230), 4)
    cues = segmenter.cues(card)
    assert segmenter.segment(card, cues) == [] and calls == []


def test_the_class_map_runs_once_when_read_and_equals_deeplabs_own(segmenter, photo, monkeypatch):
    expected = segmenter.cues.classes.mask(photo)
    calls = _counting_class_maps(segmenter, monkeypatch)
    cues = segmenter.cues(photo)
    assert calls == []
    assert len(segmenter.segment(photo, cues)) >= 2 and len(calls) == 1
    assert cues.class_mask is cues.class_mask and len(calls) == 1
    assert expected.any() and (cues.class_mask == expected).all()


def test_cue_models_find_the_same_on_one_thread_as_on_two(shared, photo, monkeypatch):
    from resources.backends.character_cues import DeeplabCharacterMask
    from resources.backends.yolox_boxes import YoloxCharacterDetector

    found = {}
    for threads in ("1", "2"):
        monkeypatch.setenv(MODEL_THREADS_ENV, threads)
        found[threads] = YoloxCharacterDetector().detect(photo), DeeplabCharacterMask().mask(photo)
    assert len(found["1"][0]) >= 2 and np.array_equal(found["1"][0], found["2"][0])
    assert (found["1"][1] == found["2"][1]).all()


def test_model_threads_follow_the_setting_and_split_the_cores(monkeypatch):
    import os

    monkeypatch.delenv(MODEL_THREADS_ENV, raising=False)
    assert model_threads() == min(2, len(os.sched_getaffinity(0)))
    monkeypatch.setenv(MODEL_THREADS_ENV, "3")
    assert model_threads() == 3
    for bad in ("0", "one", "-2"):
        monkeypatch.setenv(MODEL_THREADS_ENV, bad)
        with pytest.raises(ValueError, match=MODEL_THREADS_ENV):
            model_threads()
    cores = len(os.sched_getaffinity(0))
    assert threads_per_worker(1) == cores and threads_per_worker(cores) == 1 and threads_per_worker(4 * cores) == 1


def test_cues_pickle_with_their_class_map(segmenter, photo):
    import pickle

    cues = segmenter.cues(photo)
    copy = pickle.loads(pickle.dumps(cues))
    assert np.array_equal(copy.faces, cues.faces) and np.array_equal(copy.bodies, cues.bodies)
    assert copy.class_mask.any() and (copy.class_mask == cues.class_mask).all()
    # a drawn shot's cues stay drawn when they travel (the segmenter keeps textured frame-edge ground out there)
    from resources.backends.character_cues import Cues

    assert pickle.loads(pickle.dumps(Cues(drawn=True))).drawn is True and copy.drawn is False


def test_yunet_reads_a_large_frame_at_its_input_cap_and_answers_in_frame_pixels(shared, photo):
    import os

    os.environ.setdefault("CASTFORGE_MODELS", str(shared / "models"))
    from resources.backends.character_cues import YUNET_MAX_SIDE, YunetFaceDetector, box_iou

    frame = np.full((1080, 1920, 3), 90, np.uint8)   # the photo as a medium shot in a 1080p frame
    height = 700
    width = round(photo.shape[1] * height / photo.shape[0])
    frame[200:200 + height, 300:300 + width] = cv2.resize(photo, (width, height), interpolation=cv2.INTER_AREA)
    capped = YunetFaceDetector(0.6).detect(frame)            # read at YUNET_MAX_SIDE px wide
    full = YunetFaceDetector(0.6, max_side=1920).detect(frame)  # read as it is
    assert YUNET_MAX_SIDE < 1920 and len(capped) == len(full) >= 2
    for face in capped:
        assert max(box_iou(face[:4], other[:4]) for other in full) > 0.8
        assert 300 <= face[0] < face[2] <= 300 + width and 200 <= face[1] < face[3] <= 200 + height
