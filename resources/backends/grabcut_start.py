"""OpenCV's GrabCut start compiled (numba): the two colour models ``cv2.grabCut(..., 0, GC_INIT_WITH_MASK)`` learns
from a labelling after ``cv2.setRNGSeed(seed)``, the same numbers.

OpenCV 4.x's initGMMs (modules/imgproc/src/grabcut.cpp) splits the pixels, in row order, into background samples
(GC_BGD, GC_PR_BGD) and character samples (GC_FGD, GC_PR_FGD), clusters each into 5 by ``cv::kmeans``
(modules/core/src/kmeans.cpp: k-means++ centres with 3 trials each, then at most 10 rounds of assigning and
averaging, one attempt) and learns each model's 5 Gaussians from those clusters. Here the same steps in the same
arithmetic and order: OpenCV's random generator (a multiply-with-carry on 64 bits, state = seed, the first centre
``next % N``, a trial ``next:next * 2^-64 * sum``), squared distances in float32 summed channel by channel, the
trials' sums in double over float32 sums of 8, float32 centre sums scaled by float32 ``1 / count``, an empty
cluster refilled with the farthest sample of the largest, the nearest centre the first of the equals, the stop at
a centre shift of at most FLT_EPSILON squared; then the models' sums in double (``grabcut_compiled``'s learning).
Only the labels of the k-means matter to GrabCut, so its last distances and compactness are not computed. OpenCV's
own random state is not advanced (every GrabCut of the segmenter sets it first).

Measured on the GrabCut calls of the 2-minute 1080p film's first 104 key frames (110 seed cuts at 3 random states,
91 edge re-cuts; thread CPU, one OpenCV thread): models identical to OpenCV's on all 421, 8.6 -> 3.6 ms a seed cut's
start, 20.7 -> 6.0 ms an edge re-cut's (docs/film_scale.md, session 14).
"""

import numpy as np
from numba import njit

from resources.backends.grabcut_compiled import COMPONENTS, _add_sample, _end_learning

RNG_COEFF = np.uint64(4164903690)    # OpenCV's CV_RNG_COEFF
TWO_TO_MINUS_64 = 5.4210108624275221700372640043497e-20
ROUNDS = 10                          # initGMMs' kMeansItCount
TRIALS = 3                           # kmeans' SPP_TRIALS
SHIFT_EPSILON = float(np.finfo(np.float32).eps) ** 2   # a COUNT-only criterion's epsilon, FLT_EPSILON, squared


