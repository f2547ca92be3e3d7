"""The film's soundtrack decoded once (PyAV / FFmpeg) into two WAV files, plus its loudness. No Dagster.

``separation.wav``: 44.1 kHz stereo (what vocal separators expect); ``speech16k.wav``: 16 kHz mono (what speech
models expect). Both are 16-bit PCM WAV (``AUDIO_SUBTYPE``: 96 dB of dynamic range, a quarter of float64 and half
of float32 on disk; decoder overshoot past full scale is clipped, and ``peak_dbfs`` still reports it), written while
decoding, so a feature film never has to fit in memory.
"""

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from resources.errors import BadMediaError

log = logging.getLogger(__name__)
SEPARATION_RATE = 44100
SPEECH_RATE = 16000
LOUDNESS_BLOCK_S = 60.0
TRUNCATION_SHARE = 0.9  # decoding less than this share of the declared duration means a damaged file
AUDIO_SUBTYPE = "PCM_16"  # intermediate WAVs: speech models and separators work at this precision anyway


@dataclass(frozen=True)
class ExtractedAudio:
    separation_path: Path
    speech_path: Path
    duration_s: float
    source_rate: int
    source_channels: int
    codec: str
    loudness_lufs: float | None  # None: silent (every gating block below -70 LUFS)
    peak_dbfs: float | None


def extract_audio(source: Path, out_dir: Path) -> ExtractedAudio:
    """Decode the first audio stream of ``source`` into ``out_dir``; BadMediaError naming the file if it cannot."""
    import av

    source = Path(source)
    out_dir.mkdir(parents=True, exist_ok=True)
    separation_path, speech_path = out_dir / "separation.wav", out_dir / "speech16k.wav"
    try:
        container = av.open(str(source))
    except (av.error.FFmpegError, UnicodeDecodeError) as error:
        raise BadMediaError(source, f"cannot be opened to read its audio ({error})") from error
    loudness = _BlockLoudness(SEPARATION_RATE)
    written = 0
    with container:
        if not container.streams.audio:
            raise BadMediaError(source, "has no audio stream")
        stream = container.streams.audio[0]
        to_stereo = av.AudioResampler(format="flt", layout="stereo", rate=SEPARATION_RATE)
        to_mono = av.AudioResampler(format="flt", layout="mono", rate=SPEECH_RATE)
        with sf.SoundFile(separation_path, "w", SEPARATION_RATE, 2, AUDIO_SUBTYPE) as stereo_out, \
                sf.SoundFile(speech_path, "w", SPEECH_RATE, 1, AUDIO_SUBTYPE) as mono_out:
            try:
                for frame in container.decode(stream):
                    frame.pts = None  # let the resamplers keep their own clock across decoder resets
                    written += _write(to_stereo.resample(frame), stereo_out, loudness)
                    _write(to_mono.resample(frame), mono_out, None)
                written += _write(to_stereo.resample(None), stereo_out, loudness)
                _write(to_mono.resample(None), mono_out, None)
            except (av.error.FFmpegError, ValueError) as error:
                raise BadMediaError(source, f"its audio stream cannot be decoded ({error.__class__.__name__}: "
                                            f"{error}); the file may be truncated or corrupt") from error
        codec, source_rate, source_channels = stream.codec_context.name, stream.rate, stream.channels
        declared = _declared_duration(container, stream)
    if written == 0:
        raise BadMediaError(source, "its audio stream decoded to no samples; the file may be truncated or corrupt")
    if declared and written / SEPARATION_RATE < TRUNCATION_SHARE * declared:
        raise BadMediaError(source, f"its audio stream ends after {written / SEPARATION_RATE:.1f} s of the "
                                    f"{declared:.1f} s its header declares; the file is truncated or corrupt")
    lufs, peak = loudness.result()
    return ExtractedAudio(separation_path, speech_path, written / SEPARATION_RATE, int(source_rate or 0),
                          int(source_channels or 0), codec, lufs, peak)


def _declared_duration(container, stream) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return container.duration / 1_000_000 if container.duration else None


def _write(frames, out: sf.SoundFile, loudness: "_BlockLoudness | None") -> int:
    total = 0
    for frame in frames or []:
        data = frame.to_ndarray()  # packed flt: (1, samples * channels)
        block = data.reshape(-1, out.channels).astype(np.float32)
        write_clipped(out, block)
        if loudness is not None:
            loudness.add(block)
        total += block.shape[0]
    return total


def write_clipped(out: sf.SoundFile, block: np.ndarray) -> None:
    """Write ``samples x channels`` float audio; into an integer WAV clipped to full scale (libsndfile would wrap)."""
    out.write(np.clip(block, -1.0, 1.0) if out.subtype.startswith("PCM") else block)


class _BlockLoudness:
    """Integrated loudness (ITU-R BS.1770, pyloudnorm) over minute-long blocks, combined by mean energy.

    pyloudnorm measures a whole array at once; a film is measured per block so memory stays flat. Blocks below the
    absolute gate (silent ones) are left out, as BS.1770's gating would leave them out."""

    def __init__(self, rate: int):
        import pyloudnorm

        self.rate = rate
        self.meter = pyloudnorm.Meter(rate)
        self.pending: list[np.ndarray] = []
        self.pending_len = 0
        self.energies: list[tuple[float, int]] = []
        self.peak = 0.0

    def add(self, block: np.ndarray) -> None:
        self.peak = max(self.peak, float(np.abs(block).max(initial=0.0)))
        self.pending.append(block)
        self.pending_len += block.shape[0]
        if self.pending_len >= LOUDNESS_BLOCK_S * self.rate:
            self._flush()

    def _flush(self) -> None:
        if not self.pending:
            return
        data = np.concatenate(self.pending).astype(np.float64)
        self.pending, self.pending_len = [], 0
        if data.shape[0] < 0.4 * self.rate:  # shorter than one BS.1770 gating block
            return
        lufs = self.meter.integrated_loudness(data)
        if math.isfinite(lufs) and lufs > -70.0:
            self.energies.append((10 ** (lufs / 10), data.shape[0]))

    def result(self) -> tuple[float | None, float | None]:
        self._flush()
        peak = 20 * math.log10(self.peak) if self.peak > 0 else None
        if not self.energies:
            return None, (round(peak, 2) if peak is not None else None)
        total = sum(n for _, n in self.energies)
        mean_energy = sum(e * n for e, n in self.energies) / total
        return round(10 * math.log10(mean_energy), 2), (round(peak, 2) if peak is not None else None)


def read_audio(path: Path, start_s: float = 0.0, duration_s: float | None = None) -> tuple[np.ndarray, int]:
    """``channels x samples`` float32 from a WAV written here, and its rate."""
    info = sf.info(str(path))
    start = int(start_s * info.samplerate)
    frames = -1 if duration_s is None else int(duration_s * info.samplerate)
    data, rate = sf.read(str(path), start=start, frames=frames, dtype="float32", always_2d=True)
    return data.T.copy(), rate


def transcode(source: Path, out_path: Path, rate: int, layout: str = "mono") -> float:
    """Resample an audio file into a 16-bit WAV (``layout`` mono or stereo); returns its duration in seconds."""
    import av

    channels = 1 if layout == "mono" else 2
    written = 0
    with av.open(str(source)) as container, sf.SoundFile(out_path, "w", rate, channels, AUDIO_SUBTYPE) as out:
        resampler = av.AudioResampler(format="flt", layout=layout, rate=rate)
        for frame in container.decode(container.streams.audio[0]):
            frame.pts = None
            written += _write(resampler.resample(frame), out, None)
        written += _write(resampler.resample(None), out, None)
    return written / rate
