"""A drawn character cut from a detector's person box is kept though its flat fills read as blurry
(assets/instances/filtering.py, ``FilterParams.boxed_characters``, on in the anime preset; docs/instances.md,
"Session 28 (h2)").

On real media: Kenney's male adventurer climbing, seen from behind (no face), pasted with his exact alpha on a Sintel
trailer frame (bench/composites.py, Kenney tune seed 29 scene 2, a seed nobody tuned on), through the real instances
core and the automatic filter with the anime preset. YOLOX boxes him as a person (0.4-0.5, a trusted seed) and the
cut is the character (IoU 0.97), but the Laplacian variance inside it is 33 (anime min_blur 100): the filter dropped
him as blurry."""

import polars as pl
import pytest

from tests.conftest import load_bench
from tests.unit.test_figure_blur import best_cut, decided_again, kenney_scene_cut

SEED, SCENE, NAME = 29, 2, "male_adventurer_climb0"


@pytest.fixture(scope="module")
def climber_cut(shared, tmp_path_factory):
    """(decided instances table, truth mask, the anime preset's sections) of the scene."""
    decided, truth = kenney_scene_cut(shared, tmp_path_factory.mktemp("boxed"), SEED, SCENE, NAME)
    return decided, truth, load_bench("composites").preset_sections("anime")


def test_a_boxed_drawn_character_is_kept_though_its_fills_read_as_blurry(climber_cut):
    decided, truth, _ = climber_cut
    iou, row = best_cut(decided, truth)
    assert iou > 0.9, iou  # measured 0.967
    assert row["seed"] == "person" and row["face_count"] == 0
    assert row["blur"] < 80, row["blur"]  # blurry by either preset's test (measured 33.1)
    assert row["kept"] and "person or animal box" in row["reason"], row["reason"]


def test_without_the_rule_the_same_cut_is_dropped_as_blurry(climber_cut):
    decided, truth, preset = climber_cut
    _, row = best_cut(decided, truth)
    values = {**preset.get("instances", {}), **preset.get("filtered_instances", {})}
    assert decided_again(decided, row, {**values, "boxed_characters": False})["reason"].startswith("blurry")
    assert decided_again(decided, row, values)["kept"]


def test_rendered_shots_keep_the_blur_test(climber_cut):
    """The default (3D) values: the same boxed cut, blurry, is dropped."""
    decided, truth, _ = climber_cut
    _, row = best_cut(decided, truth)
    assert decided_again(decided, row)["reason"].startswith("blurry")


def test_a_boxed_cut_over_much_of_the_frame_keeps_the_blur_test():
    """A cut holding more than ``figure_max_frame_share`` of the frame (a group or scenery) is still judged by blur."""
    from assets.instances.filtering import FilterParams, auto_decisions

    row = {"instance_id": "i", "seed": "person", "x0": 0, "y0": 0, "x1": 400, "y1": 300, "frame_width": 400,
           "frame_height": 300, "area": 100000, "alpha_coverage": 0.9, "occluded_fraction": 0.0,
           "touches_frame_edge": False, "frame_edges": "", "face_count": 0, "face_score": 0.0, "blur": 30.0,
           "body_score": 0.6, "class_fraction": 0.0, "person_score": 0.0, "character_score": 0.6}
    params = FilterParams(min_blur=100.0, min_character_score=0.3, boxed_characters=True)
    assert auto_decisions(pl.DataFrame([row]), params)["reason"][0].startswith("blurry")
    small = auto_decisions(pl.DataFrame([{**row, "area": 20000}]), params)
    assert small["kept"][0] and "person or animal box 0.6" in small["reason"][0]
