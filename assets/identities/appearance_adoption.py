"""Faceless rows adopted by a face identity they resemble in appearance, and the floors that adoption reads: each
identity's own floor (how close its face members come to its appearance prototype) and that floor capped by the
closest impostor. Shared by the assignment and the loose-face steps (loose_face_looks.py). No Dagster.
"""

from typing import Any

import numpy as np

from assets.identities.appearance import held_out_similarities
from assets.identities.clear_lead import clear_lead_targets
from assets.identities.core import IdentityParams, member_prototypes, normalise


def adopt_by_appearance(labels: np.ndarray, confidence: np.ndarray, appearance: np.ndarray | None,
                        groups: list[dict[str, Any]], params: IdentityParams, faceless: list[int],
                        blocks: list[np.ndarray] | None = None, impostors: np.ndarray | None = None
                        ) -> tuple[list[int], int]:
    """Faceless rows join a face identity they resemble closely in appearance; returns the rest and the count.
    ``blocks``: the parts ``appearance`` mixes (image embedding, colours), read by ``appearance_clear_lead``.
    ``impostors``: the rows seen with a face that no identity took (None: every unlabelled row not in ``faceless``)."""
    if not faceless or appearance is None or not groups:
        return list(faceless), 0
    appearance = normalise(appearance)
    members = [np.flatnonzero(labels == index) for index in range(len(groups))]
    protos = member_prototypes(appearance, members)
    # calibrated per identity and per embedder: how close the identity's own face members are to its prototype
    # (identities.appearance_floor held_out: each to the prototype of the others)
    floors = [max(params.appearance_threshold, own_floor(appearance[m], p, params)) for m, p in zip(members, protos)]
    sims = appearance[faceless] @ np.stack(protos).T
    # the margin needs a runner-up: with one identity, the instances seen with a face that no identity took
    # (other characters, or this one unrecognised) stand in for it
    loose = np.setdiff1d(np.flatnonzero(labels < 0), faceless) if impostors is None else impostors
    if params.appearance_floor_cap:
        floors = capped_by_impostors(floors, appearance, members, protos, loose, params)
    stand_in = ((appearance[faceless] @ appearance[loose].T).max(axis=1) if len(groups) == 1 and loose.size
                else np.full(len(faceless), -1.0))
    clear = (clear_lead_targets(appearance, blocks or [], members, faceless, loose, params.appearance_margin)
             if params.appearance_clear_lead else np.full(len(faceless), -1))
    remaining, adopted = [], 0
    for j, k in enumerate(faceless):
        order = np.argsort(-sims[j])
        best = sims[j, order[0]]
        runner = sims[j, order[1]] if len(order) > 1 else stand_in[j]
        if (best >= floors[order[0]] and best - runner >= params.appearance_margin) or clear[j] >= 0:
            labels[k], confidence[k] = int(order[0]), float(best)
            adopted += 1
        else:
            remaining.append(k)
    return remaining, adopted


def capped_by_impostors(floors: list[float], appearance: np.ndarray, members: list[np.ndarray],
                        protos: np.ndarray, loose: np.ndarray, params: IdentityParams) -> list[float]:
    """Each identity's floor lowered to its appearance impostor ceiling (the closest any instance seen with a face
    and not its member comes to its prototype: another identity's members and the ``loose`` faces no identity
    took, which stand for the characters without an identity) plus ``appearance_margin``, never under
    ``appearance_threshold``. The floor says how close the identity's own looks come; where they are a few
    near-identical views (a sprite's poses: a zombie's 3 faces at 0.98) it shuts out every other look of the
    character (its back, 0.90-0.97), though nothing else seen with a face comes within 0.75. Unchanged with one
    identity (no impostor to measure)."""
    if len(protos) < 2:
        return floors
    out = []
    for index, floor in enumerate(floors):
        others = np.concatenate([m for j, m in enumerate(members) if j != index] + [loose]).astype(np.int64)
        if not others.size:
            out.append(floor)
            continue
        ceiling = float((appearance[others] @ protos[index]).max())
        out.append(max(params.appearance_threshold, min(floor, ceiling + params.appearance_margin)))
    return out


def own_floor(members: np.ndarray, prototype: np.ndarray, params: IdentityParams) -> float:
    """The ``appearance_quantile`` of how close an identity's members come to its appearance prototype: each to
    the prototype itself (``inclusive``), or to the mean of the others (``held_out``: what a new look shows)."""
    close = held_out_similarities(members) if params.appearance_floor == "held_out" else members @ prototype
    return float(np.quantile(close, params.appearance_quantile))
