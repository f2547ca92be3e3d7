"""The cut-outs and masks ``instances`` writes, as PNG files whose pixels are those ``cv2.imwrite`` writes, deflated
by libdeflate.

Each kept frame's cut-outs (RGBA, about 0.4 MP at 1080p) and masks (1-bit, frame-sized) are written once (396 of each
on the 6-minute 1080p film_scale film). OpenCV's libpng filters each row (Sub) and deflates it with the system zlib at
level 1. The same Sub-filtered rows (a mask's rows unfiltered, a bit a pixel) deflated by libdeflate at level 1 cost
about half the CPU and come out smaller (``bench/png_write_cost.py`` on that film: cut-outs 29.7 -> 15.5 CPU-ms and
-5% bytes, masks 4.8 -> 1.5 CPU-ms and -47%). Each file is a plain PNG (IHDR, one IDAT, IEND; not interlaced) that any
reader decodes to the same pixels; ``resources.image_codec.read_png`` takes its fast path on both. A machine without
libdeflate writes with ``cv2.imwrite`` as before.
"""

import ctypes
import struct
import threading
import weakref
import zlib
from pathlib import Path

import cv2
import numpy as np

from resources.disk_space import write_image
from resources.image_codec import SIGNATURE, _libdeflate

LEVEL = 1  # libdeflate's fastest (its levels 2 and 3: 1-2% fewer bytes for 1.4-1.6x the CPU)
_COLOUR_TYPE = {3: 2, 4: 6}   # samples a pixel -> PNG colour type (RGB, RGBA)


class _Compressor:
    """One libdeflate compressor for one thread, freed with the thread's locals."""

    def __init__(self, lib: ctypes.CDLL):
        self.handle = lib.libdeflate_alloc_compressor(LEVEL)
        weakref.finalize(self, lib.libdeflate_free_compressor, self.handle)


_local = threading.local()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind)))


def sub_filtered(pixels: np.ndarray) -> np.ndarray:
    """The PNG rows of ``pixels`` (H x W x C uint8, in the file's channel order), each led by filter byte 1 (Sub):
    every byte minus the same channel of the pixel to its left, modulo 256."""
    height, width, channels = pixels.shape
    rows = np.empty((height, 1 + width * channels), np.uint8)
    rows[:, 0] = 1
    filtered = rows[:, 1:].reshape(height, width, channels)
    filtered[:, :1] = pixels[:, :1]
    np.subtract(pixels[:, 1:], pixels[:, :-1], out=filtered[:, 1:])
    return rows


def bit_rows(mask: np.ndarray) -> np.ndarray:
    """The PNG rows of a bool mask at one bit a pixel (set: foreground, first pixel in the high bit), each led by
    filter byte 0 (None)."""
    packed = np.packbits(mask, axis=1)
    rows = np.zeros((packed.shape[0], 1 + packed.shape[1]), np.uint8)
    rows[:, 1:] = packed
    return rows


def _png(lib: ctypes.CDLL, rows: np.ndarray, width: int, height: int, depth: int, colour: int) -> bytes | None:
    compressor = getattr(_local, "compressor", None)
    if compressor is None:
        compressor = _local.compressor = _Compressor(lib)
    bound = lib.libdeflate_zlib_compress_bound(compressor.handle, rows.size)
    stream = np.empty(bound, np.uint8)
    size = lib.libdeflate_zlib_compress(compressor.handle, rows.ctypes.data, rows.size, stream.ctypes.data, bound)
    if not size:
        return None
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", stream[:size].tobytes()) + _chunk(b"IEND", b"")


def png_bytes(pixels: np.ndarray) -> bytes | None:
    """A PNG file of ``pixels`` (H x W x 3 RGB or H x W x 4 RGBA, uint8; or H x W bool, written at one bit a pixel),
    or None without libdeflate."""
    lib = _libdeflate()
    if lib is None or not pixels.size:
        return None
    if pixels.dtype == bool and pixels.ndim == 2:
        return _png(lib, bit_rows(pixels), pixels.shape[1], pixels.shape[0], 1, 0)
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] not in _COLOUR_TYPE:
        return None
    height, width, channels = pixels.shape
    return _png(lib, sub_filtered(pixels), width, height, 8, _COLOUR_TYPE[channels])


def write_rgba_png(path: str | Path, rgba: np.ndarray) -> None:
    """Writes ``rgba`` (H x W x 4, RGBA order) as a PNG file: the pixels ``cv2.imwrite(path, cv2.cvtColor(rgba,
    cv2.COLOR_RGBA2BGRA))`` writes (OpenCV's own encoder where libdeflate is missing). Raises OSError where the file
    cannot be written."""
    data = png_bytes(np.ascontiguousarray(rgba))
    if data is None:
        write_image(path, cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
        return
    Path(path).write_bytes(data)


def write_mask_png(path: str | Path, mask: np.ndarray) -> None:
    """Writes a bool mask as a 1-bit grey PNG: the file ``cv2.imwrite(path, mask.astype(np.uint8) * 255,
    [cv2.IMWRITE_PNG_BILEVEL, 1])`` writes, as pixels (read back as 0 / 255 grey). Raises OSError where the file
    cannot be written."""
    data = png_bytes(np.ascontiguousarray(mask, dtype=bool))
    if data is None:
        write_image(path, mask.astype(np.uint8) * 255, [cv2.IMWRITE_PNG_BILEVEL, 1])
        return
    Path(path).write_bytes(data)
