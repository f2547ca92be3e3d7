"""Training-ready exports per identity, streamed item by item: kohya_ss / sd-scripts folders (image + caption) with
a ``dataset_config.toml``, a Hugging Face Parquet file, a COCO instance-segmentation file and a manifest.
No Dagster, no model import (a super-resolution upscaler is passed in).

Every considered (instance, crop) gets a decision with its rule and reason: exported (downscaled, kept size or
upscaled by a named method) or skipped (too small, below target with ``upscale: skip``, near-duplicate, scattered
pieces, holding another character, crop not placeable, head cut by the frame edge, identity without a face and too
few instances, unreadable cut-out).
Re-exporting is incremental: a file is written only when its bytes differ, and files of items no longer exported
are removed, so a review that moves a few instances rewrites only those.
"""

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from assets.captions.tokens import CLIP_MAX_TOKENS, fit_phrases
from assets.datasets.coco import CocoWriter, coco_header
from assets.datasets.crops import CROP_PHRASES, caption_variant
from assets.datasets.formats import HfParquetWriter, sd_scripts_config, write_bytes_if_changed
from assets.datasets.params import DatasetParams
from assets.datasets.pixel_reuse import PixelReuse
from assets.datasets.pixels import CropPixels, InstancePixels, instance_pixels, measure, measure_solid_colours
from assets.datasets.repeats import identity_repeats, kohya_folder, move_rebalanced_folders
from assets.datasets.second_character import PALETTE_BINS, items_holding_another_character
from assets.datasets.selection import DECISION_SCHEMA
from assets.datasets.summary import dataset_manifest
from assets.frames.quality import hamming, near_duplicates
from resources.ordered_map import ordered_map
from resources.protocols import ImageUpscaler

log = logging.getLogger(__name__)

ITEM_SCHEMA = {"identity": pl.String, "label": pl.String, "trigger": pl.String, "instance_id": pl.String,
               "item_id": pl.String, "crop": pl.String, "image_path": pl.String, "caption_path": pl.String,
               "caption": pl.String, "view": pl.String, "pose_bucket": pl.String, "timestamp_s": pl.Float64,
               "width": pl.Int32, "height": pl.Int32, "source_width": pl.Int32, "source_height": pl.Int32,
               "resize": pl.String, "touches_frame_edge": pl.Boolean, "phash": pl.String, "sharpness": pl.Float64,
               "effects": pl.String}
EXPORTED_RULE = {"area": "downscaled", "none": "kept_size", "lanczos": "upscaled_lanczos", "sr": "upscaled_sr"}
PARQUET_FROM_ITEM = ("caption", "trigger", "crop", "view", "pose_bucket", "timestamp_s", "instance_id", "width",
                     "height", "source_width", "source_height", "resize", "effects")
PARQUET_NAME, TOML_NAME, COCO_NAME = "{film}_dataset.parquet", "dataset_config.toml", "coco_instances.json"


def decision(row: dict[str, Any], crop: str, decision: str, rule: str, reason: str | None,
             size: tuple[int, int] | None = None) -> dict[str, Any]:
    return {"instance_id": row["instance_id"], "identity": row["identity"], "trigger": row["trigger"], "crop": crop,
            "decision": decision, "rule": rule, "reason": reason, "source_width": size[0] if size else None,
            "source_height": size[1] if size else None}


