"""Audio-visual timing of a film: lip-sync offset, music beats against shot cuts, sound onsets against visual
motion events. No Dagster; librosa and matplotlib are imported where used. The picture's change comes from
shot_analysis' ``picture_change`` relation (sampled during its decode): this stage decodes no video.

- offset (lip sync): the median lag of the speaker-face pairs whose mouths clearly follow their voice
  (voice_map's ``sync_lag_s``, positive = picture late).
- offset (onsets): the lag maximising the correlation of the sound's onset strength with the picture's frame-to-
  frame change (both at the picture change's rate): a global estimate that needs no faces.
- beats against cuts: each cut's distance to the nearest beat; the share of cuts within ``on_beat_s`` of a beat
  against the share expected by chance (2 x on_beat_s / median beat period), i.e. whether the editing follows
  the music.
- onsets against motion events (peaks of the picture's change): the share of motion events with an onset within
  ``on_beat_s``, against chance.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

EVENT_SCHEMA = {"time_s": pl.Float64, "kind": pl.String, "strength": pl.Float64, "nearest_s": pl.Float64}
SUMMARY_SCHEMA = {"lip_sync_offset_s": pl.Float64, "lip_sync_pairs": pl.Int64, "onset_motion_offset_s": pl.Float64,
                  "onset_motion_correlation": pl.Float64, "tempo_bpm": pl.Float64, "beats": pl.Int64,
                  "cuts": pl.Int64, "cuts_on_beat": pl.Float64, "cuts_on_beat_by_chance": pl.Float64,
                  "motion_events": pl.Int64, "motion_with_onset": pl.Float64, "motion_with_onset_by_chance": pl.Float64,
                  "note": pl.String}


@dataclass(frozen=True)
class AvSyncParams:
    max_lag_s: float = 0.5         # offsets searched either way
    on_beat_s: float = 0.1         # a cut this close to a beat is on the beat
    min_sync_correlation: float = 0.3  # lip-sync pairs that count for the offset


def change_signal(picture_change: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, float | None]:
    """(times, picture change, samples per second) from shot_analysis' ``picture_change`` relation: the mean
    absolute change of the grey 64 x 36 picture between samples, measured while that stage decodes the film (so
    the film is not decoded again here). The rate is None when the film gave no sample."""
    ordered = picture_change.sort("time_s")
    rate = float(ordered["rate_hz"][0]) if ordered.height else None
    return ordered["time_s"].to_numpy(), ordered["change"].to_numpy(), rate


def audio_onsets(waveform: np.ndarray, rate: int, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """(onset strength sampled at ``times``, onset times, tempo in BPM, beat times) of a mono signal."""
    import librosa

    hop = 512
    envelope = librosa.onset.onset_strength(y=waveform, sr=rate, hop_length=hop)
    env_times = librosa.frames_to_time(np.arange(len(envelope)), sr=rate, hop_length=hop)
    onsets = librosa.onset.onset_detect(onset_envelope=envelope, sr=rate, hop_length=hop, units="time")
    tempo, beats = librosa.beat.beat_track(onset_envelope=envelope, sr=rate, hop_length=hop, units="time")
    # the strongest onset within each picture sample's interval (a point sample misses short clicks)
    edges = np.searchsorted(env_times, np.concatenate([times - 0.5 / _rate(times), times[-1:] + 0.5 / _rate(times)])) \
        if len(times) else np.zeros(0, dtype=int)
    sampled = np.array([envelope[lo:max(hi, lo + 1)].max() if lo < len(envelope) else 0.0
                        for lo, hi in zip(edges[:-1], edges[1:])]) if len(times) else np.zeros(0)
    return sampled, np.asarray(onsets), float(np.atleast_1d(tempo)[0]), np.asarray(beats)


def _rate(times: np.ndarray) -> float:
    return 1.0 / float(np.median(np.diff(times))) if len(times) > 1 else 1.0


def best_lag(a: np.ndarray, b: np.ndarray, rate: float, max_lag_s: float) -> tuple[float | None, float | None]:
    """The lag (s) at which ``b`` best follows ``a`` (positive: ``b`` later) and that correlation."""
    best: tuple[float | None, float | None] = (None, None)
    for lag in range(-int(max_lag_s * rate), int(max_lag_s * rate) + 1):
        x, y = (a[: len(a) - lag], b[lag:]) if lag >= 0 else (a[-lag:], b[:lag])
        if len(x) < 8 or np.std(x) < 1e-12 or np.std(y) < 1e-12:
            continue
        r = float(np.corrcoef(x, y)[0, 1])
        if best[1] is None or r > best[1]:
            best = (lag / rate, r)
    return best


def motion_events(times: np.ndarray, change: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Peaks of the picture's change (local maxima above the median + 2 MAD), cuts left out (a cut is editing)."""
    if len(change) < 3:
        return np.zeros(0)
    median = np.median(change)
    spread = np.median(np.abs(change - median)) + 1e-9
    peak = (change[1:-1] > change[:-2]) & (change[1:-1] >= change[2:]) & (change[1:-1] > median + 2 * spread)
    found = times[1:-1][peak]
    return np.array([t for t in found if not len(cuts) or np.min(np.abs(cuts - t)) > 0.2])


