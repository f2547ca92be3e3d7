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
"""

import numpy as np
from numba import njit


def felzenszwalb(rgb: np.ndarray, scale: float = 1.0, sigma: float = 0.8, min_size: int = 20) -> np.ndarray:
    """int64 H x W region labels (0..n-1) of ``rgb`` (H x W x C uint8, or floats in [0, 1]), equal to
    ``skimage.segmentation.felzenszwalb(rgb, scale, sigma, min_size)``."""
    from scipy import ndimage
    from skimage.util import img_as_float64

    image = img_as_float64(np.atleast_3d(rgb))
    smooth = ndimage.gaussian_filter(image, [sigma, sigma, 0], mode="reflect", cval=0.0, truncate=4.0)
    costs = _edge_costs(np.ascontiguousarray(smooth))
    order = np.argsort(costs)  # scikit-image's call on the same array: the same order, ties included
    return _merged_regions(costs, order, smooth.shape[0], smooth.shape[1], float(scale) / 255.0, int(min_size))


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
def _merged_regions(costs: np.ndarray, order: np.ndarray, height: int, width: int, scale: float,
                    min_size: int) -> np.ndarray:  # pragma: no cover - compiled
    pixels = height * width
    parent = np.arange(pixels)
    size = np.ones(pixels, np.int64)
    internal = np.zeros(pixels)
    for e in order:
        a, b = _pixels(e, height, width)
        ra, rb = _root(parent, a), _root(parent, b)
        if ra == rb:
            continue
        # scikit-image holds these two in C floats
        inner_a = np.float32(internal[ra] + scale / size[ra])
        inner_b = np.float32(internal[rb] + scale / size[rb])
        if costs[e] < np.float64(min(inner_a, inner_b)):
            low, high = min(ra, rb), max(ra, rb)
            parent[high] = low
            size[low] += size[high]
            internal[low] = costs[e]
    for e in order:  # regions under min_size join their neighbour across the cheapest edge
        a, b = _pixels(e, height, width)
        ra, rb = _root(parent, a), _root(parent, b)
        if ra != rb and (size[ra] < min_size or size[rb] < min_size):
            low, high = min(ra, rb), max(ra, rb)
            parent[high] = low
            size[low] += size[high]
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
