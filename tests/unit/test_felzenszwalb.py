"""The compiled Felzenszwalb segmentation (resources/backends/felzenszwalb.py) gives scikit-image's labels: on
windows of real frames at both scales the segmenter uses, on flat drawn characters (many equal edge costs, where
only the same edge order gives the same regions) and on odd shapes."""

import cv2
import numpy as np
import pytest
from skimage.segmentation import felzenszwalb as skimage_felzenszwalb

from assets.instances.composites import load_character, read_background
from resources.backends.character_regions import FINE_SCALE, REGION_SCALE, colour_regions
from resources.backends.felzenszwalb import felzenszwalb


def windows(shared) -> list[np.ndarray]:
    """RGB windows of the sizes the segmenter cuts: parts of Sintel and Big Buck Bunny frames, scaled like its
    GrabCut windows, and a drawn character pasted on a Sintel frame (flat fills)."""
    found, first = [], read_background(shared / "media" / "video" / "sintel_trailer_480x204.mp4", 14.0, 480)
    for name, seconds in (("sintel_trailer_480x204.mp4", 14.0), ("sintel_trailer_480x204.mp4", 30.0),
                          ("big_buck_bunny_0_30.webm", 12.0)):
        frame = read_background(shared / "media" / "video" / name, seconds, 480)
        for x0, y0, w, h in ((0, 0, 300, 200), (400, 100, 180, 300), (700, 250, 150, 230)):
            part = np.ascontiguousarray(frame[y0:y0 + h, x0:x0 + w])
            scale = 256 / max(part.shape[:2])
            found.append(cv2.resize(part, (round(part.shape[1] * scale), round(part.shape[0] * scale)),
                                    interpolation=cv2.INTER_AREA))
    character = load_character(shared / "media" / "characters_rgba" / "sita_front.png").rgba
    drawn = cv2.resize(character, (160, round(character.shape[0] * 160 / character.shape[1])),
                       interpolation=cv2.INTER_AREA)
    background = first[:drawn.shape[0], 300:300 + drawn.shape[1]].astype(np.float32)
    alpha = drawn[..., 3:].astype(np.float32) / 255
    pasted = drawn[..., :3] * alpha + background * (1 - alpha)
    found.append(np.round(pasted).astype(np.uint8))
    return found


@pytest.mark.parametrize("scale", [REGION_SCALE, FINE_SCALE])
def test_the_labels_of_real_windows_are_scikit_images(shared, scale):
    for rgb in windows(shared):
        min_size = max(20, int(0.0005 * rgb.shape[0] * rgb.shape[1]))
        expected = skimage_felzenszwalb(rgb, scale=scale, sigma=0.6, min_size=min_size)
        labels = felzenszwalb(rgb, scale=scale, sigma=0.6, min_size=min_size)
        assert expected.max() > 3   # a window with regions to tell apart
        np.testing.assert_array_equal(labels, expected)