def screen_candidates(candidates: pl.DataFrame, params: DatasetParams, absolute: Callable[[str], Path],
                      workers: int | None = None, reuse: PixelReuse | None = None
                      ) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """Candidates with ``phash`` and ``sharpness``, less unreadable cut-outs, scattered ones (``min_piece_share``:
    the largest piece holds too little of the cut: pieces of several things), cut-outs holding another character
    (``second_character``: before the near-duplicate test, so that a clean item is not dropped as the copy of one
    holding two) and, per identity, near-duplicates (pHash distance <= dedup_distance) of a sharper kept one; and
    the decisions for those removed. The cut-outs are measured on ``workers`` threads (default the available
    cores), an unchanged one's taken from ``reuse``."""
    hashes, sharp, palettes, readable, skipped = [], [], [], [], []
    measured_rows = ordered_map(lambda row: (row, reuse.measure(row) if reuse else measure(row, absolute)),
                                candidates.iter_rows(named=True), workers, name="dataset_hash")
    for i, (row, measured) in enumerate(measured_rows):
        if isinstance(measured, str):
            skipped.append(decision(row, "*", "skipped", "unreadable", measured))
            continue
        if measured.piece_share < params.min_piece_share:
            skipped.append(decision(row, "*", "skipped", "scattered_pieces",
                                    f"its largest piece holds {measured.piece_share:.2f} of the cut-out (< "
                                    f"{params.min_piece_share}): pieces of several things, not one character"))
            continue
        readable.append(i)
        hashes.append(measured.phash)
        sharp.append(measured.sharpness)
        palettes.append(measured.palette)
    table = candidates[readable]
    holding = items_holding_another_character(
        table, np.asarray(palettes, np.float32).reshape(-1, PALETTE_BINS), params.other_character_share,
        lambda n, colours: measure_solid_colours(table.row(n, named=True), absolute, colours))
    for n, reason in holding.items():
        skipped.append(decision(table.row(n, named=True), "*", "skipped", "holds_another_character", reason))
    clean = [n for n in range(table.height) if n not in holding]
    hashes, sharp = [hashes[n] for n in clean], [sharp[n] for n in clean]
    table = table[clean].with_columns(pl.Series("phash", [f"{h:016x}" for h in hashes], pl.String),
                                      pl.Series("sharpness", sharp, pl.Float64))
    if params.dedup_distance < 0 or table.height < 2:
        return table, skipped
    dropped_rows: set[int] = set()
    positions = np.arange(table.height)
    for identity in table["identity"].unique(maintain_order=True):
        members = positions[(table["identity"] == identity).to_numpy()]
        group_hashes = [hashes[m] for m in members]
        for dropped, kept in near_duplicates(group_hashes, [sharp[m] for m in members],
                                             params.dedup_distance).items():
            row = table.row(int(members[dropped]), named=True)
            distance = int(hamming(np.array([group_hashes[kept]], np.uint64), group_hashes[dropped])[0])
            skipped.append(decision(row, "*", "skipped", "near_duplicate",
                                    f"near-duplicate of {table['instance_id'][int(members[kept])]} (pHash distance "
                                    f"{distance} <= {params.dedup_distance}; that one is sharper)"))
            dropped_rows.add(int(members[dropped]))
    return table[[i for i in range(table.height) if i not in dropped_rows]], skipped


def item_caption(row: dict[str, Any], crop: str) -> str:
    """The captions relation's caption with the export's trigger word and the crop phrase, within CLIP's tokens."""
    phrases, fixed = caption_variant(row["caption"], row.get("caption_trigger"), row["trigger"], crop)
    tokens = row.get("clip_tokens")
    # a BPE token holds at least one character: the new trigger and crop phrase add at most their length in tokens,
    # so the tokenizer (seconds to load) is only needed when that bound could pass CLIP's limit
    added = len(row["trigger"]) + len(CROP_PHRASES[crop] or "") + 4
    if tokens is None or tokens + added > CLIP_MAX_TOKENS:
        phrases, _ = fit_phrases(phrases, fixed=fixed)
    return ", ".join(phrases)


