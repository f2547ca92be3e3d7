"""face_embeddings + identity_clusters materialised on real films (knn_examples photos, the Sintel trailer).

Upstream here: `frames` from the conftest fixtures, and a `filtered_instances` table written by the test in which
each kept frame is one instance covering the whole frame (cut-out = the frame itself). That isolates these two
stages from the segmenter; test_identities_chain.py runs them after the real `filtered_instances` when it exists.
"""

import json
import os
from pathlib import Path

import polars as pl
import pytest
from dagster import DagsterInstance, materialize

from resources.lineage import upstream_fingerprint
from resources.storage import FilmWorkspace


def frames_home(tmp_path_factory, shared: Path, source: str, film: str) -> Path:
    """A home with `frames` materialised (directly, so that only `frames` runs whatever else the graph holds)."""
    from assets.frames.assets import frames
    from orchestration.ingest import ingest_source
    from resources.catalog import Catalog
    from resources.store import StorageResource

    home = tmp_path_factory.mktemp(f"{film}_faces") / "home"
    (home / "dagster").mkdir(parents=True)
    env = {"CASTFORGE_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"),
           "CASTFORGE_MODELS": str(shared / "models"), "HF_HUB_OFFLINE": "1"}
    previous = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        instance = DagsterInstance.get()
        ingest_source(Catalog(home), shared / source, film)
        instance.add_dynamic_partitions("film", [film])
        assert materialize([frames], partition_key=film, instance=instance,
                           resources={"storage": StorageResource()}).success
    finally:
        for key, value in previous.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
    return home


@pytest.fixture(scope="module")
def knn_home(tmp_path_factory, shared) -> Path:
    return frames_home(tmp_path_factory, shared, "media/faces/knn_examples/train", "knn_train")


@pytest.fixture(scope="module")
def sintel_home(tmp_path_factory, shared) -> Path:
    return frames_home(tmp_path_factory, shared, "media/video/sintel_trailer_480x204.mp4", "sintel")


def whole_frame_instances(home: Path, film: str) -> pl.DataFrame:
    """Write `filtered_instances` (+ stage record) with one whole-frame instance per kept frame."""
    workspace = FilmWorkspace(film, home)
    frames = workspace.read_table("frames").filter(pl.col("kept"))
    table = frames.select(
        (pl.lit("inst_") + pl.col("frame_id")).alias("instance_id"), "frame_id", "shot", "timestamp_s",
        pl.lit(0.0).alias("x0"), pl.lit(0.0).alias("y0"), pl.col("width").cast(pl.Float64).alias("x1"),
        pl.col("height").cast(pl.Float64).alias("y1"), "path",
        pl.lit(True).alias("kept"), pl.lit(None, pl.String).alias("reason"), pl.lit("auto").alias("decided_by"))
    workspace.write_table("filtered_instances", table)
    workspace.write_stage_record("filtered_instances", {
        "asset": "filtered_instances", "fingerprint": f"test-{upstream_fingerprint(workspace, 'frames')}",
        "inputs": {"frames": upstream_fingerprint(workspace, "frames")}, "row_count": table.height})
    return table


def run_stages(film: str, identity_config: dict | None = None):
    from assets.faces.assets import face_embeddings
    from assets.identities.assets import identity_clusters, identity_face_coverage
    from orchestration.profiles import resources_for

    res = resources_for("local")
    config = {"ops": {"identity_clusters": {"config": identity_config or {}}}}
    return materialize([face_embeddings, identity_clusters, identity_face_coverage], partition_key=film,
                       instance=DagsterInstance.get(), run_config=config,
                       resources={k: res[k] for k in ("storage", "face_analyzer", "image_embedder")})


