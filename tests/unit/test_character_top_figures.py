"""A drawn character seen close, its object box reaching the frame's top, seeded where a clear weak face heads it
(resources/backends/character_objects.py: TOP_FIGURES, top_figure_shaped; docs/instances.md, "Session 28 (h2)").

On real media: Kenney's man walking (``male_person_walk0``, 430 px tall at 480 rows) pasted with his exact alpha on a
Sintel trailer frame beside the zombie and a second man (bench/composites.py, Kenney tune seed 29 scene 17, a seed
nobody tuned on), through the real instances core with the anime preset. AnimeFace finds none of the three faces;
YuNet scores his 0.53 (weak); YOLOX's box round him touches the frame's top, so it was no figure and he was missed.
Hand-made boxes for the shape rule."""

import numpy as np
import pytest

import resources.backends.character_objects as objects
from resources.backends.character_objects import top_figure_shaped
from tests.unit.test_big_head_body import kept_iou

WHERE = (29, 17, "male_person_walk0")


def test_a_close_figure_whose_box_reaches_the_top_is_cut(shared, tmp_path, monkeypatch):
    assert kept_iou(shared, tmp_path, monkeypatch, WHERE, "TOP_FIGURES", True, objects) > 0.7  # measured 0.793


def test_with_the_top_closed_it_is_missed(shared, tmp_path, monkeypatch):
    assert kept_iou(shared, tmp_path, monkeypatch, WHERE, "TOP_FIGURES", False, objects) < 0.1  # measured 0.0


@pytest.mark.parametrize("box, shaped", [
    ([137, 0, 506, 462], True),      # the man of the test above (480 x 1129 frame)
    ([137, 40, 506, 462], False),    # clear of the top: the whole-figure rule's, not this one's
    ([0, 0, 300, 462], False),       # also cut by the left side
    ([137, 0, 506, 200], False),     # short: a strip along the top (a cloud, a branch)
    ([100, 0, 900, 470], False),     # wide: a landscape's object
    ([400, 0, 500, 470], False),     # a pole
])
def test_the_top_rule_takes_tall_upright_boxes_clear_of_the_sides(box, shaped):
    assert top_figure_shaped(np.array(box, np.float32), 1129, 480) is shaped
