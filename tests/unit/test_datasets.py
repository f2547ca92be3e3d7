"""character_datasets core: kohya_ss folders, Parquet export, manifest, balanced sampling and incremental re-export,
on real photos as cut-outs."""

import glob
import io
import json
from pathlib import Path

import cv2
import numpy as np
import polars as pl
import pytest
from PIL import Image

from assets.datasets.core import DatasetParams, export_datasets, export_rows, identity_summary, training_image


@pytest.fixture
def inputs(shared, tmp_path):
    rows, captions, poses = [], [], []
    for i, p in enumerate(sorted(glob.glob(str(shared / "media/faces/knn_examples/train/*/*")))):
        bgr = cv2.imread(p)
        bgr = cv2.resize(bgr, (bgr.shape[1] // 6, bgr.shape[0] // 6))
        bgra = cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)
        bgra[:5, :, 3] = 0  # a transparent band: must become the background colour
        out = tmp_path / "cuts" / f"c{i}.png"
        out.parent.mkdir(exist_ok=True)
        cv2.imwrite(str(out), bgra)
        person = Path(p).parent.name
        rows.append({"instance_id": f"i{i}", "identity": f"identity_{i % 3:03d}", "label": person,
                     "trigger": person, "path": str(out), "x0": 0.0, "y0": 0.0, "x1": float(bgr.shape[1]),
                     "y1": float(bgr.shape[0]), "timestamp_s": float(i)})
        captions.append({"instance_id": f"i{i}", "caption": f"a photo, {person}, front view"})
        poses.append({"instance_id": f"i{i}", "view": "front" if i % 2 else "profile",
                      "pose_bucket": f"pose_{i % 2:03d}"})
    return pl.DataFrame(rows), pl.DataFrame(captions), pl.DataFrame(poses), tmp_path


def rel(home: Path):
    return lambda p: str(Path(p).relative_to(home))


def test_kohya_parquet_and_manifest(inputs):
    rows, captions, poses, home = inputs
    params = DatasetParams(target_size=128)
    items = export_rows(rows, captions, poses, params)
    table, manifest = export_datasets(items, home / "datasets", "knn", params, Path, rel(home))
    assert table.height == rows.height
    for item in table.iter_rows(named=True):
        image, text = home / item["image_path"], home / item["caption_path"]
        assert image.parent.name == f"10_{item['label']}" and image.stem == text.stem == item["instance_id"]
        assert text.read_text().strip() == item["caption"]
        png = cv2.imread(str(image))
        assert png.shape[0] == png.shape[1] <= 128
    # the transparent band is white background, never the photo
    first = cv2.imread(str(home / table["image_path"][0]))
    assert (first[0] == 255).all()
    parquet = pl.read_parquet(home / "datasets" / "knn_dataset.parquet")
    assert parquet.columns[:7] == ["image", "caption", "identity", "view", "pose_bucket", "film", "timestamp_s"]
    decoded = Image.open(io.BytesIO(parquet["image"][0]["bytes"]))
    assert decoded.size[0] == decoded.size[1]
    assert json.loads((home / "datasets" / "manifest.json").read_text())["items"] == rows.height
    assert sum(v["count"] for v in manifest["identities"].values()) == rows.height
    assert manifest["identities"]["biden"]["views"] == {"front": 1, "profile": 1}
    assert identity_summary(table)["items"].sum() == rows.height


def test_reexport_rewrites_only_what_changed(inputs):
    rows, captions, poses, home = inputs
    params = DatasetParams(target_size=96)
    out = home / "datasets"
    table, first = export_datasets(export_rows(rows, captions, poses, params), out, "knn", params, Path, rel(home))
    assert first["files"]["written"] == 2 * rows.height
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    _, again = export_datasets(export_rows(rows, captions, poses, params), out, "knn", params, Path, rel(home))
    assert again["files"] == {"written": 0, "unchanged": 2 * rows.height, "removed": 0, "unreadable": 0}
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == mtimes
    # a review: one caption renamed, one instance moved out of the dataset
    reviewed = captions.with_columns(pl.when(pl.col("instance_id") == "i1").then(pl.lit("a photo, renamed"))
                                     .otherwise(pl.col("caption")).alias("caption"))
    reviewed = reviewed.filter(pl.col("instance_id") != "i2")
    table, changed = export_datasets(export_rows(rows, reviewed, poses, params), out, "knn", params, Path, rel(home))
    assert changed["files"] == {"written": 1, "unchanged": 2 * (rows.height - 1) - 1, "removed": 2,
                                "unreadable": 0}
    assert "i2" not in table["instance_id"].to_list()
    assert not any(p.stem == "i2" for p in out.rglob("*"))


def test_balanced_sampling_per_pose_bucket(inputs):
    rows, captions, poses, _ = inputs
    items = export_rows(rows, captions, poses, DatasetParams(per_bucket=1))
    counts = items.group_by(["identity", "pose_bucket"]).len()
    assert counts["len"].max() == 1
    assert counts.height == rows.join(poses, on="instance_id").select("identity", "pose_bucket").unique().height


def test_training_image_keeps_aspect_and_never_flips(inputs):
    rows, *_ = inputs
    path = Path(rows["path"][0])
    bgr = training_image(path, DatasetParams(target_size=64, background=(0, 0, 0)))
    assert bgr.shape == (64, 64, 3)
    src = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    h, w = src.shape[:2]
    small = cv2.resize(src[:, :, :3], (round(w * 64 / max(h, w)), round(h * 64 / max(h, w))),
                       interpolation=cv2.INTER_AREA)
    x = (64 - small.shape[1]) // 2
    y = (64 - small.shape[0]) // 2
    region = bgr[y + 2:y + small.shape[0], x:x + small.shape[1]].astype(int)
    assert np.abs(region - small[2:].astype(int)).mean() < 3  # same orientation and colours as the source


def test_empty_export(tmp_path):
    empty_rows = pl.DataFrame(schema={"instance_id": pl.String, "identity": pl.String, "label": pl.String,
                                      "path": pl.String, "x0": pl.Float64, "y0": pl.Float64, "x1": pl.Float64,
                                      "y1": pl.Float64})
    items = export_rows(empty_rows, pl.DataFrame(schema={"instance_id": pl.String, "caption": pl.String}), None,
                        DatasetParams())
    table, manifest = export_datasets(items, tmp_path / "d", "none", DatasetParams(), Path, str)
    assert table.height == 0 and manifest["items"] == 0 and identity_summary(table).height == 0
