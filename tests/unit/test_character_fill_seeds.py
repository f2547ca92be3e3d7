"""A drawn figure's object box nothing confirms, seeded where it holds cel fills of its own
(resources/backends/character_fill_seeds.py; docs/instances.md, "Session 26 (h1)").

On real media: the Kenney tune film (``bench/kenney_film.py``, seed 23, 480 rows) at its frame 102, rendered as the
film is built: the male adventurer standing with his back turned beside the female adventurer. YOLOX boxes him as an
object (box IoU 0.79) but no weak face heads the box and BlazePose finds no pose, so he had no seed; his box holds
his own cel fills, and he is cut. Hand-made planes for the mosaic test's guards. Session 35 (h1, SEEDED_NOT_REST):
Kenney tune composite seed 7 scene 13, an adventurer seen from behind beside a seeded man whose fills made the
rest of the frame look painted."""

import numpy as np
import pytest

import resources.backends.character_fill_seeds as fill_seeds
from resources.backends.character_fill_seeds import (fill_figure, fill_figure_boxes, fill_pieces, own_fills,
                                                     rest_fill_share)
from resources.backends.character_seeds import Seed
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


# Session 35 (h1): the characters already seeded are no painted background (SEEDED_NOT_REST)


def _beside_a_painted_neighbour() -> tuple[np.ndarray, np.ndarray]:
    """``_scene()`` with a second, bigger flat-painted character (seeded, its box returned) on the right."""
    image = _scene()
    image[10:60, 200:260] = (120, 170, 230)    # the neighbour's head
    image[60:130, 185:275] = (60, 60, 200)     # its shirt
    image[130:195, 190:270] = (140, 60, 40)    # its trousers
    return image, np.array([180.0, 5.0, 280.0, 199.0])


def test_a_seeded_neighbours_fills_are_no_painted_background():
    image, neighbour = _beside_a_painted_neighbour()
    pieces = fill_pieces(image)
    assert rest_fill_share(FIGURE, pieces) > fill_seeds.MAX_REST_FILLS    # its fills read as a painted background
    assert rest_fill_share(FIGURE, pieces, [neighbour]) < 0.05           # left out: the textured background
    assert not fill_figure(FIGURE, pieces)
    assert fill_figure(FIGURE, pieces, [neighbour])
    objects = FIGURE[None].astype(np.float32)
    neighbour_seed = Seed(neighbour, 0.9, "face")
    assert [s.figure for s in fill_seeds.with_fill_seeds([neighbour_seed], image, objects, True, 0.3)] == [False, True]


def test_a_painted_frame_stays_painted_with_a_seeded_character_left_out():
    """A flat sky round everything: leaving the seeded neighbour's box out, the rest is still the sky's fill."""
    image, neighbour = _beside_a_painted_neighbour()
    sky = np.full_like(image, (120, 180, 230))
    sky[40:190, 50:110] = image[40:190, 50:110]
    sky[10:195, 185:275] = image[10:195, 185:275]
    pieces = fill_pieces(sky)
    assert rest_fill_share(FIGURE, pieces, [neighbour]) > 0.9
    assert not fill_figure(FIGURE, pieces, [neighbour])


def test_a_back_turned_adventurer_beside_a_seeded_man_is_cut(shared, tmp_path, monkeypatch):
    """Kenney tune seed 7, scene 13, read as the stored key frame (JPEG q95 4:2:0, ``bench/composites.py
    --key-frame-jpeg``): the female adventurer climbing, seen from behind (no face), beside a man whose face seeds
    him. Her object box (objectness 0.35) is 0.58 in fills of her own, but the man's fills made the rest of the
    frame 0.108 cel fill, over MAX_REST_FILLS: missed (0.0). With his box left out of the rest she is cut (0.856)."""
    import os

    from assets.instances.composites import mask_iou
    from tests.conftest import kenney_wheel_or_skip, kept_cut_masks, load_bench

    kenney_wheel_or_skip()
    os.environ.setdefault("CASTFORGE_MODELS", str(shared / "models"))
    bench = load_bench("composites")
    scene = bench.build_scenes("tune", 14, 7, character_set="kenney", jpeg=(95, "420"))[0][13]
    truth = next(c for c in scene.characters if c.name == "female_adventurer_climb0").mask

    def best(on: bool) -> float:
        monkeypatch.setattr(fill_seeds, "SEEDED_NOT_REST", on)
        cut = kept_cut_masks(bench, scene.rgb, tmp_path / str(on))
        return max((mask_iou(mask, truth) for mask in cut), default=0.0)

    assert best(True) > 0.8    # measured 0.856
    assert best(False) < 0.1   # measured 0.0
