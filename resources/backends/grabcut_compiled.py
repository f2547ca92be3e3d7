"""OpenCV's GrabCut (``cv2.grabCut`` with ``GC_INIT_WITH_MASK``) with its iterations compiled (numba) and its graph cut
made by PyMaxflow's Boykov-Kolmogorov max-flow: the same labels as OpenCV's, in about 0.6x its CPU.

The algorithm is OpenCV 4.x's (modules/imgproc/src/grabcut.cpp), step by step in its double arithmetic and order:
- the start: k-means over each side's colours and the two 5-component colour models (coefficients, means,
  covariances) learnt from it, compiled from the segmenter's seed (grabcut_start.py, the same numbers), or OpenCV's
  own (``cv2.grabCut`` with 0 iterations, from OpenCV's random state as the caller set it);
- each iteration gives every pixel the component of its own model (background for GC_BGD / GC_PR_BGD) with the
  highest density, re-learns both models from those sums (a component's covariance whose determinant is at most
  1e-6 gets 0.01 added to its diagonal), then cuts: free pixels (GC_PR_*) link to the source with -log of the
  background mixture's density and to the sink with -log of the character's; the 8-neighbour edges weigh
  gamma * exp(-beta * colour difference^2) (gamma 50, / sqrt 2 on diagonals, beta from the mean difference);
- the source side becomes GC_PR_FGD, the sink side GC_PR_BGD; sure pixels keep their labels.
What differs is how the cut is found, not which: OpenCV links sure pixels to their terminal with lambda = 450, more
than all eight of a pixel's edges can weigh (4 x 50 + 4 x 35.4 = 341), so no minimum cut ever moves a sure pixel;
here they are left out of the graph and their edges added to their free neighbours' terminal links, which leaves
the same minimum cuts on the free pixels with half the nodes or fewer. Between iterations only the terminal links
change, so the next max-flow starts from the last one's flow and search trees (Kohli and Torr's dynamic graph
cut: the new links are added as differences, ``maxflow(reuse_trees=True)``). A density of 0 (OpenCV's -log 0 =
inf) is linked with 1e6, more than any cut through the pixel's other links.

Measured (bench/grabcut_cost.py --compiled: the 2-minute 1080p film's first 104 kept frames, one thread, CPU clock):
the seed cut's 110 calls and the edge re-cut's 91 give labels identical to ``cv2.grabCut``'s, 128.5 -> 78.6 ms a seed
cut (1.64x) and 52.4 -> 38.1 ms an edge re-cut (1.38x); the instances stage 58.7 -> 51.5 CPU-s on that film
(docs/film_scale.md, session 13). Session 14: the start compiled, a component's density factor kept per model,
a free pixel's nearest components kept from the terminal links for the next assignment, the edges added last first:
96.1 -> 81.4 ms a seed cut, 46.4 -> 29.6 ms an edge re-cut, labels identical (docs/film_scale.md, session 14).

Images are BGR uint8 (H x W x 3, C order); labels uint8 GC_* values, updated in place like ``cv2.grabCut``'s mask.
"""

import math

import cv2
import numpy as np
from numba import njit

COMPONENTS = 5
GAMMA = 50.0
GAMMA_DIAGONAL = GAMMA / float(np.sqrt(np.float32(2.0)))  # OpenCV divides by std::sqrt(2.0f), a float
LAMBDA = 9 * GAMMA
NO_DENSITY = 1e6  # the terminal link of a colour a model gives density 0 (OpenCV: -log 0 = inf)
EPSILON = float(np.finfo(np.float64).eps)
NEIGHBOURS = ((0, -1, GAMMA), (-1, -1, GAMMA_DIAGONAL), (-1, 0, GAMMA), (-1, 1, GAMMA_DIAGONAL))
# a pixel's terminal links and its components depend only on its colour: _terminal_links and _learn_models keep each
# colour's answer in a table of this many slots (a power of 2, keyed by the colour; a colour whose slot another took
# is computed again): about half of a GrabCut window's pixels repeat a colour (6-minute 1080p film)
COLOUR_SLOTS = 8192


