"""A face no identity took, judged by its cut-out's look (``identities.appearance_adopts_loose_faces``). No Dagster.

A drawn face found by another detector than the identity's faces sits apart from them in the face embedding: the LBP
cascade frames a Kenney character's whole head where YuNet framed her face, and that face, nearest her identity but
too little ahead of the character of her body design, joins nothing. Her cut-out still looks like her: such a row is
given to the same appearance adoption a faceless row gets (floor, margin, clear lead), and joins where its face too is
nearest that identity, so the face and the look agree.
"""

from typing import Any

import numpy as np


def adopt_loose_faces(labels: np.ndarray, confidence: np.ndarray, by: list[str], face_labels: np.ndarray,
                      appearance: np.ndarray | None, groups: list[dict[str, Any]], params: Any,
                      loose_faces: list[int], blocks: list[np.ndarray], face_sims: np.ndarray) -> int:
    """Each of the ``loose_faces`` rows (a face no identity took, nor its track) adopted by appearance as a faceless
    row is, against the face identities' members (``face_labels``: the labels before any adoption), the other loose
    faces its impostors; it joins (``labels``, ``confidence``, ``by`` = appearance, in place) where its face is
    nearest that identity too (``face_sims``: (rows, identities) face-prototype cosines). Returns how many joined."""
    from assets.identities.assignment import _adopt_by_appearance  # here: assignment imports this module

    adopted = 0
    for k in loose_faces:
        trial, trial_confidence = face_labels.copy(), confidence.copy()
        rest, _ = _adopt_by_appearance(trial, trial_confidence, appearance, groups, params, [k], blocks,
                                       impostors=np.array([j for j in loose_faces if j != k], dtype=np.int64))
        if not rest and trial[k] == int(np.nanargmax(face_sims[k])):
            labels[k], confidence[k], by[k] = trial[k], trial_confidence[k], "appearance"
            adopted += 1
    return adopted
