"""Identity clustering for many faces: density clustering over a k-nearest-neighbour graph.

HDBSCAN's cost grows faster than linearly with the rows, so above ``sample_above`` faces it used to run on a sample
and lost the minor characters the sample held too few faces of (bench/cluster_scale.py: 38 clusters for 94 planted
identities at 30k). Here every face takes part: each face's ``K`` nearest neighbours by cosine on the full
normalised embeddings are found by a ``NeighbourIndex`` (faiss: exact up to 50k faces, an IVF-Flat index above,
resources/backends/faiss_index.py; where faiss is missing, the exact search below in row blocks, which grows with
n^2), and DBSCAN runs on that graph: a face is a core face when its ``CORE_NEIGHBOURS``-th neighbour lies within
``max_distance``; core faces that are MUTUAL neighbours within ``max_distance`` form one identity (connected
components of at least ``min_cluster_size`` core faces); every other face joins the identity of its closest
neighbour within ``max_distance`` that holds one, or stays noise. Mutual links only: an outlier or an in-between face
lists faces of several characters while those faces list their own kind, so a one-sided link chained characters
together (bench/cluster_scale.py --dim 128, a real 128-d face embedder's spread: 94 identities became 2 components
at 30k faces, and verification, cutting big clusters on a sample, lost the minor ones: 78 of 94 recovered). No PCA
before the search: 128 axes could not hold the identity directions of a film's hundreds of characters (100k faces:
88 of 155 identities recovered). An approximate index misses some same-identity neighbours of small identities
(they own no list of their own, so their faces scatter over the lists): the faces the first graph leaves unsettled
(not core faces of an identity; outliers too, since a face that found none of its own looks like one) are searched
again among themselves,
where a small identity's faces are all present and the search is exact up to the index's exact size, and each keeps
its best ``K`` of both lists before the graph is labelled again.
"""

import logging
import time
from typing import Any

import numpy as np

from resources.protocols import NeighbourIndex

log = logging.getLogger(__name__)
K = 15                 # neighbours per face in the graph
CORE_NEIGHBOURS = 4    # a core face has at least this many neighbours within max_distance
BLOCK_ROWS = 1024      # exact search: rows per matrix product, memory ~ BLOCK_ROWS * n * 4 bytes
MUTUAL_BLOCK_ROWS = 65536
RECHECK_UNSETTLED = True  # search again among the faces the first graph left unsettled (bench A/B: --no-recheck)


