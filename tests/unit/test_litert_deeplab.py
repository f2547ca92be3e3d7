"""DeepLab's class map from the model cut before its upsampling (resources/backends/litert_deeplab.py) is the whole
model's: on real rendered, drawn and photographed frames at the shapes the segmenter gives it, and, for the
fixed-point mix and ARG_MAX's first-of-equal-maxima rule, against a plain NumPy statement of the same arithmetic on
logits full of ties."""

import cv2
import numpy as np
import pytest

from assets.instances.composites import read_background
from resources.backends.litert_deeplab import character_pixels, source_weights, upsampling_tail


@pytest.fixture(scope="module")
def masks(shared):
    import os

    os.environ.setdefault("CASTFORGE_MODELS", str(shared / "models"))
    from resources.backends.character_cues import DeeplabCharacterMask

    return DeeplabCharacterMask(), DeeplabCharacterMask(whole=True)


def real_frames(shared) -> list[np.ndarray]:
    """Sintel (rendered), Big Buck Bunny (rendered animals), Penny & Chip (drawn) and a photograph, at 480 rows or
    as they are, plus a portrait cut and a narrow one (the frame fills another part of the model's square)."""
    video = shared / "media" / "video"
    frames = [read_background(video / "sintel_trailer_480x204.mp4", seconds, 204) for seconds in (14.0, 30.0, 41.0)]
    frames += [read_background(video / "big_buck_bunny_0_30.webm", seconds, 480) for seconds in (6.0, 16.0, 28.0)]
    frames += [read_background(video / "2d" / "penny_and_chip_26shots_480p.mp4", seconds, 480)
               for seconds in (3.0, 20.0, 47.0)]
    photo = cv2.imread(str(shared / "media/faces/knn_examples/test/obama_and_biden.jpg"))
    frames.append(cv2.cvtColor(photo, cv2.COLOR_BGR2RGB))
    frames.append(np.ascontiguousarray(np.rot90(frames[4])))
    frames.append(np.ascontiguousarray(frames[7][:, 100:300]))
    return frames


def test_the_cut_model_gives_the_whole_models_class_map_on_real_frames(shared, masks):
    cut, whole = masks
    assert cut.tail is not None and whole.tail is None
    assert (cut.tail.height, cut.tail.width) == (513, 513)
    characters = 0
    for rgb in real_frames(shared):
        expected = whole.mask(rgb)
        found = cut.mask(rgb)
        assert found.shape == rgb.shape[:2] and found.dtype == bool
        np.testing.assert_array_equal(found, expected)
        characters += int(expected.any() and not expected.all())
    assert characters >= 7   # frames where the map tells characters from the rest, not all-or-nothing


def reference(logits: np.ndarray, height: int, width: int, rows: int, columns: int) -> np.ndarray:
    """XNNPACK's aligned-corner u8 bilinear resize in plain NumPy, then NumPy's argmax (the first of equal maxima)."""
    top, bottom, down = (a[:rows] for a in source_weights(logits.shape[0], height))
    left, right, across = (a[:columns] for a in source_weights(logits.shape[1], width))
    q = logits.astype(np.int64)
    upper = (q[top][:, left] << 11) + (q[top][:, right] - q[top][:, left]) * across[None, :, None]
    lower = (q[bottom][:, left] << 11) + (q[bottom][:, right] - q[bottom][:, left]) * across[None, :, None]
    values = ((upper << 11) + (lower - upper) * down[:, None, None] + (1 << 21)) >> 22
    return values.argmax(-1)


@pytest.mark.parametrize("shape, size, part", [((33, 33, 21), (513, 513), (289, 513)), ((5, 7, 4), (9, 25), (9, 25)),
                                               ((2, 2, 3), (17, 3), (10, 2))])
def test_the_mix_and_the_first_of_equal_maxima_follow_the_plain_arithmetic(shape, size, part):
    rng = np.random.default_rng(3)
    logits = (rng.integers(0, 4, shape) * 60).astype(np.uint8)   # few distinct values: many exact ties
    classes = reference(logits, *size, *part)
    for wanted in (np.arange(shape[2]) % 2 == 0, np.arange(shape[2]) == shape[2] - 1):
        np.testing.assert_array_equal(character_pixels(logits, *size, *part, wanted), wanted[classes])


def test_a_graph_without_that_tail_is_run_whole(shared):
    """BlazePose's landmark model ends in other operators: no cut model is offered."""
    from ai_edge_litert.interpreter import Interpreter

    path = shared / "models" / "pose" / "mp_pose_landmark_lite.tflite"
    content = path.read_bytes()
    tensors = {t["index"]: t for t in Interpreter(model_content=content).get_tensor_details()}
    assert upsampling_tail(content, tensors) is None