def start_models(image: np.ndarray, labels: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(coefs 2 x 5, means 2 x 5 x 3, covariances 2 x 5 x 9) of the background (0) and the character (1) as
    ``cv2.grabCut`` with 0 iterations from ``cv2.setRNGSeed(seed)`` leaves them; None where one side has no pixel
    (OpenCV raises there). ``image`` BGR uint8 C-contiguous, ``labels`` GC_* values 0-3."""
    sides = _samples(image, labels)
    if not sides[0].shape[1] or not sides[1].shape[1]:
        return None
    state = np.uint64(seed & 0xFFFFFFFFFFFFFFFF or 0xFFFFFFFF)   # cv::RNG(seed): 0 becomes 0xffffffff
    sums, products = np.zeros((2, COMPONENTS, 3)), np.zeros((2, COMPONENTS, 9))
    counts = np.zeros((2, COMPONENTS), np.int64)
    for model, channels in enumerate(sides):   # background first, then the character from the state it left
        clusters, state = _kmeans(channels, min(COMPONENTS, channels.shape[1]), np.uint64(state))
        _accumulate(channels, clusters, sums[model], products[model], counts[model])
    coefs, means, covs = np.zeros((2, COMPONENTS)), np.zeros((2, COMPONENTS, 3)), np.zeros((2, COMPONENTS, 9))
    for model in range(2):
        _end_learning(sums[model], products[model], counts[model], coefs[model], means[model], covs[model])
    return coefs, means, covs


@njit(cache=True, inline="always")
def _next(state):
    """OpenCV's RNG::next: (the new state, its low 32 bits)."""
    state = (state & np.uint64(0xFFFFFFFF)) * RNG_COEFF + (state >> np.uint64(32))
    return state, state & np.uint64(0xFFFFFFFF)


@njit(cache=True, inline="always")
def _distance(channels, i, c0, c1, c2):
    """hal::normL2Sqr_ of one sample to a centre in float32, channel by channel."""
    t = channels[0, i] - c0
    total = np.float32(0.0) + t * t
    t = channels[1, i] - c1
    total = total + t * t
    t = channels[2, i] - c2
    return total + t * t


@njit(cache=True)
def _kmeans(channels, k, state):
    """cv::kmeans(samples, k, TermCriteria(COUNT, 10, 0), attempts 1, KMEANS_PP_CENTERS)'s labels and the random
    state after it. ``channels``: 3 x N float32."""
    n = channels.shape[1]
    centres = np.empty((k, 3), np.float32)
    state = _pp_centres(channels, k, state, centres)
    clusters = np.zeros(n, np.int32)
    nearest = np.empty(n, np.float32)
    _assign(channels, centres, clusters, nearest)
    rounds = 2 if k == 1 else ROUNDS
    done = 1
    old = np.empty((k, 3), np.float32)
    counters = np.zeros(k, np.int64)
    while True:
        old[:] = centres
        centres[:] = 0
        counters[:] = 0
        for i in range(n):
            c = clusters[i]
            for j in range(3):
                centres[c, j] += channels[j, i]
            counters[c] += 1
        for c in range(k):
            if counters[c] == 0:
                _refill(channels, clusters, centres, counters, c)
        shift = 0.0
        for c in range(k):
            scale = np.float32(1.0) / np.float32(counters[c])
            distance = 0.0
            for j in range(3):
                centres[c, j] = centres[c, j] * scale
                t = float(centres[c, j] - old[c, j])
                distance += t * t
            shift = max(shift, distance)
        done += 1
        if done == rounds or shift <= SHIFT_EPSILON:
            return clusters, state
        _assign(channels, centres, clusters, nearest)


@njit(cache=True)
def _pp_centres(channels, k, state, centres):
    """generateCentersPP: k-means++ centres (3 trials each) into ``centres``; the random state after them."""
    n = channels.shape[1]
    chosen = np.empty(k, np.int64)
    state, value = _next(state)
    chosen[0] = np.int64(value % np.uint64(n))
    dist, tdist, tdist2 = np.empty(n, np.float32), np.empty(n, np.float32), np.empty(n, np.float32)
    total = 0.0
    c = chosen[0]
    for i in range(n):
        dist[i] = _distance(channels, i, channels[0, c], channels[1, c], channels[2, c])
        total += dist[i]
    for centre in range(1, k):
        best_sum, best = np.inf, -1
        for _ in range(TRIALS):
            state, high = _next(state)
            state, low = _next(state)
            p = float((high << np.uint64(32)) | low) * TWO_TO_MINUS_64 * total
            ci = 0
            while ci < n - 1:
                p -= dist[ci]
                if p <= 0:
                    break
                ci += 1
            c0, c1, c2 = channels[0, ci], channels[1, ci], channels[2, ci]
            for i in range(n):
                d = _distance(channels, i, c0, c1, c2)
                tdist2[i] = dist[i] if dist[i] < d else d
            s, i = 0.0, 0
            while i + 7 < n:  # OpenCV's unrolled sum: 8 float32 terms added in float32, then to the double
                s += float(tdist2[i] + tdist2[i + 1] + tdist2[i + 2] + tdist2[i + 3] + tdist2[i + 4]
                           + tdist2[i + 5] + tdist2[i + 6] + tdist2[i + 7])
                i += 8
            while i < n:
                s += float(tdist2[i])
                i += 1
            if s < best_sum:
                best_sum, best = s, ci
                tdist, tdist2 = tdist2, tdist
        chosen[centre] = best
        total = best_sum
        dist, tdist = tdist, dist
    for centre in range(k):
        for j in range(3):
            centres[centre, j] = channels[j, chosen[centre]]
    return state


@njit(cache=True)
def _assign(channels, centres, clusters, nearest):
    """Each sample's nearest centre, the first of equals (KMeansDistanceComputer), centre by centre."""
    n = channels.shape[1]
    c0, c1, c2 = centres[0, 0], centres[0, 1], centres[0, 2]
    for i in range(n):
        nearest[i] = _distance(channels, i, c0, c1, c2)
        clusters[i] = 0
    for c in range(1, centres.shape[0]):
        c0, c1, c2 = centres[c, 0], centres[c, 1], centres[c, 2]
        for i in range(n):  # selects, not branches: the loop vectorises
            d = _distance(channels, i, c0, c1, c2)
            closer = d < nearest[i]
            nearest[i] = d if closer else nearest[i]
            clusters[i] = c if closer else clusters[i]


@njit(cache=True)
def _refill(channels, clusters, centres, counters, empty):
    """An empty cluster takes the sample farthest (the last of equals) from the largest cluster's mean."""
    largest = 0
    for c in range(1, centres.shape[0]):
        if counters[largest] < counters[c]:
            largest = c
    scale = np.float32(1.0) / np.float32(counters[largest])
    m0, m1, m2 = centres[largest, 0] * scale, centres[largest, 1] * scale, centres[largest, 2] * scale
    farthest, highest = -1, 0.0
    for i in range(channels.shape[1]):
        if clusters[i] != largest:
            continue
        d = float(_distance(channels, i, m0, m1, m2))
        if highest <= d:
            farthest, highest = i, d
    counters[largest] -= 1
    counters[empty] += 1
    clusters[farthest] = empty
    for j in range(3):
        centres[largest, j] -= channels[j, farthest]
        centres[empty, j] += channels[j, farthest]


@njit(cache=True)
def _samples(image, labels):
    """(background, character) samples as 3 x N float32 channels, each in the pixels' row order."""
    height, width = labels.shape
    total = 0
    for y in range(height):
        for x in range(width):
            total += labels[y, x] == 1 or labels[y, x] == 3
    sides = (np.empty((3, height * width - total), np.float32), np.empty((3, total), np.float32))
    counts = np.zeros(2, np.int64)
    for y in range(height):
        for x in range(width):
            model = 1 if labels[y, x] == 1 or labels[y, x] == 3 else 0
            side, i = sides[model], counts[model]
            for j in range(3):
                side[j, i] = image[y, x, j]
            counts[model] = i + 1
    return sides


@njit(cache=True)
def _accumulate(channels, clusters, sums, products, counts):
    """GMM::addSample of every sample to its cluster's sums, in the samples' order, in double."""
    for i in range(channels.shape[1]):
        _add_sample(sums, products, counts, clusters[i], float(channels[0, i]), float(channels[1, i]),
                    float(channels[2, i]))