def test_knn_train_photos_form_one_pure_identity_per_person(knn_home, copy_home):
    home = copy_home(knn_home)
    instances = whole_frame_instances(home, "knn_train")
    result = run_stages("knn_train", {"min_cluster_size": 2})
    assert result.success
    workspace = FilmWorkspace("knn_train", home)
    faces = workspace.read_table("faces")
    assert faces.height == instances.height == 9  # one face in every photo
    assert len(faces["embedding"][0]) == 128
    frames = workspace.read_table("frames").select("frame_id", pl.col("source").alias("file"))
    ii = (workspace.read_table("instance_identities").join(instances.select("instance_id", "frame_id"),
                                                           on="instance_id").join(frames, on="frame_id")
          .with_columns(pl.col("file").str.split("/").list.first().alias("person")))
    for person in ("obama", "biden", "kit_harington", "rose_leslie"):
        identities = ii.filter(pl.col("person") == person)["identity"].unique().to_list()
        assert len(identities) == 1 and identities[0] != "noise", (person, identities)
        members = ii.filter(pl.col("identity") == identities[0])["person"].unique().to_list()
        assert members == [person], (person, members)  # pure
    alex = ii.filter(pl.col("person") == "alex_lacamoire")["identity"].to_list()
    assert alex == ["noise"] or ii.filter(pl.col("identity") == alex[0]).height == 1
    # outputs a person browses
    root = workspace.artefact_dir("identities")
    summary = json.loads((root / "identity_clustering.json").read_text())
    assert summary["identities"] == 4 and summary["no_face_ratio"] == 0.0
    assert (root / "identity_map.png").stat().st_size > 1000
    folder = root / ii.filter(pl.col("person") == "obama")["identity"][0]
    links = sorted(folder.glob("*.jpg"))
    assert len(links) == 2 and all(p.is_symlink() and p.resolve().exists() for p in links)
    assert len(list((folder / "faces").glob("*.jpg"))) == 2
    checks = result.get_asset_check_evaluations()
    assert checks and checks[0].passed
    # a re-run with new clustering parameters keeps the same ids (matched to stored prototypes)
    before = dict(zip(ii["instance_id"], ii["identity"]))
    assert run_stages("knn_train", {"min_cluster_size": 2, "distance_threshold": 0.05}).success
    after = dict(workspace.read_table("instance_identities").select("instance_id", "identity").iter_rows())
    assert {k: after[k] for k in before if before[k] != "noise"} == {k: v for k, v in before.items() if v != "noise"}


def test_sintel_and_the_shaman_are_different_pure_identities(sintel_home, copy_home):
    """Judged from the crops: shot 1 (frames 303-323) is the Shaman's close-up; shots 5 and 10 are Sintel's.
    The trailer is 52 s, so min_cluster_size is set for a clip (4), not a feature film (the 3d preset's 10)."""
    home = copy_home(sintel_home)
    whole_frame_instances(home, "sintel")
    result = run_stages("sintel", {"min_cluster_size": 4})
    assert result.success
    workspace = FilmWorkspace("sintel", home)
    instances = workspace.read_table("filtered_instances").select("instance_id", "shot")
    faces = workspace.read_table("faces")
    ii = workspace.read_table("instance_identities").join(instances, on="instance_id")
    by_face = ii.filter(pl.col("by") == "face")
    shaman = by_face.filter(pl.col("shot") == 1)["identity"].unique().to_list()
    sintel_faces = by_face.filter(pl.col("shot").is_in([5, 10]))
    sintel = sintel_faces.filter(pl.col("identity") != "noise")["identity"].unique().to_list()
    assert len(shaman) == 1 and shaman != ["noise"]
    assert len(sintel) == 1 and sintel != shaman
    assert sintel_faces.filter(pl.col("identity") == sintel[0]).height >= 0.8 * sintel_faces.height
    assert by_face.filter(pl.col("identity") == shaman[0])["shot"].unique().to_list() == [1]  # pure
    assert 1 not in by_face.filter(pl.col("identity") == sintel[0])["shot"].to_list()
    assert faces.height >= 20 and set(faces["detector"]) <= {"scrfd", "yunet"}
    identities = workspace.read_table("identities")
    assert identities.filter(pl.col("has_faces"))["identity"].to_list()[:1] == sintel  # largest face identity first
    # most frames show no face: the coverage check warns (and does not fail the run)
    check = result.get_asset_check_evaluations()[0]
    assert not check.passed and check.metadata["no_face_ratio"].value > 0.3


