"""Rows a track left behind: once every later rule has run, a row still noise joins the identity its track's placed
rows all hold, where its cut-out looks like theirs. No Dagster.

The track step hands a track's identity to its rows early, from the faces and adoptions known then; the rows the
faceless grouping, the design join and the lone looks place come later, one by one, and each is placed only where it
clears that rule's bar on its own. A character's track through a shot then ends part placed, part noise: Kenney tune
film 27's female person, 1 of 7 rows of shot 3 in her identity and 6 noise (each 0.71-0.77 alike to her identity,
0.02-0.06 ahead of the zombie's: no clear lead), tune 5's zombie, 2 of 6 rows of shot 6 placed. Those noise rows are
0.88-0.95 alike to the track's own placed rows, moments apart in the same shot. A track that crosses two characters
(a robot's rows and a zombie's, the female adventurer's face with the male adventurer's rows) is not that alike to
its placed rows (0.45-0.75), nor are the unlabelled fragments riding a character's track (0.17-0.81, the one above
0.8 in a key frame of that identity). The cost: a track the adoption put in a look-alike's identity (tune 11's male
adventurer in the female person's) pulls its rest after it.
"""

import numpy as np

from assets.identities.core import normalise
from assets.identities.faceless_designs import design_similarities, design_units
from assets.identities.lone_looks import lone_look_choices


def placed_track_identity(rows: list[int], labels: np.ndarray) -> int | None:
    """The identity every placed row of ``rows`` (one track) holds; None where none is placed or they disagree."""
    held = {int(labels[k]) for k in rows if labels[k] >= 0}
    return held.pop() if len(held) == 1 else None


def clear_look_identities(labels: np.ndarray, space: np.ndarray, blocks: list[np.ndarray], faceless: list[int],
                          loose_faces: list[int], margin: float, track_ids: list[str] | None) -> dict[int, int]:
    """Row -> identity for the ``faceless`` rows still noise whose look names one on its own, as a lone look's must
    (``lone_looks.lone_look_choices``: nearest it in ``space``, the adoption mix, and in each of ``blocks``, ahead
    of the runner-up by ``margin`` and of every row not its own, ``loose_faces`` among them; the least-alike bar
    waived; no row still noise of another track of ``track_ids`` as alike to it: a character of its own, with no
    identity, whose look-alike's identity is merely its nearest). Every identity, faceless groups too, may be
    named."""
    chosen = lone_look_choices(labels, space, blocks, int(labels.max(initial=-1)) + 1, faceless, loose_faces, margin,
                               track_ids)
    return {k: identity for k, identity, _ in chosen}


def join_placed_tracks(labels: np.ndarray, confidence: np.ndarray, by: list[str], blocks: list[np.ndarray],
                       track_ids: list[str] | None, frame_ids: list | None, bar: float | None,
                       looks_named: dict[int, int] | None = None) -> int:
    """Each row still noise joins the identity all its track's placed rows hold (``placed_track_identity``) where it
    is at least ``bar`` alike to those rows (``design_similarities`` over ``blocks``: the image embedding and the
    colours, each), or where its look names that identity on its own (``looks_named``: row -> the identity its
    look clearly leads toward, ``clear_look_identities``), and its key frame (``frame_ids``) holds no row of that
    identity (a character shows once in a frame). Decided on the labels before any row joins. Changes ``labels``,
    ``confidence`` and ``by`` (``track``) in place; returns how many rows joined."""
    if bar is None or not track_ids or frame_ids is None:
        return 0
    blocks = [normalise(b) for b in blocks]
    named = looks_named or {}
    joins = []
    for rows in design_units(list(range(len(track_ids))), track_ids):  # a row of no track: a unit of its own
        identity = placed_track_identity(rows, labels)
        noise = [k for k in rows if labels[k] < 0]
        if identity is None or not noise:
            continue
        placed = np.array([k for k in rows if labels[k] == identity])
        taken = {frame_ids[k] for k in np.flatnonzero(labels == identity)}
        alike = design_similarities(blocks, [np.array([k]) for k in noise], [placed])[:, 0]
        joins += [(k, identity, float(s)) for k, s in zip(noise, alike)
                  if (s >= bar or named.get(k) == identity) and frame_ids[k] not in taken]
    for k, identity, similarity in joins:
        labels[k], confidence[k], by[k] = identity, similarity, "track"
    return len(joins)
