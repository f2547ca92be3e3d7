"""Merged cut-outs inside a track: where two characters cross, the segmentation can give one cut-out of both, and the
track of one runs through it. No Dagster.

Such a row is much larger than the track's rows on either side of it (the second character's body added to the
first's), and what the track saw before it and after it may be two different characters: the track's rows before it
follow one, the rows after it may follow the other (the linker keeps the nearer box). So for deciding a track's
identity the track is cut at each such row: the rows before it, the row itself and the rows after it vote and
inherit apart, and a merged row, showing two characters, neither passes its face on to its neighbours nor takes theirs.
"""

import numpy as np
import polars as pl


def cutout_areas(boxes: pl.DataFrame) -> np.ndarray:
    """Each row's cut-out area: its mask's pixels (``area``) where the table has them, else its box's area."""
    if "area" in boxes.columns:
        return boxes["area"].fill_null(0).to_numpy().astype(np.float64)
    return ((boxes["x1"] - boxes["x0"]) * (boxes["y1"] - boxes["y0"])).to_numpy().astype(np.float64)


def track_order(track_of: list[str], times: list[float]) -> dict[str, list[int]]:
    """track id -> its rows in time order (rows without a track are left out)."""
    members: dict[str, list[int]] = {}
    for row in sorted(range(len(track_of)), key=lambda r: (times[r], r)):
        if track_of[row]:
            members.setdefault(track_of[row], []).append(row)
    return members


def merged_rows(track_of: list[str], times: list[float], areas: np.ndarray, ratio: float) -> list[int]:
    """Rows whose cut-out is at least ``ratio`` times the area of each of its track's neighbours (the rows just
    before and after it in time; a row alone in its track has none and is never one)."""
    found = []
    for rows in track_order(track_of, times).values():
        for k, row in enumerate(rows):
            beside = [areas[rows[j]] for j in (k - 1, k + 1) if 0 <= j < len(rows)]
            if beside and areas[row] >= ratio * max(beside):
                found.append(row)
    return sorted(found)


def cut_at_merges(track_of: list[str], times: list[float], merged: list[int]) -> list[str]:
    """Track ids for deciding identities: each track cut at its ``merged`` rows into the rows before one, the merged
    row alone, and the rows after it (``<track>/<n>``, n counting the parts); the other tracks keep their ids."""
    out = list(track_of)
    cut = set(merged)
    for track, rows in track_order(track_of, times).items():
        if not cut.intersection(rows):
            continue
        part = 0
        for k, row in enumerate(rows):
            if row in cut or (k and rows[k - 1] in cut):
                part += 1 if k else 0
            out[row] = f"{track}/{part}"
    return out


def tracks_cut_at_merges(track_of: list[str], boxes: pl.DataFrame, ratio: float | None) -> tuple[list[str], int]:
    """``cut_at_merges`` of the rows ``merged_rows`` finds in ``boxes`` (aligned with ``track_of``: timestamp_s,
    area or x0..y1), and how many they are; ``track_of`` as it is when ``ratio`` is None."""
    if not ratio:
        return list(track_of), 0
    times = (boxes["timestamp_s"].fill_null(0.0).to_list() if "timestamp_s" in boxes.columns
             else [0.0] * len(track_of))
    merged = merged_rows(track_of, times, cutout_areas(boxes), ratio)
    return cut_at_merges(track_of, times, merged), len(merged)
