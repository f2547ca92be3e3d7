"""A sound track whose timestamps skip (a capture that lost packets, a track spliced from pieces) is decoded onto
its own clock (assets/audio/timeline.py): silence where the stamps jump ahead, overlapping samples dropped where they
step back, so every sound after the gap stays at its time. Before, the samples were written one after another: the
1 s gap below pulled everything after it 1 s early, and the track, 1 s short of its declared 8 s, was refused as
truncated. Made here with ffmpeg from 8 s of Penny & Chip's sound (PCM, so the samples compare exactly)."""

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from assets.audio.extract import SPEECH_RATE, extract_audio
from assets.audio.timeline import TimelineReport, on_timeline
from tests.made_media import PENNY_AND_CHIP, needs_ffmpeg, run_ffmpeg

PC = PENNY_AND_CHIP
pytestmark = needs_ffmpeg


@pytest.fixture(scope="module")
def media(shared, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("timeline")
    made = {name: folder / name for name in ("sound.wav", "picture.mp4", "gap.mkv")}
    run_ffmpeg("-ss", "30", "-t", "8", "-i", str(shared / PC), "-vn", "-ac", "1", "-ar", str(SPEECH_RATE),
            "-c:a", "pcm_s16le", str(made["sound.wav"]))
    run_ffmpeg("-ss", "30", "-t", "8", "-i", str(shared / PC), "-an", "-c:v", "libx264", "-preset", "ultrafast",
            str(made["picture.mp4"]))
    # the sound between 2 and 3 s lost, its timestamps kept: the track jumps from 1.98 s to 3.01 s
    run_ffmpeg("-i", str(made["picture.mp4"]), "-i", str(made["sound.wav"]), "-map", "0:v", "-map", "1:a",
            "-af", "aselect='not(between(t,2,3))'", "-c:v", "copy", "-c:a", "pcm_s16le", str(made["gap.mkv"]))
    return made


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def test_a_gap_in_the_sound_s_timestamps_stays_a_gap(media, tmp_path):
    out = extract_audio(media["gap.mkv"], tmp_path / "audio")
    assert abs(out.duration_s - 8.0) < 0.05
    assert "skip 1.0" in out.timeline_note and "1 place(s)" in out.timeline_note
    mine, rate = sf.read(str(out.speech_path), dtype="float32")
    truth, _ = sf.read(str(media["sound.wav"]), dtype="float32")
    assert rate == SPEECH_RATE
    assert np.abs(mine[int(2.05 * rate):int(2.95 * rate)]).max() == 0.0  # the lost second is silent
    for start_s in (0.5, 4.0, 6.0):  # before and after the gap: the same sound at the same time
        window = slice(int(start_s * rate), int((start_s + 1.5) * rate))
        assert _correlation(mine[window], truth[window]) > 0.999
    early = slice(int(3.0 * rate), int(4.5 * rate))  # where the old decode put the sound of 4.0-5.5 s
    assert _correlation(mine[early], truth[int(4.0 * rate):int(5.5 * rate)]) < 0.5


def test_overlapping_stamps_drop_the_samples_already_written(media):
    """Real samples in 0.5 s frames, the third of which starts 0.1 s early (it repeats the end of the second)."""
    truth, rate = sf.read(str(media["sound.wav"]), dtype="float32")
    size, early = rate // 2, rate // 10
    frames = []
    for k in range(4):
        start = k * size - (early if k == 2 else 0)
        frame = av.AudioFrame.from_ndarray(truth[None, start:(k + 1) * size].copy(), format="flt", layout="mono")
        frame.sample_rate, frame.time_base, frame.pts = rate, Fraction(1, rate), start
        frames.append(frame)
    report = TimelineReport()
    laid = np.concatenate([f.to_ndarray()[0] for f in on_timeline(iter(frames), report)])
    assert report.gaps == 0 and abs(report.cut_s - 0.1) < 1e-6
    np.testing.assert_array_equal(laid, truth[:4 * size])
