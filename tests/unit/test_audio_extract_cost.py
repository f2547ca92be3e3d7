"""The soundtrack's decode made cheap without changing what it writes: frames joined before resampling, and
BS.1770 loudness vectorised (assets/audio/extract.py, loudness.py), checked against the per-frame path and pyloudnorm."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from assets.audio.extract import SPEECH_RATE, extract_audio, grouped_frames
from assets.audio.loudness import BlockLoudness, integrated_loudness

SINTEL = "media/video/sintel_trailer_480x204.mp4"


@pytest.fixture(scope="module")
def sintel_audio(shared: Path, tmp_path_factory) -> tuple[Path, object]:
    out_dir = tmp_path_factory.mktemp("sintel_audio")
    return shared / SINTEL, extract_audio(shared / SINTEL, out_dir)


def _per_frame_mono(source: Path) -> np.ndarray:
    """16 kHz mono as FFmpeg's resampler gives it fed one decoded frame at a time (the old path)."""
    import av

    parts = []
    with av.open(str(source)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SPEECH_RATE)
        for frame in container.decode(container.streams.audio[0]):
            frame.pts = None
            parts += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
        parts += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(parts)


def test_joined_frames_resample_to_the_same_samples(sintel_audio, tmp_path: Path):
    source, out = sintel_audio
    reference = tmp_path / "per_frame.wav"
    sf.write(reference, np.clip(_per_frame_mono(source), -1.0, 1.0), SPEECH_RATE, subtype="PCM_16")
    expected, _ = sf.read(str(reference), dtype="int16")
    written, _ = sf.read(str(out.speech_path), dtype="int16")
    assert np.array_equal(written, expected)
    assert np.abs(written).max() > 1000  # real sound, not silence


def test_grouped_frames_keep_every_sample_and_split_at_format_changes(sintel_audio):
    import av

    source, _ = sintel_audio
    with av.open(str(source)) as container:
        decoded = [(f.samples, f.sample_rate) for f in container.decode(container.streams.audio[0])]
    with av.open(str(source)) as container:
        joined = list(grouped_frames(container.decode(container.streams.audio[0]), seconds=2.0))
    assert sum(f.samples for f in joined) == sum(n for n, _ in decoded)
    assert len(joined) < len(decoded) / 50 and all(f.pts is None for f in joined)
    assert all(f.samples <= 2.0 * f.sample_rate + max(n for n, _ in decoded) for f in joined)


def test_loudness_equals_pyloudnorm(sintel_audio):
    import pyloudnorm

    _, out = sintel_audio
    stereo, rate = sf.read(str(out.separation_path), dtype="float64")
    meter = pyloudnorm.Meter(rate)
    assert integrated_loudness(meter, stereo) == pytest.approx(meter.integrated_loudness(stereo), abs=1e-6)
    quiet = stereo * 10 ** (-40 / 20)  # some blocks fall under the absolute gate
    assert integrated_loudness(meter, quiet) == pytest.approx(meter.integrated_loudness(quiet), abs=1e-6)
    assert integrated_loudness(meter, np.zeros((rate, 2))) == -np.inf
    assert out.loudness_lufs == pytest.approx(meter.integrated_loudness(stereo), abs=0.01)  # under a minute: one block


def test_block_loudness_does_not_depend_on_the_piece_sizes(sintel_audio):
    _, out = sintel_audio
    stereo, rate = sf.read(str(out.separation_path), dtype="float32")
    film = np.concatenate([stereo, stereo * 0.5, stereo])  # 2.6 minutes: three minute-long blocks
    results = []
    for piece in (1024, 88200, 1_000_003):
        meter = BlockLoudness(rate)
        for lo in range(0, len(film), piece):
            meter.add(film[lo:lo + piece])
        results.append(meter.result())
    assert results[0] == results[1] == results[2]
    assert -30 < results[0][0] < -5


def test_voice_features_read_only_the_turns_they_analyse(shared: Path, tmp_path: Path):
    """The asset hands voice_features the WAV as a reader by sample range: the rows equal those from the array."""
    import polars as pl

    from assets.audio.speech import read_rttm
    from assets.audio.voice_features import VoiceFeatureParams, voice_features
    from resources.backends.sample_source import FileSamples

    folder = shared / "media/audio/pyannote_sample"
    waveform, rate = sf.read(str(folder / "sample.wav"), dtype="float32")
    sf.write(tmp_path / "speech16k.wav", waveform, rate, subtype="PCM_16")
    pcm, _ = sf.read(str(tmp_path / "speech16k.wav"), dtype="float32")
    segments = read_rttm(folder / "sample.rttm").with_columns(duration_s=pl.col("end_s") - pl.col("start_s"))
    params = VoiceFeatureParams(max_analysed_s=3.0)
    with FileSamples(tmp_path / "speech16k.wav") as samples:
        streamed = voice_features(samples, rate, segments, params)
    whole = voice_features(pcm, rate, segments, params)
    assert streamed.height == 2 and streamed.equals(whole)
    assert streamed["f0_median_hz"].is_between(80, 400).all() and (streamed["analysed_s"] > 2.5).all()
