"""Image files read as ``cv2.imread`` reads them, the PNG cut-outs castforge writes inflated by libdeflate.

A kept cut-out is written once (by ``instances``) and decoded three or four times by later stages (identities,
pose, captions, datasets, effects). Most of a decode is the inflate, and OpenCV's libpng inflates with the system's
zlib. libdeflate (Debian's ``libdeflate0``, a dependency of libtiff) inflates a whole buffer in less than half that
time. So the PNGs OpenCV writes by default (8-bit grey / RGB / RGBA, not interlaced, every row Sub- or un-filtered)
and the 1-bit masks it writes with ``IMWRITE_PNG_BILEVEL`` (a bit a pixel, 0 or 255 once read) are read here: the
chunks checked (CRCs, the zlib stream's Adler-32), inflated by libdeflate, un-filtered with numpy, in OpenCV's
channel order: the same array as ``cv2.imread``. Anything else (other filters, bit depths,
palettes, transparency chunks, interlacing, a damaged or truncated file, JPEG, a machine without libdeflate) is read
by ``cv2.imread`` itself, so the result never depends on which path read it.
"""

import ctypes
import ctypes.util
import functools
import struct
import threading
import weakref
from pathlib import Path

import cv2
import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 6: 4}  # PNG colour type -> samples of 8 bits a pixel
# chunks that do not change the pixels cv2.imread returns (anything else, e.g. tRNS or a palette, goes to OpenCV)
HARMLESS = {b"tEXt", b"zTXt", b"iTXt", b"pHYs", b"tIME"}
TO_OPENCV = {1: None, 3: cv2.COLOR_RGB2BGR, 4: cv2.COLOR_RGBA2BGRA}


@functools.cache
def _libdeflate() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("deflate")
    try:
        lib = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    if lib is not None:
        lib.libdeflate_alloc_decompressor.restype = ctypes.c_void_p
        lib.libdeflate_free_decompressor.argtypes = [ctypes.c_void_p]
        lib.libdeflate_zlib_decompress.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                                                   ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
        lib.libdeflate_zlib_decompress.restype = ctypes.c_int
        lib.libdeflate_crc32.argtypes = [ctypes.c_uint32, ctypes.c_void_p, ctypes.c_size_t]
        lib.libdeflate_crc32.restype = ctypes.c_uint32
        lib.libdeflate_alloc_compressor.argtypes = [ctypes.c_int]
        lib.libdeflate_alloc_compressor.restype = ctypes.c_void_p
        lib.libdeflate_free_compressor.argtypes = [ctypes.c_void_p]
        lib.libdeflate_zlib_compress.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                                                 ctypes.c_void_p, ctypes.c_size_t]
        lib.libdeflate_zlib_compress.restype = ctypes.c_size_t
        lib.libdeflate_zlib_compress_bound.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        lib.libdeflate_zlib_compress_bound.restype = ctypes.c_size_t
    return lib


class _Decompressor:
    """One libdeflate decompressor for one thread (they keep state between calls), freed with the thread's locals."""

    def __init__(self, lib: ctypes.CDLL):
        self.handle = lib.libdeflate_alloc_decompressor()
        weakref.finalize(self, lib.libdeflate_free_decompressor, self.handle)


_local = threading.local()


def fast_png_reads() -> bool:
    """Whether PNG files can be inflated by libdeflate on this machine (else every read is ``cv2.imread``)."""
    return _libdeflate() is not None


def read_image(path: str | Path, flags: int = cv2.IMREAD_UNCHANGED) -> np.ndarray | None:
    """``cv2.imread(str(path), flags)``: the same array, or None where the file is missing or unreadable.
    ``IMREAD_GRAYSCALE`` takes the fast path for grey PNGs only (a grey file's pixels are the same either way)."""
    if flags in (cv2.IMREAD_UNCHANGED, cv2.IMREAD_GRAYSCALE):
        pixels = read_png(path, grey_only=flags == cv2.IMREAD_GRAYSCALE)
        if pixels is not None:
            return pixels
    return cv2.imread(str(path), flags)


