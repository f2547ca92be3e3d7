"""The film's picture as a viewer sees it (assets/frames/picture.py, picture_probe.py): square pixels from the sample
aspect ratio, deinterlacing when the sampled frames comb, the display matrix's rotation, black bars cropped. Sources
are made here with ffmpeg from 3 s of Penny & Chip (854x480, square pixels, progressive) and compared with it."""

import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from assets.frames.core import FrameParams, extract_video_frames
from assets.frames.decode import DecodeReport, decode
from assets.frames.picture import (Crop, PictureGeometry, bar_sizes, clean_sar, combed_share, combing, display_turn,
                                   film_crop, recorded_picture, shown, square_pixel_width)
from assets.frames.picture_probe import PictureSettings, probe_picture

PC = "media/video/2d/penny_and_chip_26shots_480p.mp4"
needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg command")


def test_square_pixel_width_follows_ffmpeg_scale_iw_sar():
    assert square_pixel_width(720, Fraction(32, 27)) == 854  # NTSC DVD 16:9
    assert square_pixel_width(720, Fraction(8, 9)) == 640  # NTSC DVD 4:3
    assert square_pixel_width(720, Fraction(64, 45)) == 1024  # PAL DVD 16:9
    assert square_pixel_width(720, Fraction(16, 15)) == 768  # PAL DVD 4:3
    assert square_pixel_width(854, Fraction(1)) == 854


def test_unknown_or_absurd_sample_aspect_is_square():
    assert clean_sar(0, 1) == 1 and clean_sar(None, None) == 1 and clean_sar(0, 0) == 1
    assert clean_sar(1, 100) == 1
    assert clean_sar(32, 27) == Fraction(32, 27)


@pytest.mark.parametrize("rotation, turn", [(0, 0), (None, 0), (90.0, 270), (-90.0, 90), (180.0, 180),
                                            (-180.0, 180), (89.7, 270)])
def test_display_turn_as_ffmpeg_autorotate(rotation, turn):
    assert display_turn(rotation) == turn


def _pc_frames(shared: Path, count: int = 6) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(shared / PC))
    frames = []
    for index in range(count):
        capture.set(cv2.CAP_PROP_POS_FRAMES, 600 + index * 500)
        ok, bgr = capture.read()
        assert ok
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
    return frames


def test_bars_found_on_a_padded_frame_and_a_dark_frame_says_nothing(shared):
    grey = _pc_frames(shared, 1)[0]
    padded = cv2.copyMakeBorder(grey, 60, 60, 0, 0, cv2.BORDER_CONSTANT, value=16)
    assert bar_sizes(padded) == (60, 60, 0, 0)
    assert bar_sizes(np.full((480, 854), 16, np.uint8)) is None
    assert bar_sizes(grey) == (0, 0, 0, 0)


