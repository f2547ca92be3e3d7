"""Scenes (consecutive shots that belong together) and sequences (runs of scenes) from per-shot features.

Continuity between two shots is the weighted mean of the cues available for both:
- palette: HSV histogram intersection (0..1);
- background: correlation of the shots' mean grey 32x18 thumbnails, clipped to 0..1;
- characters: Jaccard overlap of the identities seen (only when both shots have some);
- audio: 1 when a speech turn spans the cut, else the cosine similarity of the soundtrack's band energies in the
  seconds either side of the cut (only when the film has an ``audio`` table).
A shot joins the current scene when its continuity with any of the scene's last ``lookback`` shots reaches
``scene_threshold`` (so shot / reverse-shot dialogue, A-B-A, stays one scene).

Sequences are change points over the scenes' mean palettes: the partition minimising within-run squared
deviation plus ``sequence_penalty`` per run (exact dynamic programme; films have tens to hundreds of scenes).
"""

from dataclasses import dataclass

import numpy as np
import polars as pl

from assets.shot_analysis.params import ShotAnalysisParams
from assets.shot_analysis.stream import ShotAppearance


@dataclass
class ShotFeatures:
    histogram: np.ndarray | None
    thumbnail: np.ndarray | None
    identities: frozenset[str]
    audio_before: np.ndarray | None = None  # band energies just before the shot's end
    audio_after: np.ndarray | None = None  # band energies just after the shot's start
    speech_into: bool = False  # a speech turn spans the cut into this shot


def features_from_appearance(appearance: ShotAppearance | None, identities: frozenset[str]) -> ShotFeatures:
    if appearance is None or appearance.samples == 0:
        return ShotFeatures(None, None, identities)
    histogram, thumbnail = appearance.normalised()
    return ShotFeatures(histogram, thumbnail, identities)


def continuity(a: ShotFeatures, b: ShotFeatures, params: ShotAnalysisParams) -> tuple[float, dict[str, float]]:
    """How likely shot ``b`` continues the scene of shot ``a`` (0..1), and each cue that contributed."""
    cues: dict[str, float] = {}
    if a.histogram is not None and b.histogram is not None:
        cues["palette"] = float(np.minimum(a.histogram, b.histogram).sum())
    if a.thumbnail is not None and b.thumbnail is not None:
        x, y = a.thumbnail.ravel() - a.thumbnail.mean(), b.thumbnail.ravel() - b.thumbnail.mean()
        norm = float(np.linalg.norm(x) * np.linalg.norm(y))
        if norm > 1e-6:  # a flat picture (black, one colour) has no layout to compare
            cues["background"] = float(np.clip(x @ y / norm, 0.0, 1.0))
    if a.identities and b.identities:
        cues["characters"] = len(a.identities & b.identities) / len(a.identities | b.identities)
    if b.speech_into:
        cues["audio"] = 1.0
    elif a.audio_before is not None and b.audio_after is not None:
        norm = float(np.linalg.norm(a.audio_before) * np.linalg.norm(b.audio_after))
        cues["audio"] = float(np.clip(a.audio_before @ b.audio_after / norm, 0.0, 1.0)) if norm > 1e-9 else 0.0
    if not cues:
        return 0.0, cues
    total = sum(params.weights.get(k, 0.0) for k in cues)
    score = sum(params.weights.get(k, 0.0) * v for k, v in cues.items()) / total if total else 0.0
    return round(score, 4), {k: round(v, 4) for k, v in cues.items()}


def group_scenes(features: list[ShotFeatures], params: ShotAnalysisParams
                 ) -> tuple[list[int], list[float], list[dict[str, float]]]:
    """Scene number per shot (in order), each shot's best continuity with the scene it followed (1.0 for the
    first) and the cues of that best link."""
    scenes, links, cues = [], [], []
    current: list[int] = []
    for index, shot in enumerate(features):
        best, best_cues = max((continuity(features[j], shot, params) for j in current[-params.lookback:]),
                              key=lambda link: link[0], default=(0.0, {}))
        if index and best >= params.scene_threshold:
            current.append(index)
        else:
            current = [index]
        scenes.append(scenes[-1] + (0 if len(current) > 1 else 1) if scenes else 0)
        links.append(best if index else 1.0)
        cues.append(best_cues)
    return scenes, links, cues


