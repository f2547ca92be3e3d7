"""``instance_misses``: the kept frames the instances stage segmented that yielded no instance, each with the reason
(issue #13: a frame with no character gives a reason, never a silence). The reason is the segmenter's
(``cues.empty_reason``: resources/segmenter.py), or, where it found masks, that none survived the shot vote and the
edge refinement. No Dagster and no model import."""

from typing import Any

import polars as pl

MISSES_SCHEMA = {"frame_id": pl.String, "shot": pl.Int32, "timestamp_s": pl.Float64, "reason": pl.String}


def miss_row(frame: dict[str, Any], found: list[dict], cues: Any) -> dict[str, Any]:
    """The ``instance_misses`` row of a frame that gave no instance from ``found`` (the segmenter's instances)."""
    if found:
        many = "s" * (len(found) > 1)
        reason = f"{len(found)} mask{many} found but none kept after the shot vote and edge refinement"
    elif cues is None:
        reason = "no mask carried by flow from the shot's last segmented key frame"
    else:
        reason = getattr(cues, "empty_reason", None) or "the segmenter found no instance and gave no reason"
    return {"frame_id": frame["frame_id"], "shot": frame.get("shot"), "timestamp_s": frame.get("timestamp_s"),
            "reason": reason}


def misses_table(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """``instance_misses`` in frame order (one process or many make the same table)."""
    return pl.DataFrame(rows, schema=MISSES_SCHEMA).sort("frame_id")
