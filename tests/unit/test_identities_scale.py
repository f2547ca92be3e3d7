"""Identity clustering beyond `sample_above` faces: every face clustered by density over its kNN graph
(assets/identities/scale.py), through identity_clusters' own `cluster()`, with faiss neighbours on the full vectors
(resources/backends/faiss_index.py) or the exact search where faiss is missing. Small sizes stand in for the
film-scale figures of bench/cluster_scale.py (100k faces: 155 of 155 planted identities, purity 1.0)."""

import sys

import numpy as np
import pytest

from assets.identities.core import IdentityParams, cluster, normalise
from assets.identities.scale import ExactNeighbourIndex, graph_density_clusters, knn, neighbour_index


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


def _many_identities(identities: int = 600, faces_each: int = 12, outliers: int = 800, dim: int = 512, seed: int = 3):
    """A film's worth of characters in miniature: more identity directions than a 128-axis projection holds, each
    face at cosine ~0.7 from its identity's centre (same identity ~0.5, as bench/cluster_scale.py), 10% outliers."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((identities, dim))
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    labels = np.repeat(np.arange(identities), faces_each)
    x = centers[labels] + rng.normal(0, 0.045, (len(labels), dim))
    x = np.concatenate([x, rng.standard_normal((outliers, dim))])
    return normalise(x), np.concatenate([labels, np.full(outliers, -1)])


def _recovered(labels: np.ndarray, truth: np.ndarray) -> tuple[set[int], float]:
    """Identities that are some cluster's majority holding at least half of their faces, and the purity."""
    found, pure = set(), 0
    for label in np.unique(labels[labels >= 0]):
        members = truth[labels == label]
        counts = np.bincount(members[members >= 0]) if (members >= 0).any() else np.zeros(1, dtype=int)
        major = int(counts.argmax())
        pure += counts.max()
        if counts.max() * 2 >= (truth == major).sum():
            found.add(major)
    return found, pure / max((labels >= 0).sum(), 1)


def test_hundreds_of_identities_are_recovered_on_the_full_vectors():
    """600 identities at 512-d: the former 128-axis PCA projection kept 467 of them (more identity directions than
    axes: the rest fell onto noise); the search on the full vectors keeps them all."""
    x, truth = _many_identities()
    labels, _, info = cluster(x, IdentityParams(min_cluster_size=10, sample_above=1000))
    assert info["reduced"].startswith("knn_graph")
    found, purity = _recovered(labels, truth)
    assert len(found) >= 0.95 * 600
    assert purity > 0.99
    assert (labels[truth == -1] == -1).mean() > 0.95


def test_faiss_ivf_and_the_exact_search_give_the_same_identities():
    """The approximate index (forced here at a small size) finds the same graph the exact search does, up to the
    odd border face."""
    pytest.importorskip("faiss")
    from resources.backends.faiss_index import FaissNeighbourIndex

    x, truth = _many_identities(identities=120, seed=5)
    ivf = FaissNeighbourIndex(exact_up_to=0, lists_per_root=4.0, probes=8)
    approx, _, info = graph_density_clusters(x, 10, 0.7, index=ivf)
    exact, _, _ = graph_density_clusters(x, 10, 0.7, index=ExactNeighbourIndex())
    assert info["reduced"].startswith("knn_graph(k=15, faiss_ivf_flat(")
    assert len(np.unique(exact[exact >= 0])) == len(np.unique(approx[approx >= 0])) == 120
    pairs = {(int(a), int(b)) for a, b in zip(approx, exact) if a >= 0 and b >= 0}
    assert len(pairs) == 120                                   # one-to-one: the same partition, relabelled
    assert (approx == -1).sum() == pytest.approx((exact == -1).sum(), abs=5)


def test_faiss_exact_neighbours_match_the_exact_search():
    pytest.importorskip("faiss")
    from resources.backends.faiss_index import FaissNeighbourIndex

    rng = np.random.default_rng(0)
    data = normalise(rng.standard_normal((800, 32)))
    data[1] = data[0]                                          # a duplicate may outrank the row itself
    found, found_sims = FaissNeighbourIndex().neighbours(data, 6)
    indices, sims = knn(data, 6)
    assert (found != np.arange(800)[:, None]).all()
    np.testing.assert_array_equal(np.sort(found[2:], axis=1), np.sort(indices[2:], axis=1))
    np.testing.assert_allclose(found_sims, sims, atol=1e-5)
    assert found[0, 0] == 1 and found[1, 0] == 0


