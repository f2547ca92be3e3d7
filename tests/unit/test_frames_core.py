import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from assets.frames.core import FrameParams, extract_image_frames, extract_video_frames, frame_name
from assets.frames.quality import hamming, measure, near_duplicates, perceptual_hash, quality_drop_reason
from assets.frames.sampling import ShotReservoir, spread


@pytest.mark.parametrize(("first", "last", "count", "expected"), [
    (0, 99, 4, [12, 37, 62, 87]),
    (10, 12, 10, [10, 11, 12]),  # capped by the shot's length
    (5, 5, 3, [5]),
    (0, 9, 0, []),
])
def test_spread_is_even_and_capped(first, last, count, expected):
    assert spread(first, last, count) == expected


@pytest.mark.parametrize("step", [1, 2])  # 2: only odd frames arrive (non-reference frames skipped); a stride of
def test_reservoir_keeps_an_even_bounded_sample_of_a_long_shot(step):  # 2, 4, ... must not lock them out
    reservoir = ShotReservoir(wanted=5, start=100)
    for index in range(100 + step - 1, 1100, step):
        if reservoir.offer(index):
            reservoir.add(index, index)
    assert len(reservoir.items) < 20
    picked = [i for i, _ in reservoir.pick(1099, 5)]
    assert len(picked) == 5
    gaps = np.diff(picked)
    assert picked[0] < 250 and gaps.min() > 140 and gaps.max() < 260  # ~200 apart over a 1000-frame shot
    later = reservoir.split_at(1000)
    assert all(i >= 1000 for i, _ in later) and all(i < 1000 for i, _ in reservoir.items)


def test_reservoir_prefers_usable_frames():
    reservoir = ShotReservoir(wanted=2, start=0)
    for index in range(6):
        reservoir.add(index, index)
    assert [i for i, _ in reservoir.pick(5, 2, usable=lambda x: x >= 4)] == [4, 5]


def test_near_duplicates_keep_the_sharpest():
    hashes = [0b1111, 0b1110, 0xFF00FF00FF00FF00]
    dropped = near_duplicates(hashes, sharpness=[10.0, 50.0, 5.0], max_distance=2)
    assert dropped == {0: 1}
    assert hamming(np.array([0b1111], dtype=np.uint64), 0b0000).tolist() == [4]


