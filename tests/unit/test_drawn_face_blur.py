"""A drawn character cut from a weak face the segmenter confirmed is kept though its flat fills read as blurry
(assets/instances/filtering.py, ``FilterParams.drawn_face_characters``, on in the anime preset; docs/instances.md,
"Session 29 (h4)").

On real media: Kenney's male adventurer standing idle, pasted with his exact alpha on a real frame (bench/composites.py,
Kenney tune seed 7 scene 10), through the real instances core and the automatic filter with the anime preset. YuNet
scores his face under the trusted score; the segmenter confirms it (character_close_faces: a skin fill round its own
features) and his cut is the character (IoU 0.958), but a confirmed weak face is not among the faces the evidence
counts (``face_count`` 0) and the Laplacian variance inside the cut is 48.6 (anime min_blur 100): the filter dropped
him as blurry."""

import polars as pl
import pytest

from tests.conftest import load_bench
from tests.unit.test_figure_blur import best_cut, decided_again, kenney_scene_cut

SEED, SCENE, NAME = 7, 10, "male_adventurer_idle"


@pytest.fixture(scope="module")
def adventurer_cut(shared, tmp_path_factory):
    """(decided instances table, truth mask, the anime preset's filter values) of the scene."""
    decided, truth = kenney_scene_cut(shared, tmp_path_factory.mktemp("drawn_face"), SEED, SCENE, NAME)
    preset = load_bench("composites").preset_sections("anime")
    return decided, truth, {**preset.get("instances", {}), **preset.get("filtered_instances", {})}


def test_a_cut_seeded_by_a_confirmed_weak_face_is_kept_though_its_fills_read_as_blurry(adventurer_cut):
    decided, truth, _ = adventurer_cut
    iou, row = best_cut(decided, truth)
    assert iou > 0.9, iou  # measured 0.958
    assert row["seed"] == "drawn_face" and row["face_count"] == 0  # a weak face: not counted by the evidence
    assert row["blur"] < 80, row["blur"]  # blurry by either preset's test (measured 48.6)
    assert row["kept"] and "drawn face seeded it" in row["reason"], row["reason"]


def test_without_the_rule_the_same_cut_is_dropped_as_blurry(adventurer_cut):
    decided, truth, values = adventurer_cut
    _, row = best_cut(decided, truth)
    assert decided_again(decided, row, {**values, "drawn_face_characters": False})["reason"].startswith("blurry")


def test_rendered_shots_keep_the_blur_test(adventurer_cut):
    """The default (3D) values: the same face-seeded cut, blurry, is dropped."""
    decided, truth, _ = adventurer_cut
    _, row = best_cut(decided, truth)
    assert decided_again(decided, row)["reason"].startswith("blurry")


def test_drawn_face_seeds_are_told_by_the_seed_name_and_a_big_cut_keeps_the_blur_test():
    """Hand-made rows: ``drawn_face`` and a carried one are spared; a plain ``face`` seed (a weak face confirmed on a
    white cloud by its flat middle and BlazePose, Penny & Chip), a ``person`` seed without a box that holds it, and a
    drawn face's cut over ``figure_max_frame_share`` of the frame are still judged by blur."""
    from assets.instances.filtering import FilterParams, auto_decisions

    row = {"instance_id": "i", "seed": "drawn_face", "x0": 0, "y0": 0, "x1": 200, "y1": 300, "frame_width": 400,
           "frame_height": 300, "area": 20000, "alpha_coverage": 0.9, "occluded_fraction": 0.0,
           "touches_frame_edge": False, "frame_edges": "", "face_count": 0, "face_score": 0.0, "blur": 30.0,
           "body_score": 0.0, "class_fraction": 0.0, "person_score": 0.0, "character_score": 0.0}
    params = FilterParams(min_blur=100.0, min_character_score=0.3, boxed_characters=True,
                          drawn_face_characters=True)
    table = pl.DataFrame([{**row, "instance_id": seed, "seed": seed}
                          for seed in ("drawn_face", "carried+drawn_face", "face", "person")]
                         + [{**row, "instance_id": "wide", "area": 100000}])
    reasons = dict(zip(table["instance_id"], auto_decisions(table, params)["reason"]))
    assert all("drawn face seeded it" in reasons[s] for s in ("drawn_face", "carried+drawn_face"))
    assert all(reasons[s].startswith("blurry") for s in ("face", "person", "wide"))
