"""Who is who: HDBSCAN over face embeddings, prototypes from gated faces, tracks, faceless instances placed by
appearance. No Dagster.

Every kept instance ends in exactly one row of ``instance_identities``: an identity found from faces
(``by = face``), one whose prototype its face is close to (``by = prototype``), the identity of its track's clear
faces (``by = track``), an identity it resembles closely in appearance (``by = appearance``), a faceless group
clustered among the faceless (``by = appearance``, identity with ``has_faces = false``), or ``noise``.
"""

import logging
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl

from assets.identities.prototypes import best_faces  # noqa: F401  (callers of the earlier layout import it here)
from assets.identities.prototypes import join_by_prototype, merge_by_prototype, prototype, stability
from assets.identities.tracks import TrackParams, decide_tracks, link_tracks

log = logging.getLogger(__name__)
NOISE = "noise"  # same value as resources.review_state.NOISE


@dataclass(frozen=True)
class IdentityParams:
    # HDBSCAN (presets depart: anime 25); small sets lower it (min_cluster_fraction); the value a run used
    # is its stage record's `effective.min_cluster_size`
    min_cluster_size: int = 10
    min_cluster_fraction: float | None = 0.15  # short films: clusters need at most this share of the faces (>= 2),
                                           # so a preset's size for feature films does not erase a trailer's cast
    min_samples: int | None = 1            # HDBSCAN min_samples (None: = min_cluster_size); 1 is permissive because
                                           # every cluster is then verified against max_distance
    distance_threshold: float = 0.0        # cosine distance under which clusters are not split further (epsilon)
    max_distance: float = 0.7              # verification: a cluster whose members lie further than this cosine
                                           # distance from its mean is re-split (average linkage); 0 turns it off
    reduce: str = "auto"                   # none | pca | umap | auto (pca above reduce_above rows)
    reduce_dims: int = 16
    reduce_above: int = 3000
    sample_above: int = 20000              # HDBSCAN on a sample of this many faces beyond it, the rest assigned
    appearance_quantile: float = 0.1       # a faceless instance joins an identity when it is as close to the
                                           # identity's appearance prototype as this quantile of its face members,
    appearance_threshold: float = 0.6      # ... and at least this close (cosine) ...
    appearance_margin: float = 0.05        # ... and this much closer than to the runner-up
    faceless_max_distance: float = 0.15    # faceless groups: verification distance in appearance space
    faceless_min_cluster_size: int | None = None  # null: = min_cluster_size
    match_threshold: float = 0.45          # face-prototype cosine at which a cluster takes a stored identity's id
    gate_min_face_size: float = 24.0       # the strict gate a face passes to shape a prototype or vote in a track:
    gate_min_blur: float = 15.0            # size (px), sharpness (Laplacian variance), ...
    gate_max_yaw: float = 35.0             # ... a near-frontal pose (degrees) ...
    gate_max_roll: float = 25.0
    gate_min_det_score: float = 0.6        # ... and a confident detection
    prototype_threshold: float = 0.25      # an unclustered face joins the identity whose prototype is at least this
                                           # close and prototype_margin above the film's impostor ceiling (the
                                           # closest any face comes to another identity's prototype) ...
    prototype_margin: float = 0.1          # ... and this much closer than the runner-up's
    prototype_merge: float = 0.6           # identities whose prototypes are this alike (cosine) are one
    appearance_match_threshold: float = 0.9
    franchise: str | None = None           # prototype store shared by films of one franchise (default: the film)
    copy: bool = False                     # identity folders hold copies instead of symlinks
    plot: str = "pca"                      # pca | umap
    tracks: bool = True                    # link instances into tracks within shots; a track is one identity
    track_vote_share: float = 0.6          # share of a track's clear-face votes its identity needs

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "IdentityParams":
        params = cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})
        if params.reduce not in ("none", "pca", "umap", "auto") or params.plot not in ("pca", "umap"):
            raise ValueError("identities.reduce must be none|pca|umap|auto and identities.plot pca|umap")
        if params.min_cluster_size < 2:
            raise ValueError("identities.min_cluster_size must be >= 2")
        return params


def normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12) if x.size else x


