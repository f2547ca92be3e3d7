"""Names that are not UTF-8 (Shift-JIS or cp1252 names unpacked from old archives: Python holds them as surrogate
escapes, which no catalog row or table can store). Before, ingesting such a video failed inside the catalog's write
with a pybind11 cast error, and an image folder holding one such image failed its `frames` table. Now the file is
named, with what its bytes likely say, and an image folder goes on without it."""

import os
import shutil
from pathlib import Path

import pytest

from assets.frames.core import FrameParams, extract_image_frames
from resources.errors import BadMediaError
from resources.media import image_files, name_problem, probe

VIDEO = "media/video/pyscenedetect/testvideo.mp4"


def _misnamed(folder: Path, name: str, encoding: str) -> Path:
    return Path(os.fsdecode(bytes(folder) + b"/" + name.encode(encoding)))


def test_a_video_with_a_shift_jis_name_is_refused_with_its_likely_name(shared, tmp_path):
    video = _misnamed(tmp_path, "テスト動画.mp4", "shift_jis")
    shutil.copy(shared / VIDEO, video)
    with pytest.raises(BadMediaError) as refused:
        probe(video)
    message = str(refused.value)
    message.encode("utf-8")  # printable and storable, unlike the name itself
    assert "\\x83e\\x83X\\x83g" in message
    assert "its name is not UTF-8 text (read as cp932 it is 'テスト動画.mp4'); rename it" in message
    assert name_problem(tmp_path / "テスト動画.mp4") is None


def test_an_image_folder_goes_on_without_its_misnamed_image(shared, tmp_path):
    folder = tmp_path / "stills"
    folder.mkdir()
    shutil.copy(shared / "media/characters_rgba/sita_front.png", folder / "sita.png")
    shutil.copy(shared / "media/characters_rgba/saha_front.png", _misnamed(folder, "Élève.png", "cp1252"))
    info = probe(folder)
    assert info.image_count == 1 and [p.name for p in image_files(folder)] == ["sita.png"]
    assert len(info.unusable) == 1 and info.unusable[0].startswith("\\xc9l\\xe8ve.png: its name is not UTF-8")
    out = extract_image_frames(folder, tmp_path / "frames", FrameParams())
    assert out.frames["source"].to_list() == ["sita.png"]
