"""Per-colour lookup tables: where a pixel's class (a colour bin) is a function of its 8-bit colour alone, it is
worked out once for all 2^24 colours and a cut-out's pixels are looked up, instead of converting and binning every
pixel of every cut-out again. The table is made by the same per-pixel function it replaces, so each pixel gets
the bin that function gives it. No Dagster, no model import."""

import threading
from collections.abc import Callable

import numpy as np

COLOURS = 1 << 24
CHUNK = 1 << 20   # colours converted at a time while a table is made (12 MiB of float32 Lab a chunk)

_tables: dict[str, np.ndarray] = {}
_lock = threading.Lock()   # a stage's threads ask for a table at once: it is made once


def colour_table(name: str, bins_of: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """uint8 (2^24,): ``bins_of`` (an (N, 1, 3) uint8 array of colours -> N bin numbers below 256) of every colour,
    indexed by ``packed_colours``' code (the channels in the order ``bins_of`` reads them: a table of BGR bins for
    BGR images, of RGB bins for RGB images); made on first use (about 0.3-0.8 CPU-s), then kept for the process."""
    with _lock:
        table = _tables.get(name)
        if table is None:
            table = np.empty(COLOURS, np.uint8)
            for start in range(0, COLOURS, CHUNK):
                table[start:start + CHUNK] = bins_of(colours_from(start, CHUNK))
            _tables[name] = table
    return table


def colours_from(start: int, count: int) -> np.ndarray:
    """(count, 1, 3) uint8: the colours whose ``packed_colours`` codes are start .. start + count - 1."""
    codes = np.arange(start, start + count, dtype=np.uint32)
    return np.stack([codes & 255, (codes >> 8) & 255, codes >> 16], axis=1).astype(np.uint8).reshape(-1, 1, 3)


def packed_colours(image: np.ndarray) -> np.ndarray:
    """uint32 codes (the image's shape less its channels) of a 3- or 4-channel uint8 image's colours: channel 0 |
    channel 1 << 8 | channel 2 << 16 (a 4-channel pixel's bytes read as one little-endian word, less the fourth)."""
    if image.shape[-1] == 4 and image.strides[-1] == 1 and image.strides[-2] == 4 and np.little_endian:
        return image.view(np.uint32)[..., 0] & 0xFFFFFF
    return (image[..., 0].astype(np.uint32) | (image[..., 1].astype(np.uint32) << 8)
            | (image[..., 2].astype(np.uint32) << 16))
