"""A character crossing its shot is turned toward where it goes. Pure polars / numpy.

A drawn face's yaw says little of its turn: AnimeFace's eye, nose and mouth boxes give Kenney's walking characters
(a three-quarter turn) the same |yaw| as their front pose (medians 6.9 and 8.9 degrees on the 13 tune films), and
its sign does not follow the way they walk (bench/kenney_views.py, session 45). Where it goes does: a character
drawn walking across the frame is drawn turned toward its way, three-quarter or profile, never square to the camera
(a walk toward the camera grows, it does not cross). Three-quarter, the neighbour of both front and profile, is
then the least wrong view to say.
"""

import numpy as np
import polars as pl

NEEDED = ("instance_id", "identity", "shot", "timestamp_s", "frame_id", "x0", "x1", "y0", "y1")


def crossing_speeds(rows: pl.DataFrame) -> dict[str, float]:
    """instance_id -> its identity's horizontal speed across the shot, in the identity's median cut-out heights a
    second (the least-squares slope of the boxes' centres over their times). Left out where the identity shows in
    one instant only, or twice in one key frame (two characters under one identity: the slope would be theirs
    together), and for a table without shots or times."""
    if rows.height == 0 or any(c not in rows.columns for c in NEEDED):
        return {}
    speeds = {}
    for _, group in rows.filter(pl.col("shot").is_not_null() & pl.col("timestamp_s").is_not_null()).group_by(
            ["identity", "shot"]):
        times = group["timestamp_s"].cast(pl.Float64).to_numpy()
        if group["frame_id"].n_unique() < group.height or np.ptp(times) <= 0:
            continue
        centres = ((group["x0"] + group["x1"]) / 2).cast(pl.Float64).to_numpy()
        height = float(np.median((group["y1"] - group["y0"]).cast(pl.Float64).to_numpy()))
        if height <= 0:
            continue
        slope = float(np.polyfit(times, centres, 1)[0]) / height
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