def test_without_faiss_the_exact_search_is_used(monkeypatch):
    monkeypatch.setitem(sys.modules, "faiss", None)            # import faiss raises ImportError
    assert isinstance(neighbour_index(), ExactNeighbourIndex)


def test_a_face_between_two_identities_does_not_join_them():
    """Faces halfway between two characters list both among their neighbours while neither character's faces list
    them (their own faces are closer): the graph keeps the two apart. Counting one-sided links, as before, made the
    two one component (at film scale with 128-d embeddings, chains like this joined 94 identities into 2)."""
    from assets.identities.scale import density_labels

    rng = np.random.default_rng(7)
    a, b = np.eye(64)[0], np.eye(64)[1]
    faces = np.concatenate([a + rng.normal(0, 0.04, (20, 64)), b + rng.normal(0, 0.04, (20, 64)),
                            (a + b) / np.sqrt(2) + rng.normal(0, 0.04, (4, 64))])
    unit = normalise(faces)
    indices, sims = knn(unit, 15)
    labels, strength, core = density_labels(indices, sims, 10, 0.7)
    assert core[40:].all()                                     # the in-between faces are dense enough to be core
    assert len(set(labels[:20])) == len(set(labels[20:40])) == 1 and labels[0] != labels[20] and labels[0] >= 0
    assert set(labels[40:]) <= {labels[0], labels[20]}         # each joins one side, links nothing
    one_sided, _, _ = density_labels(indices, sims, 10, 0.7, mutual_only=False)
    assert one_sided[0] == one_sided[20]                       # the rule this replaces chains them


def test_mutual_neighbours():
    from assets.identities.scale import mutual

    indices = np.array([[1, 2], [0, 2], [0, -1]])
    np.testing.assert_array_equal(mutual(indices), [[True, True], [True, False], [True, False]])


def test_faces_a_coarse_search_missed_are_searched_again_among_the_unsettled(monkeypatch):
    """An IVF search probing one list misses same-identity neighbours of small identities (their faces scatter over
    lists they own none of): 12-face identities lose core faces and fall under min_cluster_size. The second search
    among the faces left unsettled finds them all again."""
    pytest.importorskip("faiss")
    from assets.identities import scale
    from resources.backends.faiss_index import FaissNeighbourIndex

    x, truth = _many_identities(identities=120, seed=5)
    coarse = FaissNeighbourIndex(exact_up_to=0, lists_per_root=4.0, probes=1)
    monkeypatch.setattr(scale, "RECHECK_UNSETTLED", False)
    once, _, info = graph_density_clusters(x, 10, 0.7, index=coarse)
    assert "rechecked" not in info and len(_recovered(once, truth)[0]) <= 110
    monkeypatch.setattr(scale, "RECHECK_UNSETTLED", True)
    twice, _, info = graph_density_clusters(x, 10, 0.7, index=coarse)
    found, purity = _recovered(twice, truth)
    assert info["rechecked"].startswith(f"{len(scale.unsettled_faces(*_first_graph(x, coarse)))} faces")
    assert len(found) == 120 and purity > 0.99
    assert (twice[truth == -1] == -1).mean() > 0.95


def _first_graph(x: np.ndarray, index) -> tuple:
    from assets.identities.scale import density_labels

    indices, sims = index.neighbours(x, 15)
    raw, _, core = density_labels(indices, sims, 10, 0.7)
    return raw, core


def test_best_neighbours_keeps_the_most_similar_distinct_rows():
    from assets.identities.scale import best_neighbours

    indices = np.array([[4, 7, -1, 7, 2, 9], [1, 2, 3, 3, -1, -1]])
    sims = np.array([[0.9, 0.5, -np.inf, 0.5, 0.6, 0.2], [0.3, 0.8, 0.4, 0.4, -np.inf, -np.inf]], dtype=np.float32)
    picked, picked_sims = best_neighbours(indices, sims, 4)
    np.testing.assert_array_equal(picked, [[4, 2, 7, 9], [2, 3, 1, -1]])
    np.testing.assert_allclose(picked_sims, [[0.9, 0.6, 0.5, 0.2], [0.8, 0.4, 0.3, -np.inf]])
