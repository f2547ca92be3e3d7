"""HDR films shown as SDR (assets/frames/tone_map.py, frame_pixels.py): PQ and HLG sources are made here with
ffmpeg's zscale from 2 s of Big Buck Bunny, and castforge's key frames are compared with the same frames through
FFmpeg's widely used HDR -> SDR chain (zscale + tonemap=hable), which PyAV's FFmpeg cannot run."""

import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from assets.audio.mouth_tracks import rgb_of
from assets.frames.core import FrameParams, extract_video_frames
from assets.frames.decode import DecodeReport, decode
from assets.frames.picture import recorded_picture
from assets.frames.picture_probe import PictureSettings, probe_picture
from assets.frames.tone_map import (DEFAULT_PEAK_NITS, ToneMap, content_light_max, hable, hlg_to_scene,
                                    mastering_max, pq_to_nits, signal_peak_nits, to_sdr)

BBB = "media/video/big_buck_bunny_0_30.webm"
SIZE = (640, 360)
INDICES = (5, 24, 40)
# SDR white placed at 203 nits (BT.2408's HDR reference white), as HDR grades place diffuse white
TO_HDR = ("setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv,scale=640:360,"
          "zscale=t=linear:npl=203,format=gbrpf32le,zscale=p=bt2020:t={transfer}:m=bt2020nc:r=tv,format=yuv420p10le")
TO_SDR = ("zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=tonemap=hable:desat=0:peak={peak},"
          "zscale=t=bt709:m=bt709:r=tv,format=yuv420p,format=rgb24")


def _ffmpeg_can_make_hdr() -> bool:
    if shutil.which("ffmpeg") is None:
        return False
    listed = subprocess.run(["ffmpeg", "-hide_banner", "-filters"], capture_output=True, text=True).stdout + \
        subprocess.run(["ffmpeg", "-hide_banner", "-encoders"], capture_output=True, text=True).stdout
    return " zscale " in listed and " libx265 " in listed


needs_hdr_ffmpeg = pytest.mark.skipif(not _ffmpeg_can_make_hdr(),
                                      reason="needs the ffmpeg command with zscale and libx265")


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def hdr(shared, tmp_path_factory) -> dict[str, Path]:
    """PQ (HDR10, MaxCLL 600 nits) and HLG versions of 2 s of Big Buck Bunny, and the reference chain's SDR frames."""
    folder = tmp_path_factory.mktemp("hdr")
    made = {}
    for name, transfer, tags in (("pq", "smpte2084", "transfer=smpte2084:max-cll=600,200:master-display="
                                  "G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1)"),
                                 ("hlg", "arib-std-b67", "transfer=arib-std-b67")):
        made[name] = folder / f"{name}.mp4"
        _ffmpeg("-ss", "5", "-t", "2", "-i", str(shared / BBB), "-an", "-vf", TO_HDR.format(transfer=transfer),
                "-c:v", "libx265", "-preset", "ultrafast", "-crf", "8", "-x265-params",
                f"log-level=error:keyint=24:colorprim=bt2020:colormatrix=bt2020nc:{tags}", str(made[name]))
        made[f"{name}_reference"] = folder / f"{name}.rgb"
        _ffmpeg("-i", str(made[name]), "-vf", TO_SDR.format(peak=6 if name == "pq" else 10), "-f", "rawvideo",
                str(made[f"{name}_reference"]))
    return made


def _reference(raw: Path) -> np.ndarray:
    return np.fromfile(raw, np.uint8).reshape(-1, SIZE[1], SIZE[0], 3)


def _key_frames(video: Path, picture) -> dict[int, np.ndarray]:
    return {f.index: f.full_bgr()[..., ::-1].copy() for f in decode(video, 256, DecodeReport(), picture=picture)
            if f.index in INDICES}


def test_transfer_functions_at_their_reference_points():
    nits = pq_to_nits(np.array([0.0, 0.5080784, 0.7518271, 1.0]))
    assert nits == pytest.approx([0.0, 100.0, 1000.0, 10000.0], rel=1e-4)
    assert hlg_to_scene(np.array([0.0, 0.5, 1.0])) == pytest.approx([0.0, 1 / 12, 1.0], abs=1e-6)
    ramp = np.linspace(0.0, 20.0, 200)
    assert np.all(np.diff(hable(ramp)) > 0)


