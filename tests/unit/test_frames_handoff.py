"""One decode for `frames` and `shot_analysis` (assets/frames/handoff.py): on a real 720p H.264 film with B-frames
the frames stage decodes every frame and still writes exactly what its reference-only decode writes, and
shot_analysis' scan of the handoff equals its scan of its own decode; stale, partial or foreign handoffs are refused."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from assets.frames.core import FrameParams, extract_video_frames
from assets.frames.decode import open_video_stream
from assets.frames.handoff import (CHANGE_SIZE, HANDOFF_DIR, ChangeGrey, HandoffWriter, read_handoff, remove_handoff,
                                   settle_handoff, wants_handoff)
from assets.shot_analysis.params import ShotAnalysisParams
from assets.shot_analysis.picture_change import PictureChangeSampler
from assets.shot_analysis.stream import ShotLookup, scan_video
from resources.storage import FilmWorkspace

TESTVIDEO = "media/video/pyscenedetect/testvideo.mp4"  # 1280x720 H.264, B-frames, 720 frames, three shots


def _digest(out, folder: Path) -> str:
    table = out.frames.with_columns(out.frames["path"].str.replace(r".*/", "")).write_csv().encode()
    return hashlib.sha1(table + b"".join(p.read_bytes() for p in sorted(folder.glob("*.jpg")))).hexdigest()


@pytest.fixture(scope="module")
def handed_off(shared: Path, tmp_path_factory):
    """testvideo through the frames stage twice: its own reference-only decode, and with the handoff."""
    video, root = shared / TESTVIDEO, tmp_path_factory.mktemp("handoff")
    plain_dir, shared_dir = root / "plain", root / "shared"
    plain = extract_video_frames(video, plain_dir, FrameParams())
    workspace = FilmWorkspace("tv", root / "home")
    writer = HandoffWriter(workspace, "frames-fingerprint")
    out = extract_video_frames(video, shared_dir, FrameParams(), on_every_frame=writer.add)
    record = settle_handoff(writer, out.report, workspace)
    return video, workspace, plain, _digest(plain, plain_dir), out, _digest(out, shared_dir), record


def test_frames_decoding_every_frame_writes_what_its_reference_only_decode_writes(handed_off):
    _, workspace, plain, plain_digest, out, out_digest, record = handed_off
    assert out_digest == plain_digest and out.shots.equals(plain.shots)  # same rows, byte-identical JPEGs
    assert out.coverage == plain.coverage and out.decoded_frames == plain.decoded_frames == 720
    # the stage still sees only the reference frames; the handoff got all 720
    assert out.analysed_frames == plain.analysed_frames < 0.5 * 720
    assert out.report.every_frame == record["handoff_frames"] == 720
    folder = workspace.artefact_dir(HANDOFF_DIR)
    assert record["handoff_bytes"] == (folder / "frames.bin").stat().st_size > 720 * 2000
    assert not list(folder.parent.glob(f".{HANDOFF_DIR}.staging.*"))


def test_shot_analysis_scan_of_the_handoff_equals_its_own_decode(handed_off):
    video, workspace, plain, *_ = handed_off
    handoff = read_handoff(workspace, "frames-fingerprint")
    assert handoff is not None and handoff.taken_at(192, 12.5) and not handoff.taken_at(160, 12.5)
    assert not handoff.taken_at(192, 25.0)  # its picture change greys are those of a 12.5 Hz sampling only
    # a shot's boxes mask the camera's background: the handoff's grey must be masked the same way
    lookup = ShotLookup(plain.shots, {1: [(300, [(200.0, 100.0, 700.0, 650.0)])]})
    params = ShotAnalysisParams()
    own, read = scan_video(video, lookup, 192, 4, params), scan_video(video, lookup, 192, 4, params, handoff)
    assert own.signals.height == 720 and own.signals.equals(read.signals)
    assert own.signals["dx"].drop_nulls().len() > 300  # camera motion was measured, not all null on both sides
    assert own.picture_change.height > 200 and own.picture_change.equals(read.picture_change)
    assert own.pairs == read.pairs and sum(len(p) for p in own.pairs.values()) > 600
    assert (own.width, own.height, own.fps, own.decoded_frames, own.decode_error) == \
        (read.width, read.height, read.fps, read.decoded_frames, read.decode_error) == (192, 108, own.fps, 720, None)
    assert sorted(own.appearance) == sorted(read.appearance) == [0, 1, 2]
    for shot, mine in own.appearance.items():
        theirs = read.appearance[shot]
        assert mine.samples == theirs.samples > 10
        assert np.array_equal(mine.histogram, theirs.histogram) and np.array_equal(mine.thumbnail, theirs.thumbnail)


def test_the_handoff_holds_the_picture_change_grey_of_the_sampled_frames_only(handed_off):
    """swscale's 64 x 36 grey is taken on the frames shot_analysis' picture change samples (every third frame of
    this 30 fps film at 12.5 Hz), each equal to that frame's own; the other records go without it."""
    video, workspace, *_ = handed_off
    stored = list(read_handoff(workspace, "frames-fingerprint").frames())
    with_grey = [frame.index for frame in stored if frame.change_grey is not None]
    sampler = PictureChangeSampler(12.5)
    for frame in stored:
        sampler.add_grey(frame.index, frame.timestamp_s, lambda: np.zeros(CHANGE_SIZE[::-1], np.uint8))
    assert with_grey == [0, *sampler.table()["frame_index"].to_list()] and len(with_grey) == 240
    checked, decoded = {with_grey[0], with_grey[1], with_grey[-2], with_grey[-1]}, {}
    change = ChangeGrey()
    with open_video_stream(video) as (container, stream):
        for index, frame in enumerate(container.decode(stream)):
            if index in checked:
                decoded[index] = change(frame)
    assert all(np.array_equal(frame.change_grey, decoded[frame.index]) for frame in stored if frame.index in checked)
    assert len(decoded) == 4


