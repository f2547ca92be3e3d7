"""The drawn-background stand-in of the composites' tune split (assets/instances/composites.cartoon_background and
bench/composites.py --drawn-backgrounds) on a real Big Buck Bunny frame: flat fills of ``colours`` colours,
thin dark strokes, the same picture for a seed, and the held-out split's frames never redrawn."""

import cv2
import numpy as np
import pytest

from assets.instances.composites import STROKE_RGB, cartoon_background, read_background
from tests.conftest import load_bench



@pytest.fixture(scope="module")
def frame(shared):
    return read_background(shared / "media/video/big_buck_bunny_0_30.webm", 12.0, 480)


@pytest.fixture(scope="module")
def cartoon(frame):
    return cartoon_background(frame, colours=12, seed=3)


def _strokes(image: np.ndarray) -> np.ndarray:
    return (image == STROKE_RGB).all(axis=-1)


def _palette_share(image: np.ndarray, colours: int) -> float:
    """Share of the pixels off the strokes that hold one of the ``colours`` commonest colours."""
    _, counts = np.unique(image[~_strokes(image)], axis=0, return_counts=True)
    return float(np.sort(counts)[::-1][:colours].sum() / counts.sum())


def test_fills_off_the_strokes_hold_the_palette(frame, cartoon):
    assert _palette_share(frame, 12) < 0.2  # the real frame is far from flat
    assert _palette_share(cartoon, 12) >= 0.98  # the median mixes fills on a few pixels where they meet
    assert _palette_share(cartoon_background(frame, colours=5, seed=3), 5) >= 0.98


def test_strokes_are_dark_thin_lines_on_the_fills_edges(cartoon):
    strokes = _strokes(cartoon)
    assert sum(STROKE_RGB) / 3 < 40
    assert 0.01 < strokes.mean() < 0.2  # line art on a leafy frame, not a blackened picture
    thick = cv2.erode(strokes.astype(np.uint8), np.ones((3, 3), np.uint8))
    assert thick.sum() <= 0.01 * strokes.sum()  # 1-px lines: almost nothing survives a 3 x 3 erosion
    grey = cv2.cvtColor(cartoon, cv2.COLOR_RGB2GRAY).astype(np.int16)
    beside = cv2.dilate(strokes.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    # where two fills of clearly different brightness meet (not on a stroke), a stroke runs beside the step
    steps = (np.abs(grey[:, 1:] - grey[:, :-1]) >= 20) & ~strokes[:, 1:] & ~strokes[:, :-1]
    assert steps.sum() > 100
    assert (steps & beside[:, 1:]).sum() >= 0.8 * steps.sum()


def test_the_same_picture_for_a_seed(frame, cartoon):
    cv2.setRNGSeed(12345)  # another user of OpenCV's random generator in between
    cv2.randu(np.zeros((100, 100), np.float32), 0, 1)
    assert np.array_equal(cartoon_background(frame, colours=12, seed=3), cartoon)


def test_the_bench_redraws_the_tune_split_only(shared):
    bench = load_bench("composites")
    bench.BACKGROUNDS = {"tune": [("big_buck_bunny_0_30.webm", 12.0)],
                         "held_out": [("2d/penny_and_chip_26shots_480p.mp4", 27.0)]}
    (_, drawn), = bench.split_backgrounds("tune", 480, drawn_backgrounds=True)
    (_, plain), = bench.split_backgrounds("tune", 480)
    (_, held_out), = bench.split_backgrounds("held_out", 480, drawn_backgrounds=True)
    assert _strokes(drawn).any() and not np.array_equal(drawn, plain)
    assert np.array_equal(held_out, read_background(shared / "media/video/2d/penny_and_chip_26shots_480p.mp4",
                                                    27.0, 480))
