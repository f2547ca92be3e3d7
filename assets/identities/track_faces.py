"""Faces left unplaced that share a track and agree join an identity together (issue #12's tracks). No Dagster."""

import numpy as np

from assets.identities.prototypes import impostor_ceiling


def join_agreeing_track_faces(track_ids: list[str], labels: np.ndarray, confidence: np.ndarray, by: list[str],
                              face_unit: np.ndarray, prototypes: np.ndarray, max_distance: float) -> int:
    """Faces left unplaced that share a track and agree join an identity together (``by = prototype``).

    One masked or turned face near no prototype is weak evidence, and a stranger's face can come as close; two
    or more faces of one track that are alike (mean pairwise cosine >= 1 - ``max_distance``) and each lean to the
    same identity (closest to its prototype, above the film's impostor ceiling) are independent looks that agree,
    which stands in for the single face's margin. A track holding a face already placed elsewhere is left alone.
    Changes ``labels``, ``confidence`` and ``by`` in place; returns how many faces joined."""
    if len(prototypes) < 2 or not face_unit.shape[1]:
        return 0  # with one identity there is no impostor ceiling to calibrate the bar on
    has_face = np.abs(face_unit).sum(axis=1) > 0
    ceiling = impostor_ceiling(face_unit, np.where(has_face, labels, -1), prototypes)
    members: dict[str, list[int]] = {}
    for row, track in enumerate(track_ids):
        if track and has_face[row]:
            members.setdefault(track, []).append(row)
    joined = 0
    for rows in members.values():
        loose = [r for r in rows if labels[r] < 0]
        if len(loose) < 2 or ceiling is None:
            continue
        sims = face_unit[loose] @ prototypes.T
        best = sims.argmax(axis=1)
        target = int(best[0])
        placed_elsewhere = any(labels[r] >= 0 and labels[r] != target for r in rows)
        alike = face_unit[loose] @ face_unit[loose].T
        agreement = (alike.sum() - len(loose)) / (len(loose) * (len(loose) - 1))
        if (placed_elsewhere or (best != target).any() or (sims[:, target] <= ceiling).any()
                or agreement < 1 - max_distance):
            continue
        for j, r in enumerate(loose):
            labels[r], confidence[r], by[r] = target, float(sims[j, target]), "prototype"
        joined += len(loose)
    return joined
