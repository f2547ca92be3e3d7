"""Clustering speaker embeddings with the number of speakers estimated: NME-SC (numpy + scikit-learn).

Normalized-maximum-eigengap spectral clustering (Park et al., "Auto-Tuning Spectral Clustering for Speaker
Diarization Using Normalized Maximum Eigengap", IEEE SPL 2020) has no similarity threshold to tune: for each
candidate pruning level ``p`` it keeps the ``p`` most similar neighbours of every embedding, measures the largest
eigengap of the graph Laplacian, and picks the ``p`` whose graph separates best relative to how much it pruned.
The number of speakers is the position of that largest eigengap.
"""

import numpy as np


def cosine_affinity(embeddings: np.ndarray) -> np.ndarray:
    unit = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)
    return np.clip(unit @ unit.T, -1.0, 1.0)


def _binarized(affinity: np.ndarray, p: int) -> np.ndarray:
    """Keep the p largest entries of each row (set to 1), then symmetrise."""
    n = affinity.shape[0]
    top = np.argpartition(-affinity, kth=min(p, n - 1), axis=1)[:, :p]
    graph = np.zeros_like(affinity)
    np.put_along_axis(graph, top, 1.0, axis=1)
    return (graph + graph.T) / 2.0


def _laplacian_eigen(graph: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    laplacian = np.diag(graph.sum(axis=1)) - graph
    values, vectors = np.linalg.eigh(laplacian)
    return values, vectors


def _eigengap(values: np.ndarray, max_speakers: int) -> tuple[int, float]:
    gaps = np.diff(values[: max_speakers + 1])
    k = int(np.argmax(gaps)) + 1
    return k, float(gaps[k - 1] / (values[-1] + 1e-10))


def _nme_graph(affinity: np.ndarray, max_speakers: int, max_pruning: float = 0.25,
               max_candidates: int = 20) -> tuple[int, np.ndarray]:
    """NME-SC's choice of pruning level: the estimated number of speakers and that graph's Laplacian eigenvectors."""
    n = affinity.shape[0]
    highest_p = max(2, int(n * max_pruning))
    candidates = np.unique(np.linspace(2, highest_p, num=min(max_candidates, highest_p - 1)).astype(int))
    best = None
    for p in candidates:
        values, vectors = _laplacian_eigen(_binarized(affinity, int(p)))
        k, gap = _eigengap(values, max_speakers)
        ratio = (p / n) / max(gap, 1e-10)
        if best is None or ratio < best[0]:
            best = (ratio, k, vectors)
    return best[1], best[2]


def enhanced_speaker_count(embeddings: np.ndarray, max_speakers: int = 10, anchor_speakers: int = 3,
                           anchor_samples: int = 10, sigma: float = 50.0, trials: int = 5) -> int:
    """Speaker count for short recordings (NVIDIA NeMo's "enhanced speaker counting", ``getEnhancedSpeechCount``).

    With few windows the eigengap cannot tell one speaker from many (one voice's windows split into as many
    clusters as allowed). Adding ``anchor_speakers`` synthetic, clearly distinct speakers (a random direction each,
    spread like the real embeddings) gives the Laplacian a known structure; the count is the most common estimate
    over ``trials`` random anchor sets minus the anchors. The constants are NeMo's defaults, not fitted here; they
    assume speaker-embedding scale (per-dimension spread of a few hundredths, as GE2E's unit 256-d vectors have):
    on widely spread low-dimensional points the anchors are noise rather than speakers and the count is wrong."""
    from collections import Counter

    n, dim = embeddings.shape
    spread = embeddings.std(axis=0)
    counts = []
    for trial in range(trials):
        rng = np.random.default_rng(trial)
        anchors = []
        for _ in range(anchor_speakers):
            centre = np.tile(rng.standard_normal((1, dim)), (anchor_samples, 1))
            noise = rng.standard_normal((anchor_samples, dim))
            noise = noise / np.max(np.abs(noise), axis=1, keepdims=True) * spread
            anchors.append(centre + sigma * noise)
        augmented = np.vstack(anchors + [embeddings])
        limit = max(min(max_speakers + anchor_speakers, augmented.shape[0] - 1), 1)
        counts.append(_nme_graph(cosine_affinity(augmented), limit)[0])
    return max(Counter(counts).most_common(1)[0][0] - anchor_speakers, 1)


def nme_spectral_clustering(embeddings: np.ndarray, max_speakers: int = 10, min_speakers: int = 1,
                            max_pruning: float = 0.25, max_candidates: int = 20,
                            seed: int = 0, enhanced_count_below: int = 0) -> np.ndarray:
    """Integer labels ``0..k-1`` for ``embeddings`` (``n x d``), ``k`` estimated in ``[min_speakers, max_speakers]``.
    Up to ``enhanced_count_below`` windows (NeMo uses 80, its ``enhanced_count_thres``; 0 = off) ``k`` comes from
    ``enhanced_speaker_count``, which can answer one speaker."""
    from sklearn.cluster import KMeans

    n = embeddings.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n < 3:
        return np.zeros(n, dtype=np.int64)
    affinity = cosine_affinity(embeddings)
    max_speakers = max(min(max_speakers, n - 1), 1)
    k, vectors = _nme_graph(affinity, max_speakers, max_pruning, max_candidates)
    if n <= enhanced_count_below:
        k = enhanced_speaker_count(embeddings, max_speakers)
    k = int(np.clip(k, min_speakers, max_speakers))
    if k == 1:
        return np.zeros(n, dtype=np.int64)
    spectral = vectors[:, :k]
    labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(spectral)
    return _relabel_by_first_appearance(labels)


def _relabel_by_first_appearance(labels: np.ndarray) -> np.ndarray:
    order = {}
    for label in labels:
        order.setdefault(int(label), len(order))
    return np.array([order[int(label)] for label in labels], dtype=np.int64)


def cluster_large(embeddings: np.ndarray, max_windows: int = 2000, **kwargs) -> np.ndarray:
    """NME-SC on at most ``max_windows`` evenly spread embeddings; the rest join the nearest cluster centroid.
    Dense eigen-decompositions grow as n^3, so a feature film's thousands of windows are clustered by sample."""
    n = embeddings.shape[0]
    if n <= max_windows:
        return nme_spectral_clustering(embeddings, **kwargs)
    sample = np.linspace(0, n - 1, max_windows).astype(int)
    sample_labels = nme_spectral_clustering(embeddings[sample], **kwargs)
    return assign_to_centroids(embeddings, centroids(embeddings[sample], sample_labels))


def centroids(embeddings: np.ndarray, labels: np.ndarray) -> np.ndarray:
    k = int(labels.max()) + 1 if labels.size else 0
    cents = np.stack([embeddings[labels == c].mean(axis=0) for c in range(k)]) if k else np.zeros((0, 0))
    return cents / np.maximum(np.linalg.norm(cents, axis=1, keepdims=True), 1e-12) if k else cents


def assign_to_centroids(embeddings: np.ndarray, cents: np.ndarray) -> np.ndarray:
    unit = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)
    return np.argmax(unit @ cents.T, axis=1).astype(np.int64)


