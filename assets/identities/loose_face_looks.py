"""A face no identity took, judged by its cut-out's look (``identities.appearance_adopts_loose_faces``), or by its
face and its look together (``identities.loose_face_look_agrees``). No Dagster.

A drawn face found by another detector than the identity's faces sits apart from them in the face embedding: the LBP
cascade frames a Kenney character's whole head where YuNet framed her face, and that face, nearest her identity but
too little ahead of the character of her body design, joins nothing. Her cut-out still looks like her: such a row is
given to the same appearance adoption a faceless row gets (floor, margin, clear lead), and joins where its face too is
nearest that identity, so the face and the look agree.

Each signal alone can fall short where the other is clear. In an image folder of many drawn characters the film's
impostor ceiling (the closest any clustered face came to another identity) is high, so a face leading its identity by
four times the lead a clustered face shows is still refused; its look, nearest that identity in the image embedding
and in the colours alike and above its floor, leads by a little less than adoption's margin (Chip's face on the cc0
tune set: lead 0.15, look lead 0.045). Three signals agreeing (the face, the image embedding of the cut-out, its
colours) stand in for a prototype join's ceiling and for adoption's margin; the look's floor stays: without it,
strangers nearest an identity in every signal join it.

A drawn face the face embedder cannot place is no vote at all: a Kenney adventurer's face 0.013 nearer his
look-alike twin's prototype than his own, a zombie's (one the quality gate refused) 0.11 nearer the female person's,
while the cut-out's look leads its identity by 0.10-0.25 in the mix and is nearest it in the image embedding and the
colours alike. Such a row joins as a lone faceless look does (``identities.loose_face_clear_looks``): the clear lead
with the least-alike bar waived (a sprite character's face members are near-identical, so its floor shuts out any
other view), where the face names no other identity by the calibrated lead. One character's loose faces of one image
set, all leading her identity, are each other's impostors there; with ``identities.loose_face_named_not_impostor`` a
loose face whose face and look both name A is none against another whose face and look name A too.
"""

from typing import Any

import numpy as np

from assets.identities.appearance_adoption import adopt_by_appearance, capped_by_impostors, own_floor
from assets.identities.clear_lead import clear_lead_targets
from assets.identities.core import member_prototypes, normalise
from assets.identities.lone_looks import a_look_of_its_own, prototype_closeness, row_tracks


def adopt_loose_faces(labels: np.ndarray, confidence: np.ndarray, by: list[str], face_labels: np.ndarray,
                      appearance: np.ndarray | None, groups: list[dict[str, Any]], params: Any,
                      loose_faces: list[int], blocks: list[np.ndarray], face_sims: np.ndarray) -> int:
    """Each of the ``loose_faces`` rows (a face no identity took, nor its track) adopted by appearance as a faceless
    row is, against the face identities' members (``face_labels``: the labels before any adoption), the other loose
    faces its impostors; it joins (``labels``, ``confidence``, ``by`` = appearance, in place) where its face is
    nearest that identity too (``face_sims``: (rows, identities) face-prototype cosines). Returns how many joined."""
    adopted = 0
    for k in loose_faces:
        trial, trial_confidence = face_labels.copy(), confidence.copy()
        rest, _ = adopt_by_appearance(trial, trial_confidence, appearance, groups, params, [k], blocks,
                                       impostors=np.array([j for j in loose_faces if j != k], dtype=np.int64))
        if not rest and trial[k] == int(np.nanargmax(face_sims[k])):
            labels[k], confidence[k], by[k] = trial[k], trial_confidence[k], "appearance"
            adopted += 1
    return adopted


def calibrated_face_lead(face_sims: np.ndarray, face_labels: np.ndarray, quantile: float) -> float | None:
    """The ``quantile`` of the leads the faces placed in an identity show (own identity's prototype cosine minus the
    nearest other's; ``face_sims``: (rows, identities), NaN where a row has no face; ``face_labels``: -1 unplaced),
    as ``prototypes.join_by_calibrated_lead`` reads it. None with fewer than two identities or no placed face."""
    if face_sims.shape[1] < 2:
        return None
    placed = np.flatnonzero((face_labels >= 0) & ~np.isnan(face_sims).any(axis=1))
    placed = placed[face_labels[placed] < face_sims.shape[1]]
    if not placed.size:
        return None
    own = face_sims[placed, face_labels[placed]]
    others = face_sims[placed].copy()
    others[np.arange(len(placed)), face_labels[placed]] = -np.inf
    return float(np.quantile(own - others.max(axis=1), quantile))


