"""shot_analysis, motion and effects on the real Sintel trailer (frames only upstream: every optional input absent)."""

import json

import polars as pl
import pytest

from assets.effects.core import EFFECTS
from resources.catalog import Catalog
from resources.storage import FilmWorkspace

pytestmark = pytest.mark.assets
TEMPORAL = ["shot_analysis", "motion", "effects"]


def _materialize(names: list[str], film: str = "sintel"):
    from dagster import AssetKey, DagsterInstance, materialize

    from orchestration.definitions import build_definitions

    defs = build_definitions()
    return materialize(list(defs.assets), selection=[AssetKey(n) for n in names], partition_key=film,
                       instance=DagsterInstance.get(), resources=defs.resources, raise_on_error=False)


def test_temporal_assets_on_the_sintel_trailer(sintel_frames_home, copy_home):
    home = copy_home(sintel_frames_home)
    assert _materialize(TEMPORAL).success
    workspace = FilmWorkspace("sintel", home)
    shots, analysis = workspace.read_table("shots"), workspace.read_table("shot_analysis")
    assert analysis["shot"].to_list() == shots["shot"].to_list()
    assert set(analysis["camera_motion"].drop_nulls()) <= {"static", "pan_left", "pan_right", "tilt_up", "tilt_down",
                                                           "zoom_in", "zoom_out", "handheld", "complex"}
    # by eye: the opening pushes in on the mountain; the alley (shot 4 here, 18-22 s) is locked off
    assert analysis["camera_motion"][0] == "zoom_in" and analysis["zoom_rate"][0] > 0.1
    alley = analysis.filter(pl.col("start_s").is_between(17.5, 19.0))
    assert alley["camera_motion"].to_list() == ["static"]
    # no instances or faces were made: every shot is wide (establishing, nobody in it)
    assert set(analysis["shot_type"]) == {"wide"} and analysis["establishing"].all()
    assert all(json.loads(s) == {"wide": 1.0} for s in analysis["shot_type_shares"])
    scenes = workspace.read_table("scenes")
    assert 1 <= scenes.height <= shots.height and scenes["shots"].sum() == shots.height
    signals = workspace.read_table("frame_signals")
    assert signals.height > 1200 and signals["frame_index"].is_sorted()
    change = workspace.read_table("picture_change")  # av_sync's picture change, sampled in this decode
    assert change.height == pytest.approx(signals.height / 2, abs=2) and set(change["rate_hz"]) == {12.5}
    assert change["frame_index"].is_in(signals["frame_index"].implode()).all()
    assert change["change"].is_between(0, 1).all() and change["change"].max() > 0.2  # cuts change the picture
    assert (home / "films/sintel/shot_analysis/structure_timeline.png").stat().st_size > 1000

    assert workspace.read_table("character_motion").height == 0  # no characters were segmented
    energy = workspace.read_table("motion")
    assert energy.filter(pl.col("scope") == "shot").height == shots.height
    record = workspace.read_stage_record("motion")
    assert "no filtered_instances" in (record.get("note") or "")

    effects = workspace.read_table("effects")
    # the dragon chase is graded warm orange: colour casts over the sunset shots (22-32 s)
    casts = effects.filter(pl.col("effect") == "colour_cast")
    assert casts.height >= 2 and casts["detail"].str.contains("orange").any()
    assert casts.filter(pl.col("start_s").is_between(20, 33)).height >= 2
    assert set(effects["effect"]) <= set(EFFECTS)
    # by eye the trailer has no flash: its fades and dips to black are edits, and are not reported as light
    assert effects.filter(pl.col("effect") == "flash").height == 0
    tags = workspace.read_table("frame_effects")
    assert tags.height == workspace.read_table("frames").filter(pl.col("kept")).height

    assert _materialize(TEMPORAL).success  # unchanged inputs: every stage is a cache hit
    statuses = Catalog(home).query("SELECT asset, status FROM materializations WHERE film = 'sintel' AND asset IN "
                                   "('shot_analysis', 'motion', 'effects') ORDER BY finished_at")
    assert statuses["status"].to_list()[-3:] == ["cached"] * 3


def test_an_image_folder_film_gets_trivial_rows_with_notes(knn_train_frames_home, copy_home):
    home = copy_home(knn_train_frames_home)
    assert _materialize(TEMPORAL, "knn_train").success
    workspace = FilmWorkspace("knn_train", home)
    analysis, shots = workspace.read_table("shot_analysis"), workspace.read_table("shots")
    assert analysis.height == shots.height > 1  # every photo is its own shot
    assert analysis["camera_motion"].null_count() == analysis.height
    assert "image folder" in workspace.read_stage_record("shot_analysis")["note"]
    assert workspace.read_table("frame_signals").height == 0
    assert workspace.read_table("picture_change").height == 0
    effects = workspace.read_table("effects")
    assert set(effects["effect"]) <= {"snow", "rain", "sparkles", "fire", "lens_flare", "depth_of_field",
                                      "motion_blur"}  # nothing along time without a stream