def export_datasets(candidates: pl.DataFrame, decisions: pl.DataFrame, frames: pl.DataFrame | None, out_dir: Path,
                    film: str, params: DatasetParams, absolute: Callable[[str], Path],
                    relative: Callable[[Path], str], upscaler: ImageUpscaler | None = None,
                    workers: int | None = None, reuse: PixelReuse | None = None
                    ) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, Any]]:
    """Writes under ``out_dir``: ``kohya/{repeats}_{label}/<item>.png + .txt``, ``dataset_config.toml``,
    ``<film>_dataset.parquet``, ``coco_instances.json`` and ``manifest.json``; returns the ``dataset_items`` rows,
    every decision and the manifest. ``candidates`` and ``decisions`` come from ``selection.export_candidates``.
    Each candidate's pixels are made on ``workers`` threads (default the available cores; one with an upscaler,
    a model not made to be shared between threads), the files and rows written in order on this one: the same
    bytes as one thread writes. With ``reuse`` an unchanged candidate's pixels are the last export's."""
    workers = 1 if upscaler is not None else workers
    survivors, skipped = screen_candidates(candidates, params, absolute, workers, reuse)
    survivors = survivors.sort(["label", "instance_id"])
    repeats = identity_repeats(survivors["label"], params)
    parquet = HfParquetWriter(out_dir / PARQUET_NAME.format(film=film))
    images, categories, images_dir = coco_header(survivors, frames, out_dir, absolute)
    coco = CocoWriter(out_dir / COCO_NAME, images, categories, film, images_dir)
    writer = ItemWriter(out_dir, film, params, repeats, relative, parquet, upscaler)
    writer.decided.extend(skipped)
    writer.stats["renamed_folders"] = move_rebalanced_folders(writer.kohya, repeats)
    image_by_frame = {image["castforge_frame_id"]: image for image in images}
    category_ids = {category["castforge_identity"]: category["id"] for category in categories}

    def pixels(row: dict[str, Any]) -> tuple[dict[str, Any], InstancePixels]:
        image = image_by_frame.get(row["frame_id"])
        category = category_ids[row["identity"]] if image is not None else None
        if reuse is not None:
            return row, reuse.pixels(row, params, upscaler, image, category)
        return row, instance_pixels(row, params, absolute, upscaler, image, category)

    try:
        for row, made in ordered_map(pixels, survivors.iter_rows(named=True), workers, name="dataset_items"):
            if writer.write_instance(row, made):
                add_coco_instance(coco, row, made)
            if reuse is not None:
                reuse.remember(row, made, image_by_frame.get(row["frame_id"]),
                               {c.crop: writer.item_paths(row, c.crop)[0] for c in made.crops})
    except BaseException:
        parquet.abort()
        coco.abort()
        raise
    stats = writer.stats
    for changed in (parquet.close(), coco.close()):
        stats["written" if changed else "unchanged"] += 1
    labels = sorted({r["label"] for r in writer.records})
    changed = write_bytes_if_changed(out_dir / TOML_NAME, sd_scripts_config(
        [((writer.kohya / kohya_folder(label, repeats)).resolve(), repeats[label]) for label in labels],
        params.target_size).encode())
    stats["written" if changed else "unchanged"] += 1
    stats["removed"] += remove_stale(writer.kohya, writer.expected)
    table = pl.DataFrame(writer.records, schema=ITEM_SCHEMA)
    all_decisions = pl.concat([decisions.select(list(DECISION_SCHEMA)),
                               pl.DataFrame(writer.decided, schema=DECISION_SCHEMA)], how="vertical_relaxed")
    manifest = dataset_manifest(table, all_decisions, film, params, repeats)
    write_bytes_if_changed(out_dir / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True).encode())
    if reuse is not None:
        reuse.save()
    return table, all_decisions, {**manifest, "files": stats}


def add_coco_instance(coco: CocoWriter, row: dict[str, Any], made: InstancePixels) -> None:
    """Adds an exported instance's annotation, numbered next; an unreadable mask is logged and left out, never a
    failure (an empty one, or an instance without a mask or frame, has none)."""
    if made.coco_error is not None:
        log.warning("COCO export: instance %s left out: %s", row["instance_id"], made.coco_error)
    elif made.coco is not None:
        coco.add({**made.coco, "id": coco.annotations + 1})