def compiled_grabcut(image: np.ndarray, labels: np.ndarray, iterations: int, seed: int | None = None) -> None:
    """``cv2.grabCut(image, labels, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)``: ``labels`` updated in
    place. With ``seed``, from ``cv2.setRNGSeed(seed)``'s random state, the k-means start compiled too
    (grabcut_start.py: the same models; OpenCV's own random state is then left as it was); without, OpenCV's start
    from its random state as the caller set it. Raises ``cv2.error`` where OpenCV would (no background or no
    character pixels; a colour model that cannot be inverted), ``labels`` then holding the iterations done before,
    as OpenCV's would."""
    try:
        import maxflow
    except ImportError as error:
        raise ImportError("the compiled GrabCut needs PyMaxflow: pip install -r install/requirements.txt "
                          "(or segmenter.grabcut: opencv)") from error
    image = np.ascontiguousarray(image)
    coefs, means, covs = _start(image, labels, iterations, seed)
    if iterations <= 0:
        return
    inverses, factors = np.zeros((2, COMPONENTS, 9)), np.zeros((2, COMPONENTS))
    for model in range(2):
        if not _invert(covs[model], coefs[model], inverses[model], factors[model]):
            raise cv2.error("GrabCut: a colour model's covariance cannot be inverted")
    ids, first, second, weights, to_source, to_sink = _free_graph(image, labels)
    count = len(to_source)
    if count == 0:
        return
    free, nodes = ids >= 0, np.arange(count)
    source, sink = np.empty(count), np.empty(count)
    nearest = np.full((2, count), -1, np.int8)  # each free pixel's component of either model, from _terminal_links
    graph, linked = None, None
    for _ in range(iterations):
        if not _learn_models(image, labels, coefs, means, covs, inverses, factors, ids, nearest):
            raise cv2.error("GrabCut: a colour model's covariance cannot be inverted")
        _terminal_links(image, ids, coefs, means, inverses, factors, source, sink, nearest)
        source += to_source
        sink += to_sink
        if graph is None:
            graph = maxflow.Graph[float](count, len(first))
            graph.add_nodes(count)
            graph.add_edges(first, second, weights, weights)
            graph.add_grid_tedges(nodes, source, sink)
            graph.maxflow()
        else:
            graph.add_grid_tedges(nodes, source - linked[0], sink - linked[1])
            graph.mark_grid_nodes(nodes)
            graph.maxflow(True)
        linked = (source.copy(), sink.copy())
        labels[free] = np.where(graph.get_grid_segments(nodes), cv2.GC_PR_BGD, cv2.GC_PR_FGD)


