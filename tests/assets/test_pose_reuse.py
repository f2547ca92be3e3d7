"""pose_subclusters after a review estimates only the cut-outs whose pixels or box changed, and writes what a full
recompute writes (knn_examples photos as cut-outs, the real MoveNet estimator); a settings change estimates every
cut-out again."""

import shutil
from pathlib import Path

import polars as pl
import pytest
from dagster import DagsterInstance, materialize

from resources.lineage import upstream_fingerprint
from resources.storage import FilmWorkspace
from tests.assets.test_identities_assets import frames_home

FILM = "knn_train"


@pytest.fixture(scope="module")
def knn_home(tmp_path_factory, shared) -> Path:
    return frames_home(tmp_path_factory, shared, "media/faces/knn_examples/train", FILM)


def write_review(workspace: FilmWorkspace, discarded: set[str], names: dict[str, str], revision: str) -> list[str]:
    """filtered_instances (each kept key frame as a whole-frame cut-out; ``discarded`` ones not kept),
    instance_identities (frames alternate between two identities) and identities (``names``: reviewed names), with
    stage records as a review leaves them; returns the instance ids."""
    frames = workspace.read_table("frames").filter(pl.col("kept")).sort("frame_id")
    ids = [f"whole_{f}" for f in frames["frame_id"]]
    instances = pl.DataFrame({
        "instance_id": ids, "frame_id": frames["frame_id"], "shot": frames["shot"],
        "x0": [0.0] * frames.height, "y0": [0.0] * frames.height,
        "x1": frames["width"].cast(pl.Float64), "y1": frames["height"].cast(pl.Float64), "path": frames["path"],
        "kept": [i not in discarded for i in ids], "label": ["character"] * frames.height})
    identity = [f"identity_00{n % 2}" for n in range(frames.height)]
    tables = {"filtered_instances": instances,
              "instance_identities": pl.DataFrame({"instance_id": ids, "identity": identity}),
              "identities": pl.DataFrame({"identity": ["identity_000", "identity_001"],
                                          "name": [names.get("identity_000"), names.get("identity_001")]},
                                         schema={"identity": pl.String, "name": pl.String})}
    frames_print = upstream_fingerprint(workspace, "frames")
    for relation, table in tables.items():
        workspace.write_table(relation, table)
        workspace.write_stage_record(relation, {
            "asset": relation, "fingerprint": f"test-{relation}-{frames_print}-{revision}",
            "inputs": {"frames": frames_print, "review": revision}, "row_count": table.height})
    return ids


def run_poses(config: dict | None = None) -> dict:
    """Materialises pose_subclusters alone; its materialization's metadata values."""
    from assets.pose.assets import pose_subclusters
    from orchestration.profiles import resources_for

    res = resources_for("local")
    result = materialize([pose_subclusters], partition_key=FILM, instance=DagsterInstance.get(),
                         run_config={"ops": {"pose_subclusters": {"config": config or {}}}},
                         resources={k: res[k] for k in ("storage", "pose_estimator")})
    assert result.success
    metadata = result.asset_materializations_for_node("pose_subclusters")[0].metadata
    return {k: getattr(v, "value", v) for k, v in metadata.items()}


def outputs(workspace: FilmWorkspace) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, bytes]]:
    folder = workspace.artefact_dir("pose_subclusters")
    files = {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    return workspace.read_table("poses"), workspace.read_table("pose_subclusters"), files


@pytest.mark.timeout(600)
def test_a_review_estimates_only_changed_cut_outs_and_equals_a_full_recompute(knn_home, copy_home, tmp_path):
    home = copy_home(knn_home)
    workspace = FilmWorkspace(FILM, home)
    ids = write_review(workspace, set(), {}, "r0")
    first = run_poses()
    assert (first["cutouts_estimated"], first["cutouts_reused"]) == (len(ids), 0) and len(ids) == 9
    poses = workspace.read_table("poses")
    assert poses["keypoints"].is_not_null().sum() >= 6, "MoveNet should find most of the photos' people"
    snapshot = tmp_path / "snapshot"
    shutil.copytree(workspace.root, snapshot)

    # the review discards one cut-out and names identity_000: a full recompute (no record of the last run) ...
    discarded, renamed = {ids[2]}, {"identity_000": "Mira Vale"}
    write_review(workspace, discarded, renamed, "r1")
    workspace.stage_record_path("pose_subclusters").unlink()
    full = run_poses()
    assert (full["cutouts_estimated"], full["cutouts_reused"]) == (len(ids) - 1, 0)
    expected = outputs(workspace)
    assert any(name.startswith("mira_vale_") for name in expected[2])

    # ... and the same review applied to the first run's results, with one kept cut-out's overlay gone from the last
    # run's folder (that cut-out is estimated again): the same tables, cut-outs and overlays, byte for byte
    shutil.rmtree(workspace.root)
    shutil.copytree(snapshot, workspace.root)
    lost = next(i for i, k in zip(poses["instance_id"], poses["keypoints"]) if k is not None and i != ids[2])
    next(workspace.artefact_dir("pose_subclusters").glob(f"*/{lost}_pose.jpg")).unlink()
    write_review(workspace, discarded, renamed, "r1")
    again = run_poses()
    assert (again["cutouts_estimated"], again["cutouts_reused"]) == (1, len(ids) - 2)
    got = outputs(workspace)
    assert got[0].equals(expected[0]) and got[1].equals(expected[1])
    assert got[2] == expected[2]

    # a setting that changes the keypoints estimates every cut-out again (the keys hold the stage's parameters)
    changed_setting = run_poses({"crop_padding": 0.5})
    assert (changed_setting["cutouts_estimated"], changed_setting["cutouts_reused"]) == (len(ids) - 1, 0)
