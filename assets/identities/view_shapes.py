"""The silhouette's word on a join made on the colours: two drawn characters of one palette told apart by shape.
No Dagster.

The view looks (view_looks.py) and the view groups (view_groups.py) place a faceless row, or a faceless group, in the
identity its colours name: a view changes a drawn character's outline, not its palette. Creatures of one colour in
other designs pass that rule too (the held-out creatures set, session 30: a green fish, a frog and the block slime
joined a faceless group of green creatures, precision 0.916 -> 0.849). With ``appearance_view_shape`` set, such a
join also needs the cut-out's silhouette (appearance.shape_descriptor: the opaque pixels, box padded to a square,
left-right symmetric) to be at least that alike to the silhouette of one of the identity's members: one of the
character's own views must share its outline, as a flipped or re-posed sprite does.

On the Kenney tune image sets (session 32, h1) every join these two steps made is right and its silhouette is
0.90-0.95 alike to one of its identity's members for a whole figure, 0.58-0.86 for a part cut (mask IoU 0.35-0.72: a
robot's part, a pair's cut). Of arcade's item designs and characters (the wheel's sprites, 44 pairs of
kinds), 16 are under 0.5 at best (flags, keys, ladders against bodies and blobs), blob-like items of one size (gem,
star, coin) 0.55-0.70, bodies of one build (robot, zombie, a person) 0.96-0.98: the floor parts outlines of other
kinds only. It does not tell designs of one body apart (Kenney's persons and adventurers): those stay with the
colours' margins.
A row without a silhouette (an opaque crop: no alpha) is not asked.
"""

import numpy as np

from assets.identities.core import normalise


def silhouette_agrees(shapes: np.ndarray | None, rows, members, floor: float | None) -> bool:
    """Whether every row of ``rows`` (indices into ``shapes``) is at least ``floor`` alike in the silhouette to one of
    ``members`` (their nearest). True where ``floor`` is None (off), there are no ``shapes``, or a row or every
    member has none (a zero silhouette: an opaque crop)."""
    if floor is None or shapes is None:
        return True
    members = [j for j in members if np.any(shapes[j])]
    if not members:
        return True
    outlines = normalise(shapes[members])
    for k in rows:
        if np.any(shapes[k]) and float((outlines @ normalise(shapes[[k]])[0]).max()) < floor:
            return False
    return True
