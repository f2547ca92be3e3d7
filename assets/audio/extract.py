"""The film's soundtrack decoded once (PyAV / FFmpeg) into two WAV files, plus its loudness. No Dagster.

``separation.wav``: 44.1 kHz stereo (what vocal separators expect); ``speech16k.wav``: 16 kHz mono (what speech
models expect). Both are 16-bit PCM WAV (``AUDIO_SUBTYPE``: 96 dB of dynamic range, a quarter of float64 and half
of float32 on disk; decoder overshoot past full scale is clipped, and ``peak_dbfs`` still reports it), written while
decoding, so a feature film never has to fit in memory.
"""

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from assets.audio.dialogue_channel import SpeechChannel
from assets.audio.loudness import BlockLoudness
from assets.audio.timeline import TimelineReport, on_timeline
from resources.errors import BadMediaError

log = logging.getLogger(__name__)
SEPARATION_RATE = 44100
SPEECH_RATE = 16000
TRUNCATION_SHARE = 0.9  # decoding less than this share of the declared duration means a damaged file
GROUP_S = 2.0  # seconds of decoded audio per resample / write call
AUDIO_SUBTYPE = "PCM_16"  # intermediate WAVs: speech models and separators work at this precision anyway
# a track starting this much or more after the film is led in by silence (less: a codec's priming, rounding)
LEAD_MIN_S = 0.01


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
    timeline_note: str = ""  # gaps in the track's timestamps filled with silence (timeline.py), when any
    speech_note: str = ""  # the speech track from the dialogue channel (dialogue_channel.py), when it is


def extract_audio(source: Path, out_dir: Path, track: int = 0, lead_s: float = 0.0,
                  speech_channel: str = "auto") -> ExtractedAudio:
    """Decode audio track ``track`` (its position among the audio streams, 0 = the first) of ``source`` into
    ``out_dir``, after ``lead_s`` seconds of silence (a track that starts after the film: its sound then lies on the
    film's clock, where the frames are); BadMediaError naming the file if it cannot. ``speech_channel``: the speech
    track from a surround mix's dialogue channel (``auto``) or from every channel (``mix``): dialogue_channel.py."""
    import av

    source = Path(source)
    out_dir.mkdir(parents=True, exist_ok=True)
    separation_path, speech_path = out_dir / "separation.wav", out_dir / "speech16k.wav"
    try:
        container = av.open(str(source))
    except (av.error.FFmpegError, UnicodeDecodeError) as error:
        raise BadMediaError(source, f"cannot be opened to read its audio ({error})") from error
    loudness = BlockLoudness(SEPARATION_RATE)
    timeline, speech = TimelineReport(), SpeechChannel(speech_channel)
    written = 0
    with container:
        if not container.streams.audio:
            raise BadMediaError(source, "has no audio stream")
        if track >= len(container.streams.audio):
            raise BadMediaError(source, f"has no audio track #{track} ({len(container.streams.audio)} audio tracks)")
        stream = container.streams.audio[track]
        to_stereo = av.AudioResampler(format="flt", layout="stereo", rate=SEPARATION_RATE)
        to_mono = av.AudioResampler(format="flt", layout="mono", rate=SPEECH_RATE)
        with sf.SoundFile(separation_path, "w", SEPARATION_RATE, 2, AUDIO_SUBTYPE) as stereo_out, \
                sf.SoundFile(speech_path, "w", SPEECH_RATE, 1, AUDIO_SUBTYPE) as mono_out:
            if lead_s > 0:
                written += _write_silence(stereo_out, round(lead_s * SEPARATION_RATE))
                _write_silence(mono_out, round(lead_s * SPEECH_RATE))
            try:
                for frame in grouped_frames(on_timeline(container.decode(stream), timeline)):
                    written += _write(to_stereo.resample(frame), stereo_out, loudness)
                    _write(to_mono.resample(speech.mono_input(frame)), mono_out, None)
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
                          int(source_channels or 0), codec, lufs, peak, timeline.note(), speech.note)


def _declared_duration(container, stream) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return container.duration / 1_000_000 if container.duration else None


def grouped_frames(frames, seconds: float = GROUP_S):
    """Decoded frames joined into frames of about ``seconds`` (each without a timestamp, so the resamplers keep
    their own clock across decoder resets). A decoder hands out ~21 ms frames; every resample and write call has a
    fixed cost, so a film's ~250,000 frames cost more in calls than in samples. FFmpeg's resampler is a stream: the
    same samples in larger frames give the same output. Joined in FFmpeg's own FIFO (no copy through numpy); a
    change of format, layout or rate starts a new FIFO."""
    import av

    fifo, kind = None, None
    for frame in frames:
        this = (frame.format.name, frame.layout.name, frame.sample_rate)
        if fifo is not None and this != kind:
            yield from _drained(fifo)
            fifo = None
        if fifo is None:
            fifo, kind = av.AudioFifo(), this
        frame.pts = None
        fifo.write(frame)
        if fifo.samples >= seconds * this[2]:
            yield from _drained(fifo)
    if fifo is not None:
        yield from _drained(fifo)


def _drained(fifo):
    frame = fifo.read()  # every sample it holds
    if frame is not None:
        frame.pts = None
        yield frame


def _write(frames, out: sf.SoundFile, loudness: "BlockLoudness | None") -> int:
    total = 0
    for frame in frames or []:
        block = frame.to_ndarray().reshape(-1, out.channels)  # packed flt: (1, samples * channels), float32
        write_clipped(out, block)
        if loudness is not None:
            loudness.add(block)
        total += block.shape[0]
    return total


def _write_silence(out: sf.SoundFile, samples: int) -> int:
    out.write(np.zeros((samples, out.channels), dtype=np.float32))
    return samples


def write_clipped(out: sf.SoundFile, block: np.ndarray) -> None:
    """Write ``samples x channels`` float audio; into an integer WAV clipped to full scale (libsndfile would wrap)."""
    out.write(np.clip(block, -1.0, 1.0) if out.subtype.startswith("PCM") else block)


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
        for frame in grouped_frames(container.decode(container.streams.audio[0])):
            written += _write(resampler.resample(frame), out, None)
        written += _write(resampler.resample(None), out, None)
    return written / rate
