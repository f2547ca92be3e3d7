"""What the seed cut (resources/backends/opencv_characters.grabcut_seed) computes without changing what it cuts: its
coarse colour regions (Felzenszwalb, about 34 CPU-ms a window) only where DeepLab is blind to the character; where
DeepLab sees it, its class map seeds the cut and the regions would go unused."""

import numpy as np

import resources.backends.opencv_characters as characters
from assets.instances.composites import mask_iou
from resources.backends.character_seeds import Seed
from tests.unit.test_character_regions import pasted_at


def _counting_regions(monkeypatch) -> list[tuple]:
    calls: list[tuple] = []
    original = characters.colour_regions

    def counted(bgr: np.ndarray, *args, **kwargs) -> np.ndarray:
        calls.append(bgr.shape)
        return original(bgr, *args, **kwargs)

    monkeypatch.setattr(characters, "colour_regions", counted)
    return calls


def test_colour_regions_are_computed_only_where_deeplab_is_blind(shared, monkeypatch):
    """Sita pasted on a Big Buck Bunny frame in a detector's box: with DeepLab's pixels on her (a 3D or filmed
    character) the cut reads no colour regions; with none (a drawn one, DeepLab blind) it reads them once. Both cut
    her well."""
    bgr, truth, box = pasted_at(shared, "sita_front", "big_buck_bunny_0_30.webm", 12.0, 300, 300, 100)
    seed = Seed(box + np.array([-20, -10, 20, 10]), 0.9, "person")
    calls = _counting_regions(monkeypatch)
    seen = characters.grabcut_seed(bgr, seed, truth)
    assert calls == []
    assert mask_iou(seen, truth) > 0.9
    blind = characters.grabcut_seed(bgr, seed, np.zeros(truth.shape, bool))
    assert len(calls) == 1
    assert mask_iou(blind, truth) > 0.85
