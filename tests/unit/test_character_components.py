"""A drawn character's cut keeps its parts that its own outline separates from the rest (component_with in
resources/backends/opencv_characters.py), and still drops stray fragments. Exact truth: saha_side's alpha at the
segmenter's cut size, less its dark line art: the outline cuts his trailing trouser leg off the body."""

import cv2
import numpy as np
import pytest

from assets.instances.composites import load_character
from resources.backends.opencv_characters import component_with


@pytest.fixture(scope="module")
def cut(shared):
    """(cut without line art, bool, in a 40 px margin; face core): saha_side 256 px tall, as GrabCut sees him."""
    rgba = load_character(shared / "media" / "characters_rgba" / "saha_side.png").rgba
    height = 256
    rgba = cv2.resize(rgba, (round(rgba.shape[1] * height / rgba.shape[0]), height), interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(np.ascontiguousarray(rgba[..., :3]), cv2.COLOR_RGB2GRAY)
    fills = (rgba[..., 3] >= 128) & (grey > 40)  # the dark outline pixels are the background's colour here
    mask = np.pad(fills, 40)
    core = np.zeros_like(mask)
    core[60:80, 90:120] = True  # his face
    return mask, core


def test_a_trouser_leg_the_outline_cuts_off_stays_with_the_character(cut):
    mask, core = cut
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    assert count - 1 >= 2  # the outline really separates a part
    leg = labels == 1 + int(np.argsort(stats[1:, cv2.CC_STAT_AREA])[-2])
    assert leg.sum() < 0.1 * mask.sum()  # too small to be kept for its size alone
    assert not (leg & core).any()
    kept = component_with(mask, core)
    assert kept[leg].all()
    assert not (kept & ~mask).any()  # joining parts adds no pixel


def test_a_fragment_away_from_the_character_is_still_dropped(cut):
    mask, core = cut
    stray = np.zeros_like(mask)
    ys, xs = np.nonzero(mask)
    stray[ys.max() - 30:ys.max() - 10, xs.max() + 12:xs.max() + 30] = True  # background 12 px off his back
    kept = component_with(mask | stray, core)
    assert not kept[stray].any()
    assert kept[mask].mean() > 0.99