def join_agreeing_loose_faces(labels: np.ndarray, confidence: np.ndarray, by: list[str], face_labels: np.ndarray,
                              appearance: np.ndarray, blocks: list[np.ndarray], face_sims: np.ndarray,
                              loose_faces: list[int], params: Any, frames: list | None = None) -> int:
    """Each of the ``loose_faces`` rows still unplaced joins identity A when its face and its look name A together:
    its face is nearest A's prototype (``face_sims``) by at least the film's calibrated lead
    (``calibrated_face_lead`` at ``params.join_lead_quantile``; the impostor ceiling a prototype join also asks is
    waived), and its cut-out is nearest A's face members (``face_labels``: the labels before any adoption) in
    ``appearance`` (the adoption mix) and in every one of ``blocks`` (the image embedding, the colours), and at least
    A's appearance floor there, as adoption computes it (its members' spread, capped by the faces not A's, the other
    loose faces among them); adoption's margin is waived: the face gives the lead. With ``frames`` (each row's key
    frame), A must hold no face of the row's frame, its own or one joined here (two faces of one frame are two
    characters). Changes ``labels``,
    ``confidence`` and ``by`` (appearance) in place; returns how many joined."""
    lead_bar = calibrated_face_lead(face_sims, face_labels, params.join_lead_quantile)
    identities = face_sims.shape[1]
    members = [np.flatnonzero(face_labels == index) for index in range(identities)]
    if lead_bar is None or any(not m.size for m in members):
        return 0
    spaces = [normalise(appearance)] + [normalise(block) for block in blocks]
    protos = [member_prototypes(space, members) for space in spaces]
    mix = spaces[0]
    own_floors = [max(params.appearance_threshold, own_floor(mix[m], p, params)) for m, p in zip(members, protos[0])]
    has_face = ~np.isnan(face_sims).any(axis=1)
    faced_frames = ([{frames[k] for k in np.flatnonzero((labels == index) & has_face)} for index in range(identities)]
                    if frames is not None else None)
    joined = 0
    for k in loose_faces:
        if labels[k] >= 0 or not has_face[k]:
            continue
        order = np.argsort(-face_sims[k])
        target = int(order[0])
        if face_sims[k, target] - face_sims[k, order[1]] < lead_bar:
            continue
        looks = [space[k] @ proto.T for space, proto in zip(spaces, protos)]
        floors = (capped_by_impostors(own_floors, mix, members, protos[0],
                                       np.array([j for j in loose_faces if j != k], dtype=np.int64), params)
                  if params.appearance_floor_cap else own_floors)
        if any(int(np.argmax(look)) != target for look in looks) or looks[0][target] < floors[target]:
            continue
        if faced_frames is not None and frames[k] in faced_frames[target]:
            continue
        labels[k], confidence[k], by[k] = target, float(looks[0][target]), "appearance"
        if faced_frames is not None:
            faced_frames[target].add(frames[k])
        joined += 1
    return joined