def reduce(x: np.ndarray, params: IdentityParams, seed: int = 0) -> tuple[np.ndarray, str]:
    """Optional PCA / UMAP before density clustering (keeps the result re-normalised for cosine)."""
    method = params.reduce
    if method == "auto":
        method = "pca" if x.shape[0] > params.reduce_above and x.shape[1] > params.reduce_dims else "none"
    dims = min(params.reduce_dims, x.shape[1], max(x.shape[0] - 1, 1))
    if method == "none" or dims >= x.shape[1] or x.shape[0] < 3:
        return x, "none"
    if method == "umap":
        import umap  # lazy: importing umap compiles numba code for seconds

        out = umap.UMAP(n_components=dims, metric="cosine", random_state=seed,
                        n_neighbors=min(15, x.shape[0] - 1)).fit_transform(x)
        return np.asarray(out, dtype=np.float32), "umap"
    from sklearn.decomposition import PCA

    out = PCA(n_components=dims, random_state=seed).fit_transform(x)
    return normalise(out), "pca"


def effective_min_cluster_size(rows: int, configured: int, fraction: float | None) -> int:
    """``configured``, lowered for small sets to ``fraction`` of the rows (never below 2): min_cluster_size is set
    for feature films with thousands of faces; a 50-second clip with 26 faces would otherwise form no identity."""
    if not fraction or fraction <= 0:
        return configured
    return max(2, min(configured, int(round(fraction * rows))))


def cluster(x: np.ndarray, params: IdentityParams, min_cluster_size: int | None = None,
            max_distance: float | None = None) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """HDBSCAN labels (-1 noise; 0 the largest cluster, then by size) and membership strengths in [0, 1].

    Above ``sample_above`` rows, HDBSCAN runs on a random sample (its cost grows faster than linearly with rows in
    16-d) with ``min_cluster_size`` scaled to the sample, and the other rows join the cluster whose members they are
    closest to on average, when that is within ``max_distance``; clusters that stay below ``min_cluster_size``
    become noise."""
    started = time.perf_counter()
    n = x.shape[0]
    mcs = effective_min_cluster_size(n, min_cluster_size or params.min_cluster_size, params.min_cluster_fraction)
    max_distance = params.max_distance if max_distance is None else max_distance
    if n < max(mcs, 2):
        return np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=np.float32), {"reduced": "none", "seconds": 0.0}
    unit = normalise(x)
    if n <= params.sample_above or max_distance <= 0:
        raw, strength, info = _density_clusters(unit, params, mcs, max_distance)
    else:
        rng = np.random.default_rng(0)
        sample = np.sort(rng.choice(n, params.sample_above, replace=False))
        sample_mcs = max(2, int(round(mcs * params.sample_above / n)))
        sample_raw, sample_strength, info = _density_clusters(unit[sample], params, sample_mcs, max_distance)
        raw, strength = _extend(unit, sample, sample_raw, sample_strength, max_distance, mcs)
        info["sampled"] = int(params.sample_above)
    labels = relabel_by_size(raw)
    strength = np.where(labels >= 0, strength, 0.0).astype(np.float32)
    return labels, strength, {**info, "min_cluster_size": mcs, "seconds": round(time.perf_counter() - started, 3)}


