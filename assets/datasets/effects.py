"""What `character_datasets` does with the visual effects on an instance's frame (the `effects` stage's
``frame_effects``: each key frame's effect tags and whether an obscuring one is heavy). Polars only.

``effects`` setting: ``keep`` ignores them; ``tag`` (default) adds the frame's effects to the item's caption and
metadata; ``drop_heavy`` also leaves out instances on a heavy-effect frame (snow, flash, blur ... strong enough to
hide the character). Every instance whose frame has effects gets a decision row saying what was done and why.
"""

import polars as pl

from assets.datasets.params import EFFECT_MODES
from assets.datasets.selection import instance_decisions

# how an effect reads in a caption (trainers learn the tag; at generation time it can be left out or asked for)
EFFECT_PHRASES = {"flash": "flash", "lighting_change": "changing light", "colour_cast": "colour cast",
                  "snow": "snow", "rain": "rain", "sparkles": "sparkles", "fire": "fire", "lens_flare": "lens flare",
                  "bloom": "bloom", "depth_of_field": "depth of field", "motion_blur": "motion blur",
                  "transformation": "transformation"}


def apply_frame_effects(candidates: pl.DataFrame, frame_effects: pl.DataFrame | None,
                        mode: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(candidates with an ``effects`` column, comma-joined tags or null, and their captions tagged; decisions)
    under ``mode``. Without ``frame_effects`` (the effects stage not run) nothing changes and nothing is decided."""
    if mode not in EFFECT_MODES:
        raise ValueError(f"datasets: effects must be one of {EFFECT_MODES}, not {mode!r}")
    if frame_effects is None or frame_effects.height == 0 or mode == "keep" or "frame_id" not in candidates.columns:
        return candidates.with_columns(pl.lit(None, pl.String).alias("effects")), instance_decisions(pl.DataFrame())
    tags = frame_effects.select(
        "frame_id", pl.col("effects").list.eval(pl.element().replace(EFFECT_PHRASES)).list.join(", ")
        .alias("_tags"), pl.col("heavy").alias("_heavy"), pl.col("max_intensity").alias("_intensity"),
        pl.col("effects").list.join(", ").alias("_names"))
    table = candidates.join(tags, on="frame_id", how="left").with_columns(
        pl.when(pl.col("_tags") != "").then(pl.col("_tags")).alias("effects"),
        pl.col("_heavy").fill_null(False))
    drop = pl.col("_heavy") if mode == "drop_heavy" else pl.lit(False)
    dropped = table.filter(drop).with_columns(
        pl.lit("heavy_effect").alias("rule"),
        pl.format("frame {} has heavy effects ({}; strongest obscuring intensity {}): effects: drop_heavy",
                  pl.col("frame_id"), pl.col("_names"), pl.col("_intensity").round(2)).alias("reason"))
    tagged = table.filter(~drop & pl.col("effects").is_not_null()).with_columns(
        pl.lit("effect_tags").alias("rule"),
        pl.format("frame {} shows {}{}: tagged in caption and metadata", pl.col("frame_id"), pl.col("_names"),
                  pl.when(pl.col("_heavy")).then(pl.lit(" (heavy)")).otherwise(pl.lit(""))).alias("reason"))
    decisions = pl.concat([instance_decisions(dropped),
                           instance_decisions(tagged).with_columns(pl.lit("tagged").alias("decision"))])
    kept = table.filter(~drop).with_columns(
        pl.when(pl.col("effects").is_not_null()).then(pl.format("{}, {}", pl.col("caption"), pl.col("effects")))
        .otherwise(pl.col("caption")).alias("caption"),
        # a BPE token holds at least one character: the tags add at most their length (item_caption re-fits to CLIP)
        *([(pl.col("clip_tokens") + pl.col("effects").str.len_chars().fill_null(0) + 1).cast(pl.Int32)
           .alias("clip_tokens")] if "clip_tokens" in table.columns else []))
    return kept.drop("_tags", "_heavy", "_intensity", "_names"), decisions
