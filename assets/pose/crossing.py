"""A character crossing its shot is turned toward where it goes. Pure polars / numpy.

A drawn face's yaw says little of its turn: AnimeFace's eye, nose and mouth boxes give Kenney's walking characters
(a three-quarter turn) the same |yaw| as their front pose (medians 6.9 and 8.9 degrees on the 13 tune films), and
its sign does not follow the way they walk (bench/kenney_views.py, session 45). Where it goes does: a character
drawn walking across the frame is drawn turned toward its way, three-quarter or profile, never square to the camera
(a walk toward the camera grows, it does not cross). Three-quarter, the neighbour of both front and profile, is
then the least wrong view to say.

The speed is read from the character's own track (session 53): a key frame where its identity holds a second
cut-out (a piece of it cut apart, a stray cut-out given its identity) is left out when such key frames are the
fewer, and a character the frame's side edge cuts is followed by its inner edge, since a cut box's centre moves at
half the character's speed while it walks in or out of the frame.
"""

import numpy as np
import polars as pl

NEEDED = ("instance_id", "identity", "shot", "timestamp_s", "frame_id", "x0", "x1", "y0", "y1")
# key frames holding one cut-out of the identity are its track when they are more than half of its key frames:
# two characters under one identity show together in most of them, a stray piece in a few
MIN_TRACK_SHARE = 0.5


def own_track(group: pl.DataFrame) -> pl.DataFrame | None:
    """The rows of one identity in one shot that trace one character: those of the key frames holding only one of
    its cut-outs, when they are more than ``MIN_TRACK_SHARE`` of its key frames and span two instants; else None."""
    per_frame = group.group_by("frame_id").len()
    single = per_frame.filter(pl.col("len") == 1)["frame_id"]
    if single.len() <= MIN_TRACK_SHARE * per_frame.height:
        return None
    track = group.filter(pl.col("frame_id").is_in(single.implode()))
    return track if np.ptp(track["timestamp_s"].cast(pl.Float64).to_numpy()) > 0 else None


def track_positions(track: pl.DataFrame) -> np.ndarray:
    """Where the character stands in each row of its track: its box's inner edge (the right edge of every box where
    the frame's left edge cuts some of them, the left edge where the right one does: ``frame_edges``), since a
    cut box's centre moves at half the character's speed; else, or where both side edges cut, the box's centre."""
    x0, x1 = (track[c].cast(pl.Float64).to_numpy() for c in ("x0", "x1"))
    edges = [set((e or "").split(",")) for e in track["frame_edges"]] if "frame_edges" in track.columns else []
    left, right = any("left" in e for e in edges), any("right" in e for e in edges)
    if left != right:
        return x1 if left else x0
    return (x0 + x1) / 2


def crossing_speeds(rows: pl.DataFrame) -> dict[str, float]:
    """instance_id -> its identity's horizontal speed across the shot, in the identity's median cut-out heights a
    second (the least-squares slope of its track's positions over their times: ``own_track``, ``track_positions``).
    Left out where the identity has no track (it shows in one instant only, or twice in half its key frames or
    more: two characters under one identity), and for a table without shots or times."""
    if rows.height == 0 or any(c not in rows.columns for c in NEEDED):
        return {}
    speeds = {}
    for _, group in rows.filter(pl.col("shot").is_not_null() & pl.col("timestamp_s").is_not_null()).group_by(
            ["identity", "shot"]):
        track = own_track(group)
        if track is None:
            continue
        height = float(np.median((track["y1"] - track["y0"]).cast(pl.Float64).to_numpy()))
        if height <= 0:
            continue
        times = track["timestamp_s"].cast(pl.Float64).to_numpy()
        slope = float(np.polyfit(times, track_positions(track), 1)[0]) / height
        speeds.update({instance: slope for instance in group["instance_id"]})
    return speeds


def turned_view(view: str, source: str, speed: float | None, min_speed: float) -> tuple[str, str]:
    """(view, source): a front or unknown view of a character crossing its shot at ``min_speed`` heights a second
    or more becomes three_quarter (source ``<source>+crossing``, ``crossing`` for an unknown one); ``min_speed``
    0 turns it off."""
    if min_speed <= 0 or speed is None or not np.isfinite(speed) or abs(speed) < min_speed:
        return view, source
    if view == "front":
        return "three_quarter", f"{source}+crossing"
    if view == "unknown":
        return "three_quarter", "crossing"
    return view, source
