"""What an export holds, for the manifest and the asset's metadata: items per identity, crop, view and pose bucket,
the size distribution of the sources and of what was exported, and how many items were upscaled or skipped and why.
Polars only."""

import json
from typing import Any

import polars as pl

from assets.datasets.params import DatasetParams
from assets.datasets.repeats import kohya_folder


def _counts(table: pl.DataFrame, column: str) -> dict[str, int]:
    if table.height == 0:
        return {}
    return {str(k): int(n) for k, n in table.group_by(column).len().sort(column).iter_rows()}


def size_distribution(decisions: pl.DataFrame, params: DatasetParams) -> dict[str, Any]:
    """Longer side of every placed crop's source: quantiles and counts against min_source_size and target_size."""
    sized = decisions.filter(pl.col("source_width").is_not_null())
    longer = sized.select(pl.max_horizontal("source_width", "source_height").alias("side"))["side"]
    if not len(longer):
        return {"crops_measured": 0}
    quantiles = {f"p{int(q * 100)}": int(longer.quantile(q, "nearest")) for q in (0.1, 0.5, 0.9)}
    return {"crops_measured": len(longer), "min": int(longer.min()), **quantiles, "max": int(longer.max()),
            "below_min_source_size": int((longer < params.min_source_size).sum()),
            "below_target_size": int(((longer >= params.min_source_size) & (longer < params.target_size)).sum()),
            "at_or_above_target_size": int((longer >= params.target_size).sum())}


def dataset_manifest(items: pl.DataFrame, decisions: pl.DataFrame, film: str, params: DatasetParams,
                     repeats: dict[str, int]) -> dict[str, Any]:
    identities = {}
    for (label,), group in items.group_by(["label"], maintain_order=True):
        identities[label] = {
            "identity": group["identity"][0], "trigger": group["trigger"][0], "count": group.height,
            "instances": group["instance_id"].n_unique(), "folder": f"kohya/{kohya_folder(label, repeats)}",
            "repeats": repeats[label],
            "crops": _counts(group, "crop"), "views": _counts(group, "view"),
            "pose_buckets": _counts(group, "pose_bucket"),
        }
    exported = items.select(pl.max_horizontal("width", "height").alias("side"))["side"] if items.height else None
    skipped = decisions.filter(pl.col("decision") == "skipped")
    return {
        "film": film, "items": items.height, "instances": items["instance_id"].n_unique() if items.height else 0,
        "target_size": params.target_size, "upscale": params.upscale, "min_source_size": params.min_source_size,
        "crops": list(params.crops), "repeats": params.repeats, "balance_repeats": params.balance_repeats,
        "max_repeats": params.max_repeats, "balanced_per_bucket": params.per_bucket,
        "dedup_distance": params.dedup_distance, "identities": identities,
        "source_sizes": size_distribution(decisions, params),
        "exported_longer_side": ({"min": int(exported.min()), "max": int(exported.max())}
                                 if exported is not None else {}),
        "exported": _counts(decisions.filter(pl.col("decision") == "exported"), "rule"),
        "skipped": _counts(skipped, "rule"),
        "skipped_instances": skipped.filter(pl.col("crop") == "*").height,
        "formats": {"kohya": "kohya/", "sd_scripts": "dataset_config.toml",
                    "parquet": f"{film}_dataset.parquet" if items.height else None, "coco": "coco_instances.json"},
    }


def identity_summary(items: pl.DataFrame) -> pl.DataFrame:
    """The asset's own table: one row per exported identity."""
    if items.height == 0:
        return pl.DataFrame(schema={"identity": pl.String, "label": pl.String, "trigger": pl.String,
                                    "items": pl.UInt32, "views": pl.String, "crops": pl.String})
    return (items.group_by(["identity", "label", "trigger"], maintain_order=True)
            .agg(pl.len().alias("items"), pl.col("view").alias("_views"), pl.col("crop").alias("_crops"))
            .with_columns(*(pl.col(f"_{c}").map_elements(
                lambda values: json.dumps({v: values.to_list().count(v) for v in sorted(set(values))}),
                return_dtype=pl.String).alias(c) for c in ("views", "crops")))
            .drop("_views", "_crops"))
