"""A drawn figure's object box nothing confirms, seeded where it holds cel fills of its own
(resources/backends/character_fill_seeds.py; docs/instances.md, "Session 26 (h1)").

On real media: the Kenney tune film (``bench/kenney_film.py``, seed 23, 480 rows) at its frame 102, rendered as the
film is built: the male adventurer standing with his back turned beside the female adventurer. YOLOX boxes him as an
object (box IoU 0.79) but no weak face heads the box and BlazePose finds no pose, so he had no seed; his box holds
his own cel fills, and he is cut. Hand-made planes for the mosaic test's guards."""

import numpy as np
import pytest

import resources.backends.character_fill_seeds as fill_seeds
from resources.backends.character_fill_seeds import (fill_figure, fill_figure_boxes, fill_pieces, own_fills,
                                                     rest_fill_share)
from tests.unit.test_character_motion import tune_film_shot

LOCAL_FRAME, NAME = 4, "male_adventurer"  # film frame 102


@pytest.fixture(scope="module")
def adventurers(shared):
    """(film frame 102 RGB: the film's shot 1, its frame 4; the male adventurer's visible alpha >= 0.5)."""
    shot, rendered = tune_film_shot(1)
    names = [c["character"] for c in shot["characters"]]
    for index, (rgb, layers) in enumerate(rendered):
        if index == LOCAL_FRAME:
            return rgb, dict(zip(names, (layer[1] for layer in layers)))[NAME] >= 0.5
    raise AssertionError("frame not rendered")


@pytest.fixture(scope="module")
def segmenter(drawn_cues):
    from resources.backends.opencv_characters import OpencvCharacterSegmenter

    return OpencvCharacterSegmenter(cues=drawn_cues)


def _best_iou(segmenter, adventurers) -> float:
    from assets.instances.composites import mask_iou

    rgb, truth = adventurers
    return max((mask_iou(item["mask"], truth) for item in segmenter.segment(rgb, segmenter.cues(rgb))),
               default=0.0)


def test_a_figure_with_its_back_turned_is_cut_from_its_boxed_fills(segmenter, adventurers):
    assert _best_iou(segmenter, adventurers) > 0.7


def test_without_the_fill_seed_the_same_figure_has_none(segmenter, adventurers, monkeypatch):
    monkeypatch.setattr(fill_seeds, "FILL_SEEDS", False)
    assert _best_iou(segmenter, adventurers) < 0.2


def _scene() -> np.ndarray:
    """A flat-painted figure (head, shirt, trousers) and a flat sign low in a box, on a textured (rendered)
    background, 320 x 200, RGB."""
    image = np.random.default_rng(0).integers(60, 200, (200, 320, 3), dtype=np.uint8)   # no cel fill
    image[40:80, 60:100] = (120, 170, 230)      # the head
    image[80:140, 50:110] = (60, 60, 200)       # the shirt
    image[140:190, 55:105] = (140, 60, 40)      # the trousers
    image[150:190, 200:260] = (250, 250, 250)   # a flat prop at the foot of a figure-sized box
    return image


FIGURE = np.array([45.0, 35.0, 115.0, 195.0, 0.5])
PROP = np.array([195.0, 35.0, 265.0, 195.0, 0.5])


def test_a_painted_figure_holds_its_own_fills_and_a_prop_at_a_boxs_foot_does_not_span_it():
    pieces = fill_pieces(_scene())
    assert fill_figure(FIGURE, pieces)
    assert not fill_figure(PROP, pieces)


def test_fills_running_on_past_the_box_are_not_its_own_and_a_painted_frame_seeds_nothing():
    """A flat sky round the figure is one fill reaching past every box: not the box's own; and where the rest of
    the frame is painted in fills, a box's own fills are no figure's evidence (a painted prop holds them too)."""
    image = _scene()
    sky = np.full_like(image, (120, 180, 230))
    sky[40:190, 60:100] = image[40:190, 60:100]
    pieces = fill_pieces(sky)
    assert own_fills(np.array([130.0, 20.0, 190.0, 150.0]), pieces).sum() == 0   # the sky alone
    assert own_fills(FIGURE, pieces)[40:190, 60:100].mean() > 0.6   # the figure's fills (its borders are none)
    assert rest_fill_share(FIGURE, pieces) > 0.9
    assert not fill_figure(FIGURE, pieces)
    assert rest_fill_share(FIGURE, fill_pieces(_scene())) < 0.05   # the textured background


def test_a_box_over_a_seed_or_outside_a_drawn_shot_adds_nothing():
    rgb = _scene()
    objects = np.stack([FIGURE, PROP]).astype(np.float32)
    assert len(fill_figure_boxes(rgb, objects, [])) == 1
    assert fill_figure_boxes(rgb, objects, [FIGURE[:4] + 5]) == []   # the figure already has a seed
    assert fill_seeds.with_fill_seeds([], rgb, objects, False, 0.3) == []
    seeded = fill_seeds.with_fill_seeds([], rgb, objects, True, 0.3)
    assert [(s.kind, s.figure) for s in seeded] == [("person", True)]
