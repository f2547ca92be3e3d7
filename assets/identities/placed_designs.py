"""The designs among the rows an identity holds by look alone, one group per design. No Dagster.

A face identity's look-placed rows (adopted, or carried in by a track) can hold more than one other character: on
Kenney held-out film 59 the female adventurer's identity held a robot's four cuts, the female person's two half cuts
and a third cut of hers, and the adventurer's own cuts. Asking each row whether it is more alike the mean of all the
other placed rows than the face members mixes those characters: one more unlike row (a small cut of the adventurer,
kept once h64's head fills joined her hair) lowered a half cut's mean to the others from 0.72 to 0.69, under its
0.71 to her face members, so the half cuts were no longer released and stayed in the adventurer's identity.
Grouping the placed rows first, and asking the question of each group, lets another character's rows count only for
themselves.
"""

import numpy as np


def placed_designs(linked: np.ndarray, faced: np.ndarray, placed: np.ndarray) -> list[np.ndarray]:
    """The ``placed`` rows grouped by average linkage in ``linked`` (unit rows): two groups merge, the most alike
    pair first, while they are more alike each other on average than either is to the ``faced`` rows (the
    identity's face members) on average. The merge bar is the rule's own question, asked of groups: no new
    threshold. Returns the groups (arrays of row numbers), in the order of their first row."""
    to_faced = (linked[placed] @ linked[faced].T).mean(axis=1)
    alike = linked[placed] @ linked[placed].T
    groups = [[i] for i in range(len(placed))]
    while len(groups) > 1:
        best = None
        for a in range(len(groups)):
            for b in range(a + 1, len(groups)):
                link = float(alike[np.ix_(groups[a], groups[b])].mean())
                bar = max(float(to_faced[groups[a]].mean()), float(to_faced[groups[b]].mean()))
                if link > bar and (best is None or link > best[0]):
                    best = (link, a, b)
        if best is None:
            break
        _, a, b = best
        groups[a] += groups.pop(b)
    return [placed[sorted(group)] for group in sorted(groups, key=min)]
