"""shot_analysis after a review measures again only the shots whose characters' boxes changed (PySceneDetect's
720p test video, decoded through Dagster): its four tables equal a full scan's; a changed setting measures every shot
again; and a stage below whose inputs are byte-equal stays cached (content keys, resources/lineage.py)."""

import polars as pl
import pytest
from dagster import DagsterInstance, materialize

from assets.shot_analysis.core import analyse
from assets.shot_analysis.params import ShotAnalysisParams
from assets.shot_analysis.reading import read_inputs
from resources.catalog import Catalog
from resources.lineage import content_key
from resources.storage import FilmWorkspace
from tests.conftest import build_film

pytestmark = pytest.mark.assets
VIDEO = "media/video/pyscenedetect/testvideo.mp4"
TABLES = ("shot_analysis", "scenes", "frame_signals", "picture_change")


def _materialise(home, shared, selection, config=None) -> dict:
    """``selection`` materialised with ``config`` for shot_analysis; each asset's metadata values."""
    result = build_film(home, shared / VIDEO, "tv", selection, {"shot_analysis": config} if config else None)
    assert result.success
    return {asset: {k: getattr(v, "value", v) for k, v in result.asset_materializations_for_node(asset)[0].metadata
                    .items()} for asset in selection}


def _shot_analysis_alone(config=None) -> dict:
    """shot_analysis materialised by itself (the hand-written filtered_instances stays); its metadata values."""
    from assets.shot_analysis.assets import shot_analysis
    from orchestration.profiles import resources_for

    result = materialize([shot_analysis], partition_key="tv", instance=DagsterInstance.get(),
                         run_config={"ops": {"shot_analysis": {"config": config or {}}}},
                         resources={"storage": resources_for("local")["storage"]})
    assert result.success
    return {k: getattr(v, "value", v) for k, v in result.asset_materializations_for_node("shot_analysis")[0]
            .metadata.items()}


def _equals_full_scan(workspace: FilmWorkspace, home, params=ShotAnalysisParams()) -> None:
    full = analyse(read_inputs(workspace, Catalog(home).film("tv")), params)  # no reuse: the whole film decoded
    for name, table in {"shot_analysis": full.shots, "scenes": full.scenes, "frame_signals": full.signals,
                        "picture_change": full.picture_change}.items():
        assert workspace.read_table(name).drop("film").equals(table), name


def _characters(workspace: FilmWorkspace, shots: list[int], dropped: set[str] = frozenset()) -> None:
    """A filtered_instances table (and its writer's record) with one large character box in a key frame of each of
    ``shots``; ``dropped`` instance ids are not kept (a review discarded them)."""
    frames = workspace.read_table("frames").filter(pl.col("kept") & pl.col("shot").is_in(shots))
    first = frames.group_by("shot").agg(pl.col("frame_id").first(), pl.col("width").first(),
                                        pl.col("height").first()).sort("shot")
    rows = [{"instance_id": f"i{shot}", "frame_id": frame_id, "shot": shot, "x0": 0.0, "y0": 0.0,
             "x1": width * 0.7, "y1": height * 0.9, "kept": f"i{shot}" not in dropped, "path": None,
             "reason": None} for shot, frame_id, width, height in first.rows()]
    workspace.write_table("filtered_instances", pl.DataFrame(rows))
    workspace.write_stage_record("filtered_instances", {
        "asset": "filtered_instances", "fingerprint": f"boxes-{sorted(dropped)}",
        "outputs": {"filtered_instances": content_key(workspace, "filtered_instances")}})