def _density_clusters(unit: np.ndarray, params: IdentityParams, mcs: int, max_distance: float
                      ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    import hdbscan

    n = unit.shape[0]
    data, how = reduce(unit, params)
    # unit vectors: euclidean distance = sqrt(2 * cosine distance), so the threshold converts exactly (without UMAP)
    epsilon = float(np.sqrt(2 * params.distance_threshold)) if params.distance_threshold > 0 else 0.0
    data = np.ascontiguousarray(data, dtype=np.float64)
    min_samples = min(params.min_samples or mcs, n - 1)
    model = hdbscan.HDBSCAN(min_cluster_size=mcs, min_samples=min_samples, metric="euclidean",
                            cluster_selection_epsilon=epsilon, core_dist_n_jobs=1)
    raw = model.fit_predict(data)
    if (raw < 0).all() and max_distance > 0:
        # one character only: HDBSCAN never selects the root by default; verification splits it if it is not one
        model = hdbscan.HDBSCAN(min_cluster_size=mcs, min_samples=min_samples, metric="euclidean",
                                core_dist_n_jobs=1, allow_single_cluster=True)
        raw = model.fit_predict(data)
    split = merged = 0
    if max_distance > 0:
        raw, split = verify(unit, raw, max_distance, mcs)
        raw, merged = merge_close(unit, raw, max_distance)
    strength = np.asarray(model.probabilities_, dtype=np.float32)
    return raw, strength, {"reduced": how, "clusters_resplit": split, "clusters_merged": merged}


def _extend(unit: np.ndarray, sample: np.ndarray, sample_raw: np.ndarray, sample_strength: np.ndarray,
            max_distance: float, mcs: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels for all rows from a clustered sample: mean similarity to each cluster's members, from its sum."""
    raw = np.full(unit.shape[0], -1, dtype=np.int64)
    strength = np.zeros(unit.shape[0], dtype=np.float32)
    raw[sample], strength[sample] = sample_raw, sample_strength
    ids = [int(v) for v in np.unique(sample_raw) if v >= 0]
    if not ids:
        return raw, strength
    means = np.stack([unit[sample[sample_raw == i]].mean(axis=0) for i in ids]).astype(np.float32)
    rest = np.setdiff1d(np.arange(unit.shape[0]), sample)
    for start in range(0, len(rest), 20000):
        chunk = rest[start:start + 20000]
        sims = unit[chunk] @ means.T  # = mean cosine to the cluster's sampled members
        best = sims.argmax(axis=1)
        score = sims[np.arange(len(chunk)), best]
        ok = score >= 1 - max_distance
        raw[chunk[ok]] = np.asarray(ids)[best[ok]]
        strength[chunk[ok]] = score[ok]
    sizes = np.bincount(raw[raw >= 0])
    raw[(raw >= 0) & (sizes[np.maximum(raw, 0)] < mcs)] = -1
    return raw, strength


def merge_close(unit: np.ndarray, labels: np.ndarray, max_distance: float) -> tuple[np.ndarray, int]:
    """Merge clusters whose members are on average closer than ``max_distance`` (cosine): the counterpart of
    ``verify``, for one character that density clustering cut in several (poses, lighting). The mean pairwise
    similarity of two clusters is exact from their sums: (sum_a . sum_b) / (n_a n_b)."""
    out = np.asarray(labels).copy()
    ids = [int(v) for v in np.unique(out) if v >= 0]
    if len(ids) < 2:
        return out, 0
    sums = {i: unit[out == i].sum(axis=0).astype(np.float64) for i in ids}
    sizes = {i: int((out == i).sum()) for i in ids}
    merged = 0
    while len(sums) > 1:
        keys = list(sums)
        s = np.stack([sums[k] for k in keys])
        n = np.array([sizes[k] for k in keys], dtype=np.float64)
        sim = (s @ s.T) / np.outer(n, n)
        np.fill_diagonal(sim, -np.inf)
        a, b = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if sim[a, b] < 1 - max_distance:
            break
        keep, gone = keys[a], keys[b]
        out[out == gone] = keep
        sums[keep] += sums.pop(gone)
        sizes[keep] += sizes.pop(gone)
        merged += 1
    return out, merged


def verify(unit: np.ndarray, labels: np.ndarray, max_distance: float, min_cluster_size: int,
           max_linkage_rows: int = 2000) -> tuple[np.ndarray, int]:
    """Re-split clusters that do not hold together: each cluster is cut by average linkage at ``max_distance``
    (cosine; parts whose members are on average further apart separate), parts smaller than ``min_cluster_size``
    become noise. Clusters too large for a full linkage are cut on a sample, and each member joins the part whose
    sampled members it is closest to on average (within ``max_distance``). Returns new labels and how many
    clusters changed."""
    from sklearn.cluster import AgglomerativeClustering

    out = np.asarray(labels).copy()
    next_label = int(out.max()) + 1 if out.size else 0
    resplit = 0
    for label in [v for v in np.unique(out) if v >= 0]:
        rows = np.flatnonzero(out == label)
        if len(rows) < 2:
            continue
        if len(rows) <= max_linkage_rows:
            parts = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                            distance_threshold=max_distance).fit_predict(unit[rows])
        else:  # too many for a full linkage: cut a sample, every member joins the part it is closest to on average
            rng = np.random.default_rng(label)
            picked = rng.choice(len(rows), max_linkage_rows, replace=False)
            sample_parts = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                                   distance_threshold=max_distance).fit_predict(unit[rows[picked]])
            means = np.stack([unit[rows[picked[sample_parts == p]]].mean(axis=0)
                              for p in range(sample_parts.max() + 1)])
            sims = unit[rows] @ means.T
            parts = np.where(sims.max(axis=1) >= 1 - max_distance, sims.argmax(axis=1), -1)
        if len(np.unique(parts)) == 1 and parts[0] >= 0:
            continue
        resplit += 1
        for part in np.unique(parts):
            members = rows[parts == part]
            if part < 0 or len(members) < min_cluster_size:
                out[members] = -1
            else:
                out[members] = next_label
                next_label += 1
    return out, resplit


def relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Cluster 0 is the largest (ties: the one that appears first); noise stays -1."""
    labels = np.asarray(labels)
    ids, counts = np.unique(labels[labels >= 0], return_counts=True)
    first = {i: int(np.argmax(labels == i)) for i in ids}
    order = sorted(ids, key=lambda i: (-counts[list(ids).index(i)], first[i]))
    mapping = {old: new for new, old in enumerate(order)}
    return np.array([mapping.get(v, -1) for v in labels], dtype=np.int64)


def medoid(x: np.ndarray) -> int:
    """Index of the row with the highest summed cosine similarity to the others."""
    unit = normalise(x)
    return int(np.argmax((unit @ unit.sum(axis=0))))


@dataclass
class Assignment:
    """Per-instance result before ids are stable: ``label`` indexes ``groups``; -1 is noise. ``stability`` is
    cos(face, the identity's face prototype) (NaN without a face or identity); ``track_ids`` "" without tracks."""

    instance_ids: list[str]
    labels: np.ndarray
    confidence: np.ndarray
    by: list[str]
    groups: list[dict[str, Any]]   # {"has_faces", "members" (row indices), "prototype_row", "space", "vector",
                                   #  "prototype_faces" (faces that shaped the prototype)}
    stats: dict[str, Any]
    stability: np.ndarray | None = None
    track_ids: list[str] | None = None


def assign_identities(instance_ids: list[str], face_vectors: dict[str, np.ndarray],
                      appearance: np.ndarray | None, params: IdentityParams,
                      face_quality: dict[str, tuple[float, bool]] | None = None,
                      boxes: pl.DataFrame | None = None, track_params: TrackParams | None = None) -> Assignment:
    """Cluster instances with a face; prototypes from gated faces; loose faces join by prototype; tracks give their
    clear faces' identity to the rest of the track; other faceless instances are placed by appearance, else grouped
    among themselves.

    ``appearance``: (len(instance_ids), D) unit vectors, or None. ``face_quality``: instance -> (quality, passes
    the gate) of its face (absent: every face counts as gated with quality 1). ``boxes``: a table aligned with
    ``instance_ids`` (shot, timestamp_s, frame_id, x0..y1) to link tracks; None: no tracks."""
    n = len(instance_ids)
    quality = face_quality or {}
    labels = np.full(n, -1, dtype=np.int64)
    confidence = np.zeros(n, dtype=np.float32)
    by = ["face" if i in face_vectors else "appearance" for i in instance_ids]
    with_face = [k for k, i in enumerate(instance_ids) if i in face_vectors]
    stats: dict[str, Any] = {"instances": n, "with_face": len(with_face), "faceless": n - len(with_face)}
    face_unit = np.zeros((n, 0), dtype=np.float32)
    prototypes = np.zeros((0, 0), dtype=np.float32)
    groups: list[dict[str, Any]] = []

    if with_face:
        x = normalise(np.stack([face_vectors[instance_ids[k]] for k in with_face]))
        face_unit = np.zeros((n, x.shape[1]), dtype=np.float32)
        face_unit[with_face] = x
        q = np.array([quality.get(instance_ids[k], (1.0, True))[0] for k in with_face], dtype=np.float64)
        gated = np.array([quality.get(instance_ids[k], (1.0, True))[1] for k in with_face], dtype=bool)
        face_labels, strength, info = cluster(x, params)
        stats["face_clustering"] = info
        stats["gated_faces"] = int(gated.sum())
        face_labels, proto_rows, counts, merged = _prototype_groups(x, face_labels, gated, q, params)
        stats["merged_by_prototype"] = merged
        prototypes = x[proto_rows] if proto_rows else np.zeros((0, x.shape[1]), dtype=np.float32)
        face_labels, joined_similarity, joined = join_by_prototype(
            x, face_labels, prototypes, params.prototype_threshold, params.prototype_margin)
        stats["joined_by_prototype"] = joined
        for j, k in enumerate(with_face):
            labels[k] = face_labels[j]
            confidence[k] = joined_similarity[j] if joined_similarity[j] > 0 else strength[j]
            if joined_similarity[j] > 0:
                by[k] = "prototype"
        for label, row in enumerate(proto_rows):
            groups.append({"has_faces": True, "members": [], "prototype_row": with_face[row], "space": "face",
                           "vector": x[row], "prototype_faces": counts[label]})

    remaining, adopted = _adopt_by_appearance(labels, confidence, appearance, groups, params,
                                              [k for k in range(n) if instance_ids[k] not in face_vectors])
    stats["faceless_adopted"] = adopted
    track_ids = None
    track_params = track_params or TrackParams(enabled=params.tracks, vote_share=params.track_vote_share)
    if boxes is not None and track_params.enabled and n:
        labels, confidence, track_ids = _decide_by_tracks(labels, confidence, by, boxes, appearance, face_unit,
                                                          instance_ids, quality, track_params, stats)
        remaining = [k for k in remaining if labels[k] < 0]
    _group_faceless(labels, confidence, appearance, groups, params, remaining, stats)
    for index, group in enumerate(groups):  # adopted and inheriting instances join their identity's members
        group["members"] = [k for k in range(n) if labels[k] == index]
    face_labels_only = np.where(labels < len(prototypes), labels, -1)
    steady = stability(face_unit, face_labels_only, prototypes) if len(prototypes) else np.full(n, np.nan, np.float32)
    return Assignment(instance_ids, labels, confidence, by, groups, stats, steady, track_ids)


def _prototype_groups(x: np.ndarray, face_labels: np.ndarray, gated: np.ndarray, quality: np.ndarray,
                      params: IdentityParams) -> tuple[np.ndarray, list[int], list[int], int]:
    """Gated-medoid prototypes per cluster; clusters whose prototypes are alike merge (and get a new prototype).
    Returns labels (0 = largest), prototype rows, faces per prototype, merges made."""
    merged = 0
    while True:
        k = int(face_labels.max()) + 1 if face_labels.size else 0
        found = [prototype(x[face_labels == label], gated[face_labels == label], quality[face_labels == label])
                 for label in range(k)]
        rows = [int(np.flatnonzero(face_labels == label)[r]) for label, (r, _) in enumerate(found)]
        target = merge_by_prototype(x[rows], params.prototype_merge) if rows else []
        if all(t == i for i, t in enumerate(target)):
            return face_labels, rows, [c for _, c in found], merged
        merged += sum(1 for i, t in enumerate(target) if t != i)
        face_labels = relabel_by_size(np.array([target[v] if v >= 0 else -1 for v in face_labels]))


def _adopt_by_appearance(labels: np.ndarray, confidence: np.ndarray, appearance: np.ndarray | None,
                         groups: list[dict[str, Any]], params: IdentityParams, faceless: list[int]
                         ) -> tuple[list[int], int]:
    """Faceless rows join a face identity they resemble closely in appearance; returns the rest and the count."""
    if not faceless or appearance is None or not groups:
        return list(faceless), 0
    appearance = normalise(appearance)
    members = [np.flatnonzero(labels == index) for index in range(len(groups))]
    protos = [normalise(appearance[m].mean(axis=0, keepdims=True))[0] for m in members]
    # calibrated per identity and per embedder: how close the identity's own face members are to its prototype
    floors = [max(params.appearance_threshold, float(np.quantile(appearance[m] @ p, params.appearance_quantile)))
              for m, p in zip(members, protos)]
    sims = appearance[faceless] @ np.stack(protos).T
    remaining, adopted = [], 0
    for j, k in enumerate(faceless):
        order = np.argsort(-sims[j])
        best = sims[j, order[0]]
        runner = sims[j, order[1]] if len(order) > 1 else -1.0
        if best >= floors[order[0]] and best - runner >= params.appearance_margin:
            labels[k], confidence[k] = int(order[0]), float(best)
            adopted += 1
        else:
            remaining.append(k)
    return remaining, adopted


def _decide_by_tracks(labels: np.ndarray, confidence: np.ndarray, by: list[str], boxes: pl.DataFrame,
                      appearance: np.ndarray | None, face_unit: np.ndarray, instance_ids: list[str],
                      quality: dict[str, tuple[float, bool]], track_params: TrackParams, stats: dict[str, Any]
                      ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    gated_faces = {k: face_unit[k] for k, i in enumerate(instance_ids)
                   if face_unit.shape[1] and np.abs(face_unit[k]).sum() > 0 and quality.get(i, (1.0, True))[1]}
    track_ids = link_tracks(boxes, track_params, normalise(appearance) if appearance is not None else None,
                            gated_faces)
    votes = np.array([quality.get(i, (1.0, True))[0] if k in gated_faces else 0.0
                      for k, i in enumerate(instance_ids)], dtype=np.float64)
    labels, share, inherited = decide_tracks(track_ids, labels, votes, track_params)
    for k, changed in enumerate(inherited):
        if changed:
            by[k], confidence[k] = "track", share[k]
    stats["tracks"] = len(set(track_ids))
    stats["track_inherited"] = int(sum(inherited))
    return labels, confidence, track_ids


def _group_faceless(labels: np.ndarray, confidence: np.ndarray, appearance: np.ndarray | None,
                    groups: list[dict[str, Any]], params: IdentityParams, remaining: list[int],
                    stats: dict[str, Any]) -> None:
    """Faceless rows that joined nothing are clustered among themselves in appearance space (new groups)."""
    if not remaining or appearance is None:
        return
    appearance = normalise(appearance)
    # appearance alone is a thin basis: a faceless group needs three members even in a short clip (two blurred
    # background fragments that look alike are not a character)
    mcs = max(3, effective_min_cluster_size(len(remaining), params.faceless_min_cluster_size
                                            or params.min_cluster_size, params.min_cluster_fraction))
    group_labels, strength, info = cluster(appearance[remaining], replace(params, min_cluster_fraction=None), mcs,
                                           max_distance=params.faceless_max_distance)
    stats["faceless_clustering"] = info
    offset = len(groups)
    for label in range(int(group_labels.max()) + 1 if group_labels.size else 0):
        rows = [remaining[j] for j in np.flatnonzero(group_labels == label)]
        center = medoid(appearance[rows])
        groups.append({"has_faces": False, "members": rows, "prototype_row": rows[center],
                       "space": "appearance", "vector": appearance[rows][center], "prototype_faces": 0})
    for j, k in enumerate(remaining):
        if group_labels[j] >= 0:
            labels[k], confidence[k] = offset + group_labels[j], strength[j]


def tables(assignment: Assignment, ids: list[str], names: dict[str, str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``identities`` and ``instance_identities`` from an assignment and the stable id of each group."""
    ii = pl.DataFrame({
        "instance_id": assignment.instance_ids,
        "identity": [ids[label] if label >= 0 else NOISE for label in assignment.labels],
        "source": ["auto"] * len(assignment.instance_ids),
        "confidence": assignment.confidence.astype(np.float32),
        "by": assignment.by,
        "track_id": assignment.track_ids or [None] * len(assignment.instance_ids),
        "stability": (assignment.stability if assignment.stability is not None
                      else np.full(len(assignment.instance_ids), np.nan, np.float32)).astype(np.float32),
    }, schema={"instance_id": pl.String, "identity": pl.String, "source": pl.String,
               "confidence": pl.Float32, "by": pl.String, "track_id": pl.String, "stability": pl.Float32})
    ii = ii.with_columns(pl.col("stability").fill_nan(None))
    identities = identity_table(ii, {ids[i]: g for i, g in enumerate(assignment.groups)},
                                assignment.instance_ids, names)
    return identities, ii


def identity_table(instance_identities: pl.DataFrame, groups: dict[str, dict[str, Any]], instance_ids: list[str],
                   names: dict[str, str]) -> pl.DataFrame:
    """One row per identity present in ``instance_identities`` (after review too), largest first."""
    counts = (instance_identities.filter(pl.col("identity") != NOISE).group_by("identity")
              .agg(pl.len().alias("size"), (pl.col("by") == "face").any().alias("face_members")))
    rows = []
    for identity, size, face_members in counts.iter_rows():
        group = groups.get(identity)
        rows.append({"identity": identity, "name": names.get(identity), "size": size,
                     "has_faces": bool(group["has_faces"]) if group else bool(face_members),
                     "prototype_instance_id": instance_ids[group["prototype_row"]] if group else None})
    schema = {"identity": pl.String, "name": pl.String, "size": pl.Int64, "has_faces": pl.Boolean,
              "prototype_instance_id": pl.String}
    return pl.DataFrame(rows, schema=schema).sort(["size", "identity"], descending=[True, False])