def test_a_subtitle_burned_into_the_bar_leaves_it_a_bar(shared):
    """Fansubs put a letterboxed film's lines in its bottom bar: the bar ended at the text's top, so the film kept
    36 rows of bar and text (subs_in_bar: crop 396 rows of a 360-row picture); text reaching into the picture
    still ends the bar where it starts."""
    grey = _pc_frames(shared, 1)[0][:360]
    padded = cv2.copyMakeBorder(grey, 60, 60, 0, 0, cv2.BORDER_CONSTANT, value=16)
    for thickness, colour in ((4, 0), (1, 255)):  # white glyphs with a black outline, as subtitle renderers draw them
        cv2.putText(padded, "Where are you going, Chip?", (250, 452), cv2.FONT_HERSHEY_SIMPLEX, 0.8, colour, thickness)
    assert bar_sizes(padded) == (60, 60, 0, 0)
    cv2.putText(padded, "Chip?", (600, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 1)  # a sign in the top bar too
    assert bar_sizes(padded) == (60, 60, 0, 0)
    touching = padded.copy()
    touching[418:422, 300:400] = 255  # a line of text against the picture: no black between
    assert bar_sizes(touching)[1] < 60


def test_film_crop_needs_bars_on_most_samples(shared):
    greys = _pc_frames(shared)
    boxed = [cv2.copyMakeBorder(g, 0, 0, 107, 107, cv2.BORDER_CONSTANT, value=16) for g in greys]
    sizes = [bar_sizes(g) for g in boxed] + [None, None]  # two fades through black
    assert film_crop(sizes, 1068, 480) == Crop(108, 0, 852, 480)  # even offset and size for 4:2:0 chroma
    # a dark scene's black sky on one sample in six is no bar
    dark_sky = [(200, 0, 0, 0)] + [bar_sizes(g) for g in greys[1:]]
    assert film_crop(dark_sky, 854, 480) is None
    assert film_crop([bar_sizes(g) for g in boxed[:2]], 1068, 480) is None  # too few samples to say


def test_combing_tells_interlaced_from_drawn_lines(shared):
    first, second = _pc_frames(shared, 2)
    moved = np.roll(first, 12, axis=1)  # the same picture 12 px later: the second field of a panning shot
    woven = first.copy()
    woven[1::2] = moved[1::2]
    assert max(combing(g) for g in _pc_frames(shared)) < 0.002  # drawn outlines are no teeth
    assert combing(woven) > 0.01
    assert combed_share([combing(first), combing(woven), combing(second)]) == pytest.approx(1 / 3)


def test_identity_geometry_asks_nothing():
    assert PictureGeometry(854, 480).identity
    assert not PictureGeometry(720, 480, sar=Fraction(32, 27)).identity
    assert PictureGeometry(720, 480, sar=Fraction(32, 27), rotation=90).output_size == (480, 854)
    assert PictureGeometry(854, 640, crop=Crop(0, 80, 854, 480)).summary()["crop"] == [0, 80, 854, 480]


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def clips(shared, tmp_path_factory) -> dict[str, Path]:
    """3 s of Penny & Chip as stored square (orig) and as users bring it; one key frame a second (-g 24)."""
    folder = tmp_path_factory.mktemp("picture")
    source = ["-ss", "20", "-t", "3", "-i", str(shared / PC), "-an"]
    x264 = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "12", "-g", "24"]
    made = {name: folder / f"{name}.mp4" for name in ("orig", "anamorphic", "bars", "interlaced", "rotated",
                                                      "grainy", "interlaced_grainy")}
    _ffmpeg(*source, *x264, str(made["orig"]))
    _ffmpeg(*source, "-vf", "scale=720:480,setsar=32/27", *x264, str(made["anamorphic"]))
    _ffmpeg(*source, "-vf", "pad=854:640:0:80", *x264, str(made["bars"]))
    # twice the speed woven into fields: each frame's two fields are two moments (tff), flagged interlaced
    _ffmpeg("-ss", "20", "-t", "6", "-i", str(shared / PC), "-an", "-vf",
            "setpts=0.5*PTS,interlace=scan=tff:lowpass=0", *x264, "-flags", "+ildct+ilme", str(made["interlaced"]))
    _ffmpeg("-i", str(made["orig"]), "-c", "copy", "-metadata:s:v", "rotate=90", str(made["rotated"]))
    # film grain (noise changing every frame) on the progressive film and on the interlaced one
    _ffmpeg(*source, "-vf", "noise=alls=12:allf=t", *x264, str(made["grainy"]))
    _ffmpeg("-ss", "20", "-t", "6", "-i", str(shared / PC), "-an", "-vf",
            "setpts=0.5*PTS,interlace=scan=tff:lowpass=0,noise=alls=12:allf=t", *x264, "-flags", "+ildct+ilme",
            str(made["interlaced_grainy"]))
    return made


def _frames(video: Path, picture: PictureGeometry | None, indices=(12, 40, 60)) -> dict[int, np.ndarray]:
    return {f.index: f.full_bgr().copy() for f in decode(video, 256, DecodeReport(), picture=picture)
            if f.index in indices}


@needs_ffmpeg
def test_a_plain_film_is_decoded_as_stored(clips):
    assert probe_picture(clips["orig"]).identity


@needs_ffmpeg
def test_anamorphic_frames_come_out_at_square_pixels(clips):
    picture = probe_picture(clips["anamorphic"])
    assert picture.sar == Fraction(32, 27) and picture.output_size == (854, 480)
    original, corrected = _frames(clips["orig"], None), _frames(clips["anamorphic"], picture)
    for index, bgr in corrected.items():
        assert bgr.shape == (480, 854, 3)
        assert np.abs(bgr.astype(int) - original[index]).mean() < 4.0  # squeezed to 720 and back: close
    squeezed = _frames(clips["anamorphic"], None)[12]
    assert squeezed.shape == (480, 720, 3)


@needs_ffmpeg
def test_bars_are_cropped_to_the_picture(clips):
    picture = probe_picture(clips["bars"])
    assert picture.crop is not None
    assert abs(picture.crop.y - 80) <= 2 and abs(picture.crop.height - 480) <= 2 and picture.crop.width == 854
    original, cropped = _frames(clips["orig"], None), _frames(clips["bars"], picture)
    for index, bgr in cropped.items():
        assert bgr.shape == (480, 854, 3)
        assert np.abs(bgr.astype(int) - original[index]).mean() < 2.0
    assert probe_picture(clips["bars"], PictureSettings(crop_bars="false")).identity


@needs_ffmpeg
def test_rotation_matches_ffmpeg_autorotate(clips, tmp_path):
    picture = probe_picture(clips["rotated"])
    assert picture.rotation in (90, 270) and picture.output_size == (480, 854)
    _ffmpeg("-i", str(clips["rotated"]), "-vf", "select=eq(n\\,12)", "-frames:v", "1", str(tmp_path / "upright.png"))
    upright = cv2.imread(str(tmp_path / "upright.png"))
    ours = _frames(clips["rotated"], picture)[12]
    assert ours.shape == upright.shape == (854, 480, 3)
    assert np.abs(ours.astype(int) - upright).mean() < 2.0
    assert np.abs(np.rot90(ours, 2).astype(int) - upright).mean() > 10.0  # the other way round is far


