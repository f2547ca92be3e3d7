"""Effects read along time: flashes and lighting changes from every frame's grey level, colour casts from each
shot's mean colour, transformation moments from a character's appearance along its track. No Dagster."""

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import polars as pl

from assets.effects.params import EffectParams
from resources.image_codec import read_image

Event = dict  # start_s, end_s, effect, intensity, confidence, measure, detail, frame_indices / instance ids


def light_events(signals: pl.DataFrame, fps: float, params: EffectParams) -> list[Event]:
    """Flashes (a surge of the mean grey level that falls back within ``flash_max_s``) and lighting changes (a
    lasting step between the second before and the second after), inside each lit stretch of a shot: a cut is not
    an effect, and neither is a fade. Frames darker than ``black_level`` split a shot (a dip to black is a cut by
    other means), and the ramps that rise out of black or sink into it, or into white at a stretch's end or out of it
    at its start (fades through black or white), are never read as light."""
    events: list[Event] = []
    if signals.height == 0:
        return events
    fps = fps if fps > 0 else 24.0
    window, back = max(3, int(round(fps))), max(1, int(round(params.flash_max_s * fps)))
    for (_,), shot in signals.sort("frame_index").group_by(["shot"], maintain_order=True):
        all_luma = shot["luma"].to_numpy().astype(np.float64)
        for first, last in lit_stretches(all_luma, params.black_level):
            part = shot[first:last + 1]
            luma, times, frames = all_luma[first:last + 1], part["timestamp_s"].to_numpy(), part["frame_index"].to_numpy()
            fading = fade_ramps(luma, params.black_level, from_black=first > 0 or luma[0] < 2 * params.black_level,
                                to_black=last < len(all_luma) - 1 or luma[-1] < 2 * params.black_level)
            white = 255.0 - 2 * params.black_level  # as near white as black's fades start near black
            fading |= fade_ramps(255.0 - luma, params.black_level, from_black=luma[0] > white,
                                 to_black=luma[-1] > white)
            events += _flashes(luma, times, frames, fading, window, back, params)
            events += _lighting_changes(luma, times, frames, fading, window, params)
    return events


def lit_stretches(luma: np.ndarray, black_level: float) -> list[tuple[int, int]]:
    """(first, last) index of each run of frames at or above ``black_level``."""
    return _runs(luma >= black_level)


def fade_ramps(luma: np.ndarray, black_level: float, from_black: bool, to_black: bool, ahead: int = 6) -> np.ndarray:
    """Frames of a lit stretch that belong to a fade: from its start while the level keeps rising (by a grey level
    over the next ``ahead`` frames: render noise wobbles a fade frame to frame) when the stretch rises out of black,
    and back from its end while it keeps falling when it sinks into black."""
    fading = np.zeros(len(luma), bool)
    if len(luma) == 0:
        return fading
    smooth = np.convolve(np.pad(luma.astype(np.float64), 1, mode="edge"), np.ones(3) / 3, mode="valid")
    last = len(smooth) - 1
    if from_black:
        i = 0
        while i < last and (smooth[min(i + ahead, last)] - smooth[i] >= 1.0 or smooth[i] < 2 * black_level):
            i += 1
        fading[:i + 1] = True
    if to_black:
        i = last
        while i > 0 and (smooth[max(i - ahead, 0)] - smooth[i] >= 1.0 or smooth[i] < 2 * black_level):
            i -= 1
        fading[i:] = True
    return fading


def _flashes(luma: np.ndarray, times: np.ndarray, frames: np.ndarray, fading: np.ndarray, window: int, back: int,
             params: EffectParams) -> list[Event]:
    flagged = np.zeros(len(luma), bool)
    before = trailing_medians(luma, window)   # the median of the (up to) ``window`` frames before each frame
    fades_seen = np.concatenate([[0], np.cumsum(fading)])   # fading frames before each index
    starts = np.maximum(np.arange(len(luma)) - window, 0)
    quiet = ~fading & (fades_seen[:len(luma)] == fades_seen[starts])   # no fade in the frame nor the ones before it
    rise = luma - before
    for i in np.flatnonzero(quiet[1:] & (rise[1:] >= params.flash_rise)) + 1:
        after = luma[i + 1:i + 1 + back]
        if after.size and after.min() - before[i] < rise[i] / 2:
            flagged[i] = True
    events = []
    for start, end in _runs(flagged):
        peak = float(max(luma[start:end + 1] - np.median(luma[max(0, start - window):start])))
        events.append(_event("flash", times[start], times[end], peak / 255.0,
                             min(1.0, peak / (2 * params.flash_rise)), "luma_rise", f"+{peak:.0f} grey levels",
                             frames[start:end + 1]))
    return events


