"""A shot's style does not depend on the film's resolution or its letterbox: the Sintel trailer's rendered shots
and Penny & Chip's drawn ones, as bench/film_scale.py builds them (scaled into a 16:9 frame of 480, 720 or 1080 rows,
black bars around the picture), are measured as in their own frames. Black bars' edges read as dark outlines to the
style measure, which once called three Sintel shots of the 1080p film anime (docs/anime_2d.md, Session 21 (d5))."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from resources.style import measure_style, picture_area, shot_style

SINTEL = "media/video/sintel_trailer_480x204.mp4"
PENNY_CHIP = "media/video/2d/penny_and_chip_26shots_480p.mp4"
TESTVIDEO = "media/video/pyscenedetect/testvideo.mp4"
# frame indices of three frames a shot (24 fps): Sintel shots measured anime in the letterboxed 1080p film, the
# last with a dark frame of few edges; Penny & Chip shots; the test video's caption on black (a bare shot)
SINTEL_SHOTS = ((400, 409, 418), (626, 641, 655), (797, 894, 990))
PENNY_CHIP_SHOTS = ((18, 91, 164), (1357, 1436, 1516), (3474, 3546, 3617))
CAPTION_ON_BLACK = (182, 196, 209)


def read(video, indices) -> list[np.ndarray]:
    capture, frames = cv2.VideoCapture(str(video)), []
    for index in indices:
        capture.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, bgr = capture.read()
        assert ok, f"{video} frame {index}"
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    capture.release()
    return frames


def boxed(rgb: np.ndarray, height: int) -> np.ndarray:
    """``rgb`` scaled (bicubic) into a black 16:9 frame of ``height`` rows, as film_scale's ffmpeg filter does, and
    stored as a key frame is (JPEG)."""
    width = height * 16 // 9
    scale = min(width / rgb.shape[1], height / rgb.shape[0])
    size = (round(rgb.shape[1] * scale) // 2 * 2, round(rgb.shape[0] * scale) // 2 * 2)
    frame = np.zeros((height, width, 3), np.uint8)
    top, left = (height - size[1]) // 2, (width - size[0]) // 2
    frame[top:top + size[1], left:left + size[0]] = cv2.resize(rgb, size, interpolation=cv2.INTER_CUBIC)
    ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return cv2.imdecode(data, cv2.IMREAD_UNCHANGED)


@pytest.mark.parametrize("height", [480, 720, 1080])
def test_rendered_shots_stay_3d_and_drawn_shots_anime_at_every_letterboxed_height(shared, height):
    for indices in SINTEL_SHOTS:
        own = shot_style(read(shared / SINTEL, indices), "unmeasured")
        style = shot_style([boxed(f, height) for f in read(shared / SINTEL, indices)], "unmeasured")
        assert own.preset == "3d" and style.preset in ("3d", "unmeasured"), (indices, style.reason)
    for indices in PENNY_CHIP_SHOTS:
        style = shot_style([boxed(f, height) for f in read(shared / PENNY_CHIP, indices)], "3d")
        assert style.measured and style.preset == "anime", (indices, style.reason)


def test_the_picture_is_measured_without_its_bars_and_a_caption_on_black_is_no_picture(shared):
    frame = read(shared / SINTEL, SINTEL_SHOTS[0][:1])[0]
    picture = picture_area(boxed(frame, 1080))
    assert 760 <= picture.shape[0] <= 816 and picture.shape[1] == 1920   # 1920 x 816, less dark rows and ringing
    assert picture_area(frame).shape == frame.shape                        # no bars: the frame as it is
    caption = read(shared / TESTVIDEO, CAPTION_ON_BLACK)    # white lines of text on black, 40 of 720 rows
    assert all(picture_area(f).shape == f.shape for f in caption)
    assert not shot_style(caption, "anime").measured                       # still too bare to tell
    assert measure_style([boxed(frame, 1080)]).line_art == pytest.approx(measure_style([frame]).line_art, abs=0.05)


def test_shot_decisions_recorded_by_an_older_measure_are_measured_again(shared, castforge_home, tmp_path):
    """style.json of a film measured before bars were cut off holds the Sintel shot as anime for these very frames;
    the later stages measure it again (3d) instead of reading that decision back, and record the version."""
    import json

    import polars as pl

    from assets.faces.mixed_styles import frames_fingerprint, measured_shot_styles
    from resources.style import STYLE_VERSION, style_record_path

    rows = []
    for pos, frame in enumerate(read(shared / SINTEL, SINTEL_SHOTS[0])):
        path = tmp_path / f"s2_{pos}.jpg"
        cv2.imwrite(str(path), cv2.cvtColor(boxed(frame, 1080), cv2.COLOR_RGB2BGR))
        rows.append({"frame_id": f"s2_{pos}", "shot": 2, "path": str(path)})
    frames = pl.DataFrame(rows)
    path = style_record_path("boxed")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "preset": "3d", "shots_frames": frames_fingerprint(frames),
                                "shots": {"2": {"preset": "anime", "reason": "outlined drawing: anime",
                                                "measured": True}}}))
    styles = measured_shot_styles("boxed", frames, Path, "3d")
    assert styles[2].preset == "3d" and styles[2].measured
    assert json.loads(path.read_text())["shots_version"] == STYLE_VERSION
