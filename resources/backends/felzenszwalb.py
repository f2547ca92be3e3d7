"""Felzenszwalb-Huttenlocher graph segmentation, the same labels as scikit-image's ``felzenszwalb`` in a quarter of
its CPU (the colour regions of resources/backends/character_regions.py).

scikit-image 0.26 builds its graph in NumPy (a 2 x E edge array gathered into sorted order: about half of its 36
CPU-ms on a 38k-pixel GrabCut window) before its union-find loop. Here the edge costs are computed in one compiled
pass, in scikit-image's arithmetic (the same smoothing, the differences squared and summed channel by channel from
the first, then the square root), so the cost array is the same bit for bit and NumPy's ``argsort`` of it gives the
same edge order, ties included; the loop then reads each edge's two pixels from its index instead of a gathered
array. Which regions merge depends only on that order, the regions' sizes and internal costs (kept at each region's
root, whatever the root), the merge test in scikit-image's precision (the region's internal cost plus
``scale / size`` rounded to float32, compared with the edge's float64 cost) and ``min_size``; regions are then
numbered by their first pixel in raster order, as scikit-image's ``unique`` of root ids numbers them (its root is
the region's smallest pixel index). tests/unit/test_felzenszwalb.py compares the labels with scikit-image's.

The edge order needs NumPy's ``argsort`` only among equal costs (14 of a call's ~30 CPU-ms on a GrabCut window), and
within a run of equal costs the order cannot change the regions where two checks hold (``_merged_in_cost_runs``):
(1) the merging pass: an edge of cost c joins two regions whose thresholds (internal cost + scale / size) both exceed
c; a region joined at cost c gets internal cost c and so a threshold above c (checked on each join), so every later
edge of the run between two such regions joins them too, and one into a region at or below c never does, in any
order: the run joins the regions above c that its edges connect, with the same sizes, internal costs and roots (the
smallest); (2) the min_size pass: a join only grows regions, so an edge that does not qualify (two regions, one under
min_size) when its run starts never will; a run with at most one qualifying edge as it starts (counted before any of
its joins: a join can stop another edge qualifying) joins the same in any order. So the
costs are ordered by a stable radix sort of their bit patterns (a cost is >= 0, so they order as the values do),
about a fifth of ``argsort``'s CPU, and a window where a check fails (none of 127 windows of the 6-minute 1080p film)
is merged again in ``argsort``'s order.
"""

import hashlib
import threading
from collections import OrderedDict

import numpy as np
from numba import njit