def test_quality_measures_on_real_and_flat_images(shared):
    import cv2

    frame = cv2.imread(str(shared / "media/faces/knn_examples/test/obama1.jpg"))
    quality = measure(frame)
    assert quality.sharpness > 20 and 30 < quality.brightness < 230 and quality.contrast > 20
    flat = np.full((120, 160, 3), 5, np.uint8)
    assert quality_drop_reason(measure(flat), 20, 12, 10) == "dark"
    grey = np.full((120, 160, 3), 128, np.uint8)
    assert quality_drop_reason(measure(grey), 20, 12, 10) == "low_contrast"
    blurred = cv2.GaussianBlur(frame, (0, 0), 12)
    assert quality_drop_reason(measure(blurred), 20, 12, 10) == "blurry"
    # the hash survives re-encoding and resizing, and tells different photos apart
    small = cv2.resize(frame, (frame.shape[1] // 2, frame.shape[0] // 2))
    grey_full = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    other = cv2.imread(str(shared / "media/faces/knn_examples/test/obama_and_biden.jpg"), cv2.IMREAD_GRAYSCALE)
    assert bin(perceptual_hash(grey_full) ^ perceptual_hash(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY))).count("1") <= 4
    assert bin(perceptual_hash(grey_full) ^ perceptual_hash(other)).count("1") > 12


def test_params_reject_unknown_mode():
    with pytest.raises(ValueError, match="frames.mode"):
        FrameParams(mode="every_frame")


def test_shot_cuts_match_pyscenedetect_ground_truth(shared, tmp_path):
    """testvideo.mp4 has three scenes separated by fades through black; the ground truth puts the cuts at
    frames 201 and 382. Hard cuts into and out of black are not shots of their own."""
    video = shared / "media/video/pyscenedetect/testvideo.mp4"
    truth = [int(float(line.split(",")[2])) for line in
             (shared / "media/video/pyscenedetect/testvideo_scenes.csv").read_text().splitlines()[2:4]]
    assert truth == [201, 382]
    out = extract_video_frames(video, tmp_path, FrameParams(content_threshold=27.0, frames_per_shot=3))
    starts = out.shots["start_frame"].to_list()
    assert starts[0] == 0 and len(starts) == 3
    for found, expected in zip(starts[1:], truth, strict=True):
        assert abs(found - expected) <= 12  # half a second at 24 fps
    assert out.shots["end_frame"].to_list()[-1] == out.decoded_frames - 1 == 719


def test_sintel_frames_spread_across_shots(shared, tmp_path):
    video = shared / "media/video/sintel_trailer_480x204.mp4"
    out = extract_video_frames(video, tmp_path, FrameParams(frames_per_shot=4))
    shots, frames = out.shots, out.frames
    assert 10 <= shots.height <= 40
    # shots tile the film without gaps or overlaps
    assert (shots["start_frame"][1:] == shots["end_frame"][:-1] + 1).all()
    per_shot = frames.group_by("shot").len()
    assert per_shot["len"].max() <= 4
    kept = frames.filter(pl.col("kept"))
    assert kept.height >= 20
    for row in kept.iter_rows(named=True):
        path = Path(row["path"])
        assert path.exists() and path.name == frame_name(row["shot"], row["pos"], row["frame_index"]) + ".jpg"
        assert row["drop_reason"] is None
    # dropped frames keep their reason and no file; duplicates point at a kept frame
    dropped = frames.filter(~pl.col("kept"))
    assert dropped["path"].is_null().all() and dropped["drop_reason"].is_not_null().all()
    kept_ids = set(kept["frame_id"])
    for reason in dropped["drop_reason"]:
        if reason.startswith("duplicate_of:"):
            assert reason.split(":", 1)[1] in kept_ids
    # timestamps follow frame indices at the film's rate
    assert np.allclose(kept["timestamp_s"], kept["frame_index"] / 24.0, atol=0.05)


def test_interval_and_hybrid_modes(shared, tmp_path):
    video = shared / "media/video/pyscenedetect/testvideo.mp4"
    interval = extract_video_frames(video, tmp_path / "i", FrameParams(
        mode="interval", interval_s=2.0, dedup_hamming=0, min_brightness=0, min_contrast=0, min_sharpness=0))
    assert interval.frames.height == 12  # the last frame is at 23.98 s: samples at 0, 2, ..., 22 s
    gaps = np.diff(interval.frames["timestamp_s"].to_numpy())
    assert np.allclose(gaps, 2.0, atol=0.05)
    hybrid = extract_video_frames(video, tmp_path / "h", FrameParams(
        mode="hybrid", interval_s=2.0, frames_per_shot=3, dedup_hamming=0, min_brightness=0, min_contrast=0,
        min_sharpness=0))
    assert hybrid.frames.group_by("shot").len()["len"].to_list() == [3, 3, 3]


def test_image_folder_frames_keep_sources_and_record_unreadable(shared, tmp_path):
    import shutil

    folder = tmp_path / "stills"
    shutil.copytree(shared / "media/faces/knn_examples/test", folder / "set é")
    (folder / "set é" / "broken.jpg").write_bytes(b"not a jpeg")
    out = extract_image_frames(folder, tmp_path / "out", FrameParams())
    frames = out.frames
    assert frames.height == 6
    broken = frames.filter(pl.col("source") == "set é/broken.jpg").row(0, named=True)
    assert not broken["kept"] and broken["drop_reason"].startswith("unreadable")
    kept = frames.filter(pl.col("kept"))
    assert set(kept["source"]) >= {"set é/obama_and_biden.jpg", "set é/kit_with_rose.jpg"}
    assert json.dumps(frames.to_dicts(), default=str)  # plain types only


def test_a_jpeg_the_writing_thread_cannot_write_fails_the_extraction(shared, tmp_path, monkeypatch):
    # the kept frames' JPEGs are written on a thread of their own: a failed write still fails the stage, naming it
    import assets.frames.core as core

    monkeypatch.setattr(core.cv2, "imwrite", lambda *args, **kwargs: False)
    with pytest.raises(OSError, match=r"could not be encoded or written: .*\.jpg"):
        extract_video_frames(shared / "media/video/sintel_trailer_480x204.mp4", tmp_path / "frames", FrameParams())