def test_a_review_is_honoured_by_a_re_run(sintel_home, copy_home):
    """Keep an instance that clustering left in noise, move another, rename the heroine, then re-run with other
    settings: the kept one is in an identity, the moved one is pinned, tracks and stability are recorded, and every
    change the re-run made to a reviewed identity is listed in identity_changes (none is silent)."""
    from resources import review_state
    from resources.catalog import Catalog

    home = copy_home(sintel_home)
    whole_frame_instances(home, "sintel")
    assert run_stages("sintel", {"min_cluster_size": 4}).success
    workspace = FilmWorkspace("sintel", home)
    first = workspace.read_table("instance_identities")
    assert {"track_id", "stability"} <= set(first.columns) and first["track_id"].null_count() == 0
    faced = first.filter(pl.col("by") == "face", pl.col("identity") != "noise")
    assert faced["stability"].null_count() == 0 and (faced["stability"] <= 1.0001).all()
    heroine = first.filter(pl.col("identity") != "noise").group_by("identity").len().sort("len")["identity"][-1]
    noise = first.filter(pl.col("identity") == "noise")["instance_id"].to_list()
    catalog = Catalog(home)
    review_state.record_decision(catalog, "sintel", "rename", heroine, "Sintel")
    review_state.record_decision(catalog, "sintel", "keep", noise[0], None)
    review_state.record_decision(catalog, "sintel", "move", noise[1], heroine, from_value="noise")
    # decisions whose items have gone since (re-segmented instances, identities a re-run no longer forms)
    review_state.record_decision(catalog, "sintel", "move", "scene0099_pos0_frame09999_inst0", heroine)
    review_state.record_decision(catalog, "sintel", "merge", "identity_999", heroine)
    review_state.record_decision(catalog, "sintel", "noise", "identity_998", True)
    review_state.record_decision(catalog, "sintel", "rename", "identity_997", "Ghost")
    assert run_stages("sintel", {"min_cluster_size": 4, "tracks": False, "max_distance": 0.6}).success
    second = workspace.read_table("instance_identities")
    by_id = {r["instance_id"]: r for r in second.iter_rows(named=True)}
    assert by_id[noise[0]]["identity"] != "noise" and by_id[noise[0]]["by"] == "kept"
    assert by_id[noise[1]]["identity"] == heroine and by_id[noise[1]]["source"] == "review"
    changes = workspace.read_table("identity_changes")
    before = dict(first.select("instance_id", "identity").iter_rows())
    moved = [i for i, r in by_id.items() if before.get(i) != r["identity"] and r["source"] != "review"
             and r["by"] != "kept" and heroine in (before.get(i), r["identity"])]
    assert moved and sorted(changes["instance_id"].to_list()) == sorted(moved)  # every change to her is listed
    summary = json.loads((workspace.artefact_dir("identities") / "identity_clustering.json").read_text())
    assert summary["review_revision"] == 7 and summary["changes_to_review"] == changes.height
    # each is reported by name, none is dropped silently, and none touched another item: the only instance the
    # review put in the heroine is the one moved there
    gone = ["scene0099_pos0_frame09999_inst0", "identity_999", "identity_998", "identity_997"]
    assert all(sum(name in message for message in summary["review"]) == 1 for name in gone), summary["review"]
    assert second.filter(pl.col("source") == "review", pl.col("identity") == heroine)["instance_id"].to_list() == [
        noise[1]]
    assert second["instance_id"].n_unique() == second.height and "Ghost" not in second["identity"].to_list()