def test_only_the_shots_whose_boxes_changed_are_measured_again_and_the_tables_equal_a_full_scan(
        shared, castforge_home, monkeypatch):
    events = _materialise(castforge_home, shared, ["frames", "shot_analysis", "effects"])
    workspace = FilmWorkspace("tv", castforge_home)
    shots = sorted(workspace.read_table("shots")["shot"])
    assert len(shots) == 3 and events["shot_analysis"]["decoded_frames"] == 720
    signals_before = workspace.read_table("frame_signals")

    # characters appear in two shots: their backgrounds are masked, so only they are measured again
    _characters(workspace, shots[1:3])
    _shot_analysis_alone()
    record = workspace.read_stage_record("shot_analysis")
    assert (record["reused_shots"], record["measured_by"]) == (len(shots) - 2, "a seek to each changed shot")
    _equals_full_scan(workspace, castforge_home)
    masked = pl.col("shot").is_in(shots[1:3])
    signals = workspace.read_table("frame_signals")
    assert not signals.filter(masked).equals(signals_before.filter(masked))   # the mask moved their motion
    assert signals.filter(~masked).equals(signals_before.filter(~masked))

    # a review discards the character of one shot: that shot alone is measured again
    _characters(workspace, shots[1:3], dropped={f"i{shots[2]}"})
    _shot_analysis_alone()
    record = workspace.read_stage_record("shot_analysis")
    assert (record["reused_shots"], record["measured_by"]) == (len(shots) - 1, "a seek to each changed shot")
    _equals_full_scan(workspace, castforge_home)

    # a frame not where the full decode put it after a seek: the film is decoded from the start instead
    import assets.shot_analysis.shot_reuse as shot_reuse

    def misplaced(*args, **kwargs):
        raise shot_reuse.FrameMismatch("frame 0 is not frame 1")
        yield

    monkeypatch.setattr(shot_reuse, "shot_frames", misplaced)
    _characters(workspace, shots[1:3], dropped={f"i{shots[1]}", f"i{shots[2]}"})
    _shot_analysis_alone()
    record = workspace.read_stage_record("shot_analysis")
    assert (record["reused_shots"], record["measured_by"]) == (len(shots) - 1,
                                                                "a decode from the start to the last changed shot")
    _equals_full_scan(workspace, castforge_home)

    # a changed setting measures every shot again
    _shot_analysis_alone({"max_corners": 200})
    assert workspace.read_stage_record("shot_analysis")["measured_by"] == "a full scan"
    _equals_full_scan(workspace, castforge_home, ShotAnalysisParams(max_corners=200))


def test_a_stage_below_an_upstream_that_wrote_the_same_content_stays_cached(shared, castforge_home):
    _materialise(castforge_home, shared, ["frames", "shot_analysis", "effects"])
    workspace = FilmWorkspace("tv", castforge_home)
    effects = workspace.read_stage_record("effects")

    # scenes only: shot_analysis runs again, frame_signals and shots are byte-equal, effects is not recomputed
    events = _materialise(castforge_home, shared, ["shot_analysis", "effects"], {"scene_threshold": 0.9})
    shot_analysis = workspace.read_stage_record("shot_analysis")
    assert shot_analysis["params"]["scene_threshold"] == 0.9
    assert workspace.read_stage_record("effects") == effects
    assert events["effects"]["cached"] is True

    # motion measured on every frame pair: frame_signals really changes, so effects is recomputed
    _materialise(castforge_home, shared, ["shot_analysis", "effects"], {"scene_threshold": 0.9, "motion_every": 1})
    recomputed = workspace.read_stage_record("effects")
    assert recomputed["fingerprint"] != effects["fingerprint"]
    assert recomputed["inputs"]["frame_signals"] != effects["inputs"]["frame_signals"]


def test_a_picture_rewritten_under_the_same_path_changes_its_relations_content_key(shared, castforge_home):
    _materialise(castforge_home, shared, ["frames"])
    workspace = FilmWorkspace("tv", castforge_home)
    key = content_key(workspace, "frames")
    assert key == workspace.read_stage_record("frames")["outputs"]["frames"]
    table = workspace.table_path("frames").read_bytes()
    workspace.write_table("frames", workspace.read_table("frames").drop("film"))   # rewritten, same rows
    assert workspace.table_path("frames").read_bytes() == table and content_key(workspace, "frames") == key
    picture = workspace.absolute(workspace.read_table("frames").drop_nulls("path")["path"][0])
    picture.write_bytes(picture.read_bytes() + b"\0")   # the key frame's bytes change, the table does not
    assert content_key(workspace, "frames") != key
