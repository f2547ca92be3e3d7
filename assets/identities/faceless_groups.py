"""Faceless groups in a handful of rows: what density clustering leaves out, what it holds together, and the designs
adoption took that are not the identity's. No Dagster."""

from dataclasses import replace
from typing import Any

import numpy as np

from assets.identities.core import (IdentityParams, cluster, effective_min_cluster_size, medoid, normalise,
                                    relabel_by_size)
from assets.identities.design_split import group_gap, split_by_gap
from assets.identities.placed_designs import placed_designs


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


def split_designs(image_rows: np.ndarray, colour_rows: np.ndarray, labels: np.ndarray, params: IdentityParams,
                  min_part: int) -> tuple[np.ndarray, int]:
    """Faceless groups cut in two where they hold two designs: ``design_split.split_by_gap`` with the face clusters' values
    (``split_gap`` on the image embedding, ``split_colour_gap`` on the colours, the parts found by linkage on the two
    mixed by ``split_link_colour_weight``), each part at least ``min_part`` rows. Density alone holds two designs
    of one body together when each shows only a few looks (two persons walking, two looks each: 0.85 alike in the
    faceless mix, 0.11-0.19 apart in the image embedding and 0.14 in colour); a character's own looks part by
    less than nothing there (a back view's part is further from the rest than the rest is spread).
    ``image_rows``, ``colour_rows``: unit rows aligned with ``labels`` (-1 noise). Returns the labels (renumbered
    by size when cut) and how many cuts were made."""
    if params.split_gap is None:
        return np.asarray(labels).copy(), 0
    out, cuts = split_by_gap(image_rows, labels, params.split_gap, min_part, colour_rows, params.split_colour_gap,
                             link_colour_weight=params.split_link_colour_weight)
    return (relabel_by_size(out) if cuts else out), cuts


def release_other_designs(image_rows: np.ndarray, colour_rows: np.ndarray, labels: np.ndarray, adopted: list[int],
                          params: IdentityParams, min_part: int) -> list[int]:
    """Faceless rows adopted by a face identity that part from it as a design of their own. The identity's floor
    is capped by the faces it has seen (``appearance_floor_cap``), so a design that shows no face anywhere (a woman
    whose twin design, the man, has a face identity) is adopted by its look-alike. Per identity, the adopted rows
    are grouped into the designs they show (``placed_designs``: groups more alike each other than the face members,
    on average, in the image embedding and the colours mixed by ``split_link_colour_weight``; two other characters
    adopted by one identity are two designs); the groups of two or more rows that part from the face members as
    ``split_by_gap`` parts two designs (``split_gap`` in the image embedding, ``split_colour_gap`` in the colours)
    are released together when they hold ``min_part`` rows (two other characters' pairs are, as the mean over all
    adopted rows let them be). On the Kenney tune rows with her faces left out, her looks part from his
    face members by 0.05-0.11 and 0.10-0.13; a character's own back views and jumps lie nearer its face members.
    ``image_rows``, ``colour_rows``: unit rows aligned with ``labels`` (the identities after adoption, -1 noise);
    ``adopted``: the rows adoption placed. Returns the rows to release, in order."""
    released: list[int] = []
    if params.split_gap is None:
        return released
    weight = params.split_link_colour_weight
    linked = np.hstack([np.sqrt(1 - weight) * image_rows, np.sqrt(weight) * colour_rows])
    taken = set(adopted)
    for label in sorted({int(labels[k]) for k in adopted if labels[k] >= 0}):
        members = np.flatnonzero(labels == label)
        faced = np.array([k for k in members if k not in taken])
        others = np.array([k for k in members if k in taken])
        if len(faced) < 2 or len(others) < max(min_part, 2):
            continue
        apart = [int(k) for design in placed_designs(linked, faced, others) if len(design) >= 2
                 and group_gap(image_rows, faced, design) >= params.split_gap
                 and group_gap(colour_rows, faced, design) >= params.split_colour_gap for k in design]
        if len(apart) >= max(min_part, 2):
            released += apart
    return sorted(released)


