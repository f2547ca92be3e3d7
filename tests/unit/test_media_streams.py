"""Files as users have them, beyond one constant-rate video stream starting at 0 (resources/media.py
``main_video_stream``, ``film_origin_s``, assets/frames/decode.py, assets/audio/mouth_tracks.py): a variable frame
rate film (phone clips, screen recordings, anime encodes whose passages run at different rates), a Matroska file whose
first video stream is a one-frame still before the film, audio files carrying their cover picture as an attached video
stream, and a broadcast capture (MPEG-TS) whose clock starts at an hour and whose one key frame is its first. Made
here with ffmpeg from Penny & Chip."""

from pathlib import Path

import numpy as np
import pytest

from assets.audio.extract import extract_audio, read_audio
from assets.audio.subtitle_streams import film_tracks, read_cues
from assets.audio.subtitles import SubtitleCandidate
from assets.audio.mouth_tracks import every_frame_at, frames_at
from assets.frames.core import FrameParams, extract_video_frames
from assets.frames.decode import DecodeReport, decode, open_video_stream
from resources.errors import BadMediaError
from resources.media import media_origin_s, probe
from tests.made_media import PENNY_AND_CHIP, needs_ffmpeg, run_ffmpeg

PC = PENNY_AND_CHIP
pytestmark = needs_ffmpeg


@pytest.fixture(scope="module")
def files(shared, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("streams")
    source = ["-ss", "30", "-t", "8", "-i", str(shared / PC)]
    x264 = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "24"]
    made = {name: folder / name for name in ("vfr.mp4", "vfr_cut.mp4", "still_first.mkv", "song.m4a", "song.mp3",
                                             "cover.jpg", "capture.ts", "delayed.mkv", "source.wav")}
    run_ffmpeg("-ss", "5", "-i", str(shared / PC), "-frames:v", "1", str(made["cover.jpg"]))
    # 24 fps for 4 s, then every frame held twice as long (12 fps): 12 s, 192 frames, nothing missing
    run_ffmpeg(*source, "-an", "-vf", "setpts='(N+if(gt(N\\,96)\\,N-96\\,0))/(24*TB)'", "-fps_mode", "vfr", *x264,
            str(made["vfr.mp4"]))
    # the same film with its index first (as a streaming copy has it), then cut at 60% of its bytes (half-copied)
    run_ffmpeg("-i", str(made["vfr.mp4"]), "-c", "copy", "-movflags", "+faststart", str(folder / "vfr_fast.mp4"))
    data = (folder / "vfr_fast.mp4").read_bytes()
    made["vfr_cut.mp4"].write_bytes(data[:int(len(data) * 0.6)])
    run_ffmpeg("-i", str(made["cover.jpg"]), *source, "-map", "0", "-map", "1:v", "-c:v:0", "mjpeg", "-c:v:1", "libx264",
            "-preset", "ultrafast", "-disposition:v:0", "attached_pic", str(made["still_first.mkv"]))
    for name, codec in (("song.m4a", "aac"), ("song.mp3", "libmp3lame")):
        run_ffmpeg(*source, "-i", str(made["cover.jpg"]), "-map", "0:a", "-map", "1", "-c:a", codec, "-c:v", "mjpeg",
                "-disposition:v", "attached_pic", str(made[name]))
    # a broadcast capture: the transport stream's clock at 3601.4 s, x264's default key frame interval (10 s)
    run_ffmpeg(*source, "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-output_ts_offset", "3600",
            str(made["capture.ts"]))
    # the sound muxed 0.5 s after the picture (mkvmerge --sync, ffmpeg -itsoffset), as a player plays it
    run_ffmpeg(*source, "-vn", "-ac", "1", "-ar", "16000", str(made["source.wav"]))
    run_ffmpeg(*source, "-an", *x264, str(folder / "picture.mp4"))
    run_ffmpeg(*source, "-vn", "-c:a", "aac", str(folder / "sound.m4a"))
    run_ffmpeg("-i", str(folder / "picture.mp4"), "-itsoffset", "0.5", "-i", str(folder / "sound.m4a"), "-map", "0:v",
            "-map", "1:a", "-c", "copy", str(made["delayed.mkv"]))
    return made


def test_a_variable_frame_rate_film_is_whole(files, tmp_path):
    """Its average rate (16 fps) is no frame's interval: counted by it, the 12 fps half was a third missing and the
    film was refused as damaged (83% of its duration)."""
    report = DecodeReport()
    frames = list(decode(files["vfr.mp4"], 256, report))
    assert len(frames) == 192 and report.coverage > 0.99 and not report.gaps
    assert abs(frames[-1].timestamp_s - 11.917) < 0.01
    out = extract_video_frames(files["vfr.mp4"], tmp_path / "frames", FrameParams())
    assert out.frames.filter(out.frames["kept"]).height >= 3
    assert probe(files["vfr.mp4"]).kind == "video"


def test_a_half_copied_variable_rate_film_is_still_refused(files, tmp_path):
    """The frames' own durations are no licence for a missing end: decoding stops where the bytes do."""
    report = DecodeReport()
    list(decode(files["vfr_cut.mp4"], 256, report))
    assert report.coverage < 0.9
    with pytest.raises(BadMediaError, match="vfr_cut.mp4"):
        extract_video_frames(files["vfr_cut.mp4"], tmp_path / "frames", FrameParams())