def join_clear_loose_looks(labels: np.ndarray, confidence: np.ndarray, by: list[str], face_labels: np.ndarray,
                           appearance: np.ndarray, blocks: list[np.ndarray], face_sims: np.ndarray,
                           loose_faces: list[int], params: Any, frames: list | None = None,
                           track_ids: list[str] | None = None, gated: np.ndarray | None = None) -> int:
    """Each of the ``loose_faces`` rows still unplaced joins identity A when its cut-out's look clearly leads toward A
    (``clear_lead_targets`` with the least-alike bar waived, against A's face members (``face_labels``: the labels
    before any adoption) in ``appearance`` (the adoption mix) and every one of ``blocks``: nearest A in each, ahead
    of the runner-up by ``appearance_margin`` and by more than any face not A's leads toward A, the other loose
    faces among them), at least ``appearance_threshold`` close, and its face names no other identity: no prototype
    is nearer its face than A's by the calibrated lead (``calibrated_face_lead``); a face the quality gate refused
    (``gated``: per row, None: every face passed) names none. Refused where a row still noise (faceless or a loose
    face) of another track (``track_ids``; None or "": each row its own) is at least as alike to it in
    ``appearance`` as A's prototype is and does not itself clearly lead toward A: a character of its own, whose
    looks are not grouped yet (a background boy seen in three images, his face placing nowhere); with
    ``identities.loose_face_named_not_rival`` a loose face whose face and look are both nearest A is no such row.
    With ``identities.loose_face_vote_one_identity`` a face names another identity only where it also leads its
    own runner-up by the calibrated lead (``face_names_other``). With ``frames``,
    A must hold no face of the row's frame. Decided on the labels before any of them joined; changes ``labels``, ``confidence`` and ``by``
    (appearance) in place; returns how many joined."""
    lead_bar = calibrated_face_lead(face_sims, face_labels, params.join_lead_quantile)
    identities = face_sims.shape[1]
    members = [np.flatnonzero(face_labels == index) for index in range(identities)]
    if lead_bar is None or any(not m.size for m in members):
        return 0
    space = normalise(appearance)
    has_face = ~np.isnan(face_sims).any(axis=1)
    unplaced = [k for k in loose_faces if labels[k] < 0 and has_face[k]]
    faced_frames = ([{frames[k] for k in np.flatnonzero((labels == index) & has_face)} for index in range(identities)]
                    if frames is not None else None)
    tracks = row_tracks(track_ids, len(labels))
    noise = np.flatnonzero(labels < 0)
    leads_to = np.full(len(labels), -1, dtype=np.int64)   # where each row still noise clearly leads by its look
    leads_to[noise] = clear_lead_targets(space, blocks, members, noise.tolist(), np.array(unplaced, dtype=np.int64),
                                         params.appearance_margin, least_alike=False)
    named = (faces_and_looks_naming(space, members, face_sims, unplaced, params.appearance_margin)
             if params.loose_face_named_not_impostor else None)
    for j, k in enumerate(unplaced):   # a loose face is not its own impostor
        others = np.array([i for i in unplaced if i != k], dtype=np.int64)
        leads_to[k] = clear_lead_targets(space, blocks, members, [k], others, params.appearance_margin,
                                         least_alike=False)[0]
        if leads_to[k] < 0 and named is not None:   # the loose faces its face and look name with it are no impostors
            target = clear_lead_targets(space, blocks, members, [k], others, params.appearance_margin,
                                        least_alike=False, others_named=np.delete(named, j))[0]
            if target >= 0 and target == named[j]:
                leads_to[k] = target
    named_rows = (dict(zip(unplaced, faces_and_looks_naming(space, members, face_sims, unplaced, 0.0).tolist()))
                  if params.loose_face_named_not_rival else {})
    chosen = []
    for k in unplaced:
        target = int(leads_to[k])
        if target < 0:
            continue
        closeness = prototype_closeness(space, k, members[target])
        names_other = (gated is None or gated[k]) and face_names_other(face_sims[k], target, lead_bar,
                                                                       params.loose_face_vote_one_identity)
        if closeness < params.appearance_threshold or names_other:
            continue
        if a_look_of_its_own(space, k, [j for j in noise if tracks[j] != tracks[k] and leads_to[j] != target
                                        and named_rows.get(j) != target], closeness):
            continue
        if faced_frames is not None and frames[k] in faced_frames[target]:
            continue
        chosen.append((k, target, closeness))
    for k, target, closeness in chosen:
        labels[k], confidence[k], by[k] = target, closeness, "appearance"
    return len(chosen)


def faces_and_looks_naming(space: np.ndarray, members: list[np.ndarray], face_sims: np.ndarray, rows: list[int],
                           margin: float) -> np.ndarray:
    """Per row of ``rows`` (loose faces), the identity both its face and its look name (-1: none): its face is
    nearest that identity's prototype (``face_sims``; by any lead, a refused face too) and its cut-out's look
    (``space``, the adoption mix) is nearest that identity's members' prototype, ahead of the runner-up by
    ``margin``. Such faces are no impostors against one another (``identities.loose_face_named_not_impostor``): a
    drawn character's three loose faces of one image set, each leading her identity by 0.11 in the mix, refused one
    another; a face whose face names another identity still counts, and a row whose face names another identity
    than its look does still meets them all (Penny & Chip: a stranger's face nearest Penny, its look 0.10 toward
    Chip, joined Chip once the faces naming Chip stopped counting)."""
    out = np.full(len(rows), -1, dtype=np.int64)
    if not rows or len(members) < 2:
        return out
    sims = space[rows] @ member_prototypes(space, members).T
    for j, k in enumerate(rows):
        order = np.argsort(-sims[j])
        face = int(np.nanargmax(face_sims[k]))
        if int(order[0]) == face and sims[j, order[0]] - sims[j, order[1]] >= margin:
            out[j] = face
    return out


def face_names_other(sims: np.ndarray, target: int, lead_bar: float, one_identity: bool) -> bool:
    """Whether a face (``sims``: its cosine to each identity's prototype) names an identity other than ``target``
    by the calibrated ``lead_bar``: some prototype nearer it than ``target``'s by the bar; with ``one_identity``
    (``identities.loose_face_vote_one_identity``) only where its nearest prototype also leads the runner-up by the
    bar: a drawn face as near two other designs (Kenney tune redraw 37: the zombie's face 0.600 / 0.597 to the two
    women's prototypes, 0.53 to the zombie's) cannot tell which it is, and is no vote against its look."""
    order = np.argsort(-sims)
    if sims[order[0]] - sims[target] < lead_bar:
        return False
    return not one_identity or len(order) < 2 or sims[order[0]] - sims[order[1]] >= lead_bar
