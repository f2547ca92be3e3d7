"""DeepLab's class map without its full-size upsampling: the same classes for the pixels the segmenter reads, in
about 12% less CPU a frame.

The DeepLabV3 MobileNetV2 graph (seg/deeplabv3_mnv2_pascal_quant.tflite) ends in its logits at 33 x 33 x 21, a
bilinear resize to 513 x 513 x 21 (uint8, corners aligned; XNNPACK computes it) and an ARG_MAX (LiteRT's kernel). A
frame fills only part of the 513 x 513 input (288 rows of a 16:9 frame), and the resize and ARG_MAX over the whole
square cost ~8-10 of the model's ~75 CPU-ms. ``upsampling_tail`` finds that tail in the model's flatbuffer and gives
the model cut before it (the subgraph's output set to the logits, the tail's operators dropped from its list);
``character_pixels`` then upsamples and takes the class of only the frame's pixels, in XNNPACK's fixed-point
arithmetic (each pixel's horizontal and vertical weights in Q11 from float32 source coordinates, the two horizontal
mixes, then the vertical one, rounded by adding 2^21 and shifting by 22) and ARG_MAX's rule (the first of equal
maxima). tests/unit/test_litert_deeplab.py compares it with the whole model's classes on real frames; a model whose
tail is not this one (another resize mode, a requantizing resize) is run whole.
"""

from dataclasses import dataclass

import numpy as np
from numba import njit

RESIZE_BILINEAR, ARG_MAX = 23, 56   # tflite BuiltinOperator codes
Q11 = 2048.0                       # XNNPACK's bilinear weights: Q11 fixed point


@dataclass(frozen=True)
class UpsamplingTail:
    """The cut model's bytes, its output (the logits, H x W x classes, uint8) and the size the whole model
    upsampled them to before its ARG_MAX."""

    content: bytes
    logits: int
    height: int
    width: int


def _table(buffer: bytes, position: int):
    from flatbuffers.table import Table

    return Table(buffer, position)


def _field(table, index: int) -> int:
    return table.Offset(4 + 2 * index)


def _vector(table, index: int) -> tuple[int, int]:
    """(position of the first element, length) of a vector field, (0, 0) when absent."""
    offset = _field(table, index)
    return (table.Vector(offset), table.VectorLen(offset)) if offset else (0, 0)


def _ints(table, index: int) -> list[int]:
    start, length = _vector(table, index)
    return [int.from_bytes(table.Bytes[start + 4 * i:start + 4 * i + 4], "little", signed=True) for i in range(length)]


def _tables(table, index: int) -> list:
    start, length = _vector(table, index)
    return [_table(table.Bytes, table.Indirect(start + 4 * i)) for i in range(length)]


def _scalar(table, index: int, size: int, default: int = 0, signed: bool = False) -> int:
    offset = _field(table, index)
    if not offset:
        return default
    position = table.Pos + offset
    return int.from_bytes(table.Bytes[position:position + size], "little", signed=signed)