def trailing_medians(values: np.ndarray, window: int) -> np.ndarray:
    """``np.median(values[max(0, i - window):i])`` for every i >= 1 (NaN at 0): the same numbers, the full windows
    taken at once (numpy's median along an axis partitions each row as it partitions one array)."""
    medians = np.full(len(values), np.nan)
    for i in range(1, min(window, len(values))):
        medians[i] = np.median(values[:i])
    if len(values) > window:
        medians[window:] = np.median(np.lib.stride_tricks.sliding_window_view(values, window)[:len(values) - window],
                                     axis=1)
    return medians


def _lighting_changes(luma: np.ndarray, times: np.ndarray, frames: np.ndarray, fading: np.ndarray, window: int,
                      params: EffectParams) -> list[Event]:
    events: list[Event] = []
    for i in range(window, len(luma) - window + 1, max(1, window // 2)):
        if fading[i - window:i + window].any():
            continue
        step = luma[i:i + window].mean() - luma[i - window:i].mean()
        if abs(step) < params.lighting_step:
            continue
        if events and events[-1]["end_s"] >= times[i - 1]:
            events[-1]["end_s"] = float(times[min(i + window, len(times)) - 1])
            continue
        events.append(_event("lighting_change", times[i - 1], times[min(i + window, len(times)) - 1],
                             abs(step) / 255.0, min(1.0, abs(step) / (2 * params.lighting_step)), "luma_step",
                             f"{'brighter' if step > 0 else 'darker'} by {abs(step):.0f}", frames[i - 1:i + 1]))
    return events


HUES = ((0, "red / magenta glow"), (40, "warm orange"), (80, "yellow"), (120, "green"), (200, "cyan"),
        (240, "blue (night / underwater)"), (300, "violet"), (340, "red / magenta glow"))  # Lab hue angle, degrees


def cast_factor(chroma: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """Per frame, the mean colour's distance from grey over the spread of the colours round it (Gasparini and
    Schettini's cast factor, 2004)."""
    return chroma / np.maximum(spread, 1.0)


def colour_cast_events(signals: pl.DataFrame, params: EffectParams) -> list[Event]:
    """A shot whose mean colour sits far from grey (Lab chroma of the mean a*, b*) and far beyond the spread of its
    colours round that mean (a grade, not a colourful scene): night blue, underwater green, magic glow. Intensity is
    the chroma over 50; confidence the share of the shot's frames over the threshold. Signals measured before the
    spread was (no ``lab_spread``) are read by their chroma alone."""
    events: list[Event] = []
    if signals.height == 0:
        return events
    stretches = []
    for (_,), shot in signals.sort("frame_index").group_by(["shot"], maintain_order=True):
        luma = shot["luma"].to_numpy()
        stretches += [shot[first:last + 1] for first, last in lit_stretches(luma, params.black_level)]
    for shot in stretches:  # each lit stretch of a shot: a fade through black may join two scenes in one "shot"
        a, b = shot["lab_a"].to_numpy(), shot["lab_b"].to_numpy()
        chroma = np.hypot(a, b)
        if shot.height < 6 or shot["luma"].mean() < 15 or float(np.median(chroma)) < params.cast_chroma:
            continue  # near-black frames have no meaningful colour
        if "lab_spread" in shot.columns and float(np.median(cast_factor(chroma, shot["lab_spread"].to_numpy()))
                                                  ) < params.cast_dominance:
            continue  # the mean leans one way because the scene's colours do (a meadow), not because all of them do
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
    return _covered_histogram(rgba, rgba[..., 3])


def _covered_histogram(colour: np.ndarray, alpha: np.ndarray) -> np.ndarray | None:
    """``appearance_histogram`` of ``colour`` (BGR, a fourth channel ignored) where ``alpha`` (same rows and columns)
    is above 127."""
    covered = cv2.threshold(alpha, 127, 1, cv2.THRESH_BINARY)[1]   # alpha > 127, as the mask calcHist takes
    if cv2.countNonZero(covered) < 64:
        return None
    hsv = cv2.cvtColor(colour, cv2.COLOR_BGR2HSV)  # a fourth channel is ignored: no copy of the colour planes first
    hist = cv2.calcHist([hsv], [0, 1], covered, [12, 4], [0, 180, 0, 256]).reshape(-1)
    return hist / max(hist.sum(), 1.0)


def mask_histogram(bgr: np.ndarray, mask: np.ndarray, origin: tuple[int, int] = (0, 0)) -> np.ndarray | None:
    """``appearance_histogram`` of a key frame's pixels under an instance's mask (grey, covered above 127; a mask
    smaller than the frame has its top-left corner at ``origin``): the cut-out's colours are the frame's, and its
    alpha above 127 is the mask but for the matted edge and inpainted occlusions, so the key frame already decoded
    and the 1-bit mask stand for the cut-out's decode."""
    x, y, w, h = cv2.boundingRect(mask)   # the mask's non-zero pixels
    if not w or not h:
        return None
    ox, oy = (0, 0) if mask.shape[:2] == bgr.shape[:2] else origin
    colour = bgr[y + oy:y + oy + h, x + ox:x + ox + w]   # the frame's pixels in place: no cut-out is assembled
    return _covered_histogram(colour, mask[y:y + colour.shape[0], x:x + colour.shape[1]])


def transformation_events(points: pl.DataFrame, instances: pl.DataFrame, read_rgba: Callable[[str], np.ndarray | None],
                          params: EffectParams, histograms: dict[str, np.ndarray | None] | None = None) -> list[Event]:
    """A tracked character whose colours change abruptly between consecutive key frames of its track (Hellinger
    distance of hue-saturation histograms of its cut-outs) from a look seen on two key frames to one seen on the next
    two. ``histograms``: instance_id -> histogram already measured (``mask_histogram``); the other instances'
    cut-outs are read.

    A one-frame jump (a cut-out that took some background, a held object) is no transformation, nor is a track that
    passes from one identity to another (two characters crossing) or a row of no identity (a noise cut-out): where
    the points carry identities, only consecutive rows of one identity are compared."""
    events: list[Event] = []
    if points.height == 0 or instances.height == 0:
        return events
    paths = dict(instances.select("instance_id", "path").iter_rows())
    measured = histograms or {}
    identified = "identity" in points.columns and points["identity"].null_count() < points.height
    for (track,), track_rows in points.sort("timestamp_s").group_by(["track_id"], maintain_order=True):
        looks: list[tuple[np.ndarray, dict]] = []
        for row in track_rows.iter_rows(named=True):
            if identified and row["identity"] is None:
                continue
            path = paths.get(row["instance_id"])
            if row["instance_id"] in measured:
                hist = measured[row["instance_id"]]
            else:
                hist = appearance_histogram(read_rgba(path)) if path else None
            if hist is not None:
                looks.append((hist, row))
        apart = params.transformation_distance
        for window in zip(looks, looks[1:], looks[2:], looks[3:]):
            if identified and len({row["identity"] for _, row in window}) > 1:
                continue  # the track passes from one character to another
            (earlier, _), (before, first), (after, second), (then, _) = window
            distance = _hellinger(before, after)
            if distance >= apart and _hellinger(earlier, before) < apart and _hellinger(after, then) < apart and \
                    min(_hellinger(earlier, after), _hellinger(earlier, then), _hellinger(before, then)) >= apart:
                events.append(_event("transformation", first["timestamp_s"], second["timestamp_s"], distance,
                                     min(1.0, distance / (2 * apart) + 0.25),
                                     "appearance_jump", f"track {track}: colours changed (Hellinger "
                                     f"{distance:.2f}) and stayed", [], [first["frame_id"], second["frame_id"]]))
    return events


def _hellinger(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(max(0.0, 1.0 - np.sqrt(a * b).sum())))


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
    return read_image(path)
