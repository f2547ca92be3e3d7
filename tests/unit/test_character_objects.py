"""Faceless drawn characters that no face, person box or toy box seeds: YOLOX's box round an object of any class,
confirmed as a figure by a weak face at its head or by BlazePose, seeds a figure in a drawn shot
(resources/backends/character_objects.py).

On real media: Kenney's robot walking (no face; YOLOX calls it a fire hydrant, objectness 0.29; BlazePose sure of a
figure in the box) and Kenney's man standing (YuNet finds his face only at 0.14; YOLOX's box, objectness 0.26, a
person at 0.13), pasted with their exact alpha on frames of the composites' tune split (bench/composites.py, Kenney
tune seed 7 scenes 9 and 2), through the real instances core and filter with the anime preset; and hand-made boxes
for the shape and head rules."""

import numpy as np
import pytest

import resources.backends.character_objects as objects
from resources.backends.character_objects import figure_shaped, head_face
from tests.unit.test_big_head_body import kept_iou


def _best_iou(shared, tmp_path, monkeypatch, scene: int, name: str, on: bool) -> float:
    return kept_iou(shared, tmp_path, monkeypatch, (7, scene, name), "OBJECT_SEEDS", on, objects)


@pytest.mark.parametrize("scene, name, found", [(9, "robot_walk6", 0.9), (2, "male_person_idle", 0.8)])
def test_a_faceless_drawn_character_is_found_and_kept(shared, tmp_path, monkeypatch, scene, name, found):
    assert _best_iou(shared, tmp_path, monkeypatch, scene, name, on=True) > found


@pytest.mark.parametrize("scene, name", [(9, "robot_walk6"), (2, "male_person_idle")])
def test_without_the_object_box_it_is_missed(shared, tmp_path, monkeypatch, scene, name):
    import resources.backends.character_fill_seeds as fill_seeds

    monkeypatch.setattr(fill_seeds, "FILL_SEEDS", False)  # the object box's other confirmation (its own fills)
    assert _best_iou(shared, tmp_path, monkeypatch, scene, name, on=False) < 0.1


@pytest.mark.parametrize("box, shaped", [
    ([100, 100, 200, 300], True),     # a figure standing
    ([100, 300, 200, 480], True),     # ... its feet cut by the frame's bottom
    ([100, 20, 400, 100], False),     # a wide cloud
    ([100, 400, 140, 450], False),    # a ball: smaller than MIN_HEIGHT of the frame
    ([0, 100, 100, 300], False),      # cut by the frame's left side
    ([100, 0, 200, 200], False),      # ... by its top
    ([100, 100, 130, 400], False),    # a pole: too tall for its width
])
def test_a_figure_box_is_upright_big_enough_and_seen_whole(box, shaped):
    assert figure_shaped(np.array(box, np.float32), 640, 480) is shaped


BOX = np.array([100.0, 100.0, 200.0, 300.0, 0.4])  # 100 x 200 px


@pytest.mark.parametrize("face, heads", [
    ([130, 110, 170, 150, 0.2], True),    # centred in the box's top
    ([130, 110, 170, 150, 0.05], False),  # too weak
    ([130, 230, 170, 270, 0.2], False),   # low in the box: a hand, a buckle
    ([100, 110, 120, 130, 0.2], False),   # in a corner, small
    ([145, 110, 150, 115, 0.2], False),   # too small for the figure's head
])
def test_a_weak_face_heads_the_box_only_at_its_top_and_middle(face, heads):
    assert (head_face(BOX, np.array([face], np.float32)) is not None) is heads