@needs_ffmpeg
def test_interlaced_frames_are_deinterlaced(clips):
    picture = probe_picture(clips["interlaced"])
    assert picture.deinterlace and picture.interlaced_flag_share == 1.0 and picture.combed_share > 0.3
    indices = tuple(range(0, 36, 3))
    grey = {i: cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for i, f in _frames(clips["interlaced"], None, indices).items()}
    clean = {i: cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for i, f in _frames(clips["interlaced"], picture,
                                                                        indices).items()}
    assert set(grey) == set(clean) == set(indices)
    combed = [i for i in indices if combing(grey[i]) > 0.005]
    assert len(combed) >= 4
    assert all(combing(clean[i]) < 0.1 * combing(grey[i]) for i in combed)


@needs_ffmpeg
def test_grain_is_no_interlacing(clips):
    """Grain made every pixel a tooth to the unaveraged measure (a grainy progressive film was deinterlaced);
    interlacing under grain is still found."""
    grainy = probe_picture(clips["grainy"])
    assert not grainy.deinterlace and grainy.combed_share == 0.0
    interlaced = probe_picture(clips["interlaced_grainy"])
    assert interlaced.deinterlace and interlaced.combed_share > 0.3


@needs_ffmpeg
def test_the_frames_stage_records_the_picture(clips, tmp_path):
    out = extract_video_frames(clips["anamorphic"], tmp_path / "frames", FrameParams())
    kept = out.frames.filter(out.frames["kept"])
    assert kept.height and set(kept["width"]) == {854} and set(kept["height"]) == {480}
    assert out.picture["sar"] == "32:27" and out.picture["stored_width"] == 720
    assert (out.picture["output_width"], out.picture["output_height"]) == (854, 480)
    assert cv2.imread(str(next((tmp_path / "frames").glob("*.jpg")))).shape == (480, 854, 3)
    off = extract_video_frames(clips["anamorphic"], tmp_path / "stored", FrameParams(square_pixels=False))
    assert set(off.frames["width"]) == {720}
    with pytest.raises(ValueError):
        FrameParams(deinterlace="sometimes")


@needs_ffmpeg
@pytest.mark.parametrize("clip", ["anamorphic", "bars", "rotated"])
def test_single_frame_readers_see_the_key_frames_picture(clips, clip):
    """Lip sync seeks to single frames and corrects them with ``shown``: the picture the filter graph gives, and the
    geometry survives the frames stage record (``recorded_picture``)."""
    probed = probe_picture(clips[clip])
    picture = recorded_picture(probed.summary())
    assert [(g.sar, g.crop, g.rotation, g.deinterlace, g.output_size) for g in (picture, probed)] == \
        [(probed.sar, probed.crop, probed.rotation, probed.deinterlace, probed.output_size)] * 2
    stored, filtered = _frames(clips[clip], None), _frames(clips[clip], picture)
    for index, bgr in filtered.items():
        ours = shown(stored[index], picture)
        assert ours.shape == bgr.shape
        assert np.abs(ours.astype(int) - bgr).mean() < 2.0
    assert recorded_picture(None) is None


def _has_encoder(name: str) -> bool:
    listed = subprocess.run(["ffmpeg", "-hide_banner", "-encoders"], capture_output=True, text=True).stdout
    return f" {name} " in listed


@needs_ffmpeg
def test_ten_bit_decodes_to_the_8_bit_colours_and_hdr_is_recorded(clips, shared, tmp_path):
    if not _has_encoder("libx265"):
        pytest.skip("needs ffmpeg's libx265")
    source = ["-ss", "20", "-t", "3", "-i", str(shared / PC), "-an", "-c:v", "libx265", "-preset", "ultrafast",
              "-crf", "10", "-pix_fmt", "yuv420p10le"]
    _ffmpeg(*source, "-x265-params", "log-level=error:keyint=24", str(tmp_path / "ten.mp4"))
    _ffmpeg(*source, "-x265-params", "log-level=error:keyint=24:colorprim=bt2020:transfer=smpte2084:"
            "colormatrix=bt2020nc", str(tmp_path / "pq.mp4"))
    ten = probe_picture(tmp_path / "ten.mp4")
    assert ten.identity and ten.pix_fmt == "yuv420p10le" and not ten.transfer
    original, decoded = _frames(clips["orig"], None), _frames(tmp_path / "ten.mp4", None)
    for index, bgr in decoded.items():
        assert np.abs(bgr.astype(int) - original[index]).mean() < 3.0
    pq = probe_picture(tmp_path / "pq.mp4")
    # recorded; the geometry is untouched and the pixels are tone-mapped (tests/unit/test_frames_tone_map.py)
    assert pq.transfer == "smpte2084 (PQ)" and pq.bt2020 and pq.identity and pq.tone is not None
