"""The compiled share of a region's pixels near its median colour (resources/backends/region_medians.py) equals
``character_regions.dominant_share``'s sorted one on real windows: each region's median from a count of its 8-bit
Lab values, the same medians and shares, at the fine scale's regions (flat parts) and the border prior's
(textured regions at the frame's edge), at both tolerances the segmenter uses."""

import cv2
import numpy as np
import pytest

from resources.backends.character_regions import (EDGE_FILL_TOLERANCE, FINE_SCALE, FLAT_TOLERANCE, REGION_SCALE,
                                                  colour_regions, dominant_share)
from tests.unit.test_felzenszwalb import windows


@pytest.mark.parametrize("scale,tolerance", [(FINE_SCALE, FLAT_TOLERANCE), (REGION_SCALE, EDGE_FILL_TOLERANCE)])
def test_counted_medians_give_the_sorted_shares_on_real_windows(shared, scale, tolerance):
    flat_regions = 0
    for rgb in windows(shared):
        bgr = np.ascontiguousarray(rgb[..., ::-1])
        regions = colour_regions(bgr, scale=scale)
        lab = cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB)
        count = int(regions.max()) + 1
        inner = np.zeros(regions.shape, bool)   # a subset, as the callers pass (a region's interior, the frame's edge)
        inner[1:-1:2] = True
        for chosen in (np.ones(regions.shape, bool), inner):
            counted = dominant_share(lab[chosen], regions[chosen], count, tolerance)
            sorted_ = dominant_share(lab[chosen].astype(np.float32), regions[chosen], count, tolerance)
            np.testing.assert_array_equal(counted, sorted_)
        flat_regions += int((counted >= 0.8).sum())
    assert flat_regions > 10   # windows with flat regions and textured ones: shares on both sides of the bar



def test_a_window_s_regions_at_both_scales_are_scikit_images_whether_its_graph_is_kept_or_not(shared):
    """The segmenter asks for a window's regions at the border prior's scale, then at the flat parts' fine scale:
    the second call merges the kept edge costs and order of the first (felzenszwalb._graph), with the same labels
    as scikit-image and as a call that computes them afresh."""
    from skimage.segmentation import felzenszwalb as skimage_felzenszwalb

    from resources.backends import felzenszwalb as compiled

    for rgb in windows(shared)[:4]:
        min_size = max(20, int(0.0005 * rgb.shape[0] * rgb.shape[1]))
        compiled._graphs.clear(), compiled._labels.clear()
        coarse = compiled.felzenszwalb(rgb, REGION_SCALE, 0.6, min_size)
        kept = len(compiled._graphs)
        fine = compiled.felzenszwalb(rgb, FINE_SCALE, 0.6, min_size)
        assert kept == 1 and len(compiled._graphs) == 1   # one graph, computed once, read by the second call
        compiled._graphs.clear(), compiled._labels.clear()
        np.testing.assert_array_equal(fine, compiled.felzenszwalb(rgb, FINE_SCALE, 0.6, min_size))
        np.testing.assert_array_equal(coarse, skimage_felzenszwalb(rgb, REGION_SCALE, 0.6, min_size))
        np.testing.assert_array_equal(fine, skimage_felzenszwalb(rgb, FINE_SCALE, 0.6, min_size))


def test_a_window_s_fine_regions_are_merged_once_for_the_own_prior_and_the_flat_parts(shared, monkeypatch):
    """A drawn cut's fine regions are asked for by the own-colour prior and again by the flat parts on the same
    window: the second call reads the kept labels (felzenszwalb._labels) and merges nothing, with scikit-image's
    labels; a caller writing into its labels leaves the kept ones as they were."""
    from skimage.segmentation import felzenszwalb as skimage_felzenszwalb

    from resources.backends import felzenszwalb as compiled

    merges = []
    merged = compiled._merged_in_cost_runs
    monkeypatch.setattr(compiled, "_merged_in_cost_runs", lambda *args: merges.append(1) or merged(*args))
    for rgb in windows(shared)[:4]:
        bgr = np.ascontiguousarray(rgb[..., ::-1])
        compiled._graphs.clear(), compiled._labels.clear(), merges.clear()
        first = colour_regions(bgr, scale=FINE_SCALE)
        expected = first.copy()
        first[:] = -1   # a caller's own array
        second = colour_regions(bgr, scale=FINE_SCALE)
        assert len(merges) == 1
        np.testing.assert_array_equal(second, expected)
        min_size = max(20, int(0.0005 * rgb.shape[0] * rgb.shape[1]))
        np.testing.assert_array_equal(second, skimage_felzenszwalb(rgb, FINE_SCALE, 0.6, min_size))
