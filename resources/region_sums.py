"""Each region's colour sums in one compiled pass (numba), for ``resources/cel_fills.cel_fill_map``: a region's sum of
8-bit levels and of their squares, per channel. Every partial sum is an integer under 2 ** 53, so the float64 sums
are exact in any order: the same values ``np.bincount(labels, level)`` and ``np.bincount(labels, level ** 2)`` give,
in one pass over the pixels instead of six.
"""

import numpy as np
from numba import njit


@njit(cache=True)
def colour_sums(levels: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:  # pragma: no cover - compiled
    """float64 (6, count): rows 0-2 each region's sum of channel 0-2's uint8 levels (``levels`` H x W x 3), rows
    3-5 the sums of their squares; ``labels`` H x W int32 in [0, count)."""
    sums = np.zeros((6, count))
    height, width = labels.shape
    for y in range(height):
        for x in range(width):
            region = labels[y, x]
            for channel in range(3):
                level = np.float64(levels[y, x, channel])
                sums[channel, region] += level
                sums[3 + channel, region] += level * level
    return sums