def upsampling_tail(content: bytes, tensors: dict[int, dict]) -> UpsamplingTail | None:
    """The model cut before its upsampling and ARG_MAX (see the module's docstring), or None where the graph does
    not end so: its last operators are RESIZE_BILINEAR ops with aligned corners and without half-pixel centres,
    each keeping its input's quantization and all but one keeping its size, then ARG_MAX, whose output is the
    graph's only output. ``tensors``: the interpreter's tensor details by index (shapes and quantization)."""
    root = _table(content, int.from_bytes(content[:4], "little"))
    codes = [max(_scalar(code, 0, 1, signed=True), _scalar(code, 3, 4, signed=True)) for code in _tables(root, 1)]
    subgraphs = _tables(root, 2)
    if len(subgraphs) != 1:
        return None
    graph = subgraphs[0]
    operators = _tables(graph, 3)
    if _ints(graph, 2) != (_ints(operators[-1], 2) if operators else None) or len(operators) < 2:
        return None
    *body, last = operators
    if codes[_scalar(last, 0, 4)] != ARG_MAX or list(tensors[_ints(last, 2)[0]]["shape"]) != list(
            tensors[_ints(last, 1)[0]]["shape"][:-1]):   # the classes' axis, the last, reduced
        return None
    source, resizes = _ints(last, 1)[0], 0
    while body and codes[_scalar(body[-1], 0, 4)] == RESIZE_BILINEAR and _ints(body[-1], 2) == [source]:
        resize = body.pop()
        options = _table(graph.Bytes, resize.Indirect(resize.Pos + _field(resize, 4))) if _field(resize, 4) else None
        feeding = _ints(resize, 1)[0]
        if options is None or _scalar(options, 2, 1) != 1 or _scalar(options, 3, 1) != 0 \
                or tensors[feeding]["quantization"] != tensors[source]["quantization"]:
            return None
        # with aligned corners a resize to its input's own size copies it (every weight 0)
        resizes += int(tuple(tensors[feeding]["shape"]) != tuple(tensors[source]["shape"]))
        source = feeding
    if resizes != 1 or not body:
        return None
    height, width = (int(v) for v in tensors[_ints(last, 1)[0]]["shape"][1:3])
    cut = bytearray(content)
    outputs_at, _ = _vector(graph, 2)
    cut[outputs_at:outputs_at + 4] = source.to_bytes(4, "little", signed=True)
    operators_at, _ = _vector(graph, 3)
    cut[operators_at - 4:operators_at] = len(body).to_bytes(4, "little")
    return UpsamplingTail(bytes(cut), source, height, width)


def source_weights(size_in: int, size_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per output coordinate: the two source indices and the Q11 weight of the second, as XNNPACK's aligned-corner
    bilinear indirection computes them (float32 scale and coordinates, the weight rounded to nearest)."""
    scale = np.float32(size_in - 1) / np.float32(size_out - 1) if size_out > 1 else np.float32(0)
    position = np.arange(size_out, dtype=np.float32) * scale
    first = position.astype(np.int32)
    second = np.minimum(first + 1, size_in - 1).astype(np.int32)
    weight = np.rint((position - first.astype(np.float32)) * np.float32(Q11)).astype(np.int32)
    return first, second, weight


def character_pixels(logits: np.ndarray, height: int, width: int, rows: int, columns: int,
                     wanted: np.ndarray) -> np.ndarray:
    """bool ``rows`` x ``columns``: whether the class that the whole model's ARG_MAX gives each of the first
    ``rows`` x ``columns`` pixels of its ``height`` x ``width`` upsampling of ``logits`` (H x W x C uint8) is one
    of ``wanted`` (bool per class)."""
    top, bottom, down = source_weights(logits.shape[0], height)
    left, right, across = source_weights(logits.shape[1], width)
    return _classes_wanted(np.ascontiguousarray(logits), top[:rows], bottom[:rows], down[:rows], left[:columns],
                           right[:columns], across[:columns], wanted).view(bool)


@njit(cache=True, nogil=True)
def _classes_wanted(logits, top, bottom, down, left, right, across, wanted):  # pragma: no cover - compiled
    source_rows, classes = logits.shape[0], logits.shape[2]
    columns = left.shape[0]
    # each source row mixed horizontally once (Q11); output rows sharing it read it
    mixed = np.empty((source_rows, columns, classes), np.int32)
    needed = np.zeros(source_rows, np.bool_)
    for y in range(top.shape[0]):
        needed[top[y]] = True
        needed[bottom[y]] = True
    for r in range(source_rows):
        if needed[r]:
            for x in range(columns):
                a, b, weight = left[x], right[x], across[x]
                for k in range(classes):
                    first = np.int32(logits[r, a, k])
                    mixed[r, x, k] = (first << 11) + (np.int32(logits[r, b, k]) - first) * weight
    out = np.zeros((top.shape[0], columns), np.uint8)
    for y in range(top.shape[0]):
        upper, lower, weight = top[y], bottom[y], down[y]
        for x in range(columns):
            best, best_class = np.int32(-1), 0
            for k in range(classes):
                t = mixed[upper, x, k]
                value = ((t << 11) + (mixed[lower, x, k] - t) * weight + 2097152) >> 22
                if value > best:
                    best, best_class = value, k
            out[y, x] = wanted[best_class]
    return out
