"""OpenCV's area downscale (``cv2.resize(..., INTER_AREA)``) of an 8-bit RGB / BGR picture by a non-integer factor,
the same bytes at about half the CPU. Lip sync reads each sampled frame of a drawn shot at 480 rows
(assets/audio/mouth_tracks.rgb_of); on a film with a picture geometry (a letterbox crop) that is one area resize of
the cropped 1080p frame a sample, a third of ``voice_map``'s time on a 1080p film (docs/film_scale.md, session 49).

OpenCV's generic area path (imgproc/src/resize.cpp, ``ResizeArea_Invoker``) sums, for each source row, each output
column's weighted source pixels into a float32 buffer, one table entry at a time through memory, then adds each
source row's buffer times its row weight to the output row's float32 sum and rounds it to the nearest level (ties to
even). ``area_resized`` does the same float32 operations in the same order for every output value, so every sum
rounds the same way: it keeps a column's running sum in a register, takes a source row's buffer once where two
output rows share the row, and converts a source row to float32 once. No fused multiply-add: numba emits none
without ``fastmath``. Other inputs (other channel counts, integer factors, which OpenCV averages by another path,
enlargements) go to ``cv2.resize`` itself.
"""

from functools import lru_cache

import cv2
import numpy as np
from numba import njit

EPSILON = 1e-3  # OpenCV's tolerance for a source pixel's partial cover (computeResizeAreaTab)
DBL_EPSILON = float(np.finfo(float).eps)  # within this of an integer both ways, OpenCV averages by resizeAreaFast


def area_resized(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """``image`` (H x W x 3 uint8, rows contiguous: a crop of a larger picture is read in place) at ``width`` x
    ``height``: the bytes ``cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)`` gives."""
    rows, columns = image.shape[:2]
    scale_x, scale_y = 1.0 / (width / columns), 1.0 / (height / rows)   # as OpenCV derives them
    integer = abs(scale_x - round(scale_x)) < DBL_EPSILON and abs(scale_y - round(scale_y)) < DBL_EPSILON
    if (image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8 or image.strides[1:] != (3, 1)
            or scale_x < 1 or scale_y < 1 or integer):
        return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    column_sources, column_weights, row_starts, row_sources, row_weights = area_tables(columns, rows, width, height)
    out = np.empty((height, width * 3), np.uint8)
    flat = np.lib.stride_tricks.as_strided(image, (rows, columns * 3), (image.strides[0], 1))
    _area_rows(flat, out, column_sources, column_weights, row_starts, row_sources, row_weights)
    return out.reshape(height, width, 3)


@lru_cache(maxsize=16)
def area_tables(columns: int, rows: int, width: int, height: int) -> tuple[np.ndarray, ...]:
    """The resize's tables: for each output column its source pixels' first channel offsets and float32 weights,
    (slots, width) in OpenCV's order, a column with fewer pixels padded with weight 0 (adding 0 leaves a float sum
    as it is); and each output row's first entry in the source rows and row weights."""
    column_of, source, weight = cover(columns, width, 1.0 / (width / columns))
    starts = np.searchsorted(column_of, np.arange(width + 1))
    slots = int(np.diff(starts).max())
    column_sources = np.zeros((slots, width), np.int32)
    column_weights = np.zeros((slots, width), np.float32)
    for column in range(width):
        entries = np.arange(starts[column], starts[column + 1])
        column_sources[:len(entries), column] = source[entries] * 3
        column_sources[len(entries):, column] = source[entries[-1]] * 3
        column_weights[:len(entries), column] = weight[entries]
    row_of, row_sources, row_weights = cover(rows, height, 1.0 / (height / rows))
    return (column_sources, column_weights, np.searchsorted(row_of, np.arange(height + 1)), row_sources,
            row_weights)


def cover(size: int, out_size: int, scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """OpenCV's computeResizeAreaTab for one axis: (output index, source index, float32 weight) per entry, in
    order: each output pixel's cell of ``scale`` source pixels, its partly covered first and last pixels weighted by
    their cover (double precision, then float32 as OpenCV stores them)."""
    out, source, weight = [], [], []
    for index in range(out_size):
        start = index * scale
        end = start + scale
        cell = min(scale, size - start)
        first, last = int(np.ceil(start)), int(np.floor(end))
        last = min(last, size - 1)
        first = min(first, last)
        if first - start > EPSILON:
            out.append(index), source.append(first - 1), weight.append((first - start) / cell)
        for whole in range(first, last):
            out.append(index), source.append(whole), weight.append(1.0 / cell)
        if end - last > EPSILON:
            out.append(index), source.append(last), weight.append(min(min(end - last, 1.0), cell) / cell)
    return np.array(out, np.int64), np.array(source, np.int64), np.array(weight).astype(np.float32)


@njit(cache=True, nogil=True)
def _area_rows(src, out, column_sources, column_weights, row_starts, row_sources,
               row_weights):  # pragma: no cover - compiled
    """The resize: ``src`` (rows, columns * 3) uint8, ``out`` (height, width * 3) uint8 written."""
    values = out.shape[1]
    sums = np.empty(values, np.float32)
    buffer = np.empty(values, np.float32)
    levels = np.empty(src.shape[1], np.float32)
    last = -1
    for y in range(out.shape[0]):
        for entry in range(row_starts[y], row_starts[y + 1]):
            if row_sources[entry] != last:   # a source row two output rows share is summed across once
                last = row_sources[entry]
                _row_sums(src[last], levels, column_sources, column_weights, buffer)
            beta = row_weights[entry]
            if entry == row_starts[y]:
                for i in range(values):
                    sums[i] = beta * buffer[i]
            else:
                for i in range(values):
                    sums[i] = sums[i] + beta * buffer[i]
        for i in range(values):
            level = np.rint(sums[i])
            out[y, i] = 0 if level < 0 else (255 if level > 255 else np.uint8(level))


@njit(cache=True, nogil=True, inline="always")
def _row_sums(row, levels, column_sources, column_weights, buffer):  # pragma: no cover - compiled
    """One source row's weighted sums per output column and channel, each added in OpenCV's order from 0."""
    for i in range(row.shape[0]):
        levels[i] = np.float32(row[i])
    slots, width = column_sources.shape
    if slots == 3:   # a factor between 1 and 2 (1080 -> 480 rows of a letterboxed film: 1.7-1.9)
        for x in range(width):
            first, second, third = column_sources[0, x], column_sources[1, x], column_sources[2, x]
            a, b, c = column_weights[0, x], column_weights[1, x], column_weights[2, x]
            for channel in range(3):
                buffer[3 * x + channel] = (levels[first + channel] * a + levels[second + channel] * b) \
                    + levels[third + channel] * c
    elif slots == 4:  # between 2 and 3 (a full 1080p frame at 480 rows: 2.25)
        for x in range(width):
            first, second = column_sources[0, x], column_sources[1, x]
            third, fourth = column_sources[2, x], column_sources[3, x]
            a, b, c, d = column_weights[0, x], column_weights[1, x], column_weights[2, x], column_weights[3, x]
            for channel in range(3):
                buffer[3 * x + channel] = ((levels[first + channel] * a + levels[second + channel] * b)
                                           + levels[third + channel] * c) + levels[fourth + channel] * d
    else:
        for x in range(width):
            for channel in range(3):
                total = levels[column_sources[0, x] + channel] * column_weights[0, x]
                for slot in range(1, slots):
                    total = total + levels[column_sources[slot, x] + channel] * column_weights[slot, x]
                buffer[3 * x + channel] = total
