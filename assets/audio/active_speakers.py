"""Active speakers: which face's mouth moves with which voice. No Dagster, no models (numpy / polars only).

For every shot where someone speaks, each face seen on the shot's kept frames gets a mouth series on a regular
grid (``rate`` Hz) over the shot's speech (plus ``pad_s`` either side): mouth openness from face landmarks where a
landmark model fits the face, else lower-face motion (resources/backends/mouth_landmarks.py). A talking mouth
moves while its voice sounds, so the *movement* (the absolute change of openness, or the motion) is correlated
with each speaker's activity on the same grid, at lags up to ``max_lag_s`` either way (lip-sync offset). The
pair's evidence is the best correlation and its lag; pooled over a film's shots, weighted by seconds observed.
"""

from dataclasses import dataclass

import numpy as np
import polars as pl

EVIDENCE_SCHEMA = {"speaker": pl.String, "identity": pl.String, "shot": pl.Int64, "sync_correlation": pl.Float64,
                   "sync_lag_s": pl.Float64, "observed_s": pl.Float64, "speech_s": pl.Float64,
                   "mouth_source": pl.String}


@dataclass(frozen=True)
class ActiveSpeakerParams:
    rate: float = 12.5          # mouth samples per second (frames decoded around speech)
    pad_s: float = 1.0          # seconds of the shot decoded before and after its speech (silence is evidence too)
    max_lag_s: float = 0.4      # lip-sync offsets searched either way (film sync errors stay well inside this)
    smooth_s: float = 0.24      # movement is averaged over this long (syllables last ~0.1-0.3 s)
    min_observed_s: float = 1.0  # a face must be followed this long for its correlation to count
    min_correlation: float = 0.15  # below this the mouth evidence says nothing
    drawn_first_misses: int = 8  # a drawn face AnimeFace missed on its first n samples is read by its motion (0: off)


def grid(start_s: float, end_s: float, rate: float) -> np.ndarray:
    return np.arange(start_s, end_s, 1.0 / rate)


def activity_on_grid(segments: pl.DataFrame, speaker: str, times: np.ndarray) -> np.ndarray:
    """1.0 where ``speaker`` talks at ``times`` (seconds), else 0.0."""
    own = segments.filter(pl.col("speaker") == speaker)
    on = np.zeros(len(times), dtype=np.float64)
    for start, end in zip(own["start_s"].to_list(), own["end_s"].to_list()):
        on[(times >= start) & (times < end)] = 1.0
    return on


def mouth_movement(openness: np.ndarray, is_motion: bool, rate: float, smooth_s: float) -> np.ndarray:
    """How much the mouth moves around each sample: |change of openness| (or the motion itself), smoothed.
    Samples where the face was not measured (NaN) stay NaN."""
    values = np.asarray(openness, dtype=np.float64)
    moving = values.copy() if is_motion else np.abs(np.gradient(values)) if len(values) > 1 else np.zeros_like(values)
    width = max(int(round(smooth_s * rate)), 1)
    kernel = np.ones(width) / width
    valid = np.isfinite(moving)
    filled = np.where(valid, moving, 0.0)
    summed = np.convolve(filled, kernel, mode="same")
    weight = np.convolve(valid.astype(np.float64), kernel, mode="same")
    return np.where(valid, summed / np.maximum(weight, 1e-9), np.nan)


def lagged_correlation(movement: np.ndarray, activity: np.ndarray, rate: float,
                       max_lag_s: float) -> tuple[float, float]:
    """(best Pearson correlation, its lag in seconds) between mouth movement and voice activity; a positive lag
    means the picture is late (the mouth moves after the voice). NaN samples are left out."""
    max_lag = int(round(max_lag_s * rate))
    best = (float("nan"), 0.0)
    for lag in range(-max_lag, max_lag + 1):
        if lag >= 0:
            m, a = movement[lag:], activity[: len(activity) - lag]
        else:
            m, a = movement[:lag], activity[-lag:]
        valid = np.isfinite(m) & np.isfinite(a)
        if valid.sum() < 4 or np.std(m[valid]) < 1e-9 or np.std(a[valid]) < 1e-9:
            continue
        r = float(np.corrcoef(m[valid], a[valid])[0, 1])
        if not np.isfinite(best[0]) or r > best[0]:
            best = (r, lag / rate)
    return best


