"""face_embeddings after a review searches only the frames whose kept cut-outs changed, and writes what a full
recompute writes (knn_examples photos, the real face analyzer); a settings change searches every frame again."""

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


def write_instances(workspace: FilmWorkspace, discarded: set[str], revision: str) -> pl.DataFrame:
    """filtered_instances: a whole-frame cut-out on every kept frame (a face each) and a corner one on every other
    frame (too small for a face: a miss); ``discarded`` ones not kept, as a review's discard leaves them."""
    frames = workspace.read_table("frames").filter(pl.col("kept")).sort("frame_id")
    rows = []
    for n, frame in enumerate(frames.iter_rows(named=True)):
        boxes = [("whole", frame["width"], frame["height"])] + ([("corner", 24, 24)] if n % 2 == 0 else [])
        for name, x1, y1 in boxes:
            instance_id = f"{name}_{frame['frame_id']}"
            rows.append({"instance_id": instance_id, "frame_id": frame["frame_id"], "shot": frame["shot"],
                         "x0": 0.0, "y0": 0.0, "x1": float(x1), "y1": float(y1), "path": frame["path"],
                         "kept": instance_id not in discarded,
                         "reason": "review: discarded" if instance_id in discarded else None,
                         "decided_by": "review" if instance_id in discarded else "auto"})
    table = pl.DataFrame(rows)
    workspace.write_table("filtered_instances", table)
    frames_print = upstream_fingerprint(workspace, "frames")
    workspace.write_stage_record("filtered_instances", {
        "asset": "filtered_instances", "fingerprint": f"test-{frames_print}-{revision}",
        "inputs": {"frames": frames_print, "review": revision}, "row_count": table.height})
    return table


def run_faces(config: dict | None = None) -> dict:
    """Materialises face_embeddings alone; its materialization's metadata values."""
    from assets.faces.assets import face_embeddings
    from orchestration.profiles import resources_for

    res = resources_for("local")
    result = materialize([face_embeddings], partition_key=FILM, instance=DagsterInstance.get(),
                         run_config={"ops": {"face_embeddings": {"config": config or {}}}},
                         resources={k: res[k] for k in ("storage", "face_analyzer")})
    assert result.success
    metadata = result.asset_materializations_for_node("face_embeddings")[0].metadata
    return {k: getattr(v, "value", v) for k, v in metadata.items()}


def outputs(workspace: FilmWorkspace) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, bytes]]:
    crops = {p.name: p.read_bytes() for p in sorted(workspace.artefact_dir("faces").glob("*.jpg"))}
    return workspace.read_table("faces"), workspace.read_table("face_misses"), crops


def test_a_discarded_cut_out_searches_its_frame_alone_and_equals_a_full_recompute(knn_home, copy_home, tmp_path):
    home = copy_home(knn_home)
    workspace = FilmWorkspace(FILM, home)
    instances = write_instances(workspace, set(), "r0")
    first = run_faces()
    frames = instances["frame_id"].n_unique()
    assert (first["frames_searched"], first["frames_reused"]) == (frames, 0)
    assert first["faces"] == frames == 9
    snapshot = tmp_path / "snapshot"
    shutil.copytree(workspace.root, snapshot)

    # the review discards the whole-frame cut-out of one frame: a full recompute (no record of the last run) ...
    changed = sorted(instances["frame_id"].unique())[2]   # it keeps its corner cut-out
    write_instances(workspace, {f"whole_{changed}"}, "r1")
    workspace.stage_record_path("face_embeddings").unlink()
    full = run_faces()
    assert (full["frames_searched"], full["frames_reused"]) == (frames, 0)
    expected = outputs(workspace)

    # ... and the same review applied to the first run's results: one frame searched, the same tables and crops
    shutil.rmtree(workspace.root)
    shutil.copytree(snapshot, workspace.root)
    write_instances(workspace, {f"whole_{changed}"}, "r1")
    again = run_faces()
    assert (again["frames_searched"], again["frames_reused"]) == (1, frames - 1)
    faces, misses, crops = outputs(workspace)
    assert faces.equals(expected[0]) and misses.equals(expected[1]) and crops == expected[2]
    assert faces.height == 8 and changed not in faces["frame_id"].to_list()
    assert misses.height == 5      # the corner cut-outs of frames 0, 2, 4, 6 and 8: no face
    assert set(misses["instance_id"]) == {i for i in instances["instance_id"] if i.startswith("corner_")}

    # a setting that changes the faces searches every frame again (the keys hold the stage's parameters)
    changed_setting = run_faces({"jpeg_quality": 90})
    assert (changed_setting["frames_searched"], changed_setting["frames_reused"]) == (frames, 0)
