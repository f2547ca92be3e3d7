"""Diarization results as tables, RTTM files and per-speaker sample clips. No Dagster, no models."""

from pathlib import Path

import numpy as np
import polars as pl
import soundfile as sf

from resources.protocols import SpeakerTurn
from resources.storage import contained

SEGMENT_SCHEMA = {"start_s": pl.Float64, "end_s": pl.Float64, "speaker": pl.String, "confidence": pl.Float64,
                  "duration_s": pl.Float64}
SPEAKER_SCHEMA = {"speaker": pl.String, "turns": pl.Int64, "speech_s": pl.Float64, "first_s": pl.Float64,
                  "last_s": pl.Float64, "mean_confidence": pl.Float64, "clip_paths": pl.List(pl.String)}


def segments_table(turns: list[SpeakerTurn]) -> pl.DataFrame:
    rows = [{"start_s": t.start_s, "end_s": t.end_s, "speaker": t.speaker, "confidence": t.confidence,
             "duration_s": round(t.end_s - t.start_s, 3)} for t in turns if t.end_s > t.start_s]
    return pl.DataFrame(rows, schema=SEGMENT_SCHEMA).sort(["start_s", "speaker"])


def write_rttm(segments: pl.DataFrame, uri: str, path: Path) -> Path:
    """NIST RTTM: ``SPEAKER <uri> 1 <start> <duration> <NA> <NA> <speaker> <NA> <NA>`` per turn."""
    lines = [f"SPEAKER {uri} 1 {row['start_s']:.3f} {row['duration_s']:.3f} <NA> <NA> {row['speaker']} <NA> <NA>"
             for row in segments.iter_rows(named=True)]
    path.write_text("\n".join(lines) + ("\n" if lines else ""))
    return path


def read_rttm(path: Path) -> pl.DataFrame:
    rows = []
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        parts = line.split()
        if not parts or parts[0] != "SPEAKER":
            continue
        if len(parts) < 8:
            raise ValueError(f"{path}:{number}: an RTTM SPEAKER line needs at least 8 fields: {line!r}")
        start, duration = float(parts[3]), float(parts[4])
        rows.append({"uri": parts[1], "start_s": start, "end_s": start + duration, "speaker": parts[7]})
    return pl.DataFrame(rows, schema={"uri": pl.String, "start_s": pl.Float64, "end_s": pl.Float64,
                                      "speaker": pl.String})


def speaker_clips(segments: pl.DataFrame, audio_path: Path, out_dir: Path, relative, clips_per_speaker: int = 3,
                  max_clip_s: float = 8.0) -> pl.DataFrame:
    """Per speaker, its longest turns (up to ``max_clip_s`` each) cut from ``audio_path`` into WAV clips, and a
    summary row per speaker."""
    rows = []
    info = sf.info(str(audio_path)) if segments.height else None
    for speaker in sorted(segments["speaker"].unique().to_list()) if segments.height else []:
        own = segments.filter(pl.col("speaker") == speaker)
        clips = []
        for i, row in enumerate(own.sort("duration_s", descending=True).head(clips_per_speaker).iter_rows(named=True)):
            start = int(row["start_s"] * info.samplerate)
            length = int(min(row["duration_s"], max_clip_s) * info.samplerate)
            data, rate = sf.read(str(audio_path), start=start, frames=length, dtype="float32", always_2d=True)
            path = contained(out_dir, f"{speaker}_{i:02d}_{row['start_s']:09.3f}.wav")  # speaker names are data
            sf.write(path, data, rate, subtype="PCM_16")
            clips.append(relative(path))
        rows.append({"speaker": speaker, "turns": own.height, "speech_s": round(float(own["duration_s"].sum()), 3),
                     "first_s": float(own["start_s"].min()), "last_s": float(own["end_s"].max()),
                     "mean_confidence": round(float(np.average(own["confidence"], weights=own["duration_s"])), 4),
                     "clip_paths": clips})
    return pl.DataFrame(rows, schema=SPEAKER_SCHEMA)


def markdown_table(table: pl.DataFrame) -> str:
    """A small table as markdown (asset metadata previews)."""
    lines = ["| " + " | ".join(table.columns) + " |", "|" + " --- |" * len(table.columns)]
    return "\n".join(lines + ["| " + " | ".join(str(v) for v in row) + " |" for row in table.iter_rows()])