def test_a_stale_partial_or_missing_handoff_is_refused(handed_off, tmp_path):
    _, workspace, *_ = handed_off
    assert read_handoff(workspace, "another-frames-run") is None and read_handoff(workspace, None) is None
    copy = FilmWorkspace("tv", tmp_path / "home")
    folder = copy.artefact_dir(HANDOFF_DIR)
    folder.mkdir(parents=True)
    stored = workspace.artefact_dir(HANDOFF_DIR)
    assert read_handoff(copy, "frames-fingerprint") is None  # no manifest: not finished
    (folder / "manifest.json").write_bytes((stored / "manifest.json").read_bytes())
    (folder / "frames.bin").write_bytes((stored / "frames.bin").read_bytes()[:-1000])  # cut short
    assert read_handoff(copy, "frames-fingerprint") is None
    manifest = json.loads((stored / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "format": 0}))  # written by another layout
    assert read_handoff(copy, "frames-fingerprint") is None
    remove_handoff(copy)
    assert not folder.exists()


def test_no_handoff_below_480_rows_or_where_the_decoder_skips_frames(shared: Path, tmp_path: Path):
    assert not wants_handoff("video", 479) and not wants_handoff("images", 1080) and not wants_handoff("video", None)
    assert wants_handoff("video", 480) and wants_handoff("video", 720)
    workspace = FilmWorkspace("bbb", tmp_path / "home")
    stale = workspace.artefact_dir(HANDOFF_DIR)
    stale.mkdir(parents=True)  # an earlier run's handoff goes when the new run makes none
    writer = HandoffWriter(workspace, "fp")
    # VP9 in WebM, 720p: reference frames are not told apart from the packets, so the decoder skips them itself
    out = extract_video_frames(shared / "media/video/big_buck_bunny_0_30.webm", tmp_path / "frames", FrameParams(),
                               on_every_frame=writer.add)
    record = settle_handoff(writer, out.report, workspace)
    assert out.report.every_frame == 0 and writer.frames == 0 and "skipped" in record["handoff"]
    assert not stale.exists() and not list(stale.parent.glob(f".{HANDOFF_DIR}.staging.*"))
    every = extract_video_frames(shared / "media/video/big_buck_bunny_0_30.webm", tmp_path / "all",
                                 FrameParams(skip_non_reference=False), on_every_frame=lambda *frame: None)
    assert every.report.every_frame == every.analysed_frames == 720  # a decode of every frame tells every frame


def test_a_480_row_film_takes_the_handoff_and_the_scan_of_it_equals_shot_analysis_own_decode(shared: Path,
                                                                                              tmp_path: Path):
    """Penny & Chip, 2D, 854x480 H.264 (its first 20 s, cut without re-encoding): since session 16 a film of 480 rows
    takes the handoff too (it saves CPU there); its rows and JPEGs are those of the reference-only decode."""
    import subprocess

    clip = tmp_path / "penny_and_chip_480p_20s.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(shared / "media/video/2d/penny_and_chip_26shots_480p.mp4"),
                    "-t", "20", "-an", "-c", "copy", str(clip)], check=True)
    assert wants_handoff("video", 480)
    plain = extract_video_frames(clip, tmp_path / "plain", FrameParams())
    workspace = FilmWorkspace("pc", tmp_path / "home")
    writer = HandoffWriter(workspace, "fp")
    out = extract_video_frames(clip, tmp_path / "shared", FrameParams(), on_every_frame=writer.add)
    assert _digest(out, tmp_path / "shared") == _digest(plain, tmp_path / "plain") and out.shots.equals(plain.shots)
    every = out.report.every_frame  # 20 s at 24 fps, and the frames the copy's cut keeps to its next key frame
    assert settle_handoff(writer, out.report, workspace)["handoff_frames"] == every and 480 <= every < 500
    assert out.analysed_frames == plain.analysed_frames < 0.6 * every  # the stage still sees the reference frames
    lookup, params = ShotLookup(plain.shots, {}), ShotAnalysisParams()
    own = scan_video(clip, lookup, 192, 4, params)
    read = scan_video(clip, lookup, 192, 4, params, read_handoff(workspace, "fp"))
    assert own.signals.height == every and own.signals.equals(read.signals) and (read.width, read.height) == (192, 108)
    assert own.picture_change.height > 200 and own.picture_change.equals(read.picture_change)
    assert own.pairs == read.pairs and plain.shots.height > 1
    assert all(own.appearance[shot].samples == read.appearance[shot].samples
               and np.array_equal(own.appearance[shot].histogram, read.appearance[shot].histogram)
               for shot in own.appearance) and sorted(own.appearance) == sorted(read.appearance)


