"""Effects read along time: flashes and lighting changes from every frame's grey level, colour casts from each
shot's mean colour, transformation moments from a character's appearance along its track. No Dagster."""

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import polars as pl

from assets.effects.params import EffectParams

Event = dict  # start_s, end_s, effect, intensity, confidence, measure, detail, frame_indices / instance ids


def light_events(signals: pl.DataFrame, fps: float, params: EffectParams) -> list[Event]:
    """Flashes (a surge of the mean grey level that falls back within ``flash_max_s``) and lighting changes (a
    lasting step between the second before and the second after), inside each shot: a cut is not an effect."""
    events: list[Event] = []
    if signals.height == 0:
        return events
    fps = fps if fps > 0 else 24.0
    window, back = max(3, int(round(fps))), max(1, int(round(params.flash_max_s * fps)))
    for (_,), shot in signals.sort("frame_index").group_by(["shot"], maintain_order=True):
        luma, times = shot["luma"].to_numpy().astype(np.float64), shot["timestamp_s"].to_numpy()
        frames = shot["frame_index"].to_numpy()
        flagged = np.zeros(len(luma), bool)
        for i in range(1, len(luma)):
            before = luma[max(0, i - window):i]
            rise = luma[i] - np.median(before)
            if rise < params.flash_rise:
                continue
            after = luma[i + 1:i + 1 + back]
            if after.size and after.min() - np.median(before) < rise / 2:
                flagged[i] = True
        for start, end in _runs(flagged):
            peak = float(max(luma[start:end + 1] - np.median(luma[max(0, start - window):start])))
            events.append(_event("flash", times[start], times[end], peak / 255.0,
                                 min(1.0, peak / (2 * params.flash_rise)), "luma_rise", f"+{peak:.0f} grey levels",
                                 frames[start:end + 1]))
        for i in range(window, len(luma) - window + 1, max(1, window // 2)):
            step = luma[i:i + window].mean() - luma[i - window:i].mean()
            if abs(step) >= params.lighting_step and not flagged[max(0, i - window):i + window].any():
                if events and events[-1]["effect"] == "lighting_change" and events[-1]["end_s"] >= times[i - 1]:
                    events[-1]["end_s"] = float(times[min(i + window, len(times)) - 1])
                    continue
                events.append(_event("lighting_change", times[i - 1], times[min(i + window, len(times)) - 1],
                                     abs(step) / 255.0, min(1.0, abs(step) / (2 * params.lighting_step)),
                                     "luma_step", f"{'brighter' if step > 0 else 'darker'} by {abs(step):.0f}",
                                     frames[i - 1:i + 1]))
    return events


HUES = ((0, "red / magenta glow"), (40, "warm orange"), (80, "yellow"), (120, "green"), (200, "cyan"),
        (240, "blue (night / underwater)"), (300, "violet"), (340, "red / magenta glow"))  # Lab hue angle, degrees


def colour_cast_events(signals: pl.DataFrame, params: EffectParams) -> list[Event]:
    """A shot whose mean colour sits far from grey (Lab chroma of the mean a*, b*): night blue, underwater green,
    magic glow. Intensity is the chroma over 50; confidence the share of the shot's frames over the threshold."""
    events: list[Event] = []
    if signals.height == 0:
        return events
    for (_,), shot in signals.sort("frame_index").group_by(["shot"], maintain_order=True):
        a, b = shot["lab_a"].to_numpy(), shot["lab_b"].to_numpy()
        chroma = np.hypot(a, b)
        if shot.height == 0 or shot["luma"].mean() < 15 or float(np.median(chroma)) < params.cast_chroma:
            continue  # near-black frames have no meaningful colour
        angle = float(np.degrees(np.arctan2(np.median(b), np.median(a))) % 360)
        name = next(label for limit, label in reversed(HUES) if angle >= limit)
        events.append(_event("colour_cast", shot["timestamp_s"].min(), shot["timestamp_s"].max(),
                             min(1.0, float(np.median(chroma)) / 50.0), float((chroma >= params.cast_chroma).mean()),
                             "mean_chroma", f"{name}, hue {angle:.0f} deg, chroma {np.median(chroma):.1f}",
                             shot["frame_index"].to_numpy()[[0, -1]]))
    return events


def appearance_histogram(rgba: np.ndarray) -> np.ndarray | None:
    """Hue-saturation histogram of a cut-out's covered pixels, normalised (None when nearly nothing is covered)."""
    if rgba is None or rgba.ndim != 3 or rgba.shape[2] < 4:
        return None
    covered = rgba[..., 3] > 127
    if covered.sum() < 64:
        return None
    hsv = cv2.cvtColor(np.ascontiguousarray(rgba[..., :3]), cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], covered.astype(np.uint8), [12, 4], [0, 180, 0, 256]).reshape(-1)
    return hist / max(hist.sum(), 1.0)


def transformation_events(points: pl.DataFrame, instances: pl.DataFrame, read_rgba: Callable[[str], np.ndarray | None],
                          params: EffectParams) -> list[Event]:
    """A tracked character whose colours change abruptly between consecutive key frames of its track (Hellinger
    distance of hue-saturation histograms of its cut-outs) while the track continues."""
    events: list[Event] = []
    if points.height == 0 or instances.height == 0:
        return events
    paths = dict(instances.select("instance_id", "path").iter_rows())
    for (track,), track_rows in points.sort("timestamp_s").group_by(["track_id"], maintain_order=True):
        previous = None
        for row in track_rows.iter_rows(named=True):
            path = paths.get(row["instance_id"])
            hist = appearance_histogram(read_rgba(path)) if path else None
            if hist is not None and previous is not None:
                distance = float(np.sqrt(max(0.0, 1.0 - np.sqrt(hist * previous[0]).sum())))
                if distance >= params.transformation_distance:
                    events.append(_event("transformation", previous[1]["timestamp_s"], row["timestamp_s"],
                                         distance, min(1.0, distance / (2 * params.transformation_distance) + 0.25),
                                         "appearance_jump", f"track {track}: colours changed (Hellinger "
                                         f"{distance:.2f})", [], [previous[1]["frame_id"], row["frame_id"]]))
            if hist is not None:
                previous = (hist, row)
    return events


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    runs, start = [], None
    for i, flag in enumerate(flags):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i - 1))
            start = None
    if start is not None:
        runs.append((start, len(flags) - 1))
    return runs


def _event(effect: str, start_s: float, end_s: float, intensity: float, confidence: float, measure: str,
           detail: str, frame_indices, frame_ids: list[str] | None = None) -> Event:
    return {"effect": effect, "start_s": round(float(start_s), 4), "end_s": round(float(end_s), 4),
            "intensity": round(float(intensity), 4), "confidence": round(float(confidence), 4), "measure": measure,
            "detail": detail, "frame_indices": [int(i) for i in frame_indices], "frame_ids": frame_ids or []}


def read_rgba(path: Path) -> np.ndarray | None:
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
