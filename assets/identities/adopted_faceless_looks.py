"""A faceless look a face identity adopted before the faceless groups were formed, that is a faceless group's
character. No Dagster.

Adoption (appearance_adoption.py) places faceless rows before the faceless rows are grouped among themselves, so
it sees only the face identities. Where one cut-out of a faceless character carries a face (a drawn robot pasted
in front of a background child: the cut holds the child's face, which clusters with the other background faces),
that face identity's members include the robot's look, and the robot's other cut-outs in such frames are adopted
by it (Kenney tune redraw 34: two robot rows 0.64 alike to the identity's face members in the adoption mix). Once
the robot's own looks have formed a faceless group (0.91-0.95 alike to them), the adopted rows are clearly its:
nearer the group than the identity's face members in the image embedding and in the colours each.
"""

from typing import Any

import numpy as np

from assets.identities.core import IdentityParams, normalise


def mean_cosines(block: np.ndarray, row: int, sets: list[np.ndarray]) -> np.ndarray:
    """The mean cosine of ``row`` to each set's rows (``row`` itself left out) in ``block`` (unit rows); -1 for a
    set with no other row."""
    out = np.full(len(sets), -1.0)
    for index, rows in enumerate(sets):
        rows = rows[rows != row]
        if rows.size:
            out[index] = float((block[rows] @ block[row]).mean())
    return out


def return_adopted_looks(labels: np.ndarray, confidence: np.ndarray, by: list[str], groups: list[dict[str, Any]],
                         space: np.ndarray, blocks: list[np.ndarray], face_labels: np.ndarray, faceless: list[int],
                         params: IdentityParams, frame_ids: list | None = None) -> int:
    """The ``faceless`` rows a face identity A adopted by their look (``by == "appearance"``) move to the faceless
    group G they are nearest on average in ``space`` (the adoption mix: unit rows) when G's members are at least
    ``appearance_threshold`` alike to them there and, in every one of ``blocks`` (the image embedding, the
    colours), nearer them on average than A's face members (``face_labels``: the labels before adoption) by
    ``appearance_margin`` at least, and no member of G shares their frame (``frame_ids``; two rows of one frame are
    two characters). Decided on the labels before any row moves. Changes ``labels`` and ``confidence`` in place;
    returns how many rows moved."""
    space = normalise(space)
    blocks = [normalise(b) for b in blocks]
    members = [np.flatnonzero(labels == index) for index in range(len(groups))]
    faceless_groups = [index for index, group in enumerate(groups) if not group["has_faces"] and members[index].size]
    if not faceless_groups:
        return 0
    moves = []
    for k in faceless:
        identity = int(labels[k])
        if identity < 0 or not groups[identity]["has_faces"] or by[k] != "appearance":
            continue
        face_members = np.flatnonzero(face_labels == identity)
        if not face_members.size:
            continue
        sets = [members[index] for index in faceless_groups]
        to_groups = mean_cosines(space, k, sets)
        choice = int(np.argmax(to_groups))
        target, rows = faceless_groups[choice], sets[choice]
        if to_groups[choice] < params.appearance_threshold:
            continue
        if any(float(mean_cosines(block, k, [rows])[0] - mean_cosines(block, k, [face_members])[0])
               < params.appearance_margin for block in blocks):
            continue
        if frame_ids is not None and any(frame_ids[j] == frame_ids[k] for j in rows if j != k):
            continue
        moves.append((k, target, float(to_groups[choice])))
    for k, target, closeness in moves:
        labels[k], confidence[k] = target, closeness
    return len(moves)