def _start(image: np.ndarray, labels: np.ndarray, iterations: int,
           seed: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(coefs, means, covariances) of the background (0) and the character (1) after GrabCut's k-means start:
    compiled from ``seed`` where the input is one ``cv2.grabCut`` takes (BGR uint8, labels 0-3 of its size), else
    OpenCV's own (which raises on a bad input)."""
    if seed is not None and compiled_start_applies(image, labels, iterations):
        from resources.backends.grabcut_start import start_models

        models = start_models(image, labels, seed)
        if models is None:
            raise cv2.error("GrabCut: no background or no character pixels to learn colours from")
        return models
    background, character = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(image, labels, None, background, character, 0, cv2.GC_INIT_WITH_MASK)  # OpenCV's k-means start
    models = np.stack([background[0], character[0]])
    return (models[:, :COMPONENTS].copy(), models[:, COMPONENTS:4 * COMPONENTS].reshape(2, COMPONENTS, 3).copy(),
            models[:, 4 * COMPONENTS:].reshape(2, COMPONENTS, 9).copy())


def compiled_start_applies(image: np.ndarray, labels: np.ndarray, iterations: int) -> bool:
    """Whether a seeded call starts from the compiled k-means (an input ``cv2.grabCut`` takes: BGR uint8, labels 0-3
    of its size, iterations to run), OpenCV's own random state then untouched."""
    return iterations > 0 and image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3 \
        and labels.dtype == np.uint8 and labels.shape == image.shape[:2] and labels.max(initial=0) <= 3


@njit(cache=True)
def _invert(cov, coefs, inverses, factors):
    """OpenCV's calcInverseCovAndDeterm for every component in use; False when a determinant is too small."""
    for ci in range(COMPONENTS):
        if coefs[ci] <= 0:
            continue
        c = cov[ci]
        determinant = c[0] * (c[4] * c[8] - c[5] * c[7]) - c[1] * (c[3] * c[8] - c[5] * c[6]) \
            + c[2] * (c[3] * c[7] - c[4] * c[6])
        if determinant <= EPSILON:
            return False
        factors[ci] = 1.0 / math.sqrt(determinant)  # the density's factor, as OpenCV computes it per call
        inverse = 1.0 / determinant
        out = inverses[ci]  # row-major [row][column] of OpenCV's inverseCovs
        out[0] = (c[4] * c[8] - c[5] * c[7]) * inverse
        out[3] = -(c[3] * c[8] - c[5] * c[6]) * inverse
        out[6] = (c[3] * c[7] - c[4] * c[6]) * inverse
        out[1] = -(c[1] * c[8] - c[2] * c[7]) * inverse
        out[4] = (c[0] * c[8] - c[2] * c[6]) * inverse
        out[7] = -(c[0] * c[7] - c[1] * c[6]) * inverse
        out[2] = (c[1] * c[5] - c[2] * c[4]) * inverse
        out[5] = -(c[0] * c[5] - c[2] * c[3]) * inverse
        out[8] = (c[0] * c[4] - c[1] * c[3]) * inverse
    return True


@njit(cache=True, inline="always")
def _density(model, ci, b, g, r, coefs, means, inverses, factors):
    """One component's Gaussian density, OpenCV's GMM::operator()(ci, color)."""
    if coefs[model, ci] <= 0:
        return 0.0
    d0, d1, d2 = b - means[model, ci, 0], g - means[model, ci, 1], r - means[model, ci, 2]
    iv = inverses[model, ci]
    mult = d0 * (d0 * iv[0] + d1 * iv[3] + d2 * iv[6]) + d1 * (d0 * iv[1] + d1 * iv[4] + d2 * iv[7]) \
        + d2 * (d0 * iv[2] + d1 * iv[5] + d2 * iv[8])
    return factors[model, ci] * math.exp(-0.5 * mult)


@njit(cache=True, inline="always")
def _nearest(model, b, g, r, coefs, means, inverses, factors):
    """The model's component of highest density at a colour (the first of equals; 0 where all are 0)."""
    best, highest = 0, 0.0
    for ci in range(COMPONENTS):
        density = _density(model, ci, b, g, r, coefs, means, inverses, factors)
        if density > highest:
            best, highest = ci, density
    return best


@njit(cache=True)
def _learn_models(image, labels, coefs, means, covs, inverses, factors, ids, nearest):
    """OpenCV's assignGMMsComponents then learnGMMs (the models updated in place); False where OpenCV would fail.
    A free pixel's component is ``nearest``'s where the last terminal links found it (the same models: they change
    only here), else computed."""
    height, width = labels.shape
    sums, products = np.zeros((2, COMPONENTS, 3)), np.zeros((2, COMPONENTS, 9))
    counts = np.zeros((2, COMPONENTS), np.int64)
    held, held_best = np.full((2, COLOUR_SLOTS), -1, np.int64), np.empty((2, COLOUR_SLOTS), np.int8)
    for y in range(height):
        for x in range(width):
            model = 1 if labels[y, x] == 1 or labels[y, x] == 3 else 0
            b, g, r = float(image[y, x, 0]), float(image[y, x, 1]), float(image[y, x, 2])
            node = ids[y, x]
            best = -1 if node < 0 else nearest[model, node]
            if best < 0:  # the colour's component, computed once per colour met (as in _terminal_links)
                colour = (np.int64(image[y, x, 0]) << 16) | (np.int64(image[y, x, 1]) << 8) | np.int64(image[y, x, 2])
                slot = ((colour * 2654435761) >> 11) & (COLOUR_SLOTS - 1)
                if held[model, slot] == colour:
                    best = held_best[model, slot]
                else:
                    best = _nearest(model, b, g, r, coefs, means, inverses, factors)
                    held[model, slot], held_best[model, slot] = colour, best
            _add_sample(sums[model], products[model], counts[model], best, b, g, r)
    for model in range(2):
        _end_learning(sums[model], products[model], counts[model], coefs[model], means[model], covs[model])
        if not _invert(covs[model], coefs[model], inverses[model], factors[model]):
            return False
    return True


@njit(cache=True, inline="always")
def _add_sample(sums, products, counts, ci, b, g, r):
    """OpenCV's GMM::addSample: a colour added to component ``ci``'s sums, in double."""
    s, p = sums[ci], products[ci]
    s[0] += b
    s[1] += g
    s[2] += r
    p[0] += b * b
    p[1] += b * g
    p[2] += b * r
    p[3] += g * b
    p[4] += g * g
    p[5] += g * r
    p[6] += r * b
    p[7] += r * g
    p[8] += r * r
    counts[ci] += 1


@njit(cache=True)
def _end_learning(sums, products, counts, coefs, means, covs):
    """OpenCV's GMM::endLearning of one model from its components' sums (before the inversion)."""
    total = counts.sum()
    for ci in range(COMPONENTS):
        n = counts[ci]
        if n == 0:
            coefs[ci] = 0.0
            continue
        inverse_n = 1.0 / n
        coefs[ci] = n / total
        m, c = means[ci], covs[ci]
        for a in range(3):
            m[a] = sums[ci, a] * inverse_n
        for a in range(3):
            for b in range(3):
                c[3 * a + b] = products[ci, 3 * a + b] * inverse_n - m[a] * m[b]
        determinant = c[0] * (c[4] * c[8] - c[5] * c[7]) - c[1] * (c[3] * c[8] - c[5] * c[6]) \
            + c[2] * (c[3] * c[7] - c[4] * c[6])
        if determinant <= 1e-6:  # OpenCV's singular fix: white noise on the diagonal
            c[0] += 0.01
            c[4] += 0.01
            c[8] += 0.01


@njit(cache=True)
def _terminal_links(image, ids, coefs, means, inverses, factors, source, sink, nearest):
    """-log of the background / character mixture densities of every free pixel (node ``ids[y, x]``), and its
    component of highest density in each model (``nearest``, for the next assignment). Both depend only on the
    pixel's colour: a colour met again (the last one held in its slot of a COLOUR_SLOTS table) takes the numbers
    computed for it, the very same."""
    height, width = ids.shape
    held = np.full(COLOUR_SLOTS, -1, np.int64)
    held_source, held_sink = np.empty(COLOUR_SLOTS), np.empty(COLOUR_SLOTS)
    held_nearest = np.empty((2, COLOUR_SLOTS), np.int8)
    for y in range(height):
        for x in range(width):
            node = ids[y, x]
            if node < 0:
                continue
            colour = (np.int64(image[y, x, 0]) << 16) | (np.int64(image[y, x, 1]) << 8) | np.int64(image[y, x, 2])
            slot = ((colour * 2654435761) >> 11) & (COLOUR_SLOTS - 1)
            if held[slot] == colour:
                source[node], sink[node] = held_source[slot], held_sink[slot]
                nearest[0, node], nearest[1, node] = held_nearest[0, slot], held_nearest[1, slot]
                continue
            b, g, r = float(image[y, x, 0]), float(image[y, x, 1]), float(image[y, x, 2])
            background, character = 0.0, 0.0
            for model in range(2):
                best, highest, mixture = 0, 0.0, 0.0
                for ci in range(COMPONENTS):
                    density = _density(model, ci, b, g, r, coefs, means, inverses, factors)
                    mixture += coefs[model, ci] * density
                    if density > highest:
                        best, highest = ci, density
                nearest[model, node] = best
                held_nearest[model, slot] = best
                if model == 0:
                    background = mixture
                else:
                    character = mixture
            source[node] = -math.log(background) if background > 0 else NO_DENSITY
            sink[node] = -math.log(character) if character > 0 else NO_DENSITY
            held[slot], held_source[slot], held_sink[slot] = colour, source[node], sink[node]


@njit(cache=True, inline="always")
def _difference(image, y, x, yy, xx):
    total = 0.0
    for channel in range(3):
        step = float(image[y, x, channel]) - float(image[yy, xx, channel])
        total += step * step
    return total


@njit(cache=True)
def _free_graph(image, labels):
    """(node id of every free pixel or -1, the edges between free pixels: first, second, weight, and each free
    pixel's links to the source and the sink from its sure neighbours' edges); beta over the whole image."""
    height, width = labels.shape
    total = 0.0
    for y in range(height):
        for x in range(width):
            for dy, dx, _ in NEIGHBOURS:
                if y + dy >= 0 and 0 <= x + dx < width:
                    total += _difference(image, y, x, y + dy, x + dx)
    beta = 0.0 if total <= EPSILON else 1.0 / (2 * total / (4 * width * height - 3 * width - 3 * height + 2))
    ids = np.full((height, width), -1, np.int32)
    count = 0
    for y in range(height):
        for x in range(width):
            if labels[y, x] == 2 or labels[y, x] == 3:
                ids[y, x] = count
                count += 1
    to_source, to_sink = np.zeros(count), np.zeros(count)
    first, second = np.empty(4 * height * width, np.int32), np.empty(4 * height * width, np.int32)
    weights = np.empty(4 * height * width)
    edges = 0
    for y in range(height):
        for x in range(width):
            here = ids[y, x]
            for dy, dx, gamma in NEIGHBOURS:
                yy, xx = y + dy, x + dx
                if yy < 0 or not 0 <= xx < width:
                    continue
                there = ids[yy, xx]
                if here < 0 and there < 0:
                    continue
                weight = gamma * math.exp(-beta * _difference(image, y, x, yy, xx))
                if here >= 0 and there >= 0:
                    first[edges], second[edges], weights[edges] = here, there, weight
                    edges += 1
                    continue
                node, sure = (here, labels[yy, xx]) if here >= 0 else (there, labels[y, x])
                if sure == 0:  # GC_BGD: the edge can only be cut on the background's side
                    to_sink[node] += weight
                else:
                    to_source[node] += weight
    # the edges last first: Boykov-Kolmogorov then searches a pixel's neighbours in another order, about 10% faster on
    # the first max-flow of real windows; the cut is the same (the pixels the source reaches in the residual graph of
    # any maximum flow)
    first, second, weights = first[:edges][::-1].copy(), second[:edges][::-1].copy(), weights[:edges][::-1].copy()
    return ids, first, second, weights, to_source, to_sink
