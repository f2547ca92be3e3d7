"""A faceless group made of one character's other views, beside that character's face identity: one drawn
character's looks split over two identities. No Dagster.

An image folder pairs two faceless rows left as noise into a group of their own (faceless_groups.pair_up), and a
film's faceless rows recur into groups: when those rows are a drawn character's back views, the group is a second
identity of the character its face identity already holds (the Kenney tune redraw 32: the female adventurer's two
back views, a group of their own beside her face identity; the view looks (view_looks.py) place only rows still
noise). The image embedding reads those views as another character's (session 30), the colours do not: a view
changes a drawn character's outline, not its palette.

Here a faceless group G (formed by the faceless pool: faceless rows, and faces no identity took) joins face identity
A, every member at once, when
1. in the colours G's prototype (the mean of its members) is nearest A among every other identity (faceless groups
   too), at least ``appearance_view_looks`` alike to A's prototype there, ahead of the runner-up by
   ``appearance_margin`` and by more than any row not A's (nor G's) leads toward A there (the clear lead's
   impostor bar: two designs of one palette);
2. each member of G is nearest A in the colours too (a group of two characters' views names two identities);
3. in the adoption mix G's prototype is nearest A, and in the image embedding A is at most ``appearance_margin``
   behind G's nearest (a view that reads as another character's, not another character);
4. no member of A shares a frame with a member of G (two rows of one frame are two characters), and G holds at most
   ``VIEW_SHARE`` (half) as many rows as A: a character's other views are a few of its looks, a faceless group as
   large as the identity is a design of its own (the colours alone do not tell her back views from a whole design
   of her palette: both 0.85 alike to the identity, tests/unit/test_identities_faceless_pool.py).
Only face identities take a group: two faceless groups of one palette are as likely two creatures of one colour
(the held-out creatures set's green fish, frog and slime) as two views of one. On the Kenney tune sets (the set and
redraws 31-42) the female adventurer's group is 0.856 alike to her identity in the colours, every other faceless
group (the robot's, cuts of the background's people) 0.67 at most to any face identity.
With ``appearance_view_group_members`` a group whose members are nearest two or more identities in the colours
(condition 2 unmet: both persons' back views paired on redraws 36 and 38) is taken member by member: each member
joins the face identity conditions 1, 3 and 4 name for it alone, and a member left alone in its group is noise
again. Decided on the labels before any group moved.
"""

from typing import Any

import numpy as np

from assets.identities.clear_lead import impostor_leads
from assets.identities.core import IdentityParams, member_prototypes, normalise
from assets.identities.view_looks import lead_of
from assets.identities.view_shapes import silhouette_agrees

VIEW_SHARE = 0.5   # a group joins an identity only when it holds at most this share of the identity's rows: a
                   # character's other views are fewer than its looks; a faceless group as large as the identity is
                   # a design of its own (a woman whose faces were not found, 8-10 looks, beside the face identity of
                   # the man of her body, 8-9: 0.85 alike in the colours, as her back views are to her own)


def join_view_groups(labels: np.ndarray, confidence: np.ndarray, space: np.ndarray, appearance: np.ndarray,
                     colours: np.ndarray, groups: list[dict[str, Any]], params: IdentityParams,
                     loose_faces: list[int], frame_ids: list | None = None,
                     shapes: np.ndarray | None = None) -> int:
    """Faceless groups (``groups[i]["has_faces"]`` false) join the face identity the module's rule names: ``space``
    the adoption mix, ``appearance`` the image embedding, ``colours`` the cut-outs' colours (rows aligned with
    ``labels``); ``loose_faces``: rows whose face no identity took (impostors of every identity). With
    ``params.appearance_view_group_members`` a group whose members name other identities (condition 2 unmet) is
    taken member by member: each joins the face identity conditions 1, 3 and 4 name for it alone, and a member left
    alone in its group is noise again. ``shapes``: the cut-outs' silhouettes, asked with
    ``params.appearance_view_shape`` (view_shapes.py). Changes ``labels`` and ``confidence`` in place; returns how
    many rows moved."""
    members = [np.flatnonzero(labels == index) for index in range(len(groups))]
    present = [index for index, m in enumerate(members) if m.size]
    faceless = [index for index in present if not groups[index]["has_faces"]]
    if not faceless or len(present) < 3:
        return 0
    blocks = [normalise(space), normalise(appearance), normalise(colours)]
    protos = [member_prototypes(block, [members[i] for i in present]) for block in blocks]
    loose = np.array([k for k in loose_faces if labels[k] < 0], dtype=np.int64)
    moves: list[tuple[list[int], int, float]] = []
    for g in faceless:
        others = [j for j in range(len(present)) if present[j] != g]
        candidates = [protos[b][others] for b in range(3)]
        impostors = impostor_leads(blocks[2], candidates[2], [members[present[j]] for j in others], loose)

        def named(rows: np.ndarray) -> tuple[int, float]:
            """The face identity ``rows`` (their prototype) join by conditions 1, 3 and 4 (-1: none), and the
            closeness in the mix."""
            mix_sims, image_sims, colour_sims = (candidates[b] @ member_prototypes(blocks[b], [rows])[0]
                                                 for b in range(3))
            target, best, lead = lead_of(colour_sims)
            identity = present[others[target]]
            if (not groups[identity]["has_faces"] or best < params.appearance_view_looks
                    or lead < params.appearance_margin or lead <= impostors[target]
                    or int(np.argmax(mix_sims)) != target
                    or image_sims[target] < image_sims.max() - params.appearance_margin):
                return -1, 0.0
            if len(rows) > VIEW_SHARE * len(members[identity]):
                return -1, 0.0
            if frame_ids is not None and {frame_ids[k] for k in rows} & {frame_ids[k] for k in members[identity]}:
                return -1, 0.0
            if not silhouette_agrees(shapes, rows, members[identity], params.appearance_view_shape):
                return -1, 0.0
            return identity, float(mix_sims[target])

        identity, closeness = named(members[g])
        nearest = [present[others[int(np.argmax(candidates[2] @ blocks[2][k]))]] for k in members[g]]
        if identity >= 0 and all(n == identity for n in nearest):
            moves.append((members[g].tolist(), identity, closeness))
        elif params.appearance_view_group_members and len(set(nearest)) > 1:
            taken = [(k, *named(np.array([k]))) for k in members[g]]
            taken = [(k, identity, closeness) for k, identity, closeness in taken if identity >= 0]
            left = [k for k in members[g] if k not in {t[0] for t in taken}]
            moves += [([k], identity, closeness) for k, identity, closeness in taken]
            if taken and len(left) == 1:
                moves.append((left, -1, 0.0))
    for rows, identity, closeness in moves:  # decided on the labels before any group moved
        confidence[rows] = closeness
        labels[rows] = identity
    return sum(len(rows) for rows, identity, _ in moves if identity >= 0)
