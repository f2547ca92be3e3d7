"""identity_clusters after a review embeds only the cut-outs that changed, and writes what a full recompute writes
(the Sintel trailer's frames as whole-frame cut-outs, most of them faceless; the TFLite embedder); a settings
change or a changed cut-out file recomputes."""

import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from dagster import DagsterInstance, materialize

from assets.identities.appearance import cutout_vectors, load_cutout
from assets.identities.cutout_reuse import ROWS_FILE
from resources.lineage import upstream_fingerprint
from resources.storage import FilmWorkspace
from tests.assets.test_identities_assets import frames_home, run_stages, whole_frame_instances

FILM = "sintel"
TABLES = ("identities", "instance_identities", "identity_changes")


@pytest.fixture(scope="module")
def sintel_home(tmp_path_factory, shared) -> Path:
    return frames_home(tmp_path_factory, shared, "media/video/sintel_trailer_480x204.mp4", FILM)


def discard(workspace: FilmWorkspace, instance: str | None, revision: str) -> None:
    """filtered_instances with ``instance`` (if any) discarded as a review leaves it, under a new fingerprint."""
    table = workspace.read_table("filtered_instances").with_columns(kept=pl.col("instance_id") != (instance or ""))
    workspace.write_table("filtered_instances", table)
    frames_print = upstream_fingerprint(workspace, "frames")
    workspace.write_stage_record("filtered_instances", {
        "asset": "filtered_instances", "fingerprint": f"test-{frames_print}-{revision}",
        "inputs": {"frames": frames_print, "review": revision}, "row_count": table.height})


def run_identities(config: dict) -> dict:
    """Materialises identity_clusters alone; its materialization's metadata values."""
    from assets.identities.assets import identity_clusters
    from orchestration.profiles import resources_for

    res = resources_for("local")
    result = materialize([identity_clusters], partition_key=FILM, instance=DagsterInstance.get(),
                         run_config={"ops": {"identity_clusters": {"config": config}}},
                         resources={k: res[k] for k in ("storage", "image_embedder")})
    assert result.success
    metadata = result.asset_materializations_for_node("identity_clusters")[0].metadata
    return {k: getattr(v, "value", v) for k, v in metadata.items()}


def outputs(workspace: FilmWorkspace) -> tuple[list[pl.DataFrame], dict[str, np.ndarray]]:
    with np.load(workspace.artefact_dir("identities") / ROWS_FILE) as rows:
        return [workspace.read_table(t) for t in TABLES], {name: rows[name] for name in rows.files}


def assert_same(one, other) -> None:
    for table, again in zip(one[0], other[0]):
        assert table.equals(again)
    assert one[1].keys() == other[1].keys() and all(np.array_equal(one[1][k], other[1][k]) for k in one[1])


def test_tflite_vectors_do_not_depend_on_the_batch(sintel_home):
    """What reuse rests on: a cut-out embedded in a batch of 16 gets the vector it gets alone (fresh interpreter,
    one thread) and in another batch (reversed order, batches of 5), bit for bit."""
    from resources.backends.tflite_embedder import TfliteImageEmbedder

    workspace = FilmWorkspace(FILM, sintel_home)
    paths = workspace.read_table("frames").filter(pl.col("kept"))["path"].to_list()[:40]
    embedder = TfliteImageEmbedder()
    batched = cutout_vectors(paths, embedder, workspace.absolute, colours=False).appearance
    alone = TfliteImageEmbedder(threads=1)
    assert np.array_equal(batched, np.stack([alone.embed([load_cutout(workspace.absolute(p))])[0] for p in paths]))
    reversed_ = cutout_vectors(paths[::-1], embedder, workspace.absolute, colours=False, batch_size=5).appearance
    assert np.array_equal(batched, reversed_[::-1]) and embedder.batch_invariant


def test_a_discarded_cut_out_embeds_nothing_again_and_equals_a_full_recompute(sintel_home, copy_home):
    home = copy_home(sintel_home)
    instances = whole_frame_instances(home, FILM)
    config = {"min_cluster_size": 4}
    assert run_stages(FILM, config).success
    workspace = FilmWorkspace(FILM, home)
    record = workspace.read_stage_record("identity_clusters")
    assert sorted(record["item_keys"]) == sorted(instances["instance_id"])
    faceless = instances.height - workspace.read_table("instance_identities").filter(pl.col("by") == "face").height
    assert faceless > instances.height // 2   # most rows rest on their appearance

    # the review discards one cut-out: every other kept cut-out's rows come from the last run ...
    gone = instances["instance_id"][7]
    discard(workspace, gone, "r1")
    again = run_identities(config)
    assert again["cutouts_reused"] == instances.height - 1 and "appearance of" in again["note"]
    reused = outputs(workspace)
    assert gone not in reused[1]["ids"] and reused[0][1].height == instances.height - 1
    # ... and the tables and vectors equal a full recompute's (no record of the last run: every cut-out embedded)
    workspace.stage_record_path("identity_clusters").unlink()
    full = run_identities(config)
    assert full["cutouts_reused"] == 0
    assert_same(reused, outputs(workspace))

    # a changed cut-out file is embedded again, alone; its rows follow the new pixels
    changed = instances["instance_id"][3]
    path = workspace.absolute(instances.filter(pl.col("instance_id") == changed)["path"][0])
    path.unlink()   # (a copied home's file, never the fixture's)
    shutil.copy(workspace.absolute(instances["path"][20]), path)
    discard(workspace, gone, "r2")
    assert run_identities(config)["cutouts_reused"] == instances.height - 2
    rows = outputs(workspace)[1]
    row = list(rows["ids"]).index(changed)
    twin = list(rows["ids"]).index(instances["instance_id"][20])
    assert np.array_equal(rows["appearance"][row], rows["appearance"][twin])

    # a settings change recomputes every cut-out
    settled = run_identities({**config, "appearance_colour_weight": 0.3})
    assert settled["cutouts_reused"] == 0 and not settled["note"]