def test_the_peak_is_max_cll_then_the_mastering_display_then_1000_nits():
    assert signal_peak_nits(600.0, 4000.0) == 600.0
    assert signal_peak_nits(None, 4000.0) == 4000.0
    assert signal_peak_nits(0.0, None) == DEFAULT_PEAK_NITS
    assert signal_peak_nits(40.0, 20000.0) == DEFAULT_PEAK_NITS  # below SDR white, above PQ's ceiling: broken tags


def test_light_level_side_data_is_read_as_ffmpeg_lays_it_out():
    assert content_light_max(struct.pack("<II", 1000, 300)) == 1000.0
    assert content_light_max(struct.pack("<II", 0, 0)) is None and content_light_max(b"") is None
    primaries = [34000, 50000, 16000, 50000, 13250, 50000, 34500, 50000, 7500, 50000, 3000, 50000, 15635, 50000,
                 16450, 50000]
    assert mastering_max(struct.pack("<22i", *primaries, 1, 10000, 10000000, 10000, 1, 1)) == 1000.0
    assert mastering_max(struct.pack("<22i", *primaries, 1, 10000, 10000000, 10000, 1, 0)) is None


def test_greys_stay_grey_and_brighter_stays_brighter():
    signal = np.linspace(0, 65535, 64).astype(np.uint16)
    greys = np.repeat(signal[None, :, None], 3, axis=2)
    for transfer in ("pq", "hlg"):
        sdr = to_sdr(greys, ToneMap(transfer)).astype(int)
        assert np.all(np.abs(sdr[..., 0] - sdr[..., 1]) <= 1) and np.all(np.abs(sdr[..., 1] - sdr[..., 2]) <= 1)
        assert np.all(np.diff(sdr[0, :, 1]) >= 0) and sdr[0, -1, 1] == 255 and sdr[0, 0, 1] == 0


@needs_hdr_ffmpeg
@pytest.mark.parametrize("transfer", ["pq", "hlg"])
def test_hdr_key_frames_match_ffmpegs_tone_map(hdr, transfer):
    picture = probe_picture(hdr[transfer])
    assert picture.tone is not None and picture.identity
    assert picture.peak_nits == (600.0 if transfer == "pq" else DEFAULT_PEAK_NITS)
    reference = _reference(hdr[f"{transfer}_reference"])
    ours = _key_frames(hdr[transfer], picture)
    flat = _key_frames(hdr[transfer], probe_picture(hdr[transfer], PictureSettings(tone_map=False)))
    assert set(ours) == set(flat) == set(INDICES)
    for index, rgb in ours.items():
        assert rgb.shape == (SIZE[1], SIZE[0], 3)
        ours_off = np.abs(rgb.astype(int) - reference[index]).mean()
        flat_off = np.abs(flat[index].astype(int) - reference[index]).mean()
        # measured: PQ 0.83-0.86 levels against the flat decode's 20.7-23.2; HLG (made to look tolerable on SDR
        # screens untouched) 1.9-2.4 against 5.3-5.8
        assert ours_off < (1.5 if transfer == "pq" else 3.0), (index, ours_off)
        assert flat_off > (10 if transfer == "pq" else 2) * ours_off, (index, flat_off, ours_off)


@needs_hdr_ffmpeg
def test_the_frames_stage_and_lip_sync_see_the_tone_mapped_picture(hdr, tmp_path):
    out = extract_video_frames(hdr["pq"], tmp_path / "frames", FrameParams())
    assert out.picture["tone_mapped"] and out.picture["peak_nits"] == 600.0
    picture = recorded_picture(out.picture)
    assert picture.tone == probe_picture(hdr["pq"]).tone
    off = extract_video_frames(hdr["pq"], tmp_path / "flat", FrameParams(tone_map=False))
    assert not off.picture["tone_mapped"]
    key = {f.index: f for f in decode(hdr["pq"], 256, DecodeReport(), picture=picture) if f.index in INDICES}
    for index, frame in key.items():  # lip sync converts single frames with the recorded picture
        assert np.array_equal(rgb_of(frame.reformatter, frame.frame, None, picture), frame.full_bgr()[..., ::-1])