def equal_likelihood_threshold(within: np.ndarray, between: np.ndarray) -> float:
    """The similarity at which a Gaussian fitted to ``within`` (similarities of windows to their own centroid) and
    one fitted to ``between`` (similarities to the runner-up centroid) are equally likely: the Bayes decision
    boundary between "same speaker" and "another speaker" under equal priors, estimated from the recording itself.
    ``inf`` (nothing passes) when either sample is too small or the two distributions are not ordered."""
    within, between = np.asarray(within, dtype=np.float64), np.asarray(between, dtype=np.float64)
    if within.size < 2 or between.size < 2:
        return float("inf")
    mw, sw = within.mean(), max(within.std(), 1e-6)
    mb, sb = between.mean(), max(between.std(), 1e-6)
    if mw <= mb:
        return float("inf")
    grid = np.linspace(mb, mw, 2001)
    log_ratio = (-0.5 * ((grid - mw) / sw) ** 2 - np.log(sw)) - (-0.5 * ((grid - mb) / sb) ** 2 - np.log(sb))
    return float(grid[np.argmin(np.abs(log_ratio))])


def second_speakers(embeddings: np.ndarray, cents: np.ndarray) -> np.ndarray:
    """Per embedding, a second speaker (centroid index) where the window looks like overlapped speech, else -1.

    An overlapped window's embedding is pulled away from both speakers' centroids and lies between them:
    - between: its similarity to the runner-up centroid is as high as a window's similarity to its own speaker
      usually is. The cut is the equal-likelihood point between the recording's distribution of best-centroid
      similarities and of runner-up similarities (``equal_likelihood_threshold``);
    - far: its similarity to its best centroid is below the mean of that cluster's windows. A speaker-change window
      (mostly one speaker, then the next) stays as close to its main speaker as a typical window and is left to
      the frame votes, which already split it.
    Both references are the recording's own statistics, so no similarity constant is fitted to any recording."""
    n = embeddings.shape[0]
    second = np.full(n, -1, dtype=np.int64)
    if n == 0 or cents.shape[0] < 2:
        return second
    unit = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)
    similarity = unit @ cents.T
    order = np.argsort(-similarity, axis=1)
    rows = np.arange(n)
    best, runner_up = similarity[rows, order[:, 0]], similarity[rows, order[:, 1]]
    threshold = equal_likelihood_threshold(best, runner_up)
    typical = np.zeros(cents.shape[0])
    for c in np.unique(order[:, 0]):
        typical[c] = best[order[:, 0] == c].mean()
    overlapped = (runner_up >= threshold) & (best < typical[order[:, 0]])
    second[overlapped] = order[overlapped, 1]
    return second


def agglomerative_clustering(embeddings: np.ndarray, threshold: float, min_cluster_size: int = 3,
                             max_speakers: int = 10) -> np.ndarray:
    """Average-linkage agglomerative clustering on cosine distance, cut at ``threshold``; clusters with fewer
    than ``min_cluster_size`` members join the nearest large cluster (pyannote's ``AgglomerativeClustering``).

    Used for utterance-level embeddings (several seconds of one speaker each). There NME-SC's nearest-neighbour
    graph fails: overlapping windows give near-duplicate embeddings, so each speaker's graph splits in time."""
    from scipy.cluster.hierarchy import fcluster, linkage

    n = embeddings.shape[0]
    if n < 2:
        return np.zeros(n, dtype=np.int64)
    unit = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)
    tree = linkage(unit, method="average", metric="cosine")
    labels = fcluster(tree, threshold, criterion="distance") - 1
    sizes = np.bincount(labels)
    large = np.flatnonzero(sizes >= min(min_cluster_size, sizes.max()))
    # never more than max_speakers: the largest clusters stay, the others join them
    large = large[np.argsort(-sizes[large], kind="stable")][:max_speakers]
    cents = centroids(unit, labels)[large]
    small = ~np.isin(labels, large)
    if small.any():
        labels[small] = large[np.argmax(unit[small] @ cents.T, axis=1)]
    return _relabel_by_first_appearance(labels)
