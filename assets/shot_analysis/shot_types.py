"""Shot type (framing) per key frame and per shot, from the size of faces and characters in the frame.

Heuristics, with their thresholds in ``ShotAnalysisParams`` (fractions of the frame height):
- a face at least ``extreme_close_up_face`` tall: extreme close-up; at least ``close_up_face``: close-up;
- no face that large, but a character box covering ``close_up_area`` of the frame: close-up (a faceless or
  undetected face filling the picture);
- a character at least ``full_height`` tall and not cut at the bottom: full (its whole body is in frame, whatever
  its face measures: cartoon heads are large);
- a character box cut by the bottom edge and at least ``medium_height`` tall, or a face of ``medium_face``: medium;
- smaller characters, or none: wide (establishing when there is no character at all).
"""

import numpy as np
import polars as pl

from assets.shot_analysis.params import ShotAnalysisParams

SHOT_TYPES = ("extreme_close_up", "close_up", "medium", "full", "wide")


def frame_shot_type(face_heights: list[float], boxes: list[tuple[float, float, float, float]],
                    params: ShotAnalysisParams = ShotAnalysisParams()) -> str:
    """Shot type of one frame; face heights and boxes (x0, y0, x1, y1) are fractions of the frame size."""
    face = max(face_heights, default=0.0)
    if face >= params.extreme_close_up_face:
        return "extreme_close_up"
    if face >= params.close_up_face:
        return "close_up"
    if not boxes:
        return "wide"
    area = max((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in boxes)
    if area >= params.close_up_area and face == 0.0:
        return "close_up"
    tallest = max(boxes, key=lambda b: b[3] - b[1])
    height, cut = tallest[3] - tallest[1], tallest[3] >= 1.0 - params.bottom_margin
    if not cut and height >= params.full_height:
        return "full"  # the whole body in frame, however large the head (cartoon proportions)
    if face >= params.medium_face or (cut and height >= params.medium_height):
        return "medium"
    return "full" if height >= params.full_height else "wide"


def key_frame_shot_types(frames: pl.DataFrame, instances: pl.DataFrame | None, faces: pl.DataFrame | None,
                         params: ShotAnalysisParams = ShotAnalysisParams()) -> pl.DataFrame:
    """shot, frame_id, timestamp_s, shot_type for every kept key frame."""
    kept = frames.filter(pl.col("kept")) if frames.height else frames
    boxes: dict[str, list[tuple[float, ...]]] = {}
    if instances is not None and instances.height:
        chars = instances.filter(pl.col("kept")) if "kept" in instances.columns else instances
        for row in chars.iter_rows(named=True):
            boxes.setdefault(row["frame_id"], []).append((row["x0"], row["y0"], row["x1"], row["y1"]))
    face_heights: dict[str, list[float]] = {}
    if faces is not None and faces.height:
        for frame_id, y0, y1 in faces.select("frame_id", "fy0", "fy1").iter_rows():
            face_heights.setdefault(frame_id, []).append(float(y1 - y0))
    rows = []
    for row in kept.iter_rows(named=True):
        width, height = float(row["width"] or 1), float(row["height"] or 1)
        frame_boxes = [(x0 / width, y0 / height, x1 / width, y1 / height)
                       for x0, y0, x1, y1 in boxes.get(row["frame_id"], [])]
        heights = [h / height for h in face_heights.get(row["frame_id"], [])]
        rows.append({"shot": row["shot"], "frame_id": row["frame_id"], "timestamp_s": row["timestamp_s"],
                     "shot_type": frame_shot_type(heights, frame_boxes, params),
                     "characters": len(frame_boxes)})
    return pl.DataFrame(rows, schema={"shot": pl.Int32, "frame_id": pl.String, "timestamp_s": pl.Float64,
                                      "shot_type": pl.String, "characters": pl.Int32})


def shot_type_summary(per_frame: pl.DataFrame, shot: int) -> tuple[str | None, dict[str, float], int]:
    """The dominant type of one shot, the share of each type over its key frames, and its most characters seen.
    Ties go to the tighter framing (the shot is about what it shows closest)."""
    rows = per_frame.filter(pl.col("shot") == shot)
    if rows.height == 0:
        return None, {}, 0
    counts = {t: int((rows["shot_type"] == t).sum()) for t in SHOT_TYPES}
    shares = {t: round(c / rows.height, 3) for t, c in counts.items() if c}
    dominant = max(SHOT_TYPES, key=lambda t: (counts[t], -SHOT_TYPES.index(t)))
    return dominant, shares, int(np.max(rows["characters"].to_numpy()))
