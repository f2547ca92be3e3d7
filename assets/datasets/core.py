"""Training-ready exports per identity: kohya_ss / sd-scripts folders, a Parquet (Hugging Face ``datasets``) file
and a manifest. No Dagster, no models.

Re-exporting is incremental: every file is written only when its bytes differ from what is on disk, and files of
instances no longer in the export are removed, so a review that moves a few instances rewrites only those.
"""

import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import polars as pl

from assets.pose.core import load_cutout_rgb

ITEM_SCHEMA = {"identity": pl.String, "label": pl.String, "instance_id": pl.String, "image_path": pl.String,
               "caption_path": pl.String, "caption": pl.String, "view": pl.String, "pose_bucket": pl.String,
               "timestamp_s": pl.Float64, "width": pl.Int32, "height": pl.Int32}


@dataclass(frozen=True)
class DatasetParams:
    target_size: int = 512           # the square side images are fitted into (aspect kept, padded)
    upscale: bool = False            # smaller crops stay at their size (padded) unless set
    background: tuple[int, int, int] = (255, 255, 255)  # RGB behind the cut-out
    repeats: int = 10                # kohya_ss folder prefix: {repeats}_{name}
    per_bucket: int | None = None    # balanced sampling: at most N instances per (identity, pose bucket)
    parquet_images: str = "bytes"    # bytes | path
    min_instances: int = 1           # identities with fewer exported instances are left out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "DatasetParams":
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__}
        if "background" in known:
            known["background"] = tuple(int(c) for c in known["background"])
        params = cls(**known)
        if params.parquet_images not in ("bytes", "path"):
            raise ValueError(f"datasets.parquet_images must be 'bytes' or 'path', not {params.parquet_images!r}")
        return params


def export_rows(rows: pl.DataFrame, captions: pl.DataFrame, poses: pl.DataFrame | None,
                params: DatasetParams) -> pl.DataFrame:
    """Identified instances that have a caption, with view and pose bucket; balanced per bucket when asked."""
    cap = captions.select("instance_id", "caption")
    table = rows.join(cap, on="instance_id", how="inner")
    if poses is not None and poses.height:
        table = table.join(poses.select("instance_id", "view", "pose_bucket"), on="instance_id", how="left")
    else:
        table = table.with_columns(pl.lit(None, pl.String).alias("view"), pl.lit(None, pl.String).alias("pose_bucket"))
    table = table.with_columns(pl.col("view").fill_null("unknown"), pl.col("pose_bucket").fill_null("noise"),
                               pl.col("identity").cast(pl.String))
    if "timestamp_s" not in table.columns:
        table = table.with_columns(pl.lit(None, pl.Float64).alias("timestamp_s"))
    if params.per_bucket:
        # the largest crops first: more pixels for the trainer
        area = ((pl.col("x1") - pl.col("x0")) * (pl.col("y1") - pl.col("y0"))).alias("_area")
        table = (table.with_columns(area).sort(["_area", "instance_id"], descending=[True, False])
                 .group_by(["identity", "pose_bucket"], maintain_order=True).head(params.per_bucket).drop("_area"))
    counts = table.group_by("identity").len()
    keep = counts.filter(pl.col("len") >= params.min_instances)["identity"]
    return table.filter(pl.col("identity").is_in(keep.implode())).sort(["label", "instance_id"])


def training_image(path: Path, params: DatasetParams) -> np.ndarray:
    """BGR: the cut-out on the background colour, fitted into a square of ``target_size`` (no flips, no jitter)."""
    rgb, alpha = load_cutout_rgb(path)
    rgb[~alpha] = params.background
    h, w = rgb.shape[:2]
    scale = params.target_size / max(h, w)
    if scale < 1 or params.upscale:
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LANCZOS4
        rgb = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=interpolation)
    h, w = rgb.shape[:2]
    side = max(h, w)
    canvas = np.empty((side, side, 3), np.uint8)
    canvas[:] = params.background
    canvas[(side - h) // 2:(side - h) // 2 + h, (side - w) // 2:(side - w) // 2 + w] = rgb
    return cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR)


def write_if_changed(path: Path, data: bytes, stats: dict[str, int]) -> None:
    """Write ``data`` atomically unless the file already holds exactly these bytes."""
    if path.exists() and path.stat().st_size == len(data) and path.read_bytes() == data:
        stats["unchanged"] += 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    stats["written"] += 1


