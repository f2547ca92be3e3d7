"""Faceless groups in a handful of rows: what density clustering leaves out. No Dagster."""

import numpy as np


def absorb_near(unit: np.ndarray, labels: np.ndarray, max_distance: float) -> tuple[np.ndarray, int]:
    """Rows left as noise (-1) join the group whose members they are, on average, within ``max_distance``
    (cosine) of, the nearest such group: the group's own verification bar, so the group with them would still
    pass it. HDBSCAN on a dozen rows can take part of one design's tight looks and leave the rest out (a robot's
    five poses: three formed the group, the two nearest each other, 0.994 alike and 0.92 to the three, were
    noise). ``unit``: unit rows aligned with ``labels``. Returns the labels and how many rows joined."""
    out = np.asarray(labels).copy()
    groups = [g for g in np.unique(out) if g >= 0]
    noise = np.flatnonzero(out < 0)
    if not groups or not noise.size:
        return out, 0
    means = np.stack([(unit[noise] @ unit[out == g].T).mean(axis=1) for g in groups], axis=1)
    best = means.argmax(axis=1)
    near = means[np.arange(len(noise)), best] >= 1 - max_distance
    out[noise[near]] = np.asarray(groups)[best[near]]
    return out, int(near.sum())


def pair_up(blocks: list[np.ndarray], space: np.ndarray, labels: np.ndarray, shots: list, bar: float
            ) -> tuple[np.ndarray, int]:
    """Two rows left as noise form a group of their own when each is the other's nearest row in ``space`` (the
    faceless grouping's mix: unit rows) and they are at least ``bar`` alike (cosine) in every one of ``blocks``
    (the image embedding, the colours, the silhouettes: unit rows) and seen in two shots. For an image folder
    (each image its own shot), where a design drawn twice is a character: a faceless group otherwise needs three
    looks. Every block must agree: Kenney's tune sprites, two looks of one design, reach 0.90 in all three in 17
    of 131 pairs, two designs at most 0.85 in their least-alike block (the two adventurers; items of one green
    and other shapes 1.0 in colour, under 0.85 in silhouette). ``labels``: the grouping's labels (-1 noise);
    returns them with the pairs as new groups, and how many pairs formed."""
    out = np.asarray(labels).copy()
    loose = np.flatnonzero(out < 0)
    if len(loose) < 2:
        return out, 0
    sims = space[loose] @ space[loose].T
    np.fill_diagonal(sims, -np.inf)
    nearest = sims.argmax(axis=1)
    next_label = int(out.max()) + 1 if out.size else 0
    pairs = 0
    for a, b in enumerate(nearest):
        if a < b and nearest[b] == a and shots[loose[a]] != shots[loose[b]] \
                and min(float(block[loose[a]] @ block[loose[b]]) for block in blocks) >= bar:
            out[loose[[a, b]]] = next_label
            next_label += 1
            pairs += 1
    return out, pairs
