"""A lone faceless look of a face identity's character: a view its face members never show (a drawn character seen
from behind) that no faceless group took. No Dagster.

Adoption's clear lead (clear_lead.py) asks a faceless row to be as close to the identity as its least-alike face
member: a drawn character's face members are a few near-identical sprites (0.89-0.93 alike in the adoption mix on
the Kenney tune films), so its back view (0.81, nearest it in the image embedding and the colours, 0.10 ahead of the
runner-up) stays noise. Waiving that bar at adoption time gives a character with no face identity to its nearest
one (the Kenney tune film's zombie: 3 rows into the female person's identity); after the faceless grouping such a
character's looks recur across shots and form a group of their own (faceless_groups.py, faceless_designs.py), so
what is still noise then is mostly a look seen once. It joins the face identity it clearly leads toward, every
other identity, faceless groups included, its rivals, unless a row still noise in another track is as alike to it as
that identity is: a character of its own whose looks did not group (the zombie's rows with ``faceless_design_join``
off lead toward the female person, yet its other shots' rows are nearer).

With ``lone_looks_join_faceless`` a faceless group adopts such a look too (a faceless character's view seen once),
but only a group no other identity's member and no face no identity took is nearest (the clear lead's impostors:
none at all). A faceless group is a look and nothing else, no face vouching for its members, so a look that rows of
other characters are nearest is a look several characters share, not one character's: on the cc0 image set, anime
grid portrait 3's three cut-outs are a group that 13 other portraits' loose faces are nearest, and a cut-out of
another image led toward it by 0.107, the impostors' best lead 0.103; the Kenney zombie's group (tune seed 11),
nearest no such row, takes the zombie's view seen once.
"""

from collections.abc import Callable
from typing import Any

import numpy as np

from assets.identities.clear_lead import clear_lead_targets, impostor_leads
from assets.identities.core import IdentityParams, member_prototypes, normalise


def row_tracks(track_ids: list[str] | None, rows: int) -> list:
    """Each row's track; a row with none (``track_ids`` None or "") is a track of its own."""
    return [(track_ids[k] if track_ids and track_ids[k] else ("row", k)) for k in range(rows)]


def prototype_closeness(space: np.ndarray, k: int, members: np.ndarray) -> float:
    """The cosine of row ``k`` to the mean of ``members`` in ``space`` (unit rows): how close it is to that
    identity's prototype."""
    return float(space[k] @ normalise(space[members].mean(axis=0, keepdims=True))[0])


def a_look_of_its_own(space: np.ndarray, k: int, peers: list[int], closeness: float) -> bool:
    """Whether one of ``peers`` (rows still noise, of other tracks) is at least ``closeness`` alike to row ``k`` in
    ``space``: a character of its own whose looks are not grouped yet, rather than the identity's."""
    return bool(peers) and float((space[peers] @ space[k]).max()) >= closeness


def looks_faces_lean_toward(space: np.ndarray, members: list[np.ndarray], others: np.ndarray) -> np.ndarray:
    """Per identity (``members``: its rows in ``space``, unit rows), whether a row not its member (another
    identity's member, or one of ``others``: faces no identity took) is nearest its prototype (``impostor_leads``:
    that row leads toward it)."""
    return impostor_leads(space, member_prototypes(space, members), members, others) > 0


def noise_rows_and_identities(labels: np.ndarray, faceless: list[int], identities: int
                              ) -> tuple[list[int], list[np.ndarray], list[int]]:
    """The ``faceless`` rows still noise, each identity's member rows, and the identities that have members."""
    rows = [k for k in faceless if labels[k] < 0]
    members = [np.flatnonzero(labels == index) for index in range(identities)]
    return rows, members, [index for index, m in enumerate(members) if m.size]


