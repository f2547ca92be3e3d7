"""Issue 11: long black/white/static stretches, damaged and truncated videos (frames decoding)."""

from pathlib import Path

import numpy as np
import pytest

from assets.frames.core import FrameParams, extract_video_frames


def write_clip(path: Path, fps: int, segments: list[tuple[str, float]], size: tuple[int, int] = (160, 96)) -> Path:
    """An H.264 clip of ``segments``: ("pattern", seconds) moving texture, ("black"|"white"|"static", seconds)."""
    import av

    rng = np.random.default_rng(7)
    width, height = size
    texture = rng.integers(40, 230, (height, width * 2, 3), dtype=np.uint8)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        index = 0
        for kind, seconds in segments:
            for _ in range(round(seconds * fps)):
                if kind == "pattern":  # a pan across a texture: content changes, no cut
                    offset = index % width
                    image = np.ascontiguousarray(texture[:, offset:offset + width])
                elif kind == "static":
                    image = texture[:, :width].copy()
                else:
                    image = np.full((height, width, 3), 0 if kind == "black" else 255, np.uint8)
                frame = av.VideoFrame.from_ndarray(image, format="rgb24")
                for packet in stream.encode(frame):
                    container.mux(packet)
                index += 1
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.mark.parametrize("fps", [24, 60])
def test_long_fade_to_black_is_one_boundary_not_a_crash(tmp_path: Path, fps: int):
    clip = write_clip(tmp_path / f"fade_{fps}.mp4", fps, [("pattern", 2.0), ("black", 11.0), ("pattern", 2.0)])
    out = extract_video_frames(clip, tmp_path / "frames", FrameParams(frames_per_shot=3))
    total = round(15.0 * fps)
    assert out.decoded_frames == total and out.decode_error is None
    shots = out.shots.sort("shot")
    # contiguous shots covering every frame, split once inside the black run (its midpoint)
    assert shots["start_frame"][0] == 0 and shots["end_frame"][-1] == total - 1
    assert (shots["start_frame"][1:] == shots["end_frame"][:-1] + 1).all()
    black_start, black_end = 2 * fps, 13 * fps
    inner = [s for s in shots["start_frame"][1:].to_list()]
    assert len(inner) == 1 and black_start < inner[0] < black_end
    assert abs(shots["start_s"][1] - inner[0] / fps) < 1.5 / fps  # its time is the frame's own timestamp
    assert out.frames.filter("kept").height >= 2  # frames from both sides of the fade


@pytest.mark.parametrize("fill", ["white", "static"])
def test_long_white_or_static_stretch_decodes_whole(tmp_path: Path, fill: str):
    clip = write_clip(tmp_path / f"{fill}.mp4", 24, [("pattern", 1.0), (fill, 11.0), ("pattern", 1.0)])
    out = extract_video_frames(clip, tmp_path / "frames", FrameParams(frames_per_shot=3))
    assert out.decoded_frames == 13 * 24
    assert out.shots["end_frame"].max() == 13 * 24 - 1


def write_webm(path: Path, seconds: float, audio: bool, fps: int = 24, size: tuple[int, int] = (160, 96)) -> Path:
    """A VP8 WebM of a panning texture, with an Opus tone when ``audio``."""
    import av

    width, height = size
    texture = np.random.default_rng(3).integers(40, 230, (height, width * 2, 3), dtype=np.uint8)
    with av.open(str(path), "w") as container:
        video = container.add_stream("libvpx", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"deadline": "realtime", "cpu-used": "8"}
        sound = container.add_stream("libopus", rate=48000) if audio else None
        samples = 0
        for i in range(round(seconds * fps)):
            offset = i % width
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(texture[:, offset:offset + width]), "rgb24")
            container.mux(video.encode(frame))
            while sound is not None and samples < (i + 1) * 48000 // fps:
                t = (np.arange(960) + samples) / 48000
                chunk = av.AudioFrame.from_ndarray((0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None],
                                                   format="flt", layout="mono")
                chunk.sample_rate, chunk.pts = 48000, samples
                container.mux(sound.encode(chunk))
                samples += 960
        container.mux(video.encode())
        if sound is not None:
            container.mux(sound.encode())
    return path


