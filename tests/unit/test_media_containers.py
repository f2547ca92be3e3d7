"""Containers from the archive and the edit suite (resources/media.py ``decoded_frames``, ``frame_rate``;
assets/frames/decode.py): Ogg Theora (Wikimedia's .ogv, old fansubs' .ogm), whose encoder writes an empty packet for
every picture held on, which PyAV decoded as the end of the stream, so every later packet was refused and a whole
film was called truncated; DV, whose average rate reads 60000 frames a second through PyAV; RealMedia, ASF and MXF.
Made here with ffmpeg from 6 s of Penny & Chip (two shots) with sound."""

from pathlib import Path

import av
import numpy as np
import pytest

from assets.audio.mouth_tracks import frames_at
from assets.frames.core import FrameParams, extract_video_frames
from assets.frames.decode import DecodeReport, decode
from resources.media import decoded_frames, held_picture, probe
from sensors.scan import classify
from tests.made_media import PENNY_AND_CHIP, needs_ffmpeg, run_ffmpeg

PC = PENNY_AND_CHIP
pytestmark = needs_ffmpeg
CODECS = {
    "clip.ogv": ["-c:v", "libtheora", "-c:a", "libvorbis"],
    "clip.dv": ["-vf", "scale=720:480,fps=30000/1001", "-c:v", "dvvideo", "-pix_fmt", "yuv411p",
                "-c:a", "pcm_s16le", "-ar", "48000"],
    "clip.rmvb": ["-c:v", "rv20", "-s", "352x288", "-c:a", "ac3", "-f", "rm"],
    "clip.asf": ["-c:v", "wmv2", "-c:a", "wmav2"],
    "clip.mxf": ["-c:v", "mpeg2video", "-c:a", "pcm_s16le"],
}
RATES = {"clip.dv": 30000 / 1001}


@pytest.fixture(scope="module")
def clips(shared, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("containers")
    made = {}
    for name, codec in CODECS.items():
        made[name] = folder / name
        run_ffmpeg("-ss", "30", "-t", "6", "-i", str(shared / PC), *codec, str(made[name]))
    return made


def test_the_theora_clip_holds_pictures_in_empty_packets(clips):
    """The case the fix is for is really in the file (else the tests below prove nothing about it)."""
    with av.open(str(clips["clip.ogv"])) as container:
        held = sum(held_picture(packet) for packet in container.demux(container.streams.video[0]))
    assert held >= 10


@pytest.mark.parametrize("name", list(CODECS))
def test_each_container_is_a_whole_film_at_its_rate(clips, name, tmp_path):
    info = probe(clips[name])
    assert info.kind == "video" and info.has_audio
    assert abs(info.fps - RATES.get(name, 24.0)) < 0.01 * RATES.get(name, 24.0)
    report = DecodeReport()
    frames = list(decode(clips[name], 256, report))
    assert report.coverage > 0.98 and not report.damaged_packets and not report.gaps
    assert 5.5 < frames[-1].timestamp_s < 6.05
    out = extract_video_frames(clips[name], tmp_path / "frames", FrameParams())
    kept = out.frames.filter(out.frames["kept"])
    assert kept["shot"].n_unique() >= 2


def test_a_theora_clip_decodes_to_its_end_everywhere(clips):
    """Every reader of a film's pictures: the probe's end check, a full decode, lip sync's seeks."""
    with av.open(str(clips["clip.ogv"])) as container:
        times = [frame.time for frame in decoded_frames(container, container.streams.video[0])]
    assert len(times) >= 60 and times[-1] > 5.5
    picked = list(frames_at(clips["clip.ogv"], np.array([1.0, 3.0, 5.5]), 240))
    assert [index for index, _ in picked] == [0, 1, 2]


def test_the_drop_folder_takes_these_containers(clips, tmp_path):
    for suffix in (".ogm", ".rmvb", ".rm", ".divx", ".asf", ".mxf", ".dv", ".f4v", ".y4m"):
        entry = tmp_path / f"film{suffix}"
        entry.write_bytes(b"\0")
        assert classify(entry) == "film", suffix
