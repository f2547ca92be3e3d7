"""Timeline pictures for asset metadata: coloured spans in named lanes along the film's time, with a legend."""

import cv2
import numpy as np
import polars as pl

Colour = tuple[int, int, int]
SHOT_TYPE_COLOURS: dict[str | None, Colour] = {
    "extreme_close_up": (40, 40, 200), "close_up": (60, 140, 240), "medium": (80, 200, 120),
    "full": (200, 160, 60), "wide": (160, 80, 80), None: (128, 128, 128)}
CAMERA_COLOURS: dict[str | None, Colour] = {
    "static": (200, 200, 200), "pan_left": (240, 120, 40), "pan_right": (240, 170, 90), "tilt_up": (60, 200, 60),
    "tilt_down": (120, 230, 120), "zoom_in": (40, 40, 220), "zoom_out": (110, 110, 240), "handheld": (200, 60, 200),
    "complex": (40, 200, 220), None: (90, 90, 90)}


def draw_timeline(lanes: list[tuple[str, list[tuple[float, float, Colour]]]], total_s: float,
                  legend: dict[str, Colour], width: int = 960) -> np.ndarray:
    """One lane per (name, spans); a span is (start_s, end_s, BGR colour). Returns a BGR image."""
    lane_h, label_w = 22, 110
    rows_of_legend = 1 + sum(24 + 7 * len(name) for name in legend) // max(width, 1)
    image = np.full((lane_h * len(lanes) + 28 + 18 * rows_of_legend, width + label_w, 3), 255, np.uint8)
    total_s = total_s if total_s > 0 else 1.0
    for lane, (name, spans) in enumerate(lanes):
        top = lane * lane_h
        cv2.putText(image, name[:16], (4, top + 15), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
        cv2.line(image, (label_w, top + lane_h // 2), (label_w + width, top + lane_h // 2), (230, 230, 230), 1)
        for start, end, colour in spans:
            x0 = label_w + int(start / total_s * width)
            x1 = label_w + max(int(end / total_s * width), x0 + 2)
            cv2.rectangle(image, (x0, top + 3), (x1 - 1, top + lane_h - 3), colour, -1)
    x, y = 4, lane_h * len(lanes) + 16
    for name, colour in legend.items():
        if x + 24 + 7 * len(name) > width + label_w:
            x, y = 4, y + 18
        cv2.rectangle(image, (x, y - 9), (x + 10, y + 1), colour, -1)
        cv2.putText(image, name, (x + 14, y), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 0), 1, cv2.LINE_AA)
        x += 24 + 7 * len(name)
    cv2.putText(image, f"0 .. {total_s:.1f} s", (4, image.shape[0] - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.35,
                (0, 0, 0), 1, cv2.LINE_AA)
    return image


def structure_timeline(table: pl.DataFrame, width: int = 960) -> np.ndarray | None:
    """Shot type, camera motion, scenes and sequences of a ``shot_analysis`` table along time."""
    timed = table.drop_nulls(["start_s", "end_s"]) if table.height else table
    if timed.height == 0:
        return None
    rows = list(timed.iter_rows(named=True))
    lanes = [
        ("shot type", [(r["start_s"], r["end_s"], SHOT_TYPE_COLOURS.get(r["shot_type"], (128, 128, 128)))
                       for r in rows]),
        ("camera", [(r["start_s"], r["end_s"], CAMERA_COLOURS.get(r["camera_motion"], (90, 90, 90))) for r in rows]),
        ("scene", [(r["start_s"], r["end_s"], (70, 70, 70) if r["scene"] % 2 else (170, 170, 170)) for r in rows]),
        ("sequence", [(r["start_s"], r["end_s"], (90, 60, 30) if r["sequence"] % 2 else (200, 150, 90))
                      for r in rows]),
    ]
    legend = {**{k: v for k, v in SHOT_TYPE_COLOURS.items() if k}, **{k: v for k, v in CAMERA_COLOURS.items() if k}}
    return draw_timeline(lanes, float(timed["end_s"].max()), legend, width)


EFFECT_COLOURS: dict[str, Colour] = {
    "flash": (0, 220, 255), "lighting_change": (0, 160, 200), "colour_cast": (200, 120, 0), "snow": (230, 230, 200),
    "rain": (200, 150, 60), "sparkles": (220, 80, 220), "fire": (0, 80, 240), "lens_flare": (80, 220, 250),
    "depth_of_field": (120, 180, 60), "motion_blur": (150, 150, 150), "transformation": (180, 60, 160)}


def effects_timeline(events: pl.DataFrame, total_s: float, width: int = 960) -> np.ndarray | None:
    """One lane per effect found, its events along time (an instant event still shows as a thin mark)."""
    if events.height == 0:
        return None
    lanes = []
    for effect, colour in EFFECT_COLOURS.items():
        rows = events.filter(pl.col("effect") == effect)
        if rows.height:
            lanes.append((effect, [(s, max(e, s + total_s / width), colour)
                                   for s, e in rows.select("start_s", "end_s").iter_rows()]))
    legend = {name: EFFECT_COLOURS[name] for name, _ in lanes}
    return draw_timeline(lanes, total_s, legend, width)


MOVEMENT_COLOURS: dict[str, Colour] = {"still": (180, 180, 180), "gesturing": (200, 120, 200), "sitting": (120, 160, 80),
                                       "walking": (60, 180, 60), "running": (40, 140, 240), "jumping": (40, 40, 220)}


def motion_timeline(tracks: pl.DataFrame, total_s: float, width: int = 960) -> np.ndarray | None:
    """One lane per movement label, each track a span from its first to its last key frame."""
    labelled = tracks.drop_nulls("movement") if tracks.height else tracks
    if labelled.height == 0 or total_s <= 0:
        return None
    lanes = [(label, [(s, max(e, s + total_s / width), colour) for s, e in
                      labelled.filter(pl.col("movement") == label).select("start_s", "end_s").iter_rows()])
             for label, colour in MOVEMENT_COLOURS.items()]
    return draw_timeline([lane for lane in lanes if lane[1]], total_s, MOVEMENT_COLOURS, width)
