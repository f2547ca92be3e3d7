"""An image folder as users collect it: JFIF, WebP, AVIF, HEIC (pillow-heif), animated GIF, and an AVIF with a
character's exact alpha, each read by the frames stage as the picture it holds (resources/media.py). The pictures
are crops of the shared anime face grid and a shared RGBA character, saved here by Pillow."""

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from assets.frames.core import FrameParams, extract_image_frames
from assets.instances.image_alpha import read_frame_alpha
from resources.errors import BadMediaError
from resources.media import probe, read_image_rgb
from resources.style import sample_frames
from tests.made_media import run_ffmpeg

GRID = "media/faces/anime_face_grid.jpg"
CHARACTER = "media/characters_rgba/sita_front.png"
# per format, the largest mean difference (grey levels) from the saved picture: lossy AVIF / HEIC at Pillow's
# default quality, GIF's 256-colour palette
TOLERANCE = {"jfif": 1.0, "webp": 4.0, "avif": 3.0, "heic": 3.0, "gif": 5.0}  # measured 0.28, 2.15, 1.15, 1.17, 2.41


@pytest.fixture(scope="module")
def folder(shared, tmp_path_factory) -> tuple[Path, dict[str, np.ndarray]]:
    import pillow_heif

    pillow_heif.register_heif_opener()
    grid = np.asarray(Image.open(shared / GRID).convert("RGB"))
    folder = tmp_path_factory.mktemp("formats")
    crops = {}
    for i, suffix in enumerate(("jfif", "webp", "avif", "heic", "gif")):
        crops[suffix] = np.ascontiguousarray(grid[i * 512:(i + 1) * 512, 1024:1536])
        image = Image.fromarray(crops[suffix])
        if suffix == "gif":  # animated: the first frame is the picture, the second another face
            other = Image.fromarray(np.ascontiguousarray(grid[2560:3072, 0:512]))
            image.save(folder / "face.gif", save_all=True, append_images=[other], duration=100, loop=0)
        else:
            image.save(folder / f"face.{suffix}", format="JPEG" if suffix == "jfif" else None)
    Image.open(shared / CHARACTER).convert("RGBA").save(folder / "character.avif", quality=95)
    return folder, crops


def test_every_format_is_a_frame_with_its_picture(folder, tmp_path):
    path, crops = folder
    assert probe(path).image_count == 6 and probe(path).unusable == ()
    out = extract_image_frames(path, tmp_path / "frames", FrameParams())
    rows = {row["source"]: row for row in out.frames.iter_rows(named=True)}
    assert set(rows) == {f"face.{suffix}" for suffix in crops} | {"character.avif"}
    for suffix, crop in crops.items():
        row = rows[f"face.{suffix}"]
        assert row["kept"], (suffix, row["drop_reason"])
        key_frame = cv2.cvtColor(cv2.imread(str(tmp_path / "frames" / f"{row['frame_id']}.jpg")), cv2.COLOR_BGR2RGB)
        off = np.abs(key_frame.astype(int) - crop).mean()
        assert off < TOLERANCE[suffix], (suffix, off)


def test_an_avif_characters_alpha_is_kept_as_its_cut_out(folder, shared, tmp_path):
    path, _ = folder
    out = extract_image_frames(path, tmp_path / "frames", FrameParams())
    row = next(r for r in out.frames.iter_rows(named=True) if r["source"] == "character.avif")
    assert row["kept"]
    truth = np.asarray(Image.open(shared / CHARACTER).convert("RGBA"))[..., 3]
    alpha = read_frame_alpha(tmp_path / "frames" / f"{row['frame_id']}.jpg", truth.shape)
    assert alpha is not None
    assert np.abs(alpha.astype(int) - truth).mean() < 2.0


def test_style_samples_read_every_format(folder):
    path, _ = folder
    assert len(sample_frames(path)) == 6


def test_heic_without_pillow_heif_names_the_file_and_the_package(folder, monkeypatch):
    path, _ = folder
    monkeypatch.setitem(sys.modules, "pillow_heif", None)
    with pytest.raises(BadMediaError) as raised:
        read_image_rgb(path / "face.heic")
    assert "face.heic" in str(raised.value) and "pillow-heif" in str(raised.value)


def test_jpeg_xl_without_its_plugin_names_the_file_and_the_package(tmp_path, monkeypatch):
    (tmp_path / "art.jxl").write_bytes(b"\xff\x0a not read")
    monkeypatch.setitem(sys.modules, "pillow_jxl", None)
    with pytest.raises(BadMediaError, match="art.jxl: is a JPEG XL image, which needs the pillow-jxl-plugin"):
        read_image_rgb(tmp_path / "art.jxl")


def test_a_16_bit_grey_scan_keeps_its_tones(shared, tmp_path):
    """A 16-bit grey PNG (line-art scans, TIFF-like exports) came out white but for its darkest tones: Pillow clips
    each 16-bit value to 255 when it converts to RGB."""
    grey = np.asarray(Image.open(shared / GRID).convert("L"))[:512, :512]
    Image.fromarray(grey.astype(np.uint16) * 257).save(tmp_path / "scan.png")
    assert Image.open(tmp_path / "scan.png").mode.startswith("I")
    read = read_image_rgb(tmp_path / "scan.png")
    assert read.shape == (512, 512, 3) and np.abs(read[:, :, 1].astype(int) - grey).max() == 0


@pytest.mark.parametrize("suffix", ["tga", "qoi", "jp2", "ppm", "jxl"])
def test_sprite_and_archive_formats_are_frames_and_keep_their_alpha(shared, tmp_path, suffix):
    """Targa (game sprites), QOI, JPEG 2000 (lossless here) and Netpbm: before session 42 the folder's scan passed
    them over, so a folder of them held "no images"; JPEG XL since session 43 (pillow-jxl-plugin). Where the
    format has alpha, it is the cut-out."""
    character = Image.open(shared / CHARACTER).convert("RGBA")
    folder = tmp_path / "sprites"
    folder.mkdir()
    saved = character.convert("RGB") if suffix == "ppm" else character
    if suffix == "jxl":  # written by FFmpeg's libjxl, so only castforge's own reader registers Pillow's plugin here
        run_ffmpeg("-i", str(shared / CHARACTER), "-c:v", "libjxl", "-distance", "0", str(folder / "sita.jxl"))
    else:
        saved.save(folder / f"sita.{suffix}", **({"irreversible": False} if suffix == "jp2" else {}))
    assert probe(folder).image_count == 1
    out = extract_image_frames(folder, tmp_path / "frames", FrameParams())
    row = out.frames.filter(out.frames["kept"]).row(0, named=True)
    assert row["source"] == f"sita.{suffix}"
    frame_path = tmp_path / "frames" / Path(row["path"]).name
    alpha = read_frame_alpha(frame_path, (character.height, character.width))
    if suffix == "ppm":
        assert alpha is None
    else:
        truth = np.asarray(character.getchannel("A")) >= 128
        assert ((alpha >= 128) == truth).mean() > 0.999
