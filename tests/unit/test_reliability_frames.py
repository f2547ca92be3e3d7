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
