"""faiss-cpu as the ``NeighbourIndex``: each row's k nearest other rows by inner product (cosine on unit rows).

Up to ``exact_up_to`` rows the search is exact (``IndexFlatIP``, one BLAS product per query block). Above, an
inverted-file index (``IndexIVFFlat``, inner product, no compression: the full vectors are compared) with
``lists_per_root`` x sqrt(n) k-means lists trained on a sample, searched in the ``probes`` closest lists. Identity
embeddings cluster, so the k-means lists follow the identities and a face's same-identity neighbours sit in the
lists closest to it (bench/cluster_scale.py's 100k faces, 4 x sqrt(n) lists: 99.8% of faces find as many neighbours
within the identity threshold as the exact search at 4 and at 16 probes; the default 8 leaves a margin). Plain
top-k recall is lower (0.64 at 32 probes) and does not matter: inside one identity the neighbours are near ties.
"""

import numpy as np

QUERY_ROWS = 65536   # queries per search call: results stay small, the index is shared


class FaissNeighbourIndex:
    """k-nearest-neighbour search with faiss (exact up to ``exact_up_to`` rows, IVF-Flat above)."""

    name = "faiss"

    def __init__(self, exact_up_to: int = 50_000, lists_per_root: float = 4.0, probes: int = 8,
                 train_per_list: int = 40, seed: int = 0):
        try:
            import faiss
        except ImportError as error:
            raise ImportError("the faiss neighbour index needs faiss-cpu: `.venv/bin/pip install faiss-cpu` "
                              "(pinned in install/requirements.lock; install/setup_env.sh installs it)") from error
        self._faiss = faiss
        self.model = f"faiss-cpu {faiss.__version__}"
        self.exact_up_to = exact_up_to
        self.lists_per_root = lists_per_root
        self.probes = probes
        self.train_per_list = train_per_list
        self.seed = seed
        self.last_index = ""   # the index the last search built, for describe()

    def describe(self) -> str:
        return self.last_index or (f"faiss(exact<={self.exact_up_to}, ivf_flat lists={self.lists_per_root}*sqrt(n), "
                                   f"probes={self.probes})")

    def neighbours(self, data: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Indices (n, k) int64 and similarities (n, k) float32 of each row's ``k`` most similar other rows, most
        similar first; a row never lists itself. Where fewer than ``k`` are found the index is -1 and the
        similarity -inf."""
        faiss = self._faiss
        data = np.ascontiguousarray(data, dtype=np.float32)
        n, dim = data.shape
        k = min(k, n - 1)
        if n <= self.exact_up_to:
            index = faiss.IndexFlatIP(dim)
            self.last_index = "faiss_flat"
        else:
            lists = max(1, int(round(self.lists_per_root * np.sqrt(n))))
            index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(self.seed)
            train = data[np.sort(rng.choice(n, min(n, lists * self.train_per_list), replace=False))]
            index.cp.seed = self.seed
            index.train(train)
            index.nprobe = min(self.probes, lists)
            self.last_index = f"faiss_ivf_flat(lists={lists}, probes={index.nprobe})"
        index.add(data)
        indices = np.empty((n, k), dtype=np.int64)
        sims = np.empty((n, k), dtype=np.float32)
        for start in range(0, n, QUERY_ROWS):
            stop = min(n, start + QUERY_ROWS)
            found_sims, found = index.search(data[start:stop], k + 1)
            indices[start:stop], sims[start:stop] = drop_self(found, found_sims, np.arange(start, stop))
        return indices, sims


def drop_self(found: np.ndarray, found_sims: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(m, k+1) search results without each query's own row (the last one where the row was not found: duplicates
    can outrank it); missing results (-1) get similarity -inf."""
    is_self = found == rows[:, None]
    drop = np.where(is_self.any(axis=1), is_self.argmax(axis=1), found.shape[1] - 1)
    keep = np.ones(found.shape, dtype=bool)
    keep[np.arange(len(rows)), drop] = False
    k = found.shape[1] - 1
    indices = found[keep].reshape(-1, k)
    sims = found_sims[keep].reshape(-1, k).astype(np.float32)
    sims[indices < 0] = -np.inf
    return indices, sims
