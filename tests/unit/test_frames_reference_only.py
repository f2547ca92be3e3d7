"""Reference-only decoding (frames.skip_non_reference): the decoder skips frames no other frame is predicted from,
shots and key frames come from the rest, and those key frames are the exact frames a full decode gives."""

from pathlib import Path

from assets.frames.core import FrameParams, extract_video_frames
from assets.frames.decode import DecodeReport, decode
from assets.frames.quality import measure


def test_reference_only_frames_are_the_full_decodes_frames(shared: Path, tmp_path: Path):
    video = shared / "media/video/pyscenedetect/testvideo.mp4"  # H.264 with B-frames, 720 frames, 24 fps
    params = dict(content_threshold=27.0, frames_per_shot=3)
    full = extract_video_frames(video, tmp_path / "full", FrameParams(**params, skip_non_reference=False))
    skip = extract_video_frames(video, tmp_path / "skip", FrameParams(**params, skip_non_reference=True))
    assert full.analysed_frames == full.decoded_frames == 720
    assert skip.decoded_frames == 720 and skip.analysed_frames < 0.75 * 720  # skipped frames still counted
    assert skip.coverage["coverage"] == full.coverage["coverage"] and not skip.coverage["gaps"]
    starts_full, starts_skip = full.shots["start_frame"].to_list(), skip.shots["start_frame"].to_list()
    assert len(starts_skip) == len(starts_full) == 3
    assert max(abs(a - b) for a, b in zip(starts_full, starts_skip)) <= 1
    assert skip.shots["end_frame"][-1] == 719
    # every chosen frame is numbered in display order and is pixel for pixel the full decode's frame there
    rows = {row["frame_index"]: row for row in skip.frames.iter_rows(named=True)}
    assert len(rows) >= 8
    for frame in decode(video, 64, DecodeReport()):
        row = rows.pop(frame.index, None)
        if row is not None:
            quality = measure(frame.full_bgr())
            assert abs(row["timestamp_s"] - frame.timestamp_s) < 1e-3
            assert row["phash"] == f"{quality.phash:016x}" and row["sharpness"] == round(quality.sharpness, 3)
    assert not rows