class ItemWriter:
    """Writes export items one at a time (kohya image + caption, a Parquet row) and collects their rows and
    decisions; nothing but the current item's pixels is held."""

    def __init__(self, out_dir: Path, film: str, params: DatasetParams, repeats: dict[str, int],
                 relative: Callable[[Path], str], parquet: HfParquetWriter, upscaler: ImageUpscaler | None):
        self.kohya, self.film, self.params, self.relative = out_dir / "kohya", film, params, relative
        self.repeats = repeats
        self.parquet, self.upscaler = parquet, upscaler
        self.records: list[dict[str, Any]] = []
        self.decided: list[dict[str, Any]] = []
        self.expected: set[Path] = set()
        self.stats = {"written": 0, "unchanged": 0, "removed": 0}

    def write_instance(self, row: dict[str, Any], made: InstancePixels) -> bool:
        """Every wanted crop of one candidate (its pixels made by ``pixels.instance_pixels``); True when at least
        one was exported."""
        if made.unreadable is not None:  # removed or damaged since it was measured
            self.decided.append(decision(row, "*", "skipped", "unreadable", made.unreadable))
            return False
        exported = False
        for crop in made.crops:
            if crop.png is None:
                self.decided.append(decision(row, crop.crop, "skipped", crop.skip_rule, crop.skip_reason, crop.size))
                continue
            self.write_item(row, crop)
            exported = True
        return exported

    def item_paths(self, row: dict[str, Any], crop: str) -> tuple[Path, Path]:
        """The (image, caption) files of one crop of a candidate."""
        item_id = row["instance_id"] if crop == "full" else f"{row['instance_id']}_{crop}"
        folder = self.kohya / kohya_folder(row["label"], self.repeats)
        return folder / f"{item_id}.png", folder / f"{item_id}.txt"

    def write_item(self, row: dict[str, Any], made: CropPixels) -> None:
        crop, size, method, png = made.crop, made.size, made.method, made.png
        image_path, caption_path = self.item_paths(row, crop)
        item_id = image_path.stem
        caption = item_caption(row, crop)
        for path, data in ((image_path, png), (caption_path, (caption + "\n").encode())):
            self.stats["written" if write_bytes_if_changed(path, data) else "unchanged"] += 1
            self.expected.add(path)
        resize = f"sr:{self.upscaler.name}" if method == "sr" and self.upscaler is not None else method
        self.decided.append(decision(row, crop, "exported", EXPORTED_RULE[method], resize, size))
        item = {"identity": row["identity"], "label": row["label"], "trigger": row["trigger"],
                "instance_id": row["instance_id"], "item_id": item_id, "crop": crop,
                "image_path": self.relative(image_path), "caption_path": self.relative(caption_path),
                "caption": caption, "view": row["view"], "pose_bucket": row["pose_bucket"],
                "timestamp_s": row["timestamp_s"], "width": made.shape[0], "height": made.shape[1],
                "source_width": size[0], "source_height": size[1], "resize": resize,
                "touches_frame_edge": row.get("touches_frame_edge"), "phash": row["phash"],
                "sharpness": row["sharpness"], "effects": row.get("effects")}
        self.records.append(item)
        self.parquet.add({**{k: item[k] for k in PARQUET_FROM_ITEM}, "identity": row["label"], "film": self.film,
                          "image": {"bytes": png if self.params.parquet_images == "bytes" else None,
                                    "path": image_path.relative_to(self.kohya.parent).as_posix()}})


def remove_stale(kohya: Path, expected: set[Path]) -> int:
    """Deletes files under ``kohya`` that this export did not write (items that left it) and empty folders."""
    removed = 0
    if not kohya.exists():
        return 0
    for stale in kohya.rglob("*"):
        if stale.is_file() and stale not in expected:
            stale.unlink()
            removed += 1
    for folder in sorted(kohya.glob("*"), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return removed
