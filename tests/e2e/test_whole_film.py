"""The main job: a whole film through every asset, on the embedded default (DuckDB, local folders, CPU backends)."""

import subprocess
import sys

import polars as pl
import pytest

from orchestration.cli import main
from resources.catalog import Catalog
from resources.storage import FilmWorkspace

FILM = "sintel_trailer_480x204"  # default settings: the 3d preset, min_cluster_size scaled to the trailer


@pytest.fixture(scope="module")
def sintel_film(tmp_path_factory, shared):
    from tests.conftest import _point_env_at, _restore

    home = tmp_path_factory.mktemp("e2e") / "home"
    previous = _point_env_at(home, shared)
    try:
        assert main(["ingest", str(shared / "media/video/sintel_trailer_480x204.mp4")]) == 0
        assert main(["materialize", FILM]) == 0
        yield home
    finally:
        _restore(previous)


def test_every_asset_materialised_once_with_lineage(sintel_film):
    runs = Catalog(sintel_film).query("SELECT asset, status, row_count FROM materializations WHERE film = ?", [FILM])
    assets = set(runs["asset"])
    assert {"frames", "instances", "filtered_instances", "face_embeddings", "identity_clusters", "pose_subclusters",
            "captions", "character_datasets", "audio", "vocals", "diarization", "voice_map",
            "voice_features"} <= assets
    assert runs["status"].unique().to_list() == ["success"]


def test_characters_found_identified_posed_captioned_and_exported(sintel_film):
    workspace = FilmWorkspace(FILM, sintel_film)
    kept = workspace.read_table("filtered_instances").filter(pl.col("kept"))
    assert kept.height >= 30
    faces = workspace.read_table("faces")
    assert faces.height >= 20 and faces["instance_id"].is_in(kept["instance_id"]).all()
    identities = workspace.read_table("identities").filter(pl.col("has_faces"))
    assert identities.height >= 2  # Sintel and the Shaman
    assigned = workspace.read_table("instance_identities").filter(pl.col("identity") != "noise")
    assert assigned.height >= 20
    poses = workspace.read_table("poses")
    assert set(poses["instance_id"]) == set(assigned["instance_id"])
    assert (poses["keypoints"].is_not_null() | poses["no_pose_reason"].is_not_null()).all()
    assert poses["view"].is_not_null().all()
    captions = workspace.read_table("captions").join(assigned, on="instance_id")
    assert captions.height == assigned.height
    items = workspace.read_table("dataset_items")
    decisions = workspace.read_table("dataset_decisions")
    # every identified instance has export decisions (exported crops, or skipped with the reason), none is dropped
    # silently
    assert set(decisions["instance_id"]) == set(assigned["instance_id"]) and items.height >= 10
    assert decisions["reason"].is_not_null().all()
    assert set(items["instance_id"]) <= set(decisions.filter(pl.col("decision") == "exported")["instance_id"])
    for row in items.iter_rows(named=True):
        image, caption = workspace.absolute(row["image_path"]), workspace.absolute(row["caption_path"])
        assert image.exists() and caption.read_text().strip()
        assert max(row["width"], row["height"]) == 512  # training resolution, never a silent small image
        assert not row["trigger"].startswith("identity_")  # film-scoped until a person names it


def test_dialogue_is_diarized_and_features_measured(sintel_film):
    workspace = FilmWorkspace(FILM, sintel_film)
    segments = workspace.read_table("speech_segments")
    assert segments.height >= 2 and (segments["end_s"] > segments["start_s"]).all()
    assert segments["end_s"].max() <= 53
    # the trailer's first lines (the Shaman, then Sintel) are spoken over music between 12 s and 21 s
    dialogue = segments.filter((pl.col("start_s") < 21) & (pl.col("end_s") > 12))
    assert dialogue["duration_s"].sum() >= 2.5
    assert (sintel_film / "films" / FILM / "diarization" / f"{FILM}.rttm").exists()
    assert workspace.read_table("voice_features").height == segments["speaker"].n_unique()


def test_a_second_run_is_cached_and_the_catalog_is_queryable_from_a_fresh_process(sintel_film):
    assert main(["materialize", FILM]) == 0
    runs = Catalog(sintel_film).query(
        "SELECT asset, status FROM materializations WHERE film = ? "
        "QUALIFY row_number() OVER (PARTITION BY asset ORDER BY finished_at DESC) = 1", [FILM])
    assert runs["status"].unique().to_list() == ["cached"]
    # as the README shows a plain DuckDB user: from inside the home, where the views' relative Parquet paths resolve
    query = ("import duckdb; con = duckdb.connect('catalog.duckdb', read_only=True); "
             "print(con.execute(\"SELECT count(*) FROM instances\").fetchone()[0])")
    out = subprocess.run([sys.executable, "-c", query], capture_output=True, text=True, check=True,
                         cwd=sintel_film).stdout
    assert int(out) >= 30


def test_loading_the_definitions_imports_no_model_library():
    code = ("import sys, orchestration.definitions as d; d.build_definitions().resolve_asset_graph(); "
            "heavy = [m for m in ('torch', 'sam2', 'insightface', 'transformers', 'umap', 'pyannote', 'demucs', "
            "'onnxruntime', 'librosa') if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_core_modules_import_no_dagster():
    code = ("import sys, importlib, pkgutil, assets; "
            "[importlib.import_module(f'assets.{m.name}.core') for m in pkgutil.iter_modules(assets.__path__) "
            "if m.ispkg and importlib.util.find_spec(f'assets.{m.name}.core')]; print('dagster' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_the_gpu_profile_selects_the_production_backends_on_cuda_without_importing_them():
    code = ("import sys; from orchestration.definitions import build_definitions; d = build_definitions('gpu'); "
            "r = d.resources; print(';'.join(f'{k}={getattr(v, \"backend\", \"\")}/{getattr(v, \"device\", \"\")}' "
            "for k, v in sorted(r.items()))); print('torch' in sys.modules)")
    lines = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    backends = dict(item.split("=") for item in lines[0].split(";"))
    assert backends["segmenter"] == "sam2/cuda" and backends["face_analyzer"] == "insightface/cuda"
    assert backends["diarizer"] == "pyannote/cuda" and backends["vocal_separator"] == "demucs/cuda"
    assert backends["pose_estimator"] == "rtmpose/cuda" and backends["captioner"] == "qwen_vl/cuda"
    assert lines[1] == "False"
