"""A look a track carried into another character's identity, returned to the identity it clearly is. No Dagster.

Key frames are sparse, so two drawn characters that cross in a shot swap or share a track: the track's clear faces
vote it to one character (the female person), and the other character's rows on it (the female adventurer walking
past her, a faceless zombie after a cut-out that took in both) inherit that identity. ``track_inherit_look`` lets
a row inherit only when it looks like one of the track's voters at ``appearance_threshold`` (0.6), a bar every two
drawn characters pass in the image embedding; and the tracks decide before the faceless groups exist, so a faceless
character's look has nothing to be compared with then. Once the faceless groups are formed, a carried row that
shows no face of its own and whose look is plainly another identity's is moved there: nearer that identity's
members than the carrying identity's face members by ``appearance_margin`` in the adoption mix and in the colours,
the image embedding at most that margin behind (as ``appearance_view_looks`` asks: it reads a drawn character's
other view as another's). Kenney tune films,
seeds 7, 11, 25 and 26 (mean cosines, carrier -> own identity): the zombie's two cuts after a merged cut 0.64-0.67 ->
0.85 in the mix, 0.52-0.59 -> 0.81-0.83 in the colours; the robot's cuts 0.51-0.75 -> 0.77-0.90, colours 0.29-0.66
-> 0.76-0.94, the image embedding 0.04 behind to 0.11 ahead; the female adventurer's two 0.69-0.75 -> 0.81-0.89.
Every row a track carried into its own character's identity is nearer that identity in the mix; the zombie's cuts
merged with the female person (0.04 ahead at most in the mix) and a row whose target holds a row of its frame stay.
A row with a face of its own is left to it: on Penny & Chip, the two children's faced rows moved by their looks cost
the held-out even shots 1.000 -> 0.972.
"""

from typing import Any

import numpy as np

from assets.identities.adopted_faceless_looks import mean_cosines
from assets.identities.core import IdentityParams, normalise


def return_inherited_looks(labels: np.ndarray, confidence: np.ndarray, by: list[str], groups: list[dict[str, Any]],
                           space: np.ndarray, image_rows: np.ndarray, colour_rows: np.ndarray, face_labels: np.ndarray,
                           params: IdentityParams, faceless: list[int], frame_ids: list | None = None,
                           released_from: dict[int, int] | None = None) -> int:
    """Each of the ``faceless`` rows (no face of its own: a row with one is left to its face, ``face_veto``) that a
    track carried into a face identity A (``by == "track"``) moves to the other identity B it is nearest on average
    in ``space`` (the adoption mix) when B's rows are at least ``appearance_threshold`` alike to it there and
    nearer it on average than A's face members by ``appearance_margin`` there and in the colours
    (``colour_rows``), the image embedding (``image_rows``) putting B at most that margin behind A (it reads a drawn
    character's other view as another character's, as ``appearance_view_looks`` says), and no row of B shares its
    frame (``frame_ids``; two rows of one frame are two characters). ``released_from``: rows the track carried
    into A that ``track_release_designs`` then released as another design (row -> A); those still noise are
    weighed as carried rows are, and move only where a row released with them from A already went, one nearer them
    than A's face members (session 48: a faceless cut of the female person released with her half cuts from the
    female adventurer's identity had no other way back to hers; a faceless character's released rows, whose own
    group forms later, stay). B's rows: a face identity's face members
    (``face_labels``: the labels before adoption), a faceless group's members. ``by`` becomes ``appearance``.
    Decided on the labels before any row moves. Changes ``labels``, ``confidence`` and ``by`` in place; returns how
    many rows moved."""
    space, image_rows, colour_rows = normalise(space), normalise(image_rows), normalise(colour_rows)
    rows_of = [np.flatnonzero(face_labels == index) if group["has_faces"] else np.flatnonzero(labels == index)
               for index, group in enumerate(groups)]
    margin = params.appearance_margin
    moves = []
    for k in faceless:
        carrier = int(labels[k])
        if by[k] != "track":   # a row released from its carrier as another design (still noise) is carried too
            carrier = (released_from or {}).get(k, -1) if carrier < 0 else -1
        if carrier < 0 or not groups[carrier]["has_faces"] or not rows_of[carrier].size:
            continue
        others = [index for index in range(len(groups)) if index != carrier and rows_of[index].size]
        if not others:
            continue
        to_others = mean_cosines(space, k, [rows_of[index] for index in others])
        choice = int(np.argmax(to_others))
        target, own = others[choice], rows_of[carrier]
        lead = {name: float(mean_cosines(block, k, [rows_of[target]])[0] - mean_cosines(block, k, [own])[0])
                for name, block in (("mix", space), ("image", image_rows), ("colours", colour_rows))}
        if (to_others[choice] < params.appearance_threshold or lead["mix"] < margin or lead["colours"] < margin
                or lead["image"] < -margin):
            continue
        if by[k] != "track" and not any(released_from.get(j) == carrier and labels[j] == target
                                        and float(space[j] @ space[k]) > float(mean_cosines(space, k, [own])[0])
                                        for j in released_from if j != k):
            continue   # a released row follows a row of its own design (nearer it than A's face members) to B
        if frame_ids is not None and any(frame_ids[j] == frame_ids[k] for j in np.flatnonzero(labels == target)
                                         if j != k):
            continue
        moves.append((k, target, float(to_others[choice])))
    for k, target, closeness in moves:
        labels[k], confidence[k], by[k] = target, closeness, "appearance"
    return len(moves)