def read_png(path: str | Path, grey_only: bool = False) -> np.ndarray | None:
    """The pixels of a PNG of the plain kind OpenCV writes, as ``cv2.imread(.., IMREAD_UNCHANGED)`` gives them; None
    for any other file (and any other PNG, or a colour one with ``grey_only``) or where libdeflate is missing."""
    lib = _libdeflate()
    if lib is None:
        return None
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    header = _plain_header(data)
    if header is None or (grey_only and header[2] != 1):
        return None
    width, height, channels, bits = header
    row_bytes = (width * channels * bits + 7) // 8   # a 1-bit row's last byte is padded
    base = ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p).value  # ``data``'s own buffer (no copy)
    stream = _image_stream(lib, data, base)
    if stream is None:
        return None
    rows = np.empty((height, 1 + row_bytes), np.uint8)
    decompressor = getattr(_local, "decompressor", None)
    if decompressor is None:
        decompressor = _local.decompressor = _Decompressor(lib)
    if isinstance(stream, bytes):  # several IDAT chunks, joined
        address, size = ctypes.cast(ctypes.c_char_p(stream), ctypes.c_void_p).value, len(stream)
    else:
        address, size = base + stream[0], stream[1]
    # NULL for the actual size: anything but exactly ``height`` filtered rows is an error (a short or long stream)
    if lib.libdeflate_zlib_decompress(decompressor.handle, address, size, rows.ctypes.data, rows.size, None):
        return None
    filters = rows[:, 0]
    if filters.max() > 1:  # Up, Average or Paeth rows: OpenCV reads those
        return None
    # Sub adds the byte one pixel to the left, or the byte to the left where a pixel is less than a byte
    pixels = rows[:, 1:].reshape(height, width, channels) if bits == 8 else rows[:, 1:, None]
    sub = filters == 1
    if sub.all():
        pixels = undo_sub(pixels)
    elif sub.any():
        pixels = pixels.copy()
        pixels[sub] = undo_sub(pixels[sub])
    if bits == 1:  # libpng expands each bit to 0 or 255
        return np.unpackbits(pixels[:, :, 0], axis=1, count=width) * np.uint8(255)
    code = TO_OPENCV[channels]
    return pixels[:, :, 0].copy() if code is None else cv2.cvtColor(pixels, code)


def undo_sub(pixels: np.ndarray) -> np.ndarray:
    """PNG's Sub filter undone on (rows, pixels, channels) uint8: each byte plus the decoded byte one pixel to its
    left, modulo 256 (a running sum along each row, channel by channel). With several channels numpy's cumsum
    along the middle axis walks the bytes ``channels`` apart; a running sum by doubling offsets (log2 of the row's
    bytes whole-row additions, each one contiguous) gives the same bytes, since additions modulo 256 can be
    grouped in any order, at half the CPU (a 1080p film's RGBA cut-out: 1.4 ms against 2.9)."""
    channels = pixels.shape[2]
    if channels == 1:   # contiguous already: numpy's own running sum is the fastest
        return np.cumsum(pixels, axis=1, dtype=np.uint8)
    flat = pixels.reshape(pixels.shape[0], -1).copy()
    shifted = np.empty_like(flat)
    step = channels
    while step < flat.shape[1]:   # after each pass a byte holds the sum of the 2 * step / channels pixels up to it
        np.copyto(shifted[:, :-step], flat[:, :-step])
        np.add(flat[:, step:], shifted[:, :-step], out=flat[:, step:])
        step *= 2
    return flat.reshape(pixels.shape)


def _plain_header(data: bytes) -> tuple[int, int, int, int] | None:
    """(width, height, channels, bits a sample) of a non-interlaced 8-bit grey / RGB / RGBA or 1-bit grey PNG whose
    IHDR is intact."""
    if len(data) < 33 or data[:8] != SIGNATURE or data[12:16] != b"IHDR" or data[8:12] != b"\x00\x00\x00\x0d":
        return None
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", data[16:29])
    if (depth, colour) != (1, 0) and (depth != 8 or colour not in CHANNELS):
        return None
    if compression or filtering or interlace or not width or not height:
        return None
    return width, height, CHANNELS[colour], depth


def _image_stream(lib: ctypes.CDLL, data: bytes, base: int) -> bytes | tuple[int, int] | None:
    """The IDAT chunks' zlib stream (joined, or the one chunk's (offset, length) in ``data``), every chunk's CRC
    checked; None where a chunk is damaged, cut short or of a kind that could change the pixels."""
    at, parts, ended = 8, [], False
    while at + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        end = at + 12 + length
        if end > len(data):
            return None
        # the CRC covers the chunk's type and data
        if lib.libdeflate_crc32(0, base + at + 4, length + 4) != struct.unpack(">I", data[end - 4:end])[0]:
            return None
        if kind == b"IDAT":
            parts.append((at + 8, length))
        elif kind == b"IEND":
            ended = True
            break
        elif kind != b"IHDR" and kind not in HARMLESS:
            return None
        at = end
    if not ended or not parts:
        return None
    return parts[0] if len(parts) == 1 else b"".join(data[start:start + size] for start, size in parts)