def change_points(vectors: np.ndarray, penalty: float, min_size: int = 1) -> list[int]:
    """Start index of each segment of the optimal piecewise-constant partition of ``vectors`` (rows)."""
    count = len(vectors)
    if count == 0:
        return []
    cumulative = np.vstack([np.zeros(vectors.shape[1]), np.cumsum(vectors, axis=0)])
    cumulative_sq = np.concatenate([[0.0], np.cumsum((vectors ** 2).sum(axis=1))])

    def cost(i: int, j: int) -> float:  # squared deviation of rows i..j-1 from their mean
        total = cumulative[j] - cumulative[i]
        return float(cumulative_sq[j] - cumulative_sq[i] - (total @ total) / (j - i))

    best = np.full(count + 1, np.inf)
    best[0] = -penalty
    previous = np.zeros(count + 1, int)
    for j in range(1, count + 1):
        for i in range(0, j):
            if j - i < min_size and not (i == 0 and j == count):
                continue
            value = best[i] + penalty + cost(i, j)
            if value < best[j]:
                best[j], previous[j] = value, i
    starts, j = [], count
    while j > 0:
        starts.append(int(previous[j]))
        j = int(previous[j])
    return sorted(starts)


def sequences_of(scene_features: list[np.ndarray | None], params: ShotAnalysisParams) -> list[int]:
    """Sequence number per scene."""
    if not scene_features:
        return []
    dims = next((f.size for f in scene_features if f is not None), 1)
    vectors = np.array([f if f is not None else np.zeros(dims) for f in scene_features], np.float64)
    starts = change_points(vectors, params.sequence_penalty, params.min_sequence_scenes)
    labels, sequence = [], -1
    for index in range(len(scene_features)):
        if index in starts:
            sequence += 1
        labels.append(sequence)
    return labels


def band_energies(samples: np.ndarray, rate: int, bands: int = 24) -> np.ndarray | None:
    """Log energy in ``bands`` log-spaced bands from 80 Hz to Nyquist, mean-removed (loudness-free timbre)."""
    if samples.size < rate // 10:
        return None
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size))) ** 2
    frequencies = np.fft.rfftfreq(samples.size, 1.0 / rate)
    edges = np.geomspace(80.0, rate / 2.0, bands + 1)
    energies = np.array([spectrum[(frequencies >= lo) & (frequencies < hi)].sum() for lo, hi in zip(edges, edges[1:])])
    logs = np.log10(energies + 1e-10)
    return logs - logs.mean()


def duration_stats(durations: list[float]) -> dict[str, float]:
    values = np.array([d for d in durations if d is not None and np.isfinite(d)], np.float64)
    if values.size == 0:
        return {"count": 0}
    return {"count": int(values.size), "mean_s": round(float(values.mean()), 3),
            "median_s": round(float(np.median(values)), 3), "min_s": round(float(values.min()), 3),
            "max_s": round(float(values.max()), 3), "std_s": round(float(values.std()), 3)}


def scene_table(shots: pl.DataFrame, features: list[ShotFeatures]) -> pl.DataFrame:
    """One row per scene: its shots, time span, sequence; ``shots`` holds shot, scene, sequence, start_s, end_s."""
    if shots.height == 0:
        return pl.DataFrame(schema={"scene": pl.Int32, "sequence": pl.Int32, "first_shot": pl.Int32,
                                    "last_shot": pl.Int32, "shots": pl.Int32, "start_s": pl.Float64,
                                    "end_s": pl.Float64, "duration_s": pl.Float64, "identities": pl.List(pl.String)})
    ids = {s: sorted(f.identities) for s, f in zip(shots["shot"].to_list(), features)}
    return (shots.group_by("scene", maintain_order=True)
            .agg(pl.col("sequence").first(), pl.col("shot").min().alias("first_shot"),
                 pl.col("shot").max().alias("last_shot"), pl.len().cast(pl.Int32).alias("shots"),
                 pl.col("start_s").min(), pl.col("end_s").max(), pl.col("shot").alias("_shots"))
            .with_columns((pl.col("end_s") - pl.col("start_s")).round(3).alias("duration_s"),
                          pl.col("_shots").map_elements(lambda s: sorted({i for x in s for i in ids.get(x, [])}),
                                                        return_dtype=pl.List(pl.String)).alias("identities"))
            .drop("_shots")
            .with_columns(pl.col("scene").cast(pl.Int32), pl.col("sequence").cast(pl.Int32),
                          pl.col("first_shot").cast(pl.Int32), pl.col("last_shot").cast(pl.Int32)))
