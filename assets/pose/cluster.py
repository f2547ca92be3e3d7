"""Pose sub-clustering of one identity's feature vectors: UMAP + HDBSCAN (default) or k-means."""

import logging

import numpy as np

log = logging.getLogger(__name__)


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
        import umap  # imported lazily: ~10 s of numba start-up

        reduced = umap.UMAP(n_neighbors=min(15, n - 1), n_components=min(5, n - 2), min_dist=0.0,
                            init="random" if n < 100 else "spectral", random_state=seed).fit_transform(features)
    labels = hdbscan.HDBSCAN(min_cluster_size=min_cluster_size, min_samples=1).fit_predict(reduced)
    if (labels < 0).all():
        log.info("HDBSCAN found no dense pose group among %d poses: one sub-cluster", n)
        return np.zeros(n, np.int32)
    return labels.astype(np.int32)
