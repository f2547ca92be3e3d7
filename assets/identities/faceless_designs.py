"""A faceless design seen in several shots: the tracks density clustering left as noise join a faceless group, or
form one together, by their design (the image embedding and the colours, each). No Dagster.

On a drawn film a character no face detector finds (a zombie, a robot) is one tight look within a shot's key frames
and another in the next shot (another pose, another cut of the figure): the faceless grouping's mix, which weighs the
silhouette in, puts its shots 0.74-0.81 apart, each shot's looks form a group of one shot (dropped: one prop followed
through a shot always looks alike) and the character ends as noise. Its shots' tracks stay alike in the image
embedding and in the colours (0.79-0.87 each, on average over their rows) and far ahead of every identity found
(0.58 at most). Two designs of one body (Kenney's two adventurers) also reach 0.84 across shots, but each has a face
identity near it: a track joins only where it leads every other identity by ``faceless_design_lead``.
"""

from typing import Any

import numpy as np

from assets.identities.core import IdentityParams, medoid, normalise


def design_units(rows: list[int], track_ids: list[str] | None) -> list[list[int]]:
    """``rows`` gathered by track (one character's looks through a shot's key frames); a row without a track is a
    unit of its own. Units in order of their first row."""
    units: dict[Any, list[int]] = {}
    for k in sorted(rows):
        track = track_ids[k] if track_ids else None
        units.setdefault(track or ("row", k), []).append(k)
    return list(units.values())


def design_similarities(blocks: list[np.ndarray], sets: list[np.ndarray], others: list[np.ndarray]) -> np.ndarray:
    """(len(sets), len(others)) how alike sets of rows are in their design: the mean cosine between two sets' rows
    in each of ``blocks`` (unit rows; the product of the sets' mean rows), the least of those means (every block
    must agree: one colour on other shapes, one body in other colours). An empty set is alike nothing (-1)."""
    out = np.full((len(sets), len(others)), np.inf)
    for block in blocks:
        means = [np.stack([block[rows].mean(axis=0) if len(rows) else np.zeros(block.shape[1]) for rows in side])
                 if side else np.zeros((0, block.shape[1])) for side in (sets, others)]
        out = np.minimum(out, means[0] @ means[1].T)
    empty = np.array([not len(rows) for rows in others], dtype=bool)
    out[:, empty] = -1.0
    return out


def join_faceless_designs(labels: np.ndarray, confidence: np.ndarray, blocks: list[np.ndarray],
                          groups: list[dict[str, Any]], params: IdentityParams, pool: list[int],
                          track_ids: list[str] | None, shots: list | None, stats: dict[str, Any],
                          space: np.ndarray) -> None:
    """The ``pool`` rows still noise, by track (``design_units``), each linked to the faceless group or the track
    of another shot it is nearest in design (``design_similarities`` over ``blocks``: the image embedding and the
    colours) when at least ``faceless_design_join`` alike and ahead of every other identity (face identities and
    faceless groups) by ``faceless_design_lead``. Linked tracks join their group; linked tracks without a group
    form one when they hold 3 rows of ``faceless_min_shots`` shots (as a faceless group must); its prototype is the
    medoid in ``space`` (the faceless grouping's, where the other faceless groups' prototypes are). Changes
    ``labels``, ``confidence`` and ``groups`` in place."""
    bar = params.faceless_design_join
    units = design_units([k for k in pool if labels[k] < 0], track_ids)
    stats["faceless_design_joined"] = stats["faceless_design_groups"] = 0
    if bar is None or not units or shots is None:
        return
    blocks = [normalise(b) for b in blocks]
    identities = [np.flatnonzero(labels == index) for index in range(len(groups))]
    faceless = [index for index, group in enumerate(groups) if not group["has_faces"] and identities[index].size]
    unit_rows = [np.array(u) for u in units]
    to_identity = design_similarities(blocks, unit_rows, identities)
    unit_shots = np.array([str(shots[u[0]]) for u in units])  # a track lies within one shot
    # one shot's tracks apart are two characters, or one cut twice
    apart = unit_shots[:, None] != unit_shots[None, :]
    to_unit = np.where(apart, design_similarities(blocks, unit_rows, unit_rows), -1.0)
    choices = np.hstack([to_identity[:, faceless], to_unit])  # the faceless groups, then the other shots' tracks
    targets = [len(units) + g for g in faceless] + list(range(len(units)))
    parent = list(range(len(units) + len(groups)))  # units, then identities (only faceless ones are linked)

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i in range(len(units)):
        if not choices.shape[1]:
            break
        group = clear_faceless_group(to_identity[i], faceless, bar, params.faceless_design_lead)
        if group is not None:  # a group that names the track on its own, whatever track of another shot is nearer
            parent[root(i)] = root(len(units) + group)
            continue
        choice = int(np.argmax(choices[i]))
        best, target = float(choices[i, choice]), targets[choice]
        rivals = to_identity[i].copy()
        if target >= len(units):
            rivals[target - len(units)] = -1.0
        if best >= bar and best - rivals.max(initial=-1.0) >= params.faceless_design_lead:
            parent[root(i)] = root(target)
    members: dict[int, list[int]] = {}
    for i in range(len(units)):
        members.setdefault(root(i), []).append(i)
    for top, linked in members.items():
        rows = [k for i in linked for k in units[i]]
        group_ids = {top - len(units)} if top >= len(units) else set()
        if len(linked) < 2 and not group_ids:
            continue
        if group_ids:
            label = group_ids.pop()
            stats["faceless_design_joined"] += len(rows)
        elif len(rows) >= 3 and len({shots[k] for k in rows}) >= params.faceless_min_shots:
            label = len(groups)
            look = normalise(space[rows])
            centre = medoid(look)
            groups.append({"has_faces": False, "members": rows, "prototype_row": rows[centre], "space": "appearance",
                           "vector": look[centre], "prototype_faces": 0})
            stats["faceless_design_groups"] += 1
        else:
            continue
        for i in linked:
            for k in units[i]:
                labels[k], confidence[k] = label, float(choices[i].max())


