"""The guided filter's regulariser (assets/instances/matting.py MATTING_EPS) on real drawn characters: a small eps
keeps a drawn character's hard, anti-aliased edge hard instead of smoothing it into a ramp."""

import numpy as np
import pytest

from assets.instances.composites import alpha_error, mask_iou
from assets.instances.matting import MATTING_EPS, matting_radius, refine_alpha
from tests.unit.test_instance_outline import cut_on_sintel


@pytest.mark.parametrize("name", ["saha_side", "sita_front"])
def test_the_soft_edge_follows_a_drawn_outline(shared, name):
    """Measured (edge-band alpha error, 480 rows, the dark Sintel street): saha_side 0.121 -> 0.096, sita_front
    0.043 -> 0.028 with eps 1e-3 -> 1e-4; the mask's IoU 0.9738 -> 0.9752 and 0.9938 -> 0.9941."""
    scene, truth, cut = cut_on_sintel(shared, name)
    radius = matting_radius(cut, 0.015)
    smooth = refine_alpha(scene.rgb, cut, radius, eps=1e-3)
    alpha = refine_alpha(scene.rgb, cut, radius)
    assert MATTING_EPS <= 1e-4
    assert alpha_error(alpha / 255.0, truth.alpha) < alpha_error(smooth / 255.0, truth.alpha) - 0.005
    assert mask_iou(alpha >= 128, truth.mask) > mask_iou(smooth >= 128, truth.mask) - 0.002
