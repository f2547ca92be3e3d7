"""Identity quality against labels: BCubed precision / recall / F, purity and coverage, pairwise verification AUC,
and a plain average-linkage clustering at a cosine distance (the reference clustering for calibrating 2D identity
embeddings). No Dagster, no model."""

from collections import Counter
from collections.abc import Sequence

import numpy as np


def threshold_clusters(vectors: np.ndarray, distance: float) -> np.ndarray:
    """Average-linkage agglomerative clusters of unit vectors cut at a cosine ``distance`` (labels 0..K-1)."""
    if len(vectors) < 2:
        return np.zeros(len(vectors), int)
    from sklearn.cluster import AgglomerativeClustering

    return AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                   distance_threshold=distance).fit_predict(vectors)


def pair_auc(vectors: np.ndarray, names: Sequence[str]) -> float:
    """Probability that a same-identity pair is more similar (cosine) than a different-identity pair."""
    similarity = vectors @ vectors.T
    upper = np.triu_indices(len(names), 1)
    same = (np.asarray(names)[:, None] == np.asarray(names)[None, :])[upper]
    scores = similarity[upper]
    genuine, impostor = scores[same], scores[~same]
    if not len(genuine) or not len(impostor):
        return float("nan")
    ranks = np.argsort(np.argsort(np.concatenate([genuine, impostor]))) + 1
    return float((ranks[:len(genuine)].sum() - len(genuine) * (len(genuine) + 1) / 2) / (len(genuine) * len(impostor)))


def bcubed(labels: Sequence, names: Sequence[str], noise: object = -1) -> dict[str, float]:
    """BCubed precision / recall / F of predicted ``labels`` against true ``names`` (items labelled ``noise`` are
    singletons); ``purity`` is the share of items in clusters whose majority identity is theirs, ``coverage`` the
    share of items in a cluster with at least 2 members."""
    labels = [f"noise{i}" if label == noise else label for i, label in enumerate(labels)]
    pairs = Counter(zip(labels, names))
    cluster_size, name_size = Counter(labels), Counter(names)
    n = len(names)
    if n == 0:
        return {"precision": 1.0, "recall": 1.0, "f": 1.0, "purity": 1.0, "coverage": 0.0}
    precision = sum(c * c / cluster_size[label] for (label, _), c in pairs.items()) / n
    recall = sum(c * c / name_size[name] for (_, name), c in pairs.items()) / n
    majority = {label: max((c, name) for (lab, name), c in pairs.items() if lab == label)[1] for label in cluster_size}
    purity = sum(c for (label, name), c in pairs.items() if majority[label] == name) / n
    coverage = sum(size for size in cluster_size.values() if size >= 2) / n
    f = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f": round(f, 4),
            "purity": round(purity, 4), "coverage": round(coverage, 4)}
