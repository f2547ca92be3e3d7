"""Prototypes from good faces only: a strict face-quality gate, the gated medoid as each identity's prototype, and the
decisions made frame-vs-prototype (never frame-vs-frame): joining, merging, stability. No Dagster.

A turned, blurred or tiny face has an embedding that drifts towards other people; letting it shape a prototype (or
pull two identities together) is how a masked heroine ends up elsewhere. So only gated faces define prototypes and
vote in tracks, and every other face is judged by its similarity to those prototypes.
"""

from typing import Any

import numpy as np
import polars as pl


def face_quality(faces: pl.DataFrame, params: Any) -> pl.DataFrame:
    """``faces`` with ``quality`` (> 0; higher is clearer) and ``gated`` (passes the strict gate of ``params``:
    gate_min_face_size, gate_min_blur, gate_max_yaw, gate_max_roll, gate_min_det_score). Missing pose angles
    (a detector without landmarks) fail the pose part of the gate."""
    if faces.height == 0:
        return faces.with_columns(pl.lit(None, pl.Float64).alias("quality"), pl.lit(None, pl.Boolean).alias("gated"))
    # A detector without landmarks stores NaN angles (faces/core.head_pose): read them as missing, or a NaN quality
    # would rank first in a descending sort (polars puts NaN above every number) and the least known face would win.
    yaw, roll = (pl.col(name).cast(pl.Float64).fill_nan(None) for name in ("yaw", "roll"))
    frontal = (1.0 - (yaw.abs().fill_null(90.0) / 90.0)).clip(0.05, 1.0)
    quality = (pl.col("det_score").cast(pl.Float64).clip(0.01, 1.0) * pl.col("face_size").cast(pl.Float64).log1p()
               * pl.col("blur").cast(pl.Float64).clip(1, 500).log1p() * frontal)
    gated = ((pl.col("face_size") >= params.gate_min_face_size) & (pl.col("blur") >= params.gate_min_blur)
             & (yaw.abs() <= params.gate_max_yaw) & (roll.abs() <= params.gate_max_roll)
             & (pl.col("det_score") >= params.gate_min_det_score)).fill_null(False)
    return faces.with_columns(quality.alias("quality"), gated.alias("gated"))


def best_faces(faces: pl.DataFrame, params: Any = None) -> pl.DataFrame:
    """One face per instance, the clearest (gated first, then by quality), with ``quality`` and ``gated``
    (``params``: the identities parameters; None: their defaults)."""
    if params is None:
        from assets.identities.core import IdentityParams  # here: core imports this module

        params = IdentityParams()
    scored = face_quality(faces, params)
    if scored.height == 0:
        return scored
    return (scored.sort(["gated", "quality"], descending=[True, True])
            .unique("instance_id", keep="first", maintain_order=True))