@pytest.mark.parametrize("audio", [False, True])
def test_a_truncated_webm_is_refused_at_ingest_naming_both_durations(tmp_path: Path, audio: bool):
    from resources.catalog import Catalog
    from resources.errors import BadMediaError
    from orchestration.ingest import ingest_source

    whole = write_webm(tmp_path / "whole.webm", 8.0, audio)
    half = tmp_path / "half.webm"
    half.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    catalog = Catalog(tmp_path / "home")
    with pytest.raises(BadMediaError, match=r"half\.webm.*declares 8\.0 s but"):
        ingest_source(catalog, half)
    assert catalog.films().is_empty()
    # had it been let through, frames refuses it as well, with both durations
    with pytest.raises(BadMediaError, match=r"half\.webm.*decoded only \d+\.\d s of its declared 8\.0 s"):
        extract_video_frames(half, tmp_path / "frames", FrameParams(frames_per_shot=1))
    assert ingest_source(catalog, whole).created  # the whole file is fine


def damaged_sintel(shared: Path, folder: Path) -> Path:
    """A copy of the Sintel trailer with 200 KB of garbage written into its middle."""
    data = bytearray((shared / "media/video/sintel_trailer_480x204.mp4").read_bytes())
    middle = len(data) // 2
    data[middle:middle + 200_000] = np.random.default_rng(0).integers(0, 256, 200_000, dtype=np.uint8).tobytes()
    damaged = folder / "sintel_damaged.mp4"
    damaged.write_bytes(bytes(data))
    return damaged


def test_garbage_in_the_middle_is_skipped_and_coverage_recorded(shared: Path, tmp_path: Path):
    from resources.errors import BadMediaError

    damaged = damaged_sintel(shared, tmp_path)
    out = extract_video_frames(damaged, tmp_path / "frames", FrameParams(frames_per_shot=1))
    # before: decoding stopped at frame 600 of 1252; FFmpeg's own tools decode past this damage
    assert out.decoded_frames > 1150
    assert out.shots["end_frame"].max() == out.decoded_frames - 1
    coverage = out.coverage
    assert coverage["declared_s"] == pytest.approx(52.167, abs=0.01)
    assert 0.9 < coverage["coverage"] < 0.99 and coverage["damaged_packets"] > 0 and coverage["gaps"]
    assert "damaged packet" in out.decode_error
    with pytest.raises(BadMediaError, match=r"sintel_damaged\.mp4.*decoded only 5\d\.\d s of its declared 52\.2 s"):
        extract_video_frames(damaged, tmp_path / "frames2", FrameParams(frames_per_shot=1, min_coverage=0.99))


@pytest.mark.slow
def test_the_frames_asset_records_coverage_and_its_check_warns(shared: Path, castforge_home: Path, tmp_path: Path):
    from assets.frames.assets import coverage_result
    from resources.storage import FilmWorkspace
    from tests.conftest import build_film

    result = build_film(castforge_home, damaged_sintel(shared, tmp_path), "damaged", ["frames"],
                        {"frames": {"frames_per_shot": 1}})
    assert result.success
    record = FilmWorkspace("damaged", castforge_home).read_stage_record("frames")
    assert 0.9 < record["coverage"]["coverage"] < 0.99 and record["decoded_frames"] > 1150
    evaluation = coverage_result(record)  # what the decode_coverage asset check reports for this film
    assert not evaluation.passed and evaluation.metadata["damaged_packets"].value > 0
    assert evaluation.metadata["declared_s"].value == pytest.approx(52.167, abs=0.01)
    assert coverage_result({"coverage": {**record["coverage"], "coverage": 1.0, "damaged_packets": 0}}).passed
