"""av_sync's measurements on a synthetic clip with known truth: flashes in the picture, clicks in the sound a
known offset later, cuts placed on a metronome's beats."""

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from assets.av_sync.core import AvSyncParams, audio_onsets, change_signal, summarise, timeline_png
from assets.shot_analysis.params import ShotAnalysisParams

FPS, RATE, DURATION = 25, 22050, 10.0
FLASHES = [0.8, 1.9, 2.6, 3.9, 4.4, 5.7, 6.5, 7.8, 8.6, 9.3]


def flashing_clip(path: Path) -> Path:
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 128, 72, "yuv420p"
        for index in range(int(DURATION * FPS)):
            t = index / FPS
            level = 230 if any(0 <= t - f < 0.08 for f in FLASHES) else 30
            frame = av.VideoFrame.from_ndarray(np.full((72, 128, 3), level, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def clicks(offset_s: float) -> np.ndarray:
    rng = np.random.default_rng(0)
    signal = 0.001 * rng.standard_normal(int(DURATION * RATE)).astype(np.float32)
    for f in FLASHES:
        start = int((f + offset_s) * RATE)
        signal[start:start + 400] += 0.8 * np.hanning(400) * rng.standard_normal(400)
    return signal


def scanned_change(video: Path) -> tuple[np.ndarray, np.ndarray, float | None]:
    """The picture change as av_sync gets it: shot_analysis' one decode of the film (one shot), its relation."""
    from assets.shot_analysis.stream import ShotLookup, scan_video

    shots = pl.DataFrame({"shot": [0], "start_frame": [0]})
    return change_signal(scan_video(video, ShotLookup(shots, {}), params=ShotAnalysisParams()).picture_change)


@pytest.mark.slow
def test_onsets_against_motion_find_the_offset(tmp_path: Path):
    params, offset_s = AvSyncParams(), 0.24
    times, change, rate = scanned_change(flashing_clip(tmp_path / "flash.mp4"))
    assert rate == ShotAnalysisParams().change_rate and 110 <= len(times) <= 124  # about every second of 250 frames
    strength, onsets, tempo, beats = audio_onsets(clicks(offset_s), RATE, times)
    cuts = np.array([2.6, 5.7])
    summary, events = summarise(None, times, change, strength, onsets, tempo, beats, cuts, params, rate)
    row = summary.row(0, named=True)
    # picture vs sound: the sound is late by offset_s, so the picture leads: lag of change after strength = -offset
    assert abs(row["onset_motion_offset_s"] + offset_s) <= 1.01 / rate and row["onset_motion_correlation"] > 0.5
    assert row["motion_events"] >= 6 and "lip-sync" in row["note"]
    assert row["motion_with_onset"] <= 0.2  # the sound is late by more than on_beat_s: events do not coincide
    assert set(events["kind"]) >= {"cut", "onset", "motion_event"}
    assert timeline_png(times, change, strength, events, None, tmp_path / "t.png").stat().st_size > 1000


def test_cuts_on_the_beat_and_lip_sync_offset():
    params = AvSyncParams()
    beats = np.arange(0.5, 10, 0.5)
    lip = pl.DataFrame({"sync_correlation": [0.6, 0.7, 0.1], "sync_lag_s": [0.08, 0.08, -0.4]})
    times = np.arange(0, 10, 0.08)
    summary, _ = summarise(lip, times, np.ones_like(times), np.ones_like(times), beats, 120.0, beats,
                           beats[::4] + 0.02, params, 12.5)
    row = summary.row(0, named=True)
    assert row["cuts_on_beat"] == 1.0 and row["cuts_on_beat_by_chance"] == pytest.approx(0.4)
    assert row["lip_sync_offset_s"] == pytest.approx(0.08) and row["lip_sync_pairs"] == 2


def full_frame_change(video: Path, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """The picture change as av_sync first measured it: each sample converted to a full-size grey frame,
    then shrunk with OpenCV's area filter."""
    import av
    import cv2

    times, change, previous, next_t = [], [], None, 0.0
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        base = float(stream.time_base)
        for frame in container.decode(stream):
            t = frame.pts * base
            if t < next_t:
                continue
            next_t = t + 1.0 / rate
            grey = cv2.resize(frame.to_ndarray(format="gray"), (64, 36), interpolation=cv2.INTER_AREA).astype(np.float32)
            if previous is not None:
                times.append(t)
                change.append(float(np.mean(np.abs(grey - previous))) / 255.0)
            previous = grey
    return np.array(times), np.array(change)


def test_picture_change_shrinking_while_converting_matches_the_full_frame_path(shared: Path):
    """swscale's one-pass shrink (area filter, full-range grey), sampled as shot_analysis decodes, gives the change
    the full-size conversion gave, on a real film's cuts and motion (the Sintel trailer: dark, fast cuts)."""
    from assets.av_sync.core import motion_events
    from assets.frames.decode import DecodeReport, decode
    from assets.shot_analysis.picture_change import PictureChangeSampler

    video, rate = shared / "media/video/sintel_trailer_480x204.mp4", ShotAnalysisParams().change_rate
    sampler = PictureChangeSampler(rate)
    for frame in decode(video, 64, DecodeReport()):
        sampler.add(frame.index, frame.timestamp_s, frame.frame)
    times, change, _ = change_signal(sampler.table())
    old_times, old_change = full_frame_change(video, rate)
    assert np.array_equal(times, old_times) and len(times) > 500
    assert np.abs(change - old_change).max() < 0.01 and np.corrcoef(change, old_change)[0, 1] > 0.999
    new_events, old_events = motion_events(times, change, times[:0]), motion_events(times, old_change, times[:0])
    assert len(new_events) >= 10
    assert len(set(new_events) & set(old_events)) >= 0.9 * max(len(new_events), len(old_events))


def test_a_film_without_picture_change_gets_a_note_not_an_error():
    from assets.shot_analysis.picture_change import PICTURE_CHANGE_SCHEMA

    times, change, rate = change_signal(pl.DataFrame(schema=PICTURE_CHANGE_SCHEMA))
    assert rate is None and len(times) == 0
    strength, onsets, tempo, beats = audio_onsets(clicks(0.0), RATE, times)
    summary, events = summarise(None, times, change, strength, onsets, tempo, beats, np.array([2.6]), AvSyncParams(),
                                rate)
    row = summary.row(0, named=True)
    assert row["onset_motion_offset_s"] is None and row["motion_events"] == 0
    assert "no picture change" in row["note"] and events.filter(pl.col("kind") == "onset").height >= 6
