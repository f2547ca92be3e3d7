"""Camera motion: exact synthetic moves over a real frame, with and without a character walking across."""

from pathlib import Path

import cv2
import numpy as np
import polars as pl
import pytest

from assets.shot_analysis.camera import background_mask, classify_shot_motion, pair_motion
from assets.shot_analysis.params import ShotAnalysisParams
from assets.shot_analysis.stream import ShotLookup, scan_video
from assets.shot_analysis.synthetic import MOVES, ClipSpec, character_box, render_clip

PENNY = "media/video/2d/penny_and_chip_26shots_480p.mp4"


def _frame(path: Path, index: int) -> np.ndarray:
    import av

    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i == index:
                return frame.to_ndarray(format="bgr24")
    raise AssertionError(f"{path} has fewer than {index} frames")


@pytest.fixture(scope="module")
def still(shared) -> np.ndarray:
    return _frame(shared / PENNY, 100)


@pytest.fixture(scope="module")
def character(shared) -> np.ndarray:
    return cv2.imread(str(shared / "media/characters_rgba/sita_front.png"), cv2.IMREAD_UNCHANGED)


def _classify(frames: list[np.ndarray], boxes: list | None = None):
    width = 192
    greys = [cv2.cvtColor(cv2.resize(f, (width, round(f.shape[0] * width / f.shape[1]))), cv2.COLOR_BGR2GRAY)
             for f in frames]
    scale = width / frames[0].shape[1]
    pairs = [pair_motion(greys[k - 1], greys[k], background_mask(greys[k].shape, [tuple(v * scale for v in b)
                                                                                  for b in boxes[k]])
                         if boxes else None) for k in range(1, len(greys))]
    return classify_shot_motion(pairs, greys[0].shape[1], greys[0].shape[0], 24.0)


@pytest.mark.parametrize("with_character", [False, True])
@pytest.mark.parametrize("move", MOVES)
def test_each_synthetic_move_is_recognised(still, character, move, with_character):
    spec = ClipSpec(move, frames=36, rate=0.12, seed=3)
    frames = render_clip(still, spec, character if with_character else None)
    boxes = [[character_box(spec.size, character, k / (spec.frames - 1))] for k in range(spec.frames)] \
        if with_character else None
    camera = _classify(frames, boxes)
    assert camera.camera_motion == move
    if move.startswith(("pan", "tilt")):
        assert camera.motion_magnitude == pytest.approx(0.12, rel=0.15)  # frame widths per second, as rendered
    if move.startswith("zoom"):
        assert abs(camera.zoom_rate) == pytest.approx(0.12, rel=0.15)


def test_short_and_textureless_shots_say_why(still):
    short = _classify(render_clip(still, ClipSpec("pan_left", frames=4)))
    assert short.camera_motion is None and "too short to estimate motion (4 frames)" in short.note
    black = _classify([np.zeros((180, 320, 3), np.uint8)] * 20)
    assert black.camera_motion is None and "too little trackable texture" in black.note


def _write_video(path: Path, frames: list[np.ndarray], fps: int = 24) -> None:
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        stream.options = {"crf": "18"}
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="bgr24")))
        container.mux(stream.encode())


def test_one_decoding_pass_measures_every_frame_per_shot(still, tmp_path):
    clip = render_clip(still, ClipSpec("pan_right", frames=30)) + render_clip(still, ClipSpec("static", frames=20))
    video = tmp_path / "two_shots.mp4"
    _write_video(video, clip)
    shots = pl.DataFrame({"shot": [0, 1], "start_frame": [0, 30], "end_frame": [29, 49]},
                         schema={"shot": pl.Int32, "start_frame": pl.Int64, "end_frame": pl.Int64})
    scan = scan_video(video, ShotLookup(shots, {}), 192, 4, ShotAnalysisParams())
    assert scan.decoded_frames == 50 and scan.signals.height == 50
    assert scan.signals.filter(pl.col("shot") == 1)["frame_index"].min() == 30
    # the first frame of each shot has no motion (no pair across the cut)
    assert scan.signals.filter(pl.col("frame_index").is_in([0, 30]))["dx"].null_count() == 2
    labels = [classify_shot_motion(scan.pairs[s], scan.width, scan.height, scan.fps).camera_motion for s in (0, 1)]
    assert labels == ["pan_right", "static"]
