"""Vocals separated segment by segment, so a feature film never has to fit in memory. No Dagster, no models
imported: the separator (``protocols.VocalSeparator``) is given."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from assets.audio.extract import AUDIO_SUBTYPE, SPEECH_RATE, transcode, write_clipped
from resources.protocols import VocalSeparator


@dataclass(frozen=True)
class SeparatedAudio:
    vocals_path: Path
    rest_path: Path
    vocals16k_path: Path
    duration_s: float
    vocals_rms_db: float | None
    rest_rms_db: float | None
    segments: int


def separate_file(separation_wav: Path, separator: VocalSeparator, out_dir: Path, chunk_s: float = 30.0,
                  overlap_s: float = 1.0) -> SeparatedAudio:
    """Run ``separator`` over ``separation_wav`` in ``chunk_s`` segments that overlap by ``overlap_s`` and are
    joined with a linear cross-fade. Writes vocals.wav and rest.wav (input rate and channels) and vocals16k.wav."""
    out_dir.mkdir(parents=True, exist_ok=True)
    vocals_path, rest_path = out_dir / "vocals.wav", out_dir / "rest.wav"
    info = sf.info(str(separation_wav))
    rate, channels, total = info.samplerate, info.channels, info.frames
    chunk, overlap = int(chunk_s * rate), int(overlap_s * rate)
    fade_in = np.linspace(0.0, 1.0, overlap, dtype=np.float32)[None, :]
    energy = {"vocals": 0.0, "rest": 0.0}
    tail: np.ndarray | None = None
    segments = 0
    with sf.SoundFile(str(separation_wav)) as source, \
            sf.SoundFile(vocals_path, "w", rate, channels, AUDIO_SUBTYPE) as vocals_out, \
            sf.SoundFile(rest_path, "w", rate, channels, AUDIO_SUBTYPE) as rest_out:
        position = 0
        while position < total:
            source.seek(position)
            mix = source.read(chunk + overlap, dtype="float32", always_2d=True).T
            vocals, _ = separator.separate(mix, rate)
            segments += 1
            if tail is not None:
                n = min(overlap, vocals.shape[1])
                vocals[:, :n] = tail[:, :n] * (1 - fade_in[:, :n]) + vocals[:, :n] * fade_in[:, :n]
            last = position + mix.shape[1] >= total
            keep = mix.shape[1] if last else chunk
            vocals_part, rest_part = vocals[:, :keep], mix[:, :keep] - vocals[:, :keep]
            write_clipped(vocals_out, vocals_part.T)
            write_clipped(rest_out, rest_part.T)
            energy["vocals"] += float(np.sum(vocals_part.astype(np.float64) ** 2))
            energy["rest"] += float(np.sum(rest_part.astype(np.float64) ** 2))
            if last:
                break
            tail = vocals[:, chunk:]
            position += chunk
    vocals16k = out_dir / "vocals16k.wav"
    transcode(vocals_path, vocals16k, SPEECH_RATE, "mono")
    samples = max(total * channels, 1)
    rms = {k: (round(float(10 * np.log10(v / samples)), 2) if v > 0 else None) for k, v in energy.items()}
    return SeparatedAudio(vocals_path, rest_path, vocals16k, total / rate, rms["vocals"], rms["rest"], segments)