def clear_faceless_group(to_identity: np.ndarray, faceless: list[int], bar: float, lead: float) -> int | None:
    """The faceless group a track is nearest in design when at least ``bar`` alike and ``lead`` ahead of every other
    identity, else None. Read before the tracks of other shots: a track as near another shot's track of the same
    character as to the group that track belongs to (the zombie's shot 0.8425 to a track, 0.8418 to its group,
    0.44 to every face identity) was linked to the track, and the group, counted among the track's rivals, refused
    it by a lead of 0.0007 (Kenney tune film 21: its 5 rows stayed noise)."""
    if not faceless:
        return None
    group = max(faceless, key=lambda g: to_identity[g])
    rivals = np.delete(to_identity, group)
    if to_identity[group] >= bar and to_identity[group] - rivals.max(initial=-1.0) >= lead:
        return group
    return None


def join_late_groups(labels: np.ndarray, confidence: np.ndarray, blocks: list[np.ndarray],
                     groups: list[dict[str, Any]], params: IdentityParams, pool: list[int],
                     track_ids: list[str] | None, late: list[int], frame_ids: list | None) -> int:
    """The design join once more for the faceless groups formed after it (``late``: one-shot groups, formed last):
    each ``pool`` track still noise joins the late group that names it on its own (``clear_faceless_group``: at
    least ``faceless_design_join`` alike in each of ``blocks``, ``faceless_design_lead`` ahead of every other
    identity) unless it shares a key frame (``frame_ids``) with the group's rows: a character shows once in a
    frame. The design join ran before these groups existed, and the character's tracks of other shots, each too
    far from the others' tracks (0.72-0.77) to link, read 0.80-0.87 to the group its one shot forms (Kenney tune
    film 23's zombie: 4 key frames of shot 1, 1 of shot 5 left noise beside its group of shot 8). Changes
    ``labels`` and ``confidence`` in place; returns the rows joined."""
    bar = params.faceless_design_join
    units = design_units([k for k in pool if labels[k] < 0], track_ids)
    if bar is None or not late or not units:
        return 0
    blocks = [normalise(b) for b in blocks]
    identities = [np.flatnonzero(labels == index) for index in range(len(groups))]
    to_identity = design_similarities(blocks, [np.array(u) for u in units], identities)
    joined = 0
    for unit, near in zip(units, to_identity):
        group = clear_faceless_group(near, late, bar, params.faceless_design_lead)
        if group is None or (frame_ids is not None
                             and {frame_ids[k] for k in unit} & {frame_ids[k] for k in identities[group]}):
            continue
        labels[unit], confidence[unit] = group, float(near[group])
        joined += len(unit)
    return joined