def test_a_damaged_film_keeps_its_frames_and_its_handoff_equals_shot_analysis_own_decode(shared: Path, tmp_path):
    """Garbage in the middle of testvideo: the decoder conceals it from the last picture it made, a non-reference
    one when every frame is decoded, so the frames stage takes its key frames again from a skipping decode (same
    rows and JPEGs), while the handoff is what shot_analysis' own decode of every frame gives."""
    data = bytearray((shared / TESTVIDEO).read_bytes())
    middle = len(data) // 2
    data[middle:middle + 200_000] = np.random.default_rng(0).integers(0, 256, 200_000, dtype=np.uint8).tobytes()
    video = tmp_path / "damaged.mp4"
    video.write_bytes(bytes(data))
    plain = extract_video_frames(video, tmp_path / "plain", FrameParams())
    workspace = FilmWorkspace("tv", tmp_path / "home")
    writer = HandoffWriter(workspace, "fp")
    out = extract_video_frames(video, tmp_path / "shared", FrameParams(), on_every_frame=writer.add)
    assert plain.coverage["damaged_packets"] > 0 and out.coverage == plain.coverage
    assert _digest(out, tmp_path / "shared") == _digest(plain, tmp_path / "plain")
    assert settle_handoff(writer, out.report, workspace)["handoff_frames"] == out.report.every_frame > 600
    lookup, params = ShotLookup(plain.shots, {}), ShotAnalysisParams()
    own = scan_video(video, lookup, 192, 4, params)
    read = scan_video(video, lookup, 192, 4, params, read_handoff(workspace, "fp"))
    assert own.decode_error == read.decode_error and "damaged" in own.decode_error
    assert own.signals.equals(read.signals) and own.picture_change.equals(read.picture_change)
    assert own.pairs == read.pairs


def _decoded(video: Path, count: int) -> list:
    import av

    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        base, frames = float(stream.time_base), []
        for index, frame in enumerate(container.decode(stream)):
            frames.append((index, float(frame.pts * base), frame))
            if len(frames) == count:
                return frames
    return frames


def test_the_writing_thread_writes_what_writing_on_the_decoding_thread_writes(shared: Path, tmp_path: Path):
    # add() only queues (the decoding thread goes back to FFmpeg); the writing thread's records, in order, are the
    # bytes write() makes on the caller's thread; more frames than the queue holds
    frames = _decoded(shared / TESTVIDEO, 3 * HandoffWriter.QUEUED)
    stored = {}
    for way in ("add", "write"):
        workspace = FilmWorkspace("tv", tmp_path / way)
        writer = HandoffWriter(workspace, "fp")
        for frame in frames:
            getattr(writer, way)(*frame)
        writer.frames = len(frames)   # write() on the caller's thread does not count what add() takes
        stored[way] = (writer.finish(24.0, 1280, 720, None) / "frames.bin").read_bytes()
    assert len(stored["add"]) > len(frames) * 2000 and stored["add"] == stored["write"]


def test_a_frame_the_writing_thread_cannot_write_fails_the_handoff_and_a_discard_drops_the_queue(shared: Path,
                                                                                                 tmp_path: Path):
    frames = _decoded(shared / TESTVIDEO, 4)
    workspace = FilmWorkspace("tv", tmp_path)
    broken = HandoffWriter(workspace, "fp")
    broken.add(*frames[0])
    broken.add(1, 0.04, "not a frame")   # the writing thread's error is raised by finish, the staging folder gone
    with pytest.raises(Exception):
        broken.finish(24.0, 1280, 720, None)
    assert not broken.staging.exists() and read_handoff(workspace, "fp") is None
    dropped = HandoffWriter(workspace, "fp")
    for frame in frames:
        dropped.add(*frame)
    dropped.discard()
    assert not dropped.staging.exists() and not dropped.writing
