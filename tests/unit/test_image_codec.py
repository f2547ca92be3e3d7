"""resources.image_codec: the cut-outs castforge writes are read by libdeflate with exactly cv2.imread's pixels; every
other PNG (other filters, transparency chunks, 16 bits) and every damaged file is left to OpenCV, so
``read_image`` always equals ``cv2.imread``. Real pictures: the RGBA characters in ../shared and a Sintel frame."""

import io
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest

from resources.image_codec import fast_png_reads, read_image, read_png


def _same(path: Path, flags: int = cv2.IMREAD_UNCHANGED) -> np.ndarray | None:
    ours, theirs = read_image(path, flags), cv2.imread(str(path), flags)
    assert (ours is None) == (theirs is None), path
    if theirs is not None:
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape and np.array_equal(ours, theirs), path
    return ours


@pytest.fixture(scope="module")
def pictures(shared, tmp_path_factory) -> dict[str, Path]:
    """The characters written as `instances` writes a cut-out (BGRA through cv2.imwrite), a Sintel frame as RGB and
    as grey, and the same frame written by Pillow with adaptive filters (Paeth, Up, ... rows) and with a tRNS chunk;
    1-bit masks as `instances` writes them, one 477 px wide (each row's last byte padded)."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("codec")
    out = {}
    for name in ("sita_front", "saha_front", "saha_side"):
        bgra = cv2.imread(str(shared / f"media/characters_rgba/{name}.png"), cv2.IMREAD_UNCHANGED)
        out[name] = folder / f"{name}.png"
        assert cv2.imwrite(str(out[name]), bgra)
    capture = cv2.VideoCapture(str(shared / "media/video/sintel_trailer_480x204.mp4"))
    capture.set(cv2.CAP_PROP_POS_MSEC, 21_000)
    ok, frame = capture.read()
    assert ok
    out["frame_rgb"], out["frame_grey"] = folder / "frame_rgb.png", folder / "frame_grey.png"
    assert cv2.imwrite(str(out["frame_rgb"]), frame)
    assert cv2.imwrite(str(out["frame_grey"]), cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    rgb = Image.fromarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    out["pillow_adaptive"], out["pillow_trns"] = folder / "pillow_adaptive.png", folder / "pillow_trns.png"
    rgb.save(out["pillow_adaptive"], "PNG", compress_level=9)
    rgb.save(out["pillow_trns"], "PNG", compress_level=1, transparency=tuple(int(v) for v in np.asarray(rgb)[0, 0]))
    out["deep"], out["mask"] = folder / "deep.png", folder / "mask.png"
    assert cv2.imwrite(str(out["deep"]), frame.astype(np.uint16) * 257)
    assert cv2.imwrite(str(out["mask"]), (frame[:, :, 1] > 100).astype(np.uint8) * 255, [cv2.IMWRITE_PNG_BILEVEL, 1])
    out["mask_odd"] = folder / "mask_odd.png"
    assert cv2.imwrite(str(out["mask_odd"]), (frame[:, 3:, 2] > 60).astype(np.uint8) * 255, [cv2.IMWRITE_PNG_BILEVEL, 1])
    return out


def test_opencv_written_pictures_take_the_fast_path_with_cv2s_pixels(pictures):
    if not fast_png_reads():
        pytest.skip("libdeflate is not on this machine: every read is cv2.imread (the equality tests still run)")
    for name in ("sita_front", "saha_front", "saha_side", "frame_rgb", "frame_grey"):
        assert read_png(pictures[name]) is not None, name
        image = _same(pictures[name])
        assert image.shape[2:] == {"frame_rgb": (3,), "frame_grey": ()}.get(name, (4,))
    # a cut-out of several IDAT chunks (libpng splits a large image's stream)
    data = pictures["sita_front"].read_bytes()
    assert data.count(b"IDAT") > 1 or pictures["frame_rgb"].read_bytes().count(b"IDAT") > 1
    # the characters' alpha is real (soft edges): the fourth channel is not a constant
    assert len(np.unique(read_png(pictures["sita_front"])[:, :, 3])) > 2


def test_bilevel_masks_take_the_fast_path_with_cv2s_pixels(pictures):
    """The 1-bit masks `instances` writes: each bit 0 or 255, the padded last byte of a row dropped, as OpenCV reads
    them with either flag; a grey 8-bit file under IMREAD_GRAYSCALE too, a colour one goes to OpenCV."""
    if not fast_png_reads():
        pytest.skip("libdeflate is not on this machine: every read is cv2.imread (the equality tests still run)")
    for name, width in (("mask", 480), ("mask_odd", 477)):
        assert pictures[name].read_bytes()[24] == 1  # IHDR: 1 bit a sample
        fast = read_png(pictures[name], grey_only=True)
        assert fast is not None and fast.shape == (204, width), name
        assert set(np.unique(fast)) == {0, 255}, name
        _same(pictures[name])
        _same(pictures[name], cv2.IMREAD_GRAYSCALE)
    assert read_png(pictures["frame_grey"], grey_only=True) is not None
    _same(pictures["frame_grey"], cv2.IMREAD_GRAYSCALE)
    assert read_png(pictures["frame_rgb"], grey_only=True) is None


def test_other_pngs_and_damaged_files_are_left_to_opencv(pictures, tmp_path, shared):
    for name in ("pillow_adaptive", "pillow_trns", "deep"):
        assert read_png(pictures[name]) is None, name
        _same(pictures[name])
    assert _same(pictures["pillow_trns"]).shape[2] == 4  # OpenCV turns the tRNS colour into an alpha channel
    for original in sorted((shared / "media/characters_rgba").glob("*.png")):  # however they were written
        _same(original)
    # damaged: a byte of the image data flipped (the chunk's CRC no longer matches), the same with the CRC mended
    # (the zlib stream's checksum or inflate fails), the file cut short; and a file that is not there
    data = bytearray(pictures["saha_side"].read_bytes())
    start = data.index(b"IDAT") + 4
    length = int.from_bytes(data[start - 8:start - 4], "big")
    data[start + length // 2] ^= 0x5A
    flipped, mended, short = tmp_path / "flipped.png", tmp_path / "mended.png", tmp_path / "short.png"
    flipped.write_bytes(bytes(data))
    data[start + length:start + length + 4] = zlib.crc32(bytes(data[start - 4:start + length])).to_bytes(4, "big")
    mended.write_bytes(bytes(data))
    short.write_bytes(pictures["saha_side"].read_bytes()[:-200])
    for damaged in (flipped, mended, short):
        assert read_png(damaged) is None, damaged
        _same(damaged)
    assert read_image(tmp_path / "missing.png") is None
    # a JPEG and the other read flags go to OpenCV as they are
    jpeg = tmp_path / "frame.jpg"
    assert cv2.imwrite(str(jpeg), cv2.imread(str(pictures["frame_rgb"])))
    assert read_png(jpeg) is None
    _same(jpeg)
    _same(pictures["sita_front"], cv2.IMREAD_COLOR)
    _same(pictures["sita_front"], cv2.IMREAD_GRAYSCALE)


def test_threads_read_with_their_own_decompressor(pictures):
    names = ["sita_front", "saha_front", "saha_side", "frame_rgb"] * 6
    with ThreadPoolExecutor(4) as pool:
        images = list(pool.map(lambda name: read_image(pictures[name]), names))
    for name, image in zip(names, images):
        assert np.array_equal(image, cv2.imread(str(pictures[name]), cv2.IMREAD_UNCHANGED)), name


def test_a_row_left_unfiltered_among_sub_rows(pictures, tmp_path):
    """OpenCV writes every row Sub-filtered; a PNG that mixes Sub and unfiltered rows is read row by row."""
    if not fast_png_reads():
        pytest.skip("libdeflate is not on this machine")
    from PIL import Image

    rgba = cv2.cvtColor(cv2.imread(str(pictures["saha_side"]), cv2.IMREAD_UNCHANGED), cv2.COLOR_BGRA2RGBA)
    height, width = rgba.shape[:2]
    rows = np.zeros((height, 1 + 4 * width), np.uint8)
    sub = np.arange(height) % 3 != 0
    rows[:, 0] = sub
    rows[:, 1:] = rgba.reshape(height, -1)
    pixels = rows[:, 1:].reshape(height, width, 4)
    pixels[sub, 1:] = rgba[sub, 1:] - rgba[sub, :-1]  # uint8: modulo 256
    png = io.BytesIO()
    Image.fromarray(rgba).save(png, "PNG")  # a valid header and chunk layout; its IDAT is replaced below
    data = png.getvalue()
    start = data.index(b"IDAT") - 4
    end = start + 12 + int.from_bytes(data[start:start + 4], "big")
    stream = zlib.compress(rows.tobytes(), 1)
    chunk = len(stream).to_bytes(4, "big") + b"IDAT" + stream + zlib.crc32(b"IDAT" + stream).to_bytes(4, "big")
    path = tmp_path / "mixed.png"
    path.write_bytes(data[:start] + chunk + data[end:])
    assert read_png(path) is not None
    assert np.array_equal(_same(path), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))


@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("width", [1, 2, 5, 477, 1031])
def test_the_sub_filter_undone_by_doubling_offsets_equals_the_running_sum(channels, width):
    """``undo_sub`` (a running sum by doubling offsets, half the CPU of numpy's strided cumsum on an RGBA cut-out)
    gives every byte of numpy's running sum modulo 256: widths below, at and past a power of two, one pixel wide."""
    from resources.image_codec import undo_sub

    deltas = np.random.default_rng(width * channels).integers(0, 256, (7, width, channels), dtype=np.uint8)
    before = deltas.copy()
    undone = undo_sub(deltas)
    assert undone.dtype == np.uint8 and undone.shape == deltas.shape
    assert np.array_equal(undone, np.cumsum(deltas, axis=1, dtype=np.uint8))
    assert np.array_equal(deltas, before)   # the decoded rows it was given stay as they were
