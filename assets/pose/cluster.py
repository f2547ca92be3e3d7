"""Pose sub-clustering of one identity's feature vectors: UMAP + HDBSCAN (default) or k-means."""

import logging
import sys

import numpy as np

log = logging.getLogger(__name__)
CACHED_PACKAGES = ("umap", "pynndescent")
_numba_cache_enabled = False


def umap_module():
    """``umap``, imported lazily (~3 CPU-s), with its numba functions compiled once per machine, not once per run.

    UMAP's first fit in a process compiles ~250 numba functions (~13 CPU-s on this CPU, more than the rest of the
    stage for a 15-minute film) and umap asks numba to keep almost none of them on disk: each run compiled them
    again. Turning numba's on-disk cache on for them (next to their sources, or numba's user-wide cache folder where
    that is read-only) keeps the machine code; a later run loads it (0.2 CPU-s). The code is the same, so are the
    results."""
    global _numba_cache_enabled
    import umap

    if not _numba_cache_enabled:
        _numba_cache_enabled = True
        enabled = cache_numba_functions(CACHED_PACKAGES)
        log.debug("numba on-disk cache on for %d functions of %s", enabled, ", ".join(CACHED_PACKAGES))
    return umap


def cache_numba_functions(packages: tuple[str, ...]) -> int:
    """Turns numba's on-disk cache on for every jitted function of the imported modules of ``packages``; returns
    how many. A function numba cannot cache (no writable cache folder, dynamic source) stays compiled per run."""
    from numba.core.dispatcher import Dispatcher

    enabled = 0
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in packages:
            continue
        for value in list(vars(module).values()):
            if isinstance(value, Dispatcher):
                try:
                    value.enable_caching()
                    enabled += 1
                except RuntimeError as error:  # numba: "cannot cache function ...: no locator available"
                    log.debug("numba cache unavailable for %s: %s", getattr(value, "__name__", value), error)
    return enabled


def subcluster_labels(features: np.ndarray, method: str, min_cluster_size: int, n_clusters: int,
                      seed: int = 0, umap_min_points: int = 50) -> np.ndarray:
    """Labels 0..k-1 per row, -1 for HDBSCAN noise. Too few rows to split (fewer than two clusters' worth) form one
    sub-cluster: a split needs evidence. UMAP reduces the features first only from ``umap_min_points`` poses on:
    below that its neighbour graph is too sparse to help and HDBSCAN runs on the 38-d features directly."""
    n = features.shape[0]
    if method == "kmeans":
        from sklearn.cluster import KMeans

        k = max(1, min(int(n_clusters), n))
        if k == 1:
            return np.zeros(n, np.int32)
        return KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(features).astype(np.int32)
    min_cluster_size = max(2, int(min_cluster_size))
    if n < 2 * min_cluster_size:
        return np.zeros(n, np.int32)
    import hdbscan

    reduced = features
    if n >= max(umap_min_points, 12):
        reduced = umap_module().UMAP(n_neighbors=min(15, n - 1), n_components=min(5, n - 2), min_dist=0.0,
                            init="random" if n < 100 else "spectral", random_state=seed).fit_transform(features)
    labels = hdbscan.HDBSCAN(min_cluster_size=min_cluster_size, min_samples=1).fit_predict(reduced)
    if (labels < 0).all():
        log.info("HDBSCAN found no dense pose group among %d poses: one sub-cluster", n)
        return np.zeros(n, np.int32)
    return labels.astype(np.int32)