def speech_spans_in_shot(segments: pl.DataFrame, shot_start: float, shot_end: float,
                         pad_s: float) -> tuple[float, float] | None:
    """The stretch of a shot to analyse: its speech, padded, within the shot; None when nobody speaks in it."""
    # numpy over the columns, not a polars filter: called once per shot, it is the film's shots x its turns
    starts, ends = segments["start_s"].to_numpy(), segments["end_s"].to_numpy()
    inside = (ends > shot_start) & (starts < shot_end)
    if not inside.any():
        return None
    return (max(shot_start, float(starts[inside].min()) - pad_s), min(shot_end, float(ends[inside].max()) + pad_s))


def shot_evidence(segments: pl.DataFrame, shot: int, times: np.ndarray, mouths: dict[str, tuple[np.ndarray, bool]],
                  params: ActiveSpeakerParams = ActiveSpeakerParams()) -> list[dict]:
    """Rows of ``EVIDENCE_SCHEMA`` for one shot: every (speaker talking in it, identity seen in it) pair.
    ``mouths`` maps an identity to (its openness or motion series on ``times``, whether it is motion)."""
    rows = []
    speakers = segments.filter((pl.col("end_s") > times[0]) & (pl.col("start_s") < times[-1]))["speaker"].unique()
    activities = {speaker: activity_on_grid(segments, speaker, times) for speaker in sorted(speakers.to_list())}
    for identity, (series, is_motion) in mouths.items():
        movement = mouth_movement(series, is_motion, params.rate, params.smooth_s)
        observed = float(np.isfinite(movement).sum() / params.rate)
        for speaker, activity in activities.items():
            correlation, lag = lagged_correlation(movement, activity, params.rate, params.max_lag_s)
            rows.append({"speaker": speaker, "identity": identity, "shot": int(shot),
                         "sync_correlation": None if not np.isfinite(correlation) else round(correlation, 4),
                         "sync_lag_s": round(lag, 3), "observed_s": round(observed, 3),
                         "speech_s": round(float(activity.sum() / params.rate), 3),
                         "mouth_source": "motion" if is_motion else "landmarks"})
    return rows


def pooled_evidence(evidence: pl.DataFrame, params: ActiveSpeakerParams = ActiveSpeakerParams()) -> pl.DataFrame:
    """Per (speaker, identity): the correlation averaged over shots (weighted by the speaker's speech seconds
    observed there), the lag of the strongest shot, seconds observed and the number of shots."""
    schema = {"speaker": pl.String, "identity": pl.String, "sync_correlation": pl.Float64,
              "sync_lag_s": pl.Float64, "sync_observed_s": pl.Float64, "sync_shots": pl.Int64}
    usable = evidence.filter(pl.col("sync_correlation").is_not_null() & (pl.col("observed_s") >= params.min_observed_s))
    if usable.is_empty():
        return pl.DataFrame(schema=schema)
    return (usable.with_columns(pl.max_horizontal(pl.col("speech_s"), 1e-3).alias("w"))
            .sort("sync_correlation", descending=True)
            .group_by("speaker", "identity", maintain_order=True)
            .agg(((pl.col("sync_correlation") * pl.col("w")).sum() / pl.col("w").sum()).round(4)
                 .alias("sync_correlation"),
                 pl.col("sync_lag_s").first(), pl.col("observed_s").sum().round(3).alias("sync_observed_s"),
                 pl.col("shot").n_unique().cast(pl.Int64).alias("sync_shots"))
            .select(list(schema)).cast(schema))


def film_offset(evidence: pl.DataFrame, params: ActiveSpeakerParams = ActiveSpeakerParams()) -> float | None:
    """The film's audio-visual offset: the median lag of the pairs whose mouths clearly follow their voice."""
    strong = evidence.filter(pl.col("sync_correlation") >= max(params.min_correlation, 0.3))
    return None if strong.is_empty() else float(strong["sync_lag_s"].median())
