"""Character tracks through the key frames of a shot, and their velocities in the frame and against the
background. No Dagster.

Tracks come from ``instance_identities.track_id`` when the identity stage provides one; otherwise instances are
linked here, shot by shot, greedily by box overlap (or, for fast characters, a short jump between boxes of\nsimilar size) between consecutive key frames; known different identities never link.
The background's image motion between two key frames is the sum of shot_analysis' per-frame similarity fits
(``frame_signals``), evaluated at the character's centre, so a character the camera follows moves in the world
while standing still in the frame.
"""

import numpy as np
import polars as pl

from resources.review_state import NOISE

POINT_SCHEMA = {"track_id": pl.String, "instance_id": pl.String, "frame_id": pl.String, "shot": pl.Int32,
                "identity": pl.String, "timestamp_s": pl.Float64, "frame_index": pl.Int64, "cx": pl.Float64,
                "cy": pl.Float64, "box_height": pl.Float64, "vx": pl.Float64, "vy": pl.Float64,
                "rel_vx": pl.Float64, "rel_vy": pl.Float64}


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def link_score(a: tuple[float, ...], b: tuple[float, ...], min_iou: float, max_jump: float) -> float:
    """How well box ``b`` continues box ``a``: their overlap when at least ``min_iou``; otherwise, for boxes of
    similar height whose centres are at most ``max_jump`` body heights apart (a fast character between sparse key
    frames), a score below ``min_iou`` that falls with the distance; 0 when neither holds."""
    overlap = iou(a, b)
    if overlap >= min_iou:
        return overlap
    height_a, height_b = a[3] - a[1], b[3] - b[1]
    if min(height_a, height_b) <= 0 or not 0.7 <= height_a / height_b <= 1.0 / 0.7:
        return 0.0
    jump = np.hypot((a[0] + a[2] - b[0] - b[2]) / 2, (a[1] + a[3] - b[1] - b[3]) / 2) / max(height_a, height_b)
    return min_iou * 0.99 * (1.0 - jump / max_jump) if jump < max_jump else 0.0


def link_tracks(rows: pl.DataFrame, min_iou: float = 0.2, max_jump: float = 1.5) -> list[str]:
    """A track id per row of ``rows`` (instance_id, shot, timestamp_s, x0..y1, identity), linking each key frame's
    instances to the previous key frame's tracks (``link_score``), best pairs first; a different known identity
    never links."""
    track_of: dict[int, str] = {}
    counter: dict[int, int] = {}
    for (shot,), group in rows.with_row_index("_row").group_by(["shot"], maintain_order=True):
        previous: list[tuple[int, tuple, str | None]] = []
        for _, frame in group.sort("timestamp_s").group_by(["timestamp_s"], maintain_order=True):
            current = [(r["_row"], (r["x0"], r["y0"], r["x1"], r["y1"]), r["identity"])
                       for r in frame.iter_rows(named=True)]
            pairs = sorted(((link_score(pbox, box, min_iou, max_jump), i, j) for i, (_, box, ident) in enumerate(current)
                            for j, (_, pbox, pident) in enumerate(previous)
                            if not (ident and pident and ident != pident)), reverse=True)
            taken_current, taken_previous = set(), set()
            for score, i, j in pairs:
                if score <= 0 or i in taken_current or j in taken_previous:
                    continue
                track_of[current[i][0]] = track_of[previous[j][0]]
                taken_current.add(i)
                taken_previous.add(j)
            for i, (row, _, _) in enumerate(current):
                if i not in taken_current:
                    counter[shot] = counter.get(shot, 0) + 1
                    track_of[row] = f"s{shot:04d}t{counter[shot]:02d}"
            previous = current
    return [track_of[i] for i in range(rows.height)]


