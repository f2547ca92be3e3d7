"""Faced rows of a faceless character: a face the face clustering gave to another character's identity goes to the
faceless group its cut-out is plainly of. No Dagster.

A drawn character no face detector finds reliably (Kenney's zombie) still shows a face now and then, and drawn faces
of one style look alike to the face embedder: the zombie's face lands in a person's or an adventurer's face cluster
while the rest of its looks form its faceless group. Its cut-out does not look like that identity's other members
(0.62-0.73 in design, the least of the mean cosines in the image embedding and the colours) and looks like its
faceless group (0.81-0.88): Kenney tune films 13 and 21, 4 rows, no other faced row of the tune films meets both.
"""

from typing import Any

import numpy as np

from assets.identities.core import IdentityParams, normalise
from assets.identities.faceless_designs import clear_faceless_group, design_similarities


def faced_rows_to_faceless_groups(labels: np.ndarray, confidence: np.ndarray, blocks: list[np.ndarray],
                                  groups: list[dict[str, Any]], params: IdentityParams, faced: list[int]) -> list[int]:
    """Each ``faced`` row in a face identity (not its prototype) moves to the faceless group it is nearest in design
    (``design_similarities`` over ``blocks``: the image embedding and the colours) where that group is at least
    ``faceless_design_join`` alike, the row's own identity's other members are not (its look is not theirs), and
    the group leads every other identity by ``appearance_margin``. Changes ``labels`` and ``confidence`` in place;
    returns the rows moved. Read against the identities as they stand before any row moves; the identity step runs
    it last, once a track's rows have followed its placed rows, so a group is read with every row it holds."""
    bar = params.faceless_design_join
    identities = [np.flatnonzero(labels == index) for index in range(len(groups))]
    faceless = [index for index, group in enumerate(groups) if not group["has_faces"] and identities[index].size]
    if bar is None or not faceless:
        return []
    blocks = [normalise(b) for b in blocks]
    prototypes = {group.get("prototype_row") for group in groups if group["has_faces"]}
    candidates = [k for k in faced if labels[k] >= 0 and groups[labels[k]]["has_faces"] and k not in prototypes]
    moves = []
    for k in candidates:
        others = [rows[rows != k] for rows in identities]   # the row's own identity read without it
        alike = design_similarities(blocks, [np.array([k])], others)[0]
        group = clear_faceless_group(alike, faceless, bar, params.appearance_margin)
        if group is not None and alike[labels[k]] < bar:
            moves.append((k, group, float(alike[group])))
    for k, group, similarity in moves:
        labels[k], confidence[k] = group, similarity
    return [k for k, _, _ in moves]