def nearest(events: np.ndarray, targets: np.ndarray) -> np.ndarray:
    if len(targets) == 0:
        return np.full(len(events), np.nan)
    return np.array([float(np.min(np.abs(targets - t))) for t in events])


def summarise(lip_pairs: pl.DataFrame | None, times: np.ndarray, change: np.ndarray, strength: np.ndarray,
              onsets: np.ndarray, tempo: float, beats: np.ndarray, cuts: np.ndarray,
              params: AvSyncParams, rate: float | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(one summary row, the events table: beats, cuts, onsets and motion events with their nearest partner);
    ``rate``: the picture change's samples per second."""
    notes = []
    lip = None if lip_pairs is None or "sync_lag_s" not in lip_pairs.columns else lip_pairs.filter(
        pl.col("sync_correlation") >= params.min_sync_correlation)
    if lip is None or lip.is_empty():
        notes.append("no speaker's mouth followed clearly: no lip-sync offset")
    if not len(times):
        notes.append("no picture change sampled (shot_analysis decoded no frame): no onset offset, no motion events")
    offset, correlation = best_lag(strength, change, rate, params.max_lag_s) if len(times) and rate else (None, None)
    motion = motion_events(times, change, cuts)
    cut_gap, motion_gap = nearest(cuts, beats), nearest(motion, onsets)
    period = float(np.median(np.diff(beats))) if len(beats) > 1 else None
    onset_period = float(np.median(np.diff(onsets))) if len(onsets) > 1 else None
    if period is None:
        notes.append("no musical beat found")
    summary = {
        "lip_sync_offset_s": None if lip is None or lip.is_empty() else round(float(lip["sync_lag_s"].median()), 3),
        "lip_sync_pairs": 0 if lip is None else lip.height,
        "onset_motion_offset_s": offset, "onset_motion_correlation": None if correlation is None else round(correlation, 4),
        "tempo_bpm": round(tempo, 1) if len(beats) else None, "beats": len(beats), "cuts": len(cuts),
        "cuts_on_beat": float(np.mean(cut_gap <= params.on_beat_s)) if len(cuts) and period else None,
        "cuts_on_beat_by_chance": min(2 * params.on_beat_s / period, 1.0) if period else None,
        "motion_events": len(motion),
        "motion_with_onset": float(np.mean(motion_gap <= params.on_beat_s)) if len(motion) and len(onsets) else None,
        "motion_with_onset_by_chance": min(2 * params.on_beat_s / onset_period, 1.0) if onset_period else None,
        "note": "; ".join(notes)}
    events = [{"time_s": float(t), "kind": kind, "strength": None, "nearest_s": None if np.isnan(g) else float(g)}
              for kind, values, gaps in (("cut", cuts, cut_gap), ("motion_event", motion, motion_gap),
                                         ("beat", beats, np.full(len(beats), np.nan)),
                                         ("onset", onsets, np.full(len(onsets), np.nan)))
              for t, g in zip(values, gaps)]
    return (pl.DataFrame([summary], schema=SUMMARY_SCHEMA),
            pl.DataFrame(events, schema=EVENT_SCHEMA).sort("time_s"))


def timeline_png(times: np.ndarray, change: np.ndarray, strength: np.ndarray, events: pl.DataFrame,
                 segments: pl.DataFrame | None, path: Path) -> Path:
    """Picture change and onset strength over time, with cuts, beats, motion events and speech marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(12, 3), dpi=80)
    scale = lambda v: v / (np.max(v) + 1e-12) if len(v) else v  # noqa: E731 - both curves on one 0-1 axis
    axis.plot(times, scale(change), lw=0.8, label="picture change")
    axis.plot(times, -scale(strength), lw=0.8, label="sound onset strength (down)")
    for kind, colour, y in (("cut", "black", 1.05), ("beat", "tab:red", -1.05), ("motion_event", "tab:green", 0.9)):
        marks = events.filter(pl.col("kind") == kind)["time_s"].to_numpy()
        axis.scatter(marks, np.full(len(marks), y), marker="|", s=80, color=colour, label=kind)
    if segments is not None:
        for row in segments.iter_rows(named=True):
            axis.axvspan(row["start_s"], row["end_s"], color="tab:orange", alpha=0.15)
    axis.set_xlabel("seconds (speech shaded)")
    axis.set_yticks([])
    axis.legend(loc="upper right", fontsize=7, ncol=5)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path
