"""resources.png_writer: the cut-outs and masks `instances` writes are deflated by libdeflate, with exactly the pixels
OpenCV's own files of the same arrays hold, in fewer bytes and less CPU; without libdeflate OpenCV writes them.
Real pictures: the RGBA characters in ../shared (exact alpha) and a Sintel frame with a 1080p mask."""

from pathlib import Path

import cv2
import numpy as np
import pytest

import resources.png_writer as png_writer
from resources.image_codec import fast_png_reads, read_image, read_png
from resources.png_writer import write_mask_png, write_rgba_png


@pytest.fixture(scope="module")
def cutouts(shared) -> dict[str, np.ndarray]:
    """The characters as `instances` holds a cut-out (RGBA) and a Sintel frame's thresholded channel at 1080p, one
    477 px wide (a row's last byte padded), as bool masks."""
    out = {name: cv2.cvtColor(cv2.imread(str(shared / f"media/characters_rgba/{name}.png"), cv2.IMREAD_UNCHANGED),
                              cv2.COLOR_BGRA2RGBA) for name in ("sita_front", "saha_side")}
    capture = cv2.VideoCapture(str(shared / "media/video/sintel_trailer_480x204.mp4"))
    capture.set(cv2.CAP_PROP_POS_MSEC, 21_000)
    ok, frame = capture.read()
    assert ok
    out["mask_1080p"] = cv2.resize(frame[:, :, 1], (1920, 1080), interpolation=cv2.INTER_LINEAR) > 100
    out["mask_odd"] = frame[:, 3:, 2] > 60
    return out


def _opencv_file(path: Path, pixels: np.ndarray) -> Path:
    if pixels.dtype == bool:
        assert cv2.imwrite(str(path), pixels.astype(np.uint8) * 255, [cv2.IMWRITE_PNG_BILEVEL, 1])
    else:
        assert cv2.imwrite(str(path), cv2.cvtColor(pixels, cv2.COLOR_RGBA2BGRA))
    return path


def _same_pixels(ours: Path, theirs: Path) -> None:
    for flags in (cv2.IMREAD_UNCHANGED, cv2.IMREAD_GRAYSCALE, cv2.IMREAD_COLOR):
        a, b = cv2.imread(str(ours), flags), cv2.imread(str(theirs), flags)
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b), (ours, flags)
        c = read_image(ours, flags)
        assert c.shape == b.shape and np.array_equal(c, b), (ours, flags)


def test_cutouts_and_masks_hold_opencvs_pixels_in_fewer_bytes(cutouts, tmp_path):
    if not fast_png_reads():
        pytest.skip("libdeflate is not on this machine: cv2.imwrite writes (test_without_libdeflate_opencv_writes)")
    for name, pixels in cutouts.items():
        ours, theirs = tmp_path / f"{name}.png", _opencv_file(tmp_path / f"{name}_cv2.png", pixels)
        (write_mask_png if pixels.dtype == bool else write_rgba_png)(ours, pixels)
        _same_pixels(ours, theirs)
        assert read_png(ours) is not None, name   # the readers' libdeflate path takes it
        # libdeflate's stream, not OpenCV's file: smaller (cut-outs about 5%, the 1-bit masks about half)
        assert ours.stat().st_size < theirs.stat().st_size, name
    # the characters' alpha is real: soft edges survive
    assert len(np.unique(cv2.imread(str(tmp_path / "sita_front.png"), cv2.IMREAD_UNCHANGED)[:, :, 3])) > 2


def test_without_libdeflate_opencv_writes(cutouts, tmp_path, monkeypatch):
    monkeypatch.setattr(png_writer, "_libdeflate", lambda: None)
    for name in ("saha_side", "mask_odd"):
        pixels, ours = cutouts[name], tmp_path / f"{name}.png"
        (write_mask_png if pixels.dtype == bool else write_rgba_png)(ours, pixels)
        theirs = _opencv_file(tmp_path / f"{name}_cv2.png", pixels)
        assert ours.read_bytes() == theirs.read_bytes(), name


def test_an_unwritable_path_raises(cutouts, tmp_path):
    with pytest.raises(OSError):
        write_rgba_png(tmp_path / "missing" / "a.png", cutouts["saha_side"])
    with pytest.raises(OSError):
        write_mask_png(tmp_path / "missing" / "m.png", cutouts["mask_odd"])
