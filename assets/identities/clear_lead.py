"""Faceless looks under an identity's appearance floor that still clearly belong to it: a character's back view is
further from its identity than its faced looks are from each other (the floor), yet nearer it than any other identity,
by more than any instance known not to be the character leads toward it. No Dagster.
"""

import numpy as np

from assets.identities.appearance import held_out_similarities
from assets.identities.core import member_prototypes, normalise


def clear_lead_targets(space: np.ndarray, blocks: list[np.ndarray], members: list[np.ndarray],
                       faceless: list[int], others: np.ndarray, margin: float, least_alike: bool = True,
                       others_named: np.ndarray | None = None) -> np.ndarray:
    """For each of the ``faceless`` rows, the identity it clearly belongs to (-1: none). A row belongs to identity A
    when, in the adoption ``space`` (the mix of the image embedding and the cut-outs' colours: unit rows),
    1. A is its nearest identity prototype, and it is nearest A in every one of ``blocks`` too (the image embedding
       and the colours, each against its own per-identity prototype; none given: ``space``): they agree;
    2. it is at least as close to A as A's least-alike face member is to the mean of the others (the held-out
       minimum; the identity's floor is a quantile of these); and
    3. it leads the runner-up identity by ``margin`` and by more than any instance seen with a face and not A's
       member (another identity's member, or ``others``: faces no identity took) leads toward A: a portrait
       whose loose faces are all nearest one identity, by 0.25, is no identity whose looks can be told by
       appearance alone.
    ``members``: each identity's row indices in ``space``. Needs two identities (a lead needs a runner-up).
    ``least_alike`` False: condition 2 waived (lone_looks.py: a look no faceless group took). ``others_named``: per
    row of ``others``, the identity it is taken to be (-1: none, the default): no impostor toward that one."""
    out = np.full(len(faceless), -1, dtype=np.int64)
    if len(members) < 2 or not faceless:
        return out
    blocks = blocks or [space]
    protos = member_prototypes(space, members)
    sims = space[faceless] @ protos.T
    block_nearest = [(normalise(block[faceless]) @ member_prototypes(normalise(block), members).T).argmax(axis=1)
                     for block in blocks]
    bars_in = ([float(held_out_similarities(space[m]).min()) for m in members] if least_alike
               else [-1.0] * len(members))
    bars = impostor_leads(space, protos, members, others, others_named)
    for j in range(len(faceless)):
        order = np.argsort(-sims[j])
        target, best, lead = int(order[0]), sims[j, order[0]], sims[j, order[0]] - sims[j, order[1]]
        if (all(nearest[j] == target for nearest in block_nearest) and best >= bars_in[target]
                and lead >= margin and lead > bars[target]):
            out[j] = target
    return out


def impostor_leads(space: np.ndarray, protos: np.ndarray, members: list[np.ndarray], others: np.ndarray,
                   others_named: np.ndarray | None = None) -> np.ndarray:
    """Per identity, the largest lead over the runner-up that an instance seen with a face and not its member
    shows toward it (0 where none is nearest it). ``others_named``: per row of ``others``, an identity it counts
    toward as a member does (-1: none; None: all -1)."""
    rows = np.concatenate(members + [others]).astype(np.int64)
    named = np.full(len(others), -1) if others_named is None else np.asarray(others_named, dtype=np.int64)
    owner = np.concatenate([np.full(len(m), i) for i, m in enumerate(members)] + [named])
    similarities = space[rows] @ protos.T
    nearest = similarities.argmax(axis=1)
    ranked = np.sort(similarities, axis=1)
    leads = ranked[:, -1] - ranked[:, -2]
    bars = np.zeros(len(members))
    for r in range(len(rows)):
        if nearest[r] != owner[r]:
            bars[nearest[r]] = max(bars[nearest[r]], leads[r])
    return bars