def group_faceless(labels: np.ndarray, confidence: np.ndarray, appearance: np.ndarray | None,
                   groups: list[dict[str, Any]], params: IdentityParams, remaining: list[int],
                   stats: dict[str, Any], shots: list | None = None, blocks: list[np.ndarray] | None = None,
                   one_frame_per_shot: bool = False,
                   designs: tuple[np.ndarray | None, np.ndarray | None] = (None, None),
                   min_size_by_shots: int | None = None) -> list[list[int]]:
    """Faceless rows that joined nothing are clustered among themselves in appearance space (new groups). With
    ``shots`` (each row's shot), a group seen in fewer than ``faceless_min_shots`` shots stays noise; its rows are
    returned (``one_shot_groups``' input), one list per such group. ``blocks``:
    the parts the appearance mixes, read by ``faceless_pair_similarity`` where every shot is one frame (an image
    folder). ``designs``: the image embedding and the colours, where ``faceless_split`` cuts a group in two.
    ``min_size_by_shots``: the rows one character gives in min_cluster_shots shots, a cap on the group size."""
    if not remaining or appearance is None:
        return []
    appearance = normalise(appearance)
    # appearance alone is a thin basis: a faceless group needs three members even in a short clip (two blurred
    # background fragments that look alike are not a character)
    mcs = max(3, effective_min_cluster_size(len(remaining), params.faceless_min_cluster_size
                                            or params.min_cluster_size, params.min_cluster_fraction))
    mcs = max(3, min(mcs, min_size_by_shots or mcs))
    group_labels, strength, info = cluster(appearance[remaining], replace(params, min_cluster_fraction=None), mcs,
                                           max_distance=params.faceless_max_distance)
    pairs_allowed = params.faceless_pair_similarity is not None and one_frame_per_shot and shots is not None
    if params.faceless_split and designs[0] is not None and designs[1] is not None:
        group_labels, info["split_by_gap"] = split_designs(
            normalise(designs[0][remaining]), normalise(designs[1][remaining]), group_labels, params,
            2 if pairs_allowed else mcs)
    if params.faceless_absorb:
        group_labels, info["absorbed"] = absorb_near(appearance[remaining], group_labels, params.faceless_max_distance)
    if pairs_allowed:
        group_labels, info["pairs"] = pair_up([normalise(b[remaining]) for b in blocks or []] or [appearance[remaining]],
                                              appearance[remaining], group_labels, [shots[k] for k in remaining],
                                              params.faceless_pair_similarity)
    stats["faceless_clustering"] = info
    one_shot: list[list[int]] = []
    if shots is not None and params.faceless_min_shots > 1:
        group_labels, dropped = recurring_only(group_labels, [shots[k] for k in remaining], params.faceless_min_shots,
                                               stats)
        one_shot = [[remaining[j] for j in rows] for rows in dropped]
    offset = len(groups)
    for label in range(int(group_labels.max()) + 1 if group_labels.size else 0):
        rows = [remaining[j] for j in np.flatnonzero(group_labels == label)]
        center = medoid(appearance[rows])
        groups.append({"has_faces": False, "members": rows, "prototype_row": rows[center],
                       "space": "appearance", "vector": appearance[rows][center], "prototype_faces": 0})
    for j, k in enumerate(remaining):
        if group_labels[j] >= 0:
            labels[k], confidence[k] = offset + group_labels[j], strength[j]
    return one_shot


def recurring_only(group_labels: np.ndarray, shots: list, min_shots: int, stats: dict[str, Any]
                   ) -> tuple[np.ndarray, list[list[int]]]:
    """Groups seen in fewer than ``min_shots`` distinct shots become noise; the rest renumbered by size. A row
    whose shot is unknown (null) counts as a shot of its own: missing shot data never erases a group. Returns the
    labels and the positions (in ``group_labels``) of each group dropped."""
    out = np.asarray(group_labels).copy()
    dropped: list[list[int]] = []
    for label in [v for v in np.unique(out) if v >= 0]:
        rows = np.flatnonzero(out == label)
        if len({shots[r] if shots[r] is not None else ("unknown", r) for r in rows}) < min_shots:
            out[rows] = -1
            dropped.append([int(r) for r in rows])
    stats["faceless_groups_in_one_shot"] = len(dropped)
    return (relabel_by_size(out) if dropped else out), dropped


def one_shot_groups(labels: np.ndarray, confidence: np.ndarray, appearance: np.ndarray,
                    groups: list[dict[str, Any]], dropped: list[list[int]], frame_ids: list | None,
                    min_frames: int | None) -> int:
    """The faceless groups ``recurring_only`` dropped for recurring in one shot (``dropped``: their rows) that every
    later rule left wholly noise (no identity adopted a row of theirs, no other shot's group or track joined them)
    become groups after all, when their rows lie on at least ``min_frames`` key frames (``frame_ids``: each row's;
    a character shows once in a frame, so an image folder's image, one frame, never qualifies).
    ``faceless_min_shots`` is kept for props and fragments followed through one shot, and a group dropped early
    can still join its character's group of other shots (faceless_designs.py: the Kenney tune film 19's robot, 7
    rows of one shot); what none of that places by the end is a character seen in one shot only. On the five
    Kenney tune films every one-shot group is one character (robot 7 and 6 rows, zombie 8, each row a key frame).
    ``appearance``: the faceless grouping's mix (unit rows), for each group's medoid. Changes ``labels``,
    ``confidence`` and ``groups`` in place; returns how many groups formed."""
    if min_frames is None or frame_ids is None:
        return 0
    formed = 0
    for rows in dropped:
        if len({frame_ids[k] for k in rows}) < min_frames or (labels[rows] >= 0).any():
            continue
        unit = normalise(appearance[rows])
        center = medoid(unit)
        labels[rows] = len(groups)
        confidence[rows] = (unit @ unit[center]).astype(confidence.dtype)
        groups.append({"has_faces": False, "members": list(rows), "prototype_row": rows[center],
                       "space": "appearance", "vector": unit[center], "prototype_faces": 0})
        formed += 1
    return formed
