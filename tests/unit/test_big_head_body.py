"""A lone face's body guessed for a photograph's proportions (5 face widths wide, 6.7 face heights below the face's
top) holds a big-headed character's neighbours and the sky beside it; the face's body is cut again in a big-headed
character's box where the character's own cut closes inside it (resources/backends/character_head_share.py).

On real media: Kenney's man (idle, 2.2 of his YuNet face's heights tall) pasted with his exact alpha on a Sintel
trailer frame of the composites' tune split, the zombie beside him (bench/composites.py, Kenney tune seed 11 scene
2), through the real instances core with the anime preset; and hand-made masks for the closing rule, where a taller
character's legs run through the small box's bottom."""

import numpy as np
import pytest

from resources.backends.character_head_share import big_head_box, closes_inside, reaches_beyond
from tests.conftest import kenney_wheel_or_skip, kept_cut_masks, load_bench

SEED, SCENE, NAME = 11, 2, "male_person_idle"


def _best_iou(shared, tmp_path, monkeypatch, big_heads: bool) -> float:
    return kept_iou(shared, tmp_path, monkeypatch, (SEED, SCENE, NAME), "BIG_HEADS", big_heads)


def kept_iou(shared, tmp_path, monkeypatch, where: tuple[int, int, str], switch: str, on: bool,
             module=None) -> float:
    """The best IoU of a kept instance with character ``name`` of Kenney tune scene ``scene`` of seed ``seed``
    (``where``), the anime preset, with the switch ``switch`` of ``module`` (None: the segmenter's) set to ``on``."""
    import os

    import resources.backends.opencv_characters as characters
    from assets.instances.composites import mask_iou

    kenney_wheel_or_skip()
    os.environ.setdefault("CASTFORGE_MODELS", str(shared / "models"))
    seed, number, name = where
    monkeypatch.setattr(module or characters, switch, on)
    bench = load_bench("composites")
    scene = bench.build_scenes("tune", number + 1, seed, character_set="kenney")[0][number]
    truth = next(c for c in scene.characters if c.name == name).mask
    return max((mask_iou(mask, truth) for mask in kept_cut_masks(bench, scene.rgb, tmp_path)), default=0.0)


def test_a_big_headed_character_is_cut_without_its_neighbour_and_the_sky(shared, tmp_path, monkeypatch):
    assert _best_iou(shared, tmp_path, monkeypatch, big_heads=True) > 0.85


def test_in_the_photographs_box_the_same_character_is_cut_with_the_sky(shared, tmp_path, monkeypatch):
    assert _best_iou(shared, tmp_path, monkeypatch, big_heads=False) < 0.4


FACE = np.array([40.0, 20.0, 60.0, 44.0, 0.9])  # 20 x 24 px


def _figure(heads_tall: float, shape: tuple[int, int] = (240, 200)) -> np.ndarray:
    """A figure's mask: the face's box as its head, a body as wide as the face down to ``heads_tall`` face heights."""
    mask = np.zeros(shape, bool)
    mask[16:int(20 + heads_tall * 24), 36:64] = True
    return mask


@pytest.mark.parametrize("heads_tall, closes", [(2.2, True), (2.5, True), (4.5, False), (6.0, False)])
def test_the_small_box_is_taken_only_where_the_figure_ends_inside_it(heads_tall, closes):
    guessed = np.array([0.0, 0.0, 100.0, 200.0])
    small = big_head_box(FACE, guessed, 200, 240)
    assert small[2] - small[0] == pytest.approx(3 * 20) and small[3] == pytest.approx(44 + 1.6 * 24)
    assert closes_inside(_figure(heads_tall), small) is closes


def test_a_figure_the_frame_cuts_closes_at_the_frame_bottom():
    mask = _figure(6.0, (70, 200))  # its legs run out of the frame, below the small box's clipped bottom
    small = big_head_box(FACE, np.array([0.0, 0.0, 100.0, 70.0]), 200, 70)
    assert small[3] == 70 and closes_inside(mask, small)


def test_a_cut_inside_the_small_box_does_not_reach_beyond_it():
    small = big_head_box(FACE, np.array([0.0, 0.0, 100.0, 200.0]), 200, 240)
    assert not reaches_beyond(_figure(2.2), small)
    wide = _figure(2.2)
    wide[40:80, 0:100] = True  # the sky and a neighbour beside it
    assert reaches_beyond(wide, small)
