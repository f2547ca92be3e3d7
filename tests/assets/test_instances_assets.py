"""instances + filtered_instances materialised on real films: the Sintel trailer's kept frames (a subset, to keep
the suite fast) and the knn_examples test photos as an image film."""

import cv2
import numpy as np
import polars as pl
import pytest
from dagster import DagsterInstance, materialize

from assets.instances.assets import filtered_instances, instances, instances_artefacts_on_disk
from resources.catalog import Catalog
from resources.segmenter import SegmenterResource
from resources.storage import FilmWorkspace
from resources.store import StorageResource
from tests.conftest import KNN_TEST, build_film

SINTEL_SUBSET = 24  # every other kept frame up to this many: the property is checked on each of them
TITLE_FRAMES = ("scene0011_pos4_frame00982", "scene0011_pos5_frame00998")  # "SINTEL" title over empty dunes


def _materialise(film: str, selection=(instances, filtered_instances)):
    checks = [instances_artefacts_on_disk] if instances in selection else []
    return materialize([*selection, *checks], partition_key=film, instance=DagsterInstance.get(),
                       resources={"storage": StorageResource(), "segmenter": SegmenterResource(backend="characters")})


def _mask(workspace: FilmWorkspace, row: dict) -> np.ndarray:
    return cv2.imread(str(workspace.absolute(row["mask_path"])), cv2.IMREAD_GRAYSCALE) > 0


@pytest.fixture
def sintel_subset(copy_home, sintel_frames_home):
    home = copy_home(sintel_frames_home)
    workspace = FilmWorkspace("sintel", home)
    frames = workspace.read_table("frames")
    kept = frames.filter(pl.col("kept")).sort("frame_id")
    chosen = set(kept["frame_id"].gather_every(2).head(SINTEL_SUBSET).to_list()) | set(TITLE_FRAMES)
    workspace.write_table("frames", frames.with_columns(
        (pl.col("kept") & pl.col("frame_id").is_in(list(chosen))).alias("kept")).drop("film"))
    return home, workspace


def test_sintel_faces_are_covered_by_kept_instances_and_review_decisions_win(sintel_subset, shared):
    from resources.backends.character_cues import YunetFaceDetector

    home, workspace = sintel_subset
    assert _materialise("sintel").success
    table = workspace.read_table("filtered_instances")
    assert table.height > 0 and set(table["backend"]) == {"characters"}
    assert table["instance_id"].n_unique() == table.height
    detector, faces_checked = YunetFaceDetector(0.6), 0
    for frame in workspace.read_table("frames").filter(pl.col("kept")).iter_rows(named=True):
        rgb = cv2.cvtColor(cv2.imread(str(workspace.absolute(frame["path"]))), cv2.COLOR_BGR2RGB)
        kept = [_mask(workspace, r) for r in
                table.filter((pl.col("frame_id") == frame["frame_id"]) & pl.col("kept")).iter_rows(named=True)]
        for x0, y0, x1, y1, _ in detector.detect(rgb):
            faces_checked += 1
            cx, cy = int((x0 + x1) / 2), int((y0 + y1) / 2)
            assert any(m[cy, cx] for m in kept), f"{frame['frame_id']}: face at ({cx}, {cy}) not in a kept instance"
    assert faces_checked >= 8
    for title in TITLE_FRAMES:  # frames without characters: no kept instances, no error
        assert table.filter((pl.col("frame_id") == title) & pl.col("kept")).is_empty()
    # every kept frame has its instances or its `instance_misses` row with the reason (issue #13), never both
    misses, kept_frames = workspace.read_table("instance_misses"), workspace.read_table("frames").filter("kept")
    assert misses.height > 0 and misses["reason"].str.starts_with("no face or person box: ").all()
    assert not set(misses["frame_id"]) & set(table["frame_id"])
    assert set(misses["frame_id"]) | set(table["frame_id"]) == set(kept_frames["frame_id"])
    assert workspace.read_stage_record("instances")["frames_without_instances"] == misses.height
    row = table.filter(pl.col("kept")).row(0, named=True)
    cut = cv2.imread(str(workspace.absolute(row["path"])), cv2.IMREAD_UNCHANGED)
    assert cut.shape[2] == 4 and 0 < cut[..., 3].mean() < 255
    assert row["path"].endswith(f"{row['frame_id']}_inst{row['inst']}.png")
    assert (workspace.absolute(row["overlay_path"])).exists()
    assert {"x0", "y0", "x1", "y1", "area", "alpha_coverage", "score", "mask_path"} <= set(table.columns)
    assert (table["reason"].is_not_null() & (table["decided_by"] == "auto")).all()

    # a person's decisions override the automatic ones and survive re-materialisation (same run, to save time)
    from resources.review_state import record_decision

    catalog = Catalog(home)
    first = workspace.read_table("filtered_instances")
    target = first.filter(pl.col("kept")).row(0, named=True)["instance_id"]
    rescued = first.filter(~pl.col("kept")).row(0, named=True)["instance_id"]
    record_decision(catalog, "sintel", "discard", target, None)
    record_decision(catalog, "sintel", "keep", rescued, None)
    assert _materialise("sintel").success  # instances cached; filtered_instances re-runs for the new revision
    statuses = catalog.query("SELECT asset, status FROM materializations WHERE film = 'sintel' "
                             "ORDER BY finished_at DESC LIMIT 2")
    assert dict(statuses.iter_rows()) == {"instances": "cached", "filtered_instances": "success"}
    table = workspace.read_table("filtered_instances")
    by_id = {r["instance_id"]: r for r in table.iter_rows(named=True)}
    assert by_id[target]["kept"] is False and by_id[target]["decided_by"] == "review"
    assert by_id[rescued]["kept"] is True and by_id[rescued]["reason"] == "review: kept"
    assert table.filter(pl.col("decided_by") == "review").height == 2
    assert _materialise("sintel", [filtered_instances]).success  # unchanged review: cached, same rows
    assert workspace.read_table("filtered_instances").equals(table)


def test_two_people_per_photo_give_two_kept_instances(castforge_home, shared):
    assert build_film(castforge_home, shared / KNN_TEST, "knn_test", ["frames"]).success
    outcome = _materialise("knn_test")
    assert outcome.success
    checks = outcome.get_asset_check_evaluations()
    assert [c.check_name for c in checks] == ["artefacts_on_disk"] and checks[0].passed
    workspace = FilmWorkspace("knn_test", castforge_home)
    frames = workspace.read_table("frames").select("frame_id", "source")
    table = workspace.read_table("filtered_instances").join(frames, on="frame_id")
    for photo in ("obama_and_biden.jpg", "kit_with_rose.jpg"):
        kept = table.filter((pl.col("source") == photo) & pl.col("kept") & (pl.col("face_count") == 1))
        assert kept.height >= 2, photo
        masks = [_mask(workspace, r) for r in kept.iter_rows(named=True)]
        assert not any((a & b).any() for i, a in enumerate(masks) for b in masks[i + 1:]), photo
    assert Catalog(castforge_home).query("SELECT count(*) AS n FROM filtered_instances WHERE kept")["n"][0] >= 6