class ExactNeighbourIndex:
    """The exact search (numpy, or torch's top-k where installed): the fallback where faiss is missing."""

    name = "exact"
    model = "numpy"

    def describe(self) -> str:
        return "exact"

    def neighbours(self, data: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return knn(np.ascontiguousarray(data, dtype=np.float32), k)


def neighbour_index() -> NeighbourIndex:
    """faiss where it is installed, else the exact search (same graph up to 50k faces; beyond, n^2 time)."""
    from resources.backends.faiss_index import FaissNeighbourIndex

    try:
        return FaissNeighbourIndex()
    except ImportError as error:
        log.warning("%s; identity clustering falls back on the exact neighbour search (time grows with n^2)", error)
        return ExactNeighbourIndex()


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


def graph_density_clusters(unit: np.ndarray, min_cluster_size: int, max_distance: float,
                           index: NeighbourIndex | None = None) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """DBSCAN over the kNN graph of ``unit`` (n, d unit vectors; ``index``: the neighbour search, default
    ``neighbour_index()``). Returns raw labels (-1 noise), strengths in [0, 1] (similarity to the closest core face
    of the identity) and what was done."""
    index = index or neighbour_index()
    indices, sims = index.neighbours(unit, K)
    how = index.describe()
    raw, strength, core = density_labels(indices, sims, min_cluster_size, max_distance)
    info = {"reduced": f"knn_graph(k={indices.shape[1]}, {how})"}
    unsettled = unsettled_faces(raw, core)
    if RECHECK_UNSETTLED and min_cluster_size <= len(unsettled) < len(unit):
        cpu_started = time.process_time()
        # the unsettled faces' neighbours among themselves: a small identity's faces are all unsettled, and on this
        # subset the search is exact (or an index trained on them), so they find each other
        found, found_sims = index.neighbours(unit[unsettled], K)
        found = np.where(found >= 0, unsettled[np.clip(found, 0, None)], -1)
        indices[unsettled], sims[unsettled] = best_neighbours(np.hstack([indices[unsettled], found]),
                                                              np.hstack([sims[unsettled], found_sims]),
                                                              indices.shape[1])
        raw, strength, core = density_labels(indices, sims, min_cluster_size, max_distance)
        info["rechecked"] = f"{len(unsettled)} faces ({index.describe()})"
        info["recheck_cpu_seconds"] = round(time.process_time() - cpu_started, 1)
    return raw, strength, {**info, "core_faces": int(core.sum())}


def unsettled_faces(raw: np.ndarray, core: np.ndarray) -> np.ndarray:
    """Rows that are not core faces of an identity: faces of identities too small to own a list of an approximate
    index, whose own kind it may have missed, and outliers. A face whose search found none of its own has no
    neighbour within ``max_distance`` and looks like an outlier, so those count too (bench/cluster_scale.py 300k:
    counting only faces with such a neighbour recovered 470 of 476 identities, every unsettled face 476)."""
    return np.flatnonzero(~(core & (raw >= 0)))


def best_neighbours(indices: np.ndarray, sims: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``k`` most similar distinct neighbours out of candidate lists that may repeat one (-1 / -inf:
    none)."""
    by_index = np.argsort(indices, axis=1, kind="stable")
    ordered = np.take_along_axis(indices, by_index, axis=1)
    ordered_sims = np.take_along_axis(sims, by_index, axis=1)
    repeated = np.zeros(ordered.shape, dtype=bool)
    repeated[:, 1:] = ordered[:, 1:] == ordered[:, :-1]
    ordered_sims = np.where(repeated | (ordered < 0), -np.inf, ordered_sims).astype(np.float32)
    best = np.argsort(-ordered_sims, axis=1, kind="stable")[:, :k]
    picked, picked_sims = np.take_along_axis(ordered, best, axis=1), np.take_along_axis(ordered_sims, best, axis=1)
    return np.where(np.isfinite(picked_sims), picked, -1), picked_sims


def mutual(indices: np.ndarray) -> np.ndarray:
    """(n, k) bool: row i's m-th neighbour j also lists i among its own neighbours."""
    n = indices.shape[0]
    out = np.zeros(indices.shape, dtype=bool)
    for start in range(0, n, MUTUAL_BLOCK_ROWS):
        rows = np.arange(start, min(n, start + MUTUAL_BLOCK_ROWS))
        theirs = indices[np.clip(indices[rows], 0, None)]            # (block, k, k) the neighbours' neighbours
        out[rows] = (theirs == rows[:, None, None]).any(axis=2) & (indices[rows] >= 0)
    return out


def density_labels(indices: np.ndarray, sims: np.ndarray, min_cluster_size: int, max_distance: float,
                   mutual_only: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DBSCAN on a kNN graph (``indices``, ``sims``: (n, k), most similar first), core faces linked only where they
    are mutual neighbours (``mutual_only``). Returns raw labels (-1 noise), strengths (similarity to the closest
    neighbour, or to the labelled neighbour a face joined) and the core mask."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = indices.shape[0]
    within = sims >= 1.0 - max_distance
    core = within[:, min(CORE_NEIGHBOURS, sims.shape[1]) - 1]
    core_edges = within & core[:, None] & core[indices]
    if mutual_only:
        core_edges &= mutual(indices)
    rows = np.repeat(np.arange(n), indices.shape[1])[core_edges.ravel()]
    cols = indices.ravel()[core_edges.ravel()]
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
    _, component = connected_components(graph, directed=True, connection="weak")
    # identities: components holding at least min_cluster_size core faces; labels renumbered 0..m-1
    ids, counts = np.unique(component[core], return_counts=True)
    new_id = np.full(n, -1, dtype=np.int64)
    kept = ids[counts >= min_cluster_size]
    new_id[kept] = np.arange(len(kept))
    raw = np.where(core, new_id[component], -1)
    strength = np.where(raw >= 0, sims[:, 0], 0.0).astype(np.float32)
    # every other face (border faces, core faces of too small a component) joins the identity of its closest
    # neighbour within max_distance that holds one, or stays noise: joining links nothing, so nothing chains
    labelled = within & (raw[indices] >= 0) & (indices >= 0)
    picked = np.flatnonzero((raw < 0) & labelled.any(axis=1))
    first = labelled[picked].argmax(axis=1)
    raw[picked] = raw[indices[picked, first]]
    strength[picked] = sims[picked, first]
    strength = np.where(raw >= 0, np.clip(strength, 0.0, 1.0), 0.0).astype(np.float32)
    return raw, strength, core
