"""Identity clustering beyond `sample_above` faces: every face clustered by density over its kNN graph
(assets/identities/scale.py), through identity_clusters' own `cluster()`. Small sizes stand in for the film-scale
figures of bench/cluster_scale.py (30k faces: 92 of 94 planted identities, purity 1.0)."""

import numpy as np

from assets.identities.core import IdentityParams, cluster
from assets.identities.scale import knn


def _faces(identity_sizes: list[int], outliers: int, dim: int = 128, seed: int = 1):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((len(identity_sizes), dim))
    labels = np.repeat(np.arange(len(identity_sizes)), identity_sizes)
    x = centers[labels] / np.sqrt(dim) + rng.normal(0, 0.06, (len(labels), dim))
    x = np.concatenate([x, rng.standard_normal((outliers, dim))])
    return x.astype(np.float32), np.concatenate([labels, np.full(outliers, -1)])


def test_knn_finds_the_exact_neighbours_and_never_the_row_itself():
    rng = np.random.default_rng(0)
    data = rng.standard_normal((500, 16)).astype(np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    indices, sims = knn(data, 5)
    full = data @ data.T
    np.fill_diagonal(full, -2)
    assert (indices != np.arange(500)[:, None]).all()
    np.testing.assert_array_equal(np.sort(indices, axis=1), np.sort(np.argsort(-full, axis=1)[:, :5], axis=1))
    assert (np.diff(sims, axis=1) <= 1e-6).all()


def test_above_sample_above_minor_characters_are_kept_and_outliers_stay_noise():
    sizes = [600, 300, 120] + [12] * 20 + [5] * 4   # leads, minor characters, walk-ons below min_cluster_size
    x, truth = _faces(sizes, outliers=150)
    labels, strength, info = cluster(x, IdentityParams(min_cluster_size=10, sample_above=500))
    assert info["reduced"].startswith("knn_graph")
    found = set()
    for label in np.unique(labels[labels >= 0]):
        members = truth[labels == label]
        assert (members == np.bincount(members[members >= 0]).argmax()).mean() > 0.98   # pure
        found.add(int(np.bincount(members[members >= 0]).argmax()))
    assert found == set(range(23))           # every identity with >= 10 faces, the 12-face ones included
    assert (labels[truth == -1] == -1).mean() > 0.95
    assert ((strength > 0) == (labels >= 0)).all()
