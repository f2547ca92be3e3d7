"""Hard telecine undone by matching fields (assets/frames/picture.py ``is_pulldown``, picture_probe.py): 12 s of Penny
& Chip (24 fps, progressive, drawn) spread over 30 fps frames by ffmpeg's ``telecine`` (3:2 pulldown, 2 frames in 5
woven of two pictures) and flagged interlaced as a DVD's are; the frames stage must give back the pictures as drawn,
not bwdif's interpolation of every woven frame. Video interlacing (every field its own moment) stays with bwdif."""

import dataclasses
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from assets.frames.core import FrameParams
from assets.frames.decode import DecodeReport, decode
from assets.frames.picture import combing, is_pulldown, recorded_picture
from assets.frames.picture_probe import PictureSettings, probe_picture

PC = "media/video/2d/penny_and_chip_26shots_480p.mp4"
needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg command")
X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "12"]


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def clips(shared, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("telecine")
    made = {name: folder / f"{name}.mp4" for name in ("drawn", "telecined", "interlaced", "long_gop")}
    _ffmpeg("-ss", "20", "-t", "12", "-i", str(shared / PC), "-an", *X264, "-g", "24", str(made["drawn"]))
    _ffmpeg("-i", str(made["drawn"]), "-vf", "telecine=first_field=t:pattern=23", *X264, "-g", "30",
            "-flags", "+ildct+ilme", str(made["telecined"]))
    # twice the speed woven into fields: each frame's two fields are two moments
    _ffmpeg("-ss", "20", "-t", "6", "-i", str(shared / PC), "-an", "-vf",
            "setpts=0.5*PTS,interlace=scan=tff:lowpass=0", *X264, "-g", "24", "-flags", "+ildct+ilme",
            str(made["interlaced"]))
    # 40 s telecined with x264's default key frames (10 s apart): seeking gives the same few frames to every sample
    _ffmpeg("-ss", "60", "-t", "40", "-i", str(shared / PC), "-an", "-vf", "telecine", "-c:v", "libx264", "-preset",
            "ultrafast", "-flags", "+ildct+ilme", str(made["long_gop"]))
    return made


def _greys(video: Path, picture) -> list[np.ndarray]:
    return [cv2.cvtColor(f.full_bgr(), cv2.COLOR_BGR2GRAY) for f in decode(video, 256, DecodeReport(),
                                                                          picture=picture)]


def _distance_to_drawn(frames: list[np.ndarray], drawn: np.ndarray) -> np.ndarray:
    """Each frame's mean abs grey difference to the nearest drawn picture around its time."""
    out = []
    for k, grey in enumerate(frames):
        j = k * len(drawn) // len(frames)
        near = drawn[max(0, j - 3):j + 4]
        out.append(np.abs(near - grey.astype(np.int16)).mean(axis=(1, 2)).min())
    return np.array(out)


def test_pulldown_is_combs_that_field_matching_removes():
    assert is_pulldown(24, 0) and is_pulldown(20, 5)
    assert not is_pulldown(90, 90)  # video interlacing: no other frame's field matches
    assert not is_pulldown(20, 6)
    assert not is_pulldown(2, 0)  # too few combed frames to tell


@needs_ffmpeg
def test_telecine_gives_back_the_drawn_pictures(clips):
    picture = probe_picture(clips["telecined"])
    assert picture.deinterlace and picture.field_match and picture.deinterlacer == "fieldmatch+bwdif"
    before, after = picture.run_combed
    assert before >= 10 and after <= before // 4
    drawn = np.stack(_greys(clips["drawn"], None)).astype(np.int16)
    woven = np.array([combing(g) > 0.002 for g in _greys(clips["telecined"], None)])
    matched = _greys(clips["telecined"], picture)
    interpolated = _greys(clips["telecined"], dataclasses.replace(picture, field_match=False))
    # the frame count and times stay the stream's (30 fps): no frame dropped, no frame made
    assert len(matched) == len(interpolated) == len(woven) == 360 and woven.sum() >= 30
    assert not any(combing(g) > 0.002 for g in matched)
    near_matched, near_interpolated = _distance_to_drawn(matched, drawn), _distance_to_drawn(interpolated, drawn)
    # measured: woven frames 1.00 grey levels from the drawn picture matched, 2.16 through bwdif; all frames 0.45 / 0.78
    assert near_matched[woven].mean() < 0.6 * near_interpolated[woven].mean()
    assert near_matched.mean() < near_interpolated.mean()


@needs_ffmpeg
def test_video_interlacing_stays_with_bwdif(clips):
    picture = probe_picture(clips["interlaced"])
    assert picture.deinterlace and not picture.field_match and picture.deinterlacer == "bwdif"
    before, after = picture.run_combed
    assert before >= 10 and after > before // 2


@needs_ffmpeg
def test_the_choice_survives_the_record_and_can_be_forced(clips):
    picture = probe_picture(clips["telecined"])
    assert recorded_picture(picture.summary()).field_match
    assert not recorded_picture(probe_picture(clips["interlaced"]).summary()).field_match
    forced = probe_picture(clips["interlaced"], PictureSettings(deinterlace="field_match"))
    assert forced.field_match and forced.run_combed == (0, 0)  # told, not measured
    assert not probe_picture(clips["telecined"], PictureSettings(deinterlace="always")).field_match
    assert not probe_picture(clips["telecined"], PictureSettings(deinterlace="never")).deinterlace
    assert FrameParams(deinterlace="field_match").picture_settings().deinterlace == "field_match"
    # the video woven of two moments, forced through field matching, is still combless (bwdif takes what is left)
    assert not any(combing(g) > 0.002 for g in _greys(clips["interlaced"], forced)[:48])


@needs_ffmpeg
def test_a_short_film_with_far_key_frames_is_sampled_whole(clips):
    """Seeking sampled 5 distinct frames of it, none combed (its telecine was left); one decoding pass samples 24 at
    staggered phases of the cadence."""
    picture = probe_picture(clips["long_gop"])
    assert picture.samples == 24 and picture.combed_share >= 0.1
    assert picture.field_match and picture.run_combed[0] >= 10 and picture.run_combed[1] == 0