def lone_look_choices(labels: np.ndarray, space: np.ndarray, blocks: list[np.ndarray], identities: int,
                      faceless: list[int], loose_faces: list[int], margin: float, track_ids: list[str] | None,
                      may_adopt: Callable[[np.ndarray, list[np.ndarray], list[int], np.ndarray], list[bool]] | None
                      = None) -> list[tuple[int, int, float]]:
    """(row, identity, closeness) for each of the ``faceless`` rows still noise whose look names an identity on its
    own: ``clear_lead_targets`` with the least-alike bar waived (nearest it in ``space``, the adoption mix: unit
    rows, and in every one of ``blocks``, the image embedding and the colours, ahead of the runner-up by ``margin``
    and by more than any row not the identity's leads toward it, ``loose_faces`` still noise among those), unless a
    row still noise of another track (``track_ids``; None or "": a row is a track of its own), of ``faceless`` or
    ``loose_faces``, is at least as alike to it in ``space`` as the identity's prototype is (``a_look_of_its_own``).
    ``may_adopt(space, members, present, others)``: per identity with members, whether it may take such a row (None:
    every one). ``identities``: how many identities there are (labels 0..identities-1)."""
    rows, members, present = noise_rows_and_identities(labels, faceless, identities)
    if not rows or len(present) < 2:
        return []
    space = normalise(space)
    others = np.array([k for k in loose_faces if labels[k] < 0], dtype=np.int64)
    targets = clear_lead_targets(space, blocks, [members[i] for i in present], rows, others, margin,
                                 least_alike=False)
    adopts = may_adopt(space, members, present, others) if may_adopt is not None else [True] * len(present)
    unplaced = np.array(rows + [k for k in loose_faces if labels[k] < 0], dtype=np.int64)
    tracks = row_tracks(track_ids, len(labels))
    chosen = []
    for k, target in zip(rows, targets):
        if target < 0 or not adopts[target]:
            continue
        identity = present[target]
        closeness = prototype_closeness(space, k, members[identity])
        if a_look_of_its_own(space, k, [j for j in unplaced if tracks[j] != tracks[k]], closeness):
            continue
        chosen.append((k, identity, closeness))
    return chosen


def adopt_lone_looks(labels: np.ndarray, confidence: np.ndarray, space: np.ndarray, blocks: list[np.ndarray],
                     groups: list[dict[str, Any]], params: IdentityParams, faceless: list[int],
                     loose_faces: list[int], track_ids: list[str] | None = None) -> int:
    """The ``faceless`` rows (no face) still noise once the faceless groups are formed join the face identity
    ``clear_lead_targets`` names for them with the least-alike bar waived: nearest it in ``space`` (the adoption
    mix: unit rows) and in every one of ``blocks`` (the image embedding, the colours), ahead of the runner-up by
    ``appearance_margin`` and by more than any row not the identity's leads toward it. Every identity (faceless
    groups too) is a rival; only a face identity adopts (with ``lone_looks_join_faceless`` a faceless group too,
    where no row of another identity nor of ``loose_faces`` is nearest it). ``loose_faces``: rows whose face no
    identity took, the impostors of every identity. ``track_ids``: each row's track (None or "": a row is a track
    of its own); a row is refused where a row of another track, of ``faceless`` or ``loose_faces`` and still noise,
    is at least as alike to it in ``space`` as the identity's prototype is (``lone_look_choices``). Changes
    ``labels`` and ``confidence`` in place; returns how many rows joined."""

    def may_adopt(space: np.ndarray, members: list[np.ndarray], present: list[int], others: np.ndarray) -> list[bool]:
        adopts = [groups[i]["has_faces"] for i in present]
        if params.lone_looks_join_faceless:
            leaned_on = looks_faces_lean_toward(space, [members[i] for i in present], others)
            adopts = [faced or not leaned for faced, leaned in zip(adopts, leaned_on)]
        return adopts

    chosen = lone_look_choices(labels, space, blocks, len(groups), faceless, loose_faces, params.appearance_margin,
                               track_ids, may_adopt)
    for k, identity, closeness in chosen:  # decided on the labels before any of them joined
        labels[k], confidence[k] = identity, closeness
    return len(chosen)
