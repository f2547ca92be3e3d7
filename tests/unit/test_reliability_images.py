"""Issue 11 item 4: a huge image is measured without decoding it whole, decoded reduced, or reported by name."""

import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from assets.frames.core import FrameParams, extract_image_frames
from orchestration.ingest import ingest_source
from resources.catalog import Catalog
from resources.errors import BadMediaError
from resources.media import DECODE_PIXELS, image_size, probe, read_image_rgb


def png_claiming(path: Path, width: int, height: int) -> Path:
    """A small valid PNG whose header claims ``width`` x ``height`` (a decompression bomb's shape)."""
    Image.new("L", (8, 8), 100).save(path)
    data = bytearray(path.read_bytes())
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    path.write_bytes(bytes(data))
    return path


@pytest.fixture(scope="module")
def huge_jpeg(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("huge") / "poster_200mp.jpg"
    image = Image.new("L", (20000, 10000), 60)
    image.paste(220, (6000, 3000, 14000, 7000))  # a bright block: something to see once reduced
    image.save(path, quality=60)
    return path


def test_a_200_megapixel_jpeg_is_measured_from_its_header_and_decoded_reduced(huge_jpeg: Path):
    assert image_size(huge_jpeg) == (20000, 10000)
    rgb = read_image_rgb(huge_jpeg)
    assert rgb.ndim == 3 and rgb.shape[2] == 3 and rgb.shape[0] * rgb.shape[1] <= DECODE_PIXELS
    assert rgb.shape[1] / rgb.shape[0] == pytest.approx(2.0, rel=0.01)
    assert rgb[rgb.shape[0] // 2, rgb.shape[1] // 2, 0] > 200 and rgb[5, 5, 0] < 80


def test_an_image_folder_with_a_huge_and_a_bogus_image_ingests_and_names_the_bad_one(huge_jpeg: Path,
                                                                                     tmp_path: Path, shared: Path):
    folder = tmp_path / "Posters"
    folder.mkdir()
    (folder / "poster_200mp.jpg").symlink_to(huge_jpeg)
    png_claiming(folder / "bomb.png", 100_000, 100_000)  # 10 gigapixels: never decoded
    (folder / "small.jpg").write_bytes((shared / "media/faces/knn_examples/test/obama_and_biden.jpg").read_bytes())
    info = probe(folder)
    assert info.kind == "images" and info.image_count == 3
    assert len(info.unusable) == 1 and info.unusable[0].startswith("bomb.png: ")
    outcome = ingest_source(Catalog(tmp_path / "home"), folder)
    assert outcome.created and "bomb.png" in outcome.message
    frames = extract_image_frames(folder, tmp_path / "frames", FrameParams()).frames
    rows = {row["source"]: row for row in frames.iter_rows(named=True)}
    assert rows["poster_200mp.jpg"]["width"] * rows["poster_200mp.jpg"]["height"] <= DECODE_PIXELS
    assert rows["bomb.png"]["drop_reason"].startswith("unreadable: claims too many pixels")
    assert rows["small.jpg"]["kept"]


def test_a_folder_of_only_unusable_images_is_refused_naming_them(tmp_path: Path):
    folder = tmp_path / "bombs"
    folder.mkdir()
    png_claiming(folder / "a.png", 100_000, 100_000)
    (folder / "b.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(BadMediaError, match=r"bombs: none of its images can be decoded: a\.png: .*b\.jpg"):
        probe(folder)