def prototype(unit: np.ndarray, gated: np.ndarray, quality: np.ndarray, min_gated: int = 1) -> tuple[int, int]:
    """(row of the prototype, how many faces shaped it): the medoid of the gated rows; with fewer than
    ``min_gated`` of them, the medoid of the better half by quality (never of every drifting face)."""
    rows = np.flatnonzero(gated)
    if len(rows) < min_gated:
        ranked = np.argsort(-quality)
        rows = ranked[:max(1, (len(ranked) + 1) // 2)]
    sub = unit[rows]
    return int(rows[int(np.argmax(sub @ sub.sum(axis=0)))]), int(len(rows))


def impostor_ceiling(unit: np.ndarray, labels: np.ndarray, prototypes: np.ndarray) -> float | None:
    """How alike a face can be to another identity's prototype in this film and embedder: the highest similarity
    of any clustered face to a prototype not its own (None with fewer than two identities). Embedders differ in
    scale (photos: different people ~0.0; drawn faces or 3D characters: higher), so the joining threshold is
    calibrated on the film's own faces rather than fixed."""
    rows = np.flatnonzero(np.asarray(labels) >= 0)
    if len(prototypes) < 2 or len(rows) == 0:
        return None
    sims = unit[rows] @ prototypes.T
    sims[np.arange(len(rows)), np.asarray(labels)[rows]] = -np.inf
    return float(sims.max())


def join_by_prototype(unit: np.ndarray, labels: np.ndarray, prototypes: np.ndarray, threshold: float,
                      margin: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Rows without a label (-1) join the identity whose prototype is alike enough and ``margin`` ahead of the
    runner-up. Alike enough: ``margin`` above the film's impostor ceiling (``impostor_ceiling``), and at least
    ``threshold`` (the floor; with one identity, the only bar). Returns labels, each joined row's similarity
    (0 elsewhere), how many joined."""
    out = np.asarray(labels).copy()
    similarity = np.zeros(len(out), dtype=np.float32)
    loose = np.flatnonzero(out < 0)
    if len(loose) == 0 or len(prototypes) == 0:
        return out, similarity, 0
    ceiling = impostor_ceiling(unit, out, prototypes)
    bar = threshold if ceiling is None else max(threshold, ceiling + margin)
    sims = unit[loose] @ prototypes.T
    order = np.argsort(-sims, axis=1)
    best = sims[np.arange(len(loose)), order[:, 0]]
    runner = sims[np.arange(len(loose)), order[:, 1]] if prototypes.shape[0] > 1 else np.full(len(loose), -1.0)
    ok = (best >= bar) & (best - runner >= margin)
    out[loose[ok]] = order[ok, 0]
    similarity[loose[ok]] = best[ok]
    return out, similarity, int(ok.sum())


def merge_by_prototype(prototypes: np.ndarray, threshold: float) -> list[int]:
    """For each identity, the identity it merges into (itself when none): single linkage over prototypes at least
    ``threshold`` alike, each merged set led by its lowest index (the largest identity)."""
    k = len(prototypes)
    parent = list(range(k))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    if k > 1:
        sims = prototypes @ prototypes.T
        for a in range(k):
            for b in range(a + 1, k):
                if sims[a, b] >= threshold:
                    ra, rb = root(a), root(b)
                    parent[max(ra, rb)] = min(ra, rb)
    return [root(i) for i in range(k)]


def stability(unit: np.ndarray, labels: np.ndarray, prototypes: np.ndarray) -> np.ndarray:
    """cos(e, prototype of the row's identity) per row; NaN where the row has no identity or no vector."""
    out = np.full(len(labels), np.nan, dtype=np.float32)
    has = (np.asarray(labels) >= 0) & (np.abs(unit).sum(axis=1) > 0) if len(labels) else np.zeros(0, bool)
    rows = np.flatnonzero(has)
    if len(rows) and len(prototypes):
        out[rows] = np.einsum("ij,ij->i", unit[rows], prototypes[np.asarray(labels)[rows]])
    return out


def detector_prototype_similarities(unit: np.ndarray, labels: np.ndarray, gated: np.ndarray, quality: np.ndarray,
                                    detectors: list[str], prototypes: np.ndarray, min_faces: int = 3) -> np.ndarray:
    """(rows, identities) cosine of each face to each identity's prototype for faces of the face's own detector.

    Detectors frame a face differently (AnimeFace's box is the eye region, YuNet's the whole face), and a drawn-face
    embedding reads a context crop scaled from that box, so one character's faces from two detectors sit apart. An
    identity with at least ``min_faces`` clustered faces (``labels``) from a detector gets a prototype of its own
    for that detector (the gated medoid, as ``prototype``); otherwise its overall prototype (``prototypes``) serves."""
    labels = np.asarray(labels)
    names = np.asarray(detectors, dtype=object)
    sims = unit @ prototypes.T if len(prototypes) else np.zeros((len(unit), 0), dtype=np.float32)
    for detector in sorted(set(detectors) - {""}):   # "": detector unknown, the overall prototypes serve
        rows = np.flatnonzero(names == detector)
        local = prototypes.copy()
        for identity in range(len(prototypes)):
            members = rows[labels[rows] == identity]
            if len(members) >= min_faces:
                row, _ = prototype(unit[members], gated[members], quality[members])
                local[identity] = unit[members[row]]
        sims[rows] = unit[rows] @ local.T
    return sims


def join_by_calibrated_lead(sims: np.ndarray, labels: np.ndarray, lead_quantile: float
                            ) -> tuple[np.ndarray, np.ndarray, int]:
    """Rows without a label (-1) join the identity they are nearest to, when they are clearly closer to it than to
    any other: nearer than any clustered face ever came to an identity not its own (the film's impostor ceiling),
    and leading the runner-up by at least the ``lead_quantile`` quantile of the leads the clustered faces show
    (own prototype minus nearest other). Both bars come from the film's own clustered faces, so they follow the
    embedder's cosine scale (drawn faces: different characters at 0.5-0.7) instead of a fixed number. ``sims``:
    (rows, identities) face-prototype cosines (``detector_prototype_similarities``). Needs two identities (no
    impostor scale otherwise). Returns labels, each joined row's similarity (0 elsewhere), how many joined."""
    out = np.asarray(labels).copy()
    similarity = np.zeros(len(out), dtype=np.float32)
    clustered, loose = np.flatnonzero(out >= 0), np.flatnonzero(out < 0)
    if sims.shape[1] < 2 or len(clustered) == 0 or len(loose) == 0:
        return out, similarity, 0
    own = sims[clustered, out[clustered]]
    others = sims[clustered].copy()
    others[np.arange(len(clustered)), out[clustered]] = -np.inf
    ceiling = float(others.max())
    lead_bar = float(np.quantile(own - others.max(axis=1), lead_quantile))
    ranked = np.sort(sims[loose], axis=1)
    best, runner = ranked[:, -1], ranked[:, -2]
    ok = (best > ceiling) & (best - runner >= lead_bar)
    out[loose[ok]] = sims[loose[ok]].argmax(axis=1)
    similarity[loose[ok]] = best[ok]
    return out, similarity, int(ok.sum())
