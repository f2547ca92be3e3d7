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
    from resources.backends.character_cues import DeeplabCharacterMask, YoloxCharacterDetector

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
