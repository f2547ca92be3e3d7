"""Effects on real footage against labels made by eye (bench/data/sintel_trailer_effects.csv), for bench/temporal.py.

Each label is a time range, an effect and whether it is there. The `effects` stage's own function (``catalogue``) runs
on the film's ``frame_signals`` (from ``shot_analysis``) and on a frame every ``every`` frames standing in for key
frames (denser than the frames stage keeps, so each range is seen several times); a range counts as detected when an
event of its effect overlaps it. The Sintel trailer's labels are the tuning set the thresholds were set on; the Big
Buck Bunny labels were made before any detector was run on it and are held out. Depth of field and transformations
need characters' boxes and tracks and are not scored here (synthetic insertions measure them).
"""

import csv
from pathlib import Path

import cv2
import numpy as np
import polars as pl

from assets.effects.core import catalogue
from assets.effects.measures import working_copy
from assets.effects.params import EffectParams

LABELS = Path(__file__).resolve().parent / "data" / "sintel_trailer_effects.csv"
SPLITS = {"sintel": "tuning", "big_buck_bunny": "held_out"}
SHEETS = {"sintel": "effects_sintel_trailer.png", "big_buck_bunny": "effects_big_buck_bunny.png"}


def read_labels(path: Path = LABELS) -> list[dict]:
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["start_s"], row["end_s"] = float(row["start_s"]), float(row["end_s"])
        if row["present"] not in ("yes", "no"):
            raise ValueError(f"{path}: present must be yes or no, not {row['present']!r} ({row})")
        row["present"] = row["present"] == "yes"
    return rows


def sampled_frames(video: Path, shots: pl.DataFrame, every: int) -> tuple[pl.DataFrame, dict[str, np.ndarray]]:
    """A frames table (kept, shot, timestamp, path = its id) of every ``every``-th decoded frame, and the pictures
    (at most 640 px wide, as the detectors measure them)."""
    import av

    starts = shots.sort("start_frame")["start_frame"].to_numpy()
    numbers = shots.sort("start_frame")["shot"].to_numpy()
    rows, pictures = [], {}
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for index, frame in enumerate(container.decode(stream)):
            if index % every:
                continue
            frame_id = f"f{index:06d}"
            pictures[frame_id] = working_copy(frame.to_ndarray(format="bgr24"))[0]
            shot = int(numbers[max(0, np.searchsorted(starts, index, side="right") - 1)])
            rows.append({"frame_id": frame_id, "shot": shot, "timestamp_s": float(frame.pts * stream.time_base),
                         "path": frame_id, "kept": True})
    return pl.DataFrame(rows), pictures


def score(labels: list[dict], events: pl.DataFrame) -> dict:
    """Per effect: positives, negatives, true / false positives, precision and recall over the labelled ranges."""
    out: dict[str, dict] = {}
    for label in labels:
        hits = events.filter((pl.col("effect") == label["effect"]) & (pl.col("start_s") <= label["end_s"])
                             & (pl.col("end_s") >= label["start_s"]))
        counts = out.setdefault(label["effect"], {"positives": 0, "negatives": 0, "tp": 0, "fp": 0, "fn": 0})
        counts["positives" if label["present"] else "negatives"] += 1
        if hits.height and label["present"]:
            counts["tp"] += 1
        elif hits.height:
            counts["fp"] += 1
        elif label["present"]:
            counts["fn"] += 1
    for counts in out.values():
        found, real = counts["tp"] + counts["fp"], counts["tp"] + counts["fn"]
        counts["precision"] = round(counts["tp"] / found, 3) if found else None
        counts["recall"] = round(counts["tp"] / real, 3) if real else None
    return dict(sorted(out.items()))


def pooled(per_effect: dict) -> dict:
    tp, fp, fn = (sum(v[k] for v in per_effect.values()) for k in ("tp", "fp", "fn"))
    return {"ranges": sum(v["positives"] + v["negatives"] for v in per_effect.values()), "tp": tp, "fp": fp,
            "fn": fn, "precision": round(tp / (tp + fp), 3) if tp + fp else None,
            "recall": round(tp / (tp + fn), 3) if tp + fn else None}


def film_effects(video: Path, shots: pl.DataFrame, signals: pl.DataFrame, every: int,
                 params: EffectParams) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, np.ndarray]]:
    frames, pictures = sampled_frames(video, shots, every)
    span = float(signals["timestamp_s"].max() - signals["timestamp_s"].min()) if signals.height > 1 else 0.0
    fps = (signals.height - 1) / span if span > 0 else 24.0
    out = catalogue(frames, signals, fps, None, None, pictures.get, lambda _: None, params)
    return out.effects, frames, pictures


def contact_sheet(labels: list[dict], events: pl.DataFrame, frames: pl.DataFrame,
                  pictures: dict[str, np.ndarray], tile_width: int = 240, columns: int = 4) -> np.ndarray | None:
    """One tile per labelled range that is present or detected: its middle sampled frame, the label (green when
    the detector agrees, red when not) and what was detected there."""
    tiles = []
    for label in labels:
        hits = events.filter((pl.col("effect") == label["effect"]) & (pl.col("start_s") <= label["end_s"])
                             & (pl.col("end_s") >= label["start_s"]))
        if not (label["present"] or hits.height):
            continue
        middle = (label["start_s"] + label["end_s"]) / 2
        nearest = frames.with_columns((pl.col("timestamp_s") - middle).abs().alias("_d")).sort("_d")
        picture = pictures[nearest["frame_id"][0]]
        tile = cv2.resize(picture, (tile_width, round(picture.shape[0] * tile_width / picture.shape[1])),
                          interpolation=cv2.INTER_AREA)
        cell = np.full((tile.shape[0] + 34, tile_width, 3), 255, np.uint8)
        cell[:tile.shape[0]] = tile
        agree = bool(hits.height) == label["present"]
        colour = (0, 140, 0) if agree else (0, 0, 200)
        said = f"{label['effect']} {'yes' if label['present'] else 'no'} {label['start_s']:.1f}-{label['end_s']:.1f}s"
        found = f"found: {'yes' if hits.height else 'no'}" + (f" ({hits['measure'][0]})" if hits.height else "")
        for line, text in enumerate((said, found)):
            cv2.putText(cell, text[:38], (3, tile.shape[0] + 13 + 15 * line), cv2.FONT_HERSHEY_SIMPLEX, 0.38,
                        colour, 1, cv2.LINE_AA)
        tiles.append(cell)
    if not tiles:
        return None
    height = max(t.shape[0] for t in tiles)
    tiles = [np.vstack([t, np.full((height - t.shape[0], tile_width, 3), 255, np.uint8)]) for t in tiles]
    tiles += [np.full_like(tiles[0], 255)] * (-len(tiles) % columns)
    return np.vstack([np.hstack(tiles[i:i + columns]) for i in range(0, len(tiles), columns)])