def test_flat_fills_and_odd_shapes_give_scikit_images_labels():
    rng = np.random.default_rng(7)
    for height, width in ((1, 1), (1, 40), (40, 1), (2, 2), (37, 91), (120, 64)):
        blocks = rng.integers(0, 4, (max(1, height // 6), max(1, width // 6), 3)) * 60
        flat = cv2.resize(blocks.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST)
        flat = flat.reshape(height, width, 3)
        noisy = np.clip(flat + rng.integers(-3, 4, flat.shape), 0, 255).astype(np.uint8)
        for rgb in (flat, noisy):
            for scale, min_size in ((REGION_SCALE, 20), (FINE_SCALE, 5), (1.0, 1)):
                np.testing.assert_array_equal(felzenszwalb(rgb, scale=scale, sigma=0.6, min_size=min_size),
                                              skimage_felzenszwalb(rgb, scale=scale, sigma=0.6, min_size=min_size))


def test_colour_regions_reads_bgr_as_scikit_image_reads_rgb(shared):
    bgr = cv2.cvtColor(windows(shared)[1], cv2.COLOR_RGB2BGR)
    expected = skimage_felzenszwalb(bgr[..., ::-1], scale=REGION_SCALE, sigma=0.6, min_size=20).astype(np.int32)
    np.testing.assert_array_equal(colour_regions(bgr), expected)


def merged_by_runs(rgb: np.ndarray, scale: float, sigma: float, min_size: int) -> np.ndarray:
    """The fast path alone: the costs in radix order merged run by run (empty where its checks fail)."""
    from scipy import ndimage
    from skimage.util import img_as_float64

    from resources.backends.felzenszwalb import _ascending, _edge_costs, _merged_in_cost_runs, _sorted_edges

    smooth = ndimage.gaussian_filter(img_as_float64(np.atleast_3d(rgb)), [sigma, sigma, 0], mode="reflect")
    costs = _edge_costs(np.ascontiguousarray(smooth))
    order = _ascending(costs.view(np.uint64))
    assert np.all(np.diff(costs[order]) >= 0) and order.size == costs.size
    return _merged_in_cost_runs(*_sorted_edges(costs, order, smooth.shape[0], smooth.shape[1]), smooth.shape[0],
                                smooth.shape[1], scale / 255.0, min_size)


@pytest.mark.parametrize("scale", [REGION_SCALE, FINE_SCALE])
def test_real_windows_take_the_radix_order_and_get_scikit_images_labels(shared, scale):
    """The radix-ordered merge (equal costs in index order, not argsort's) is what gives the labels on real windows:
    its checks pass there, and its labels are scikit-image's."""
    for rgb in windows(shared):
        min_size = max(20, int(0.0005 * rgb.shape[0] * rgb.shape[1]))
        labels = merged_by_runs(rgb, scale, 0.6, min_size)
        assert labels.size, "the checks failed on a real window"
        np.testing.assert_array_equal(labels, skimage_felzenszwalb(rgb, scale=scale, sigma=0.6, min_size=min_size))


def test_a_run_of_equal_costs_that_could_join_either_way_falls_back_to_argsorts_order():
    """Three pixels a, b, a: the two edges cost the same; too small a scale to join them, so the min_size pass has
    two qualifying edges in one run (which one joins first decides the regions): the fast path declines, and the
    labels are still scikit-image's."""
    rgb = np.array([[[10, 20, 30], [200, 150, 90], [10, 20, 30]]], np.uint8)
    assert merged_by_runs(rgb, 1e-6, 0.0, 2).size == 0
    for min_size in (1, 2, 3):
        np.testing.assert_array_equal(felzenszwalb(rgb, scale=1e-6, sigma=0.0, min_size=min_size),
                                      skimage_felzenszwalb(rgb, scale=1e-6, sigma=0.0, min_size=min_size))


def test_a_small_region_between_two_of_one_colour_falls_back_to_argsorts_order():
    """A A A B A A A: the one-pixel region B ties with both of its neighbours; as the min_size pass's run starts both
    edges qualify, and whichever joins first leaves the other no longer qualifying, so the order decides which side
    B joins: the fast path declines (counting the qualifying edges as it joined them accepted this run), and the
    labels are still scikit-image's."""
    a, b = [10, 20, 30], [200, 150, 90]
    rgb = np.array([[a, a, a, b, a, a, a]], np.uint8)
    assert merged_by_runs(rgb, 1e-6, 0.0, 3).size == 0
    np.testing.assert_array_equal(felzenszwalb(rgb, scale=1e-6, sigma=0.0, min_size=3),
                                  skimage_felzenszwalb(rgb, scale=1e-6, sigma=0.0, min_size=3))


def test_the_radix_order_sorts_costs_and_keeps_equal_ones_in_index_order():
    from resources.backends.felzenszwalb import _ascending

    rng = np.random.default_rng(3)
    costs = np.round(rng.random(200_000) * 50) / 7   # many equal costs, zeros included
    order = _ascending(costs.view(np.uint64))
    np.testing.assert_array_equal(order, np.argsort(costs, kind="stable"))
    assert _ascending(np.array([0.5, -1.0]).view(np.uint64)).size == 0      # a negative cost: argsort's order
    assert _ascending(np.array([0.5, np.nan]).view(np.uint64)).size == 0
