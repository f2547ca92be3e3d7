"""Identity clustering for many faces: density clustering over a k-nearest-neighbour graph.

HDBSCAN's cost grows faster than linearly with the rows, so above ``sample_above`` faces it used to run on a sample
and lost the minor characters the sample held too few faces of (bench/cluster_scale.py: 38 clusters for 94 planted
identities at 30k). Here every face takes part: the embeddings are projected to ``KNN_DIMS`` dimensions (PCA fitted
on a sample), each face's ``K`` nearest neighbours by cosine are found exactly in row blocks (one matrix product
and a top-k per block: memory stays at one block, time grows with n^2 but in BLAS), and DBSCAN runs on that graph:
a face is a core face when its ``CORE_NEIGHBOURS``-th neighbour lies within ``max_distance``; core faces within
``max_distance`` of each other form one identity (connected components); any other face joins the identity of its
closest core neighbour within ``max_distance``, or stays noise. Identities smaller than ``min_cluster_size`` become
noise. Pure numpy / scipy (torch's top-k where it is installed, for speed).
"""

from typing import Any

import numpy as np

K = 15                 # neighbours per face in the graph
CORE_NEIGHBOURS = 4    # a core face has at least this many neighbours within max_distance
KNN_DIMS = 128         # PCA dimensions for the neighbour search (identity directions survive; noise shrinks)
BLOCK_ROWS = 1024      # rows per matrix product: memory ~ BLOCK_ROWS * n * 4 bytes
PCA_SAMPLE = 20000     # faces the projection is fitted on


def project(unit: np.ndarray, dims: int = KNN_DIMS, seed: int = 0) -> np.ndarray:
    """Unit vectors on their ``dims`` strongest axes (uncentred, fitted on a sample of rows), NOT re-normalised: dot
    products then approximate the original cosines (an outlier's projection is short, so it stays far from all;
    re-normalising would make outliers look like mixtures of the identities)."""
    n, d = unit.shape
    if d <= dims:
        return np.ascontiguousarray(unit, dtype=np.float32)
    rng = np.random.default_rng(seed)
    fit_rows = unit[np.sort(rng.choice(n, min(n, PCA_SAMPLE), replace=False))]
    _, _, axes = np.linalg.svd(fit_rows, full_matrices=False)   # right singular vectors: the strongest axes
    return np.ascontiguousarray(unit @ axes[:dims].T, dtype=np.float32)


def knn(data: np.ndarray, k: int = K) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``k`` nearest other rows by cosine (rows are unit vectors): indices (n, k) and similarities
    (n, k), most similar first."""
    n = data.shape[0]
    k = min(k, n - 1)
    indices = np.empty((n, k), dtype=np.int64)
    sims = np.empty((n, k), dtype=np.float32)
    try:
        import torch

        table = torch.from_numpy(data)
        for start in range(0, n, BLOCK_ROWS):
            block = table[start:start + BLOCK_ROWS] @ table.T
            rows = torch.arange(block.shape[0])
            block[rows, rows + start] = -2.0   # never one's own neighbour
            top = torch.topk(block, k, dim=1)
            sims[start:start + BLOCK_ROWS], indices[start:start + BLOCK_ROWS] = top.values.numpy(), top.indices.numpy()
        return indices, sims
    except ImportError:
        pass
    for start in range(0, n, BLOCK_ROWS):
        block = data[start:start + BLOCK_ROWS] @ data.T
        rows = np.arange(block.shape[0])
        block[rows, rows + start] = -2.0
        part = np.argpartition(-block, k - 1, axis=1)[:, :k]
        part_sims = np.take_along_axis(block, part, axis=1)
        order = np.argsort(-part_sims, axis=1)
        indices[start:start + BLOCK_ROWS] = np.take_along_axis(part, order, axis=1)
        sims[start:start + BLOCK_ROWS] = np.take_along_axis(part_sims, order, axis=1)
    return indices, sims


def graph_density_clusters(unit: np.ndarray, min_cluster_size: int, max_distance: float
                           ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """DBSCAN over the kNN graph of ``unit`` (n, d unit vectors). Returns raw labels (-1 noise), strengths in
    [0, 1] (similarity to the closest core face of the identity) and what was done."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = unit.shape[0]
    indices, sims = knn(project(unit))
    within = sims >= 1.0 - max_distance
    core = within[:, min(CORE_NEIGHBOURS, sims.shape[1]) - 1]
    core_edges = within & core[:, None] & core[indices]
    rows = np.repeat(np.arange(n), indices.shape[1])[core_edges.ravel()]
    cols = indices.ravel()[core_edges.ravel()]
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
    _, component = connected_components(graph, directed=True, connection="weak")
    raw = np.where(core, component, -1).astype(np.int64)
    strength = np.where(core, sims[:, 0], 0.0).astype(np.float32)
    # border faces: the closest core neighbour within max_distance (neighbours are sorted, so the first one)
    border_ok = within & core[indices]
    has = ~core & border_ok.any(axis=1)
    first = border_ok.argmax(axis=1)
    picked = np.flatnonzero(has)
    raw[picked] = raw[indices[picked, first[picked]]]
    strength[picked] = sims[picked, first[picked]]
    # identities below the minimum size are noise; labels renumbered 0..m-1
    ids, inverse, counts = np.unique(raw, return_inverse=True, return_counts=True)
    keep = (ids >= 0) & (counts >= min_cluster_size)
    new_id = np.full(len(ids), -1, dtype=np.int64)
    new_id[keep] = np.arange(int(keep.sum()))
    raw = new_id[inverse]
    strength = np.where(raw >= 0, np.clip(strength, 0.0, 1.0), 0.0).astype(np.float32)
    return raw, strength, {"reduced": f"knn_graph(k={indices.shape[1]}, pca{min(KNN_DIMS, unit.shape[1])})",
                           "core_faces": int(core.sum())}