def export_datasets(items: pl.DataFrame, out_dir: Path, film: str, params: DatasetParams,
                    absolute: Callable[[str], Path], relative: Callable[[Path], str]) -> tuple[pl.DataFrame, dict]:
    """Writes ``kohya/{repeats}_{label}/{instance_id}.png + .txt``, ``<film>_dataset.parquet`` and
    ``manifest.json`` under ``out_dir``; returns the ``dataset_items`` rows and the manifest."""
    stats = {"written": 0, "unchanged": 0, "removed": 0, "unreadable": 0}
    kohya = out_dir / "kohya"
    records, parquet_rows, expected = [], [], set()
    for row in items.iter_rows(named=True):
        folder = kohya / f"{params.repeats}_{row['label']}"
        image_path, caption_path = folder / f"{row['instance_id']}.png", folder / f"{row['instance_id']}.txt"
        try:
            bgr = training_image(absolute(row["path"]), params)
        except ValueError:
            stats["unreadable"] += 1
            continue
        ok, png = cv2.imencode(".png", bgr)
        if not ok:
            stats["unreadable"] += 1
            continue
        write_if_changed(image_path, png.tobytes(), stats)
        write_if_changed(caption_path, (row["caption"] + "\n").encode(), stats)
        expected |= {image_path, caption_path}
        records.append({"identity": row["identity"], "label": row["label"], "instance_id": row["instance_id"],
                        "image_path": relative(image_path), "caption_path": relative(caption_path),
                        "caption": row["caption"], "view": row["view"], "pose_bucket": row["pose_bucket"],
                        "timestamp_s": row["timestamp_s"], "width": bgr.shape[1], "height": bgr.shape[0]})
        parquet_rows.append({"image": {"bytes": png.tobytes() if params.parquet_images == "bytes" else None,
                                       "path": relative(image_path)},
                             "caption": row["caption"], "identity": row["label"], "view": row["view"],
                             "pose_bucket": row["pose_bucket"], "film": film, "timestamp_s": row["timestamp_s"],
                             "instance_id": row["instance_id"]})
    for stale in kohya.rglob("*") if kohya.exists() else []:
        if stale.is_file() and stale not in expected:
            stale.unlink()
            stats["removed"] += 1
    for folder in sorted(kohya.glob("*"), reverse=True) if kohya.exists() else []:
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    table = pl.DataFrame(records, schema=ITEM_SCHEMA)
    parquet = pl.DataFrame(parquet_rows, schema={
        "image": pl.Struct({"bytes": pl.Binary, "path": pl.String}), "caption": pl.String, "identity": pl.String,
        "view": pl.String, "pose_bucket": pl.String, "film": pl.String, "timestamp_s": pl.Float64,
        "instance_id": pl.String})
    tmp = out_dir / f".{film}_dataset.{uuid.uuid4().hex}.tmp"
    out_dir.mkdir(parents=True, exist_ok=True)
    parquet.write_parquet(tmp)
    final = out_dir / f"{film}_dataset.parquet"
    if final.exists() and final.read_bytes() == tmp.read_bytes():
        tmp.unlink()
    else:
        os.replace(tmp, final)
    manifest = dataset_manifest(table, film, params)
    write_if_changed(out_dir / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True).encode(),
                     {"written": 0, "unchanged": 0})
    return table, {**manifest, "files": stats}


def dataset_manifest(items: pl.DataFrame, film: str, params: DatasetParams) -> dict[str, Any]:
    identities = {}
    for (label,), group in items.group_by(["label"], maintain_order=True):
        identities[label] = {
            "identity": group["identity"][0], "count": group.height,
            "folder": f"kohya/{params.repeats}_{label}",
            "views": {v: n for v, n in group.group_by("view").len().sort("view").iter_rows()},
            "pose_buckets": {b: n for b, n in group.group_by("pose_bucket").len().sort("pose_bucket").iter_rows()},
        }
    return {"film": film, "items": items.height, "repeats": params.repeats, "target_size": params.target_size,
            "balanced_per_bucket": params.per_bucket, "identities": identities}


def identity_summary(items: pl.DataFrame) -> pl.DataFrame:
    """The asset's own table: one row per exported identity."""
    if items.height == 0:
        return pl.DataFrame(schema={"identity": pl.String, "label": pl.String, "items": pl.UInt32,
                                    "views": pl.String})
    return (items.group_by(["identity", "label"], maintain_order=True)
            .agg(pl.len().alias("items"), pl.col("view").value_counts(sort=True).alias("_views"))
            .with_columns(pl.col("_views").map_elements(
                lambda vs: json.dumps({v["view"]: v["count"] for v in vs}, sort_keys=True), return_dtype=pl.String)
                .alias("views")).drop("_views"))