def background_displacement(signals: pl.DataFrame, frame_from: int, frame_to: int, point: tuple[float, float],
                            size: tuple[float, float]) -> tuple[float, float] | None:
    """Where the background at ``point`` (frame px) moved between two frames of one shot, in px; None when the
    motion of most of those frame pairs is unknown."""
    span = signals.filter((pl.col("frame_index") > frame_from) & (pl.col("frame_index") <= frame_to))
    if span.height == 0 or span["dx"].null_count() > span.height / 2:
        return None
    width, height = size
    dx, dy = float(span["dx"].fill_null(0).sum()) * width, float(span["dy"].fill_null(0).sum()) * width
    scale = float(np.exp(span["log_scale"].fill_null(0).sum()))
    offset = np.array(point) - np.array([width / 2.0, height / 2.0])
    zoom = (scale - 1.0) * offset
    return dx + zoom[0], dy + zoom[1]


def track_points(instances: pl.DataFrame, frames: pl.DataFrame, identities: pl.DataFrame | None,
                 signals: pl.DataFrame | None, link_iou: float = 0.2) -> pl.DataFrame:
    """One row per kept instance: its track, centre, box height and velocities (px per second) in the frame
    (``vx, vy``) and against the background (``rel_vx, rel_vy``), both from the previous point of its track."""
    chars = instances.filter(pl.col("kept")) if "kept" in instances.columns else instances
    if chars.height == 0:
        return pl.DataFrame(schema=POINT_SCHEMA)
    rows = chars.join(frames.select("frame_id", "frame_index", "width", "height"), on="frame_id", how="inner")
    if identities is not None and identities.height:
        columns = ["instance_id", "identity"] + (["track_id"] if "track_id" in identities.columns else [])
        rows = rows.join(identities.select(columns).with_columns(pl.col("identity").cast(pl.String)),
                         on="instance_id", how="left")
    if "identity" not in rows.columns:
        rows = rows.with_columns(pl.lit(None, pl.String).alias("identity"))
    # instances no identity claimed are unknown, not one shared character
    rows = rows.with_columns(pl.when(pl.col("identity") == NOISE).then(None).otherwise(pl.col("identity"))
                             .alias("identity"))
    if "track_id" not in rows.columns:
        rows = rows.with_columns(pl.lit(None, pl.String).alias("track_id"))
    # the identity stage's tracks where it made them ("" or null where it did not); the rest are linked here
    rows = rows.with_columns(pl.when(pl.col("track_id") == "").then(None).otherwise(pl.col("track_id"))
                             .alias("track_id"))
    untracked = rows["track_id"].is_null()
    if untracked.any():
        linked = iter(link_tracks(rows.filter(untracked), link_iou))
        rows = rows.with_columns(pl.Series("track_id", [next(linked) if missing else given for given, missing
                                                         in zip(rows["track_id"], untracked)], pl.String))
    rows = rows.with_columns(((pl.col("x0") + pl.col("x1")) / 2).alias("cx"), ((pl.col("y0") + pl.col("y1")) / 2)
                             .alias("cy"), (pl.col("y1") - pl.col("y0")).cast(pl.Float64).alias("box_height"))
    out = []
    for (_,), track in rows.sort("timestamp_s").group_by(["track_id"], maintain_order=True):
        previous = None
        for row in track.iter_rows(named=True):
            velocity = (None, None, None, None)
            if previous is not None and row["timestamp_s"] > previous["timestamp_s"]:
                dt = row["timestamp_s"] - previous["timestamp_s"]
                vx, vy = (row["cx"] - previous["cx"]) / dt, (row["cy"] - previous["cy"]) / dt
                moved = background_displacement(signals, previous["frame_index"], row["frame_index"],
                                                 (previous["cx"], previous["cy"]), (row["width"], row["height"])) \
                    if signals is not None and signals.height else None
                velocity = (vx, vy, *((vx - moved[0] / dt, vy - moved[1] / dt) if moved else (None, None)))
            out.append({"track_id": row["track_id"], "instance_id": row["instance_id"], "frame_id": row["frame_id"],
                        "shot": row["shot"], "identity": row["identity"], "timestamp_s": row["timestamp_s"],
                        "frame_index": row["frame_index"], "cx": row["cx"], "cy": row["cy"],
                        "box_height": row["box_height"], "vx": velocity[0], "vy": velocity[1],
                        "rel_vx": velocity[2], "rel_vy": velocity[3]})
            previous = row
    return pl.DataFrame(out, schema=POINT_SCHEMA)