DIGIT_BITS = 11                      # the radix sort's digit: 6 digits cover a float64's 64 bits
RADIX = 1 << DIGIT_BITS
DIGITS = -(-64 // DIGIT_BITS)


def felzenszwalb(rgb: np.ndarray, scale: float = 1.0, sigma: float = 0.8, min_size: int = 20) -> np.ndarray:
    """int64 H x W region labels (0..n-1) of ``rgb`` (H x W x C uint8, or floats in [0, 1]), equal to
    ``skimage.segmentation.felzenszwalb(rgb, scale, sigma, min_size)``."""
    image = np.ascontiguousarray(np.atleast_3d(rgb))
    window = (image.shape, image.dtype.str, float(sigma), hashlib.sha1(image.view(np.uint8).ravel()).digest())
    key = (window, float(scale), int(min_size))
    with _graphs_lock:
        if key in _labels:
            _labels.move_to_end(key)
            return _labels[key].copy()
    labels = _labels_of(image, window, scale, sigma, min_size)
    if LABELS:
        with _graphs_lock:
            _labels[key] = labels.copy()
            while len(_labels) > LABELS:
                _labels.popitem(last=False)
    return labels


def _labels_of(image: np.ndarray, window: tuple, scale: float, sigma: float, min_size: int) -> np.ndarray:
    """``felzenszwalb``'s labels of ``image`` (C-contiguous), ``window`` its key in the kept graphs."""
    edges = _graph(image, sigma, window)
    height, width, scale, min_size = image.shape[0], image.shape[1], float(scale) / 255.0, int(min_size)
    if edges is not None:   # else a cost that is not a finite number >= 0
        labels = _merged_in_cost_runs(*edges, height, width, scale, min_size)
        if labels.size:
            return labels
    costs = _smoothed_costs(image, sigma)
    order = np.argsort(costs)  # scikit-image's call on the same array: the same order, ties included
    return _merged_regions(costs, order, height, width, scale, min_size)


# The segmenter asks for the regions of one GrabCut window twice or more: at the border prior's scale for the seed
# cut (again where BlazePose's legs re-cut it) and at the flat parts' fine scale. Only the merging depends on the
# scale, so a window's edges in ascending cost are kept for the last GRAPHS windows met (keyed by the pixels and
# sigma; 16 bytes an edge, about 2.4 MB for a 256 x 150 window), computed once per window.
GRAPHS = 12
_graphs: "OrderedDict[tuple, tuple | None]" = OrderedDict()
# ... and the labels of the last LABELS calls (window, scale, min_size): a drawn cut's fine regions, asked for by the
# own-colour prior (character_own_prior) and again by the flat parts (character_regions) on the same window, are
# merged once (session 32, h10). Off: LABELS 0.
LABELS = 24
_labels: "OrderedDict[tuple, np.ndarray]" = OrderedDict()
_graphs_lock = threading.Lock()


def _smoothed_costs(image: np.ndarray, sigma: float) -> np.ndarray:
    """The edge costs of ``image`` (C-contiguous) smoothed by ``sigma``, in scikit-image's order."""
    from scipy import ndimage
    from skimage.util import img_as_float64

    smooth = ndimage.gaussian_filter(img_as_float64(image), [sigma, sigma, 0], mode="reflect", cval=0.0,
                                     truncate=4.0)
    return _edge_costs(np.ascontiguousarray(smooth))


def _graph(image: np.ndarray, sigma: float, key: tuple) -> tuple | None:
    """(first pixel, second pixel, cost) of the edges of ``image`` (C-contiguous) smoothed by ``sigma``, in
    ascending cost (``_sorted_edges``), from the kept windows (``key``: its pixels and sigma) where met; None where a
    cost is not a finite number >= 0."""
    with _graphs_lock:
        if key in _graphs:
            _graphs.move_to_end(key)
            return _graphs[key]
    costs = _smoothed_costs(image, sigma)
    order = _ascending(costs.view(np.uint64))
    edges = _sorted_edges(costs, order, image.shape[0], image.shape[1]) if order.size == costs.size else None
    with _graphs_lock:
        _graphs[key] = edges
        while len(_graphs) > GRAPHS:
            _graphs.popitem(last=False)
    return edges


@njit(cache=True)
def _ascending(keys: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """Indices of ``keys`` (float64 bit patterns) in ascending order, equal keys in index order: a stable LSD radix
    sort on 11-bit digits (2,048 counters, which stay in the first-level cache; every digit's counts taken in one
    read of the keys; a digit every key shares is skipped). Empty when a key is negative, infinite or NaN, whose bit
    patterns do not order as the values."""
    count = keys.size
    for i in range(count):
        if keys[i] >= np.uint64(0x7FF0000000000000):
            return np.empty(0, np.int64)
    counts = np.zeros((DIGITS, RADIX), np.int64)
    for i in range(count):
        key = keys[i]
        for digit in range(DIGITS):
            counts[digit, (key >> np.uint64(DIGIT_BITS * digit)) & np.uint64(RADIX - 1)] += 1
    order, spare = np.arange(count), np.empty(count, np.int64)
    starts = np.empty(RADIX, np.int64)
    for digit in range(DIGITS):
        if counts[digit].max() == count:
            continue
        total = 0
        for value in range(RADIX):
            starts[value] = total
            total += counts[digit, value]
        shift = np.uint64(DIGIT_BITS * digit)
        for i in range(count):
            n = order[i]
            value = (keys[n] >> shift) & np.uint64(RADIX - 1)
            spare[starts[value]] = n
            starts[value] += 1
        order, spare = spare, order
    return order


@njit(cache=True)
def _edge_costs(image: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """Colour distance of every 8-connected pixel pair, in scikit-image's order: right, down, down-right and
    up-right neighbours, each block in raster order of its first pixel."""
    height, width, channels = image.shape
    right, down, diagonal = height * (width - 1), (height - 1) * width, (height - 1) * (width - 1)
    costs = np.empty(right + down + 2 * diagonal)
    k = 0
    for block in range(4):
        rows = height if block == 0 else height - 1
        cols = width if block == 1 else width - 1
        for y in range(rows):
            for x in range(cols):
                if block == 0:
                    ay, ax, by, bx = y, x + 1, y, x
                elif block == 1:
                    ay, ax, by, bx = y + 1, x, y, x
                elif block == 2:
                    ay, ax, by, bx = y + 1, x + 1, y, x
                else:
                    ay, ax, by, bx = y + 1, x, y, x + 1
                total = 0.0
                for c in range(channels):
                    d = image[ay, ax, c] - image[by, bx, c]
                    total += d * d
                costs[k] = np.sqrt(total)
                k += 1
    return costs


@njit(cache=True)
def _root(parent: np.ndarray, n: int) -> int:  # pragma: no cover - compiled
    while parent[n] != n:
        parent[n] = parent[parent[n]]
        n = parent[n]
    return n


@njit(cache=True)
def _pixels(edge: int, height: int, width: int) -> tuple[int, int]:  # pragma: no cover - compiled
    right, down, diagonal = height * (width - 1), (height - 1) * width, (height - 1) * (width - 1)
    if edge < right:
        y, x = edge // (width - 1), edge % (width - 1)
        return y * width + x + 1, y * width + x
    edge -= right
    if edge < down:
        return edge + width, edge
    edge -= down
    y, x = edge // (width - 1), edge % (width - 1)
    if edge < diagonal:
        return (y + 1) * width + x + 1, y * width + x
    y, x = (edge - diagonal) // (width - 1), (edge - diagonal) % (width - 1)
    return (y + 1) * width + x, y * width + x + 1


@njit(cache=True)
def _sorted_edges(costs: np.ndarray, order: np.ndarray, height: int,
                  width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """(first pixel, second pixel, cost) of every edge in ``order``: the passes over the edges then read three
    arrays in turn instead of decoding each edge's pixels (two integer divisions) and gathering its cost per pass."""
    first, second, cost = np.empty(order.size, np.int32), np.empty(order.size, np.int32), np.empty(order.size)
    for i in range(order.size):
        edge = order[i]
        first[i], second[i] = _pixels(edge, height, width)
        cost[i] = costs[edge]
    return first, second, cost


@njit(cache=True)
def _joined_by_cost(first: np.ndarray, second: np.ndarray, cost: np.ndarray, scale: float, parent: np.ndarray,
                    size: np.ndarray, checked: bool) -> bool:  # pragma: no cover - compiled
    """The merging pass over the edges (``_sorted_edges``): two regions join across an edge cheaper than both their
    thresholds (``parent`` and ``size`` updated). ``checked``: False as soon as a region joined at cost c has a
    threshold at or below c (check (1) of the module's docstring), else True."""
    internal = np.zeros(parent.size)
    for i in range(cost.size):
        ra, rb = _root(parent, first[i]), _root(parent, second[i])
        if ra == rb:
            continue
        # scikit-image holds these two in C floats
        inner_a = np.float32(internal[ra] + scale / size[ra])
        inner_b = np.float32(internal[rb] + scale / size[rb])
        if cost[i] < np.float64(min(inner_a, inner_b)):
            low, high = min(ra, rb), max(ra, rb)
            parent[high] = low
            size[low] += size[high]
            internal[low] = cost[i]
            if checked and np.float64(np.float32(cost[i] + scale / size[low])) <= cost[i]:
                return False
    return True


@njit(cache=True)
def _union_find(pixels: int) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """(parent, size) of ``pixels`` one-pixel regions, int32 (half the memory the passes' random reads touch)."""
    return np.arange(pixels).astype(np.int32), np.ones(pixels, np.int32)


@njit(cache=True)
def _merged_in_cost_runs(first: np.ndarray, second: np.ndarray, cost: np.ndarray, height: int, width: int,
                         scale: float, min_size: int) -> np.ndarray:  # pragma: no cover - compiled
    """``_merged_regions`` for edges (``_sorted_edges``) in an order that sorts the costs in any order among equal
    ones, or an empty array where the two checks of the module's docstring fail (the regions could then depend on
    that order)."""
    parent, size = _union_find(height * width)
    failed = np.empty((0, 0), np.int64)
    if not _joined_by_cost(first, second, cost, scale, parent, size, True):
        return failed
    start, edges = 0, cost.size
    while start < edges:
        end, chosen = start + 1, -1
        while end < edges and cost[end] == cost[start]:
            end += 1
        for n in range(start, end):  # the edges that qualify as the run starts, before any of its joins
            ra, rb = _root(parent, first[n]), _root(parent, second[n])
            if ra != rb and (size[ra] < min_size or size[rb] < min_size):
                if chosen >= 0:  # check (2): two qualify, and which joins first could decide the regions
                    return failed
                chosen = n
        if chosen >= 0:
            ra, rb = _root(parent, first[chosen]), _root(parent, second[chosen])
            low, high = min(ra, rb), max(ra, rb)
            parent[high] = low
            size[low] += size[high]
        start = end
    return _numbered(parent, height, width)


@njit(cache=True)
def _numbered(parent: np.ndarray, height: int, width: int) -> np.ndarray:  # pragma: no cover - compiled
    """Every pixel's region, numbered by the region's first pixel in raster order."""
    pixels = height * width
    labels = np.empty(pixels, np.int64)
    number = np.full(pixels, -1, np.int64)
    count = 0
    for p in range(pixels):
        r = _root(parent, p)
        if number[r] < 0:
            number[r] = count
            count += 1
        labels[p] = number[r]
    return labels.reshape(height, width)


@njit(cache=True)
def _merged_regions(costs: np.ndarray, order: np.ndarray, height: int, width: int, scale: float,
                    min_size: int) -> np.ndarray:  # pragma: no cover - compiled
    """scikit-image's two passes over the edges in ``order`` (NumPy's ``argsort`` of the costs, as it sorts them)."""
    first, second, cost = _sorted_edges(costs, order, height, width)
    parent, size = _union_find(height * width)
    _joined_by_cost(first, second, cost, scale, parent, size, False)
    for i in range(cost.size):  # regions under min_size join their neighbour across the cheapest edge
        ra, rb = _root(parent, first[i]), _root(parent, second[i])
        if ra != rb and (size[ra] < min_size or size[rb] < min_size):
            low, high = min(ra, rb), max(ra, rb)
            parent[high] = low
            size[low] += size[high]
    return _numbered(parent, height, width)
