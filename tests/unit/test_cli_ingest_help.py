"""`castforge ingest --help` names every kind of source that ingest takes, and each kind it names probes as such on
the real media (an audio-only file included); the one it refuses (a single image) is refused."""

import pytest

from orchestration.cli import build_parser
from resources.errors import BadMediaError
from resources.media import IMAGE_SUFFIXES, probe


def test_ingest_help_names_video_audio_and_image_folders(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["ingest", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for words in ("video", "audio file", "animated GIF or PNG", "folder of images", "subfolders included",
                  "a single image is refused"):
        assert words in text
    for suffix in IMAGE_SUFFIXES:
        assert suffix in text
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    listing = " ".join(capsys.readouterr().out.split())
    assert "ingest register a video, an audio file or a folder of images as a film" in listing


def test_each_kind_the_help_names_is_what_probe_accepts(shared):
    media = shared / "media"
    assert probe(media / "video" / "sintel_trailer_480x204.mp4").kind == "video"
    assert probe(media / "audio" / "pyannote_sample" / "sample.wav").kind == "audio"
    assert probe(media / "characters_rgba").kind == "images"
    with pytest.raises(BadMediaError, match="single image"):
        probe(next((media / "characters_rgba").glob("*.png")))
