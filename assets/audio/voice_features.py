"""Per-speaker voice descriptors with librosa: F0 distribution (pYIN), speaking rate, timbre, total speech.

Speaking rate is the rate of syllable-like energy onsets per second of speech (onset detection on the speech
alone), a language-independent proxy for syllables per second. Timbre: MFCC means and standard deviations,
spectral centroid, bandwidth, roll-off and flatness. At most ``max_analysed_s`` of each speaker (longest turns
first) is analysed, so a feature film's main character costs no more than a side character. No Dagster, no models.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from assets.audio.pyin_viterbi import use_sparse_viterbi
from resources.backends.sample_source import ArraySamples, Samples
from resources.item_reuse import ItemReuse, file_digest

FEATURE_SCHEMA = {
    "speaker": pl.String, "speech_s": pl.Float64, "turns": pl.Int64, "analysed_s": pl.Float64,
    "f0_median_hz": pl.Float64, "f0_mean_hz": pl.Float64, "f0_std_hz": pl.Float64, "f0_p10_hz": pl.Float64,
    "f0_p90_hz": pl.Float64, "voiced_fraction": pl.Float64, "onsets_per_s": pl.Float64,
    "spectral_centroid_hz": pl.Float64, "spectral_bandwidth_hz": pl.Float64, "spectral_rolloff_hz": pl.Float64,
    "spectral_flatness": pl.Float64, "mfcc_mean": pl.List(pl.Float32), "mfcc_std": pl.List(pl.Float32),
}


@dataclass(frozen=True)
class VoiceFeatureParams:
    max_analysed_s: float = 30.0     # seconds of each speaker analysed (longest turns first)
    min_turn_s: float = 0.3
    fmin_hz: float = 60.0            # pYIN search range
    fmax_hz: float = 600.0
    n_mfcc: int = 13


def speaker_audio(waveform: "np.ndarray | Samples", rate: int, turns: pl.DataFrame, max_s: float,
                  min_turn_s: float) -> np.ndarray:
    """The speaker's longest turns concatenated, up to ``max_s`` seconds. ``waveform``: the mono signal, or a
    reader of it by sample range (``FileSamples``: only those turns are read from the file)."""
    samples = waveform if hasattr(waveform, "read") else ArraySamples(np.asarray(waveform))
    pieces, total = [], 0.0
    for row in turns.filter(pl.col("duration_s") >= min_turn_s).sort("duration_s", descending=True).iter_rows(named=True):
        take = min(row["duration_s"], max_s - total)
        if take <= 0:
            break
        start = min(int(row["start_s"] * rate), samples.n)
        pieces.append(samples.read(start, min(start + int(take * rate), samples.n)))
        total += take
    return np.concatenate(pieces).astype(np.float32) if pieces else np.zeros(0, dtype=np.float32)


def describe_voice(audio: np.ndarray, rate: int, params: VoiceFeatureParams) -> dict:
    import librosa

    nan = float("nan")
    if audio.size < int(0.25 * rate) or not np.any(audio):
        return {"f0_median_hz": nan, "f0_mean_hz": nan, "f0_std_hz": nan, "f0_p10_hz": nan, "f0_p90_hz": nan,
                "voiced_fraction": 0.0, "onsets_per_s": 0.0, "spectral_centroid_hz": nan,
                "spectral_bandwidth_hz": nan, "spectral_rolloff_hz": nan, "spectral_flatness": nan,
                "mfcc_mean": [], "mfcc_std": []}
    use_sparse_viterbi()  # librosa's decoding with the transition matrix's zeros skipped: same F0, ~4x cheaper
    f0, voiced, _ = librosa.pyin(audio, fmin=params.fmin_hz, fmax=params.fmax_hz, sr=rate, frame_length=1024)
    voiced_f0 = f0[voiced & np.isfinite(f0)]
    stats = (lambda v: {"f0_median_hz": float(np.median(v)), "f0_mean_hz": float(v.mean()),
                        "f0_std_hz": float(v.std()), "f0_p10_hz": float(np.percentile(v, 10)),
                        "f0_p90_hz": float(np.percentile(v, 90))})
    f0_stats = stats(voiced_f0) if voiced_f0.size else {k: nan for k in stats(np.ones(1))}
    onsets = librosa.onset.onset_detect(y=audio, sr=rate, units="time")
    mfcc = librosa.feature.mfcc(y=audio, sr=rate, n_mfcc=params.n_mfcc)
    return {
        **{k: round(v, 2) for k, v in f0_stats.items()},
        "voiced_fraction": round(float(np.mean(voiced)), 4),
        "onsets_per_s": round(len(onsets) / (audio.size / rate), 3),
        "spectral_centroid_hz": round(float(librosa.feature.spectral_centroid(y=audio, sr=rate).mean()), 1),
        "spectral_bandwidth_hz": round(float(librosa.feature.spectral_bandwidth(y=audio, sr=rate).mean()), 1),
        "spectral_rolloff_hz": round(float(librosa.feature.spectral_rolloff(y=audio, sr=rate).mean()), 1),
        "spectral_flatness": round(float(librosa.feature.spectral_flatness(y=audio).mean()), 5),
        "mfcc_mean": mfcc.mean(axis=1).astype(np.float32).tolist(),
        "mfcc_std": mfcc.std(axis=1).astype(np.float32).tolist(),
    }


def voice_features(waveform: "np.ndarray | Samples | None", rate: int, segments: pl.DataFrame,
                   params: VoiceFeatureParams = VoiceFeatureParams(),
                   known: dict[str, dict] | None = None) -> pl.DataFrame:
    """One row per speaker of ``segments``; ``waveform`` as ``speaker_audio`` takes it (a film's 16 kHz WAV is
    best given as ``FileSamples``: memory then holds each speaker's analysed seconds, not the film). ``known``:
    speaker -> the row an earlier run made from the same turns, audio and parameters, taken as it is (a speaker's
    row depends on its own turns only)."""
    rows = []
    for speaker in sorted(segments["speaker"].unique().to_list()) if segments.height else []:
        if known and speaker in known:
            rows.append({k: known[speaker][k] for k in FEATURE_SCHEMA})
            continue
        turns = segments.filter(pl.col("speaker") == speaker)
        audio = speaker_audio(waveform, rate, turns, params.max_analysed_s, params.min_turn_s)
        rows.append({"speaker": speaker, "speech_s": round(float(turns["duration_s"].sum()), 3),
                     "turns": turns.height, "analysed_s": round(audio.size / rate, 3),
                     **describe_voice(audio, rate, params)})
    return pl.DataFrame(rows, schema=FEATURE_SCHEMA)


def speaker_reuse(reuse: ItemReuse, segments: pl.DataFrame, speech: Path,
                  last: pl.DataFrame | None) -> dict[str, dict]:
    """Keys each speaker on the speech track's content and its turns; the last run's row of each speaker whose
    key is unchanged (a row does not depend on the identities it is joined with)."""
    digest = file_digest(speech)
    for (speaker,), turns in segments.sort("start_s").group_by(["speaker"], maintain_order=True):
        reuse.key(str(speaker), digest, turns.select("start_s", "end_s", "duration_s").rows())
    if last is None:
        return {}
    return {r["speaker"]: r for r in last.iter_rows(named=True) if reuse.reusable(str(r["speaker"]))}