def test_the_film_not_a_still_before_it(files, tmp_path):
    with open_video_stream(files["still_first.mkv"]) as (_, stream):
        assert stream.codec_context.name == "h264" and stream.index == 1
    info = probe(files["still_first.mkv"])
    assert (info.kind, info.width, info.frame_count) == ("video", 854, 192)
    out = extract_video_frames(files["still_first.mkv"], tmp_path / "frames", FrameParams())
    assert out.frames.filter(out.frames["kept"]).height >= 3


@pytest.mark.parametrize("name", ["song.m4a", "song.mp3"])
def test_cover_art_is_no_video(files, name):
    """An audio file's album art was taken for a one-frame video and the file refused as truncated."""
    info = probe(files[name])
    assert info.kind == "audio" and info.has_audio and abs(info.duration_s - 8.0) < 0.2
    with pytest.raises(BadMediaError, match="only a cover picture"):
        with open_video_stream(files[name]):
            pass


def test_a_capture_is_timed_from_its_start_as_its_sound_is(files, tmp_path):
    """Its frames were timed at 3601-3609 s while its sound, decoded from its first sample, and its subtitles ran
    from 0: no voice met a face."""
    frames = list(decode(files["capture.ts"], 256, DecodeReport()))
    assert len(frames) == 192 and 0.0 <= frames[0].timestamp_s < 0.1 and abs(frames[-1].timestamp_s - 7.96) < 0.1
    sound = extract_audio(files["capture.ts"], tmp_path / "audio")
    assert abs(sound.duration_s - (frames[-1].timestamp_s + 1 / 24)) < 0.1


def test_single_frames_of_a_capture_are_the_decoded_ones(files):
    """Lip sync reads single frames by seeking: in a transport stream the seek lands on a packet, not a key frame
    (it gave no frame at all), and the times are the film's clock."""
    frames = list(decode(files["capture.ts"], 256, DecodeReport()))
    picked = [40, 100, 150]
    times = np.array([frames[k].timestamp_s for k in picked])
    for read in (frames_at, every_frame_at):
        got = dict(read(files["capture.ts"], times))
        assert sorted(got) == [0, 1, 2]
        for i, k in enumerate(picked):
            assert np.array_equal(got[i], frames[k].full_bgr()[:, :, ::-1])


def test_a_sound_that_starts_late_is_led_in_on_the_films_clock(files, tmp_path):
    """The audio stage decoded a track from its first sample, so a sound muxed 0.5 s after the picture came 0.5 s
    early against the frames (lip sync and voices off by that much); it is now led in by the silence before it."""
    tracks, _ = film_tracks(files["delayed.mkv"])
    origin = media_origin_s(files["delayed.mkv"])
    lead = tracks[0].start_s - origin
    assert origin == 0.0 and abs(lead - 0.5) < 0.03
    sound = extract_audio(files["delayed.mkv"], tmp_path / "audio", lead_s=lead)
    heard, rate = read_audio(sound.speech_path)
    said, _ = read_audio(files["source.wav"])
    heard, said = heard[0], said[0]
    assert not heard[:int(0.45 * rate)].any()
    # where the source's sound best matches the extracted one: 0.5 s later, within 20 ms
    window = said[rate:3 * rate]
    scores = [float(np.dot(heard[rate + k:3 * rate + k], window)) for k in range(0, int(0.8 * rate), 16)]
    assert abs(int(np.argmax(scores)) * 16 / rate - 0.5) < 0.02


def test_sidecar_cues_are_a_players_times(files, tmp_path):
    """An embedded subtitle stream's times are the container's (a capture's begin at 3601 s); a sidecar file's are
    what a player shows, and were shifted by the capture's start too."""
    sidecar = tmp_path / "capture.srt"
    sidecar.write_text("1\n00:00:02,000 --> 00:00:03,500\nHello there.\n")
    cues = read_cues(SubtitleCandidate("sidecar capture.srt", "subrip", "", path=str(sidecar)), files["capture.ts"],
                     media_origin_s(files["capture.ts"]))
    assert cues["start_s"].to_list() == [2.0] and cues["end_s"].to_list() == [3.5]


def test_the_audio_stage_leads_a_late_sound_in(files, castforge_home):
    """The same through the `audio` asset: its WAV is silent for the 0.48 s before the track starts."""
    from resources.storage import FilmWorkspace
    from tests.conftest import build_film

    assert build_film(castforge_home, files["delayed.mkv"], "delayed", ["audio"]).success
    workspace = FilmWorkspace("delayed", castforge_home)
    row = workspace.read_table("audio").row(0, named=True)
    heard, rate = read_audio(workspace.absolute(row["speech_path"]))
    silent = int(np.argmax(np.abs(heard[0]) > 1e-4)) / rate
    assert 0.45 < silent < 0.55 and abs(row["duration_s"] - 8.5) < 0.1


def test_a_matroska_audio_file_is_an_audio_film(files, tmp_path):
    """An anime release's external dub (``.mka``) or an AC-3 / DTS track dropped on its own was "unknown" to the
    watched folder."""
    from sensors.scan import classify

    sound = tmp_path / "dub.mka"
    run_ffmpeg("-i", str(files["song.m4a"]), "-map", "0:a", "-c", "copy", str(sound))
    assert classify(sound) == "film"
    info = probe(sound)
    assert info.kind == "audio" and abs(info.duration_s - 8.0) < 0.2
