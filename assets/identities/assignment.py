"""Who is who, the assignment half: instances with a face are clustered (core.py), prototypes come from gated
faces, loose faces join by prototype, tracks give their clear faces' identity to the rest of the track, faceless
instances are placed by appearance or grouped among themselves. No Dagster.

Every kept instance ends in exactly one row of ``instance_identities``: an identity found from faces
(``by = face``), one whose prototype its face is close to, alone or with the agreeing faces of its track
(``by = prototype``), the identity of its track's clear
faces (``by = track``), an identity it resembles closely in appearance (``by = appearance``), a faceless group
clustered among the faceless (``by = appearance``, identity with ``has_faces = false``), or ``noise``.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from assets.identities.adopted_faceless_looks import return_adopted_looks
from assets.identities.appearance import with_colours, with_shapes
from assets.identities.appearance_adoption import adopt_by_appearance
from assets.identities.faced_faceless_looks import faced_rows_to_faceless_groups
from assets.identities.faceless_designs import join_faceless_designs, join_late_groups
from assets.identities.faceless_groups import group_faceless, one_shot_groups, release_other_designs
from assets.identities.grey_faces import join_grey_faces
from assets.identities.inherited_designs import release_inherited_designs
from assets.identities.inherited_looks import return_inherited_looks
from assets.identities.core import (NOISE, IdentityParams, cluster, normalise, relabel_by_size,
                                    shot_min_cluster_size)
from assets.identities.design_split import split_by_gap
from assets.identities.lone_looks import adopt_lone_looks
from assets.identities.merged_cuts import split_placing_merged_cuts
from assets.identities.one_look_clusters import join_clusters_of_one_look
from assets.identities.placed_tracks import clear_look_identities, join_placed_tracks
from assets.identities.loose_face_looks import adopt_loose_faces, join_agreeing_loose_faces, join_clear_loose_looks
from assets.identities.prototypes import (detector_prototype_similarities, join_by_calibrated_lead,
                                          join_by_prototype, merge_by_prototype, prototype, stability)
from assets.identities.shared_frames import conflicts, face_conflicts, keep_joins_apart, split_shared_frames
from assets.identities.track_faces import join_agreeing_track_faces
from assets.identities.track_merges import tracks_cut_at_merges
from assets.identities.tracks import (TrackParams, decide_tracks, face_leans, link_tracks, rows_linked_after_a_wait,
                                      veto_contradicted_inheritance)
from assets.identities.view_groups import join_view_groups
from assets.identities.view_looks import join_view_looks


SHARED_FRAME_NOTE = ("its face was nearest an identity that already holds another face of its frame (two faces of "
                     "one frame are two characters)")
SHARED_FRAME_PAIR_NOTE = ("its face shares a frame with a more typical face of its cluster that parts from it only deep "
                          "inside the cluster (one design drawn twice on a frame): the cluster was kept whole and this "
                          "face left out (shared_frame_cut proportionate)")

MERGED_CUT_NOTE = ("its face named another part of the design split than its cut-out's colours (a merged cut: one "
                   "character's cut, another's face): it was left out of the split and placed by its colours")


@dataclass
class Assignment:
    """Per-instance result before ids are stable: ``label`` indexes ``groups``; -1 is noise. ``stability`` is
    cos(face, the identity's face prototype) (NaN without a face or identity); ``track_ids`` "" without tracks."""

    instance_ids: list[str]
    labels: np.ndarray
    confidence: np.ndarray
    by: list[str]
    groups: list[dict[str, Any]]   # {"has_faces", "members" (row indices), "prototype_row", "space", "vector",
                                   #  "prototype_faces" (faces that shaped the prototype)}
    stats: dict[str, Any]
    stability: np.ndarray | None = None
    track_ids: list[str] | None = None
    notes: dict[str, str] | None = None   # instance id -> why it may end as noise, where the reasons' rules cannot tell


def assign_identities(instance_ids: list[str], face_vectors: dict[str, np.ndarray],
                      appearance: np.ndarray | None, params: IdentityParams,
                      face_quality: dict[str, tuple[float, bool]] | None = None,
                      boxes: pl.DataFrame | None = None, track_params: TrackParams | None = None,
                      face_detectors: dict[str, str] | None = None, colours: np.ndarray | None = None,
                      shapes: np.ndarray | None = None, face_boxes: dict[str, tuple] | None = None,
                      layouts: np.ndarray | None = None) -> Assignment:
    """Cluster instances with a face; prototypes from gated faces; loose faces join by prototype; tracks give their
    clear faces' identity to the rest of the track; other faceless instances are placed by appearance, else grouped
    among themselves.

    ``appearance``: (len(instance_ids), D) unit vectors, or None. ``face_quality``: instance -> (quality, passes
    the gate) of its face (absent: every face counts as gated with quality 1). ``boxes``: a table aligned with
    ``instance_ids`` (shot, timestamp_s, frame_id, x0..y1) to link tracks; None: no tracks. ``face_detectors``:
    instance -> the detector that found its face (per-detector prototypes, ``params.prototype_per_detector``).
    ``colours``: (len(instance_ids), C) colour descriptors of the cut-outs, joined to ``appearance`` by
    ``params.appearance_colour_weight`` where a faceless instance is adopted by a face identity; None: not used.
    ``shapes``: (len(instance_ids), S) silhouettes of the cut-outs (appearance.shape_descriptor), joined by
    ``params.faceless_shape_weight`` where faceless instances are grouped among themselves; None: not used.
    ``face_boxes``: instance -> its face's box (``shared_frames.face_boxes_of``): two instances of one frame whose
    faces overlap are one face cut twice, not two characters (``shared_frames.conflicts``); None: not used.
    ``layouts``: (len(instance_ids), G) colour layouts of the cut-outs (appearance.cutout_vectors or layout_rows, zero where not
    read), where a face cluster is cut in two by ``params.split_layout_gap``; None: not used."""
    n = len(instance_ids)
    quality = face_quality or {}
    labels = np.full(n, -1, dtype=np.int64)
    confidence = np.zeros(n, dtype=np.float32)
    by = ["face" if i in face_vectors else "appearance" for i in instance_ids]
    with_face = [k for k, i in enumerate(instance_ids) if i in face_vectors]
    stats: dict[str, Any] = {"instances": n, "with_face": len(with_face), "faceless": n - len(with_face)}
    face_unit = np.zeros((n, 0), dtype=np.float32)
    face_sims = np.zeros((n, 0), dtype=np.float32)
    prototypes = np.zeros((0, 0), dtype=np.float32)
    groups: list[dict[str, Any]] = []
    notes: dict[str, str] = {}

    if with_face:
        x = normalise(np.stack([face_vectors[instance_ids[k]] for k in with_face]))
        face_unit = np.zeros((n, x.shape[1]), dtype=np.float32)
        face_unit[with_face] = x
        q = np.array([quality.get(instance_ids[k], (1.0, True))[0] for k in with_face], dtype=np.float64)
        gated = np.array([quality.get(instance_ids[k], (1.0, True))[1] for k in with_face], dtype=bool)
        by_shots = (shot_min_cluster_size(boxes["frame_id"].gather(with_face).to_list(),
                                          boxes["shot"].gather(with_face).to_list(), params.min_cluster_shots)
                    if boxes is not None and {"frame_id", "shot"} <= set(boxes.columns) else None)
        face_labels, strength, info = cluster(x, params, min(params.min_cluster_size, by_shots or 10**9))
        info["min_cluster_size_by_shots"] = by_shots
        face_shots = (np.array(boxes["shot"].gather(with_face).to_list(), dtype=object)
                      if boxes is not None and "shot" in boxes.columns else None)
        face_frames = (np.array(boxes["frame_id"].gather(with_face).to_list(), dtype=object)
                       if face_shots is not None and "frame_id" in boxes.columns else None)
        face_colours = normalise(colours[with_face]) if colours is not None else None
        def split(clusters: np.ndarray) -> tuple[np.ndarray, int]:
            return split_by_gap(
                x, clusters, params.split_gap, info.get("min_cluster_size", params.min_cluster_size),
                face_colours, params.split_colour_gap,
                link_colour_weight=params.split_link_colour_weight, shots=face_shots,
                min_part_shots=params.split_min_shots, frames=face_frames,
                layouts=layouts[with_face] if layouts is not None else None, layout_gap=params.split_layout_gap,
                minor_gaps=(None if params.split_minor_gap is None or params.split_minor_colour_gap is None
                            else (params.split_minor_gap, params.split_minor_colour_gap)))

        face_labels, info["clusters_split_by_gap"], merged_cuts = split_placing_merged_cuts(
            split, face_labels, x, face_colours, _merged_cut_gaps(params))
        info["merged_cut_faces_placed_by_colours"] = len(merged_cuts)
        notes.update({instance_ids[with_face[j]]: MERGED_CUT_NOTE for j in merged_cuts})
        if info["clusters_split_by_gap"]:
            face_labels = relabel_by_size(face_labels)
        shared_frames = face_conflicts(boxes, with_face, face_boxes)
        face_labels, info["clusters_cut_by_shared_frames"], left_out = split_shared_frames(
            x, face_labels, shared_frames, info.get("min_cluster_size", params.min_cluster_size),
            params.shared_frame_part_faces, params.shared_frame_cut)
        info["faces_left_out_by_shared_frames"] = len(left_out)
        notes.update({instance_ids[with_face[j]]: SHARED_FRAME_PAIR_NOTE for j in left_out})
        if params.face_clusters_join_by_look:
            face_labels, info["clusters_joined_by_look"] = join_clusters_of_one_look(
                face_labels, appearance[with_face] if appearance is not None else None,
                colours[with_face] if colours is not None else None,
                layouts[with_face] if layouts is not None else None, face_frames,
                (params.split_gap, params.split_colour_gap, params.split_layout_gap))
        strength = np.where(face_labels >= 0, strength, 0.0).astype(np.float32)
        stats["face_clustering"] = info
        stats["gated_faces"] = int(gated.sum())
        face_labels, proto_rows, counts, merged = _prototype_groups(x, face_labels, gated, q, params)
        stats["merged_by_prototype"] = merged
        prototypes = x[proto_rows] if proto_rows else np.zeros((0, x.shape[1]), dtype=np.float32)
        clustered = face_labels.copy()
        face_labels, joined_similarity, joined = join_by_prototype(
            x, face_labels, prototypes, params.prototype_threshold, params.prototype_margin)
        stats["joined_by_prototype"] = joined
        detectors = [((face_detectors or {}).get(instance_ids[k]) or "") if params.prototype_per_detector else ""
                     for k in with_face]   # a null detector is an unknown one: the overall prototypes serve
        sims = detector_prototype_similarities(x, face_labels, gated, q, detectors, prototypes)
        face_sims = np.full((n, len(prototypes)), np.nan, dtype=np.float32)
        face_sims[with_face] = sims
        if params.join_lead_quantile is not None:
            face_labels, lead_similarity, stats["joined_by_lead"] = join_by_calibrated_lead(
                sims, face_labels, params.join_lead_quantile)
            joined_similarity = np.maximum(joined_similarity, lead_similarity)
        face_labels, undone = keep_joins_apart(clustered, face_labels, joined_similarity, shared_frames)
        stats["joins_undone_by_shared_frames"] = len(undone)
        for j in undone:   # a face the proportionate cut left out keeps that reason: it is why it was loose
            notes.setdefault(instance_ids[with_face[j]], SHARED_FRAME_NOTE)
        joined_similarity = np.where(face_labels >= 0, joined_similarity, 0.0).astype(np.float32)
        for j, k in enumerate(with_face):
            labels[k] = face_labels[j]
            confidence[k] = joined_similarity[j] if joined_similarity[j] > 0 else strength[j]
            if joined_similarity[j] > 0:
                by[k] = "prototype"
        for label, row in enumerate(proto_rows):
            groups.append({"has_faces": True, "members": [], "prototype_row": with_face[row], "space": "face",
                           "vector": x[row], "prototype_faces": counts[label]})

    adoption_space = (with_colours(appearance, colours, params.appearance_colour_weight) if appearance is not None
                      else None)
    look_blocks = [b for b in (appearance, colours) if b is not None]  # the parts the adoption mix is made of
    face_labels_before_adoption = labels.copy()
    remaining, adopted = adopt_by_appearance(labels, confidence, adoption_space, groups, params,
                                             [k for k in range(n) if instance_ids[k] not in face_vectors],
                                             look_blocks)
    single_frames = (boxes is not None and {"frame_id", "shot"} <= set(boxes.columns) and boxes.height > 0
                     and boxes.group_by("shot").agg(pl.col("frame_id").n_unique())["frame_id"].max() == 1)
    pairs_allowed = params.faceless_pair_similarity is not None and single_frames
    if params.appearance_release_designs and appearance is not None and colours is not None:
        left = set(remaining)
        released = release_other_designs(
            normalise(appearance), normalise(colours), labels,
            [k for k in range(n) if instance_ids[k] not in face_vectors and k not in left and labels[k] >= 0],
            params, 2 if pairs_allowed else 3)
        labels[released], confidence[released] = -1, 0.0
        remaining, adopted = sorted(remaining + released), adopted - len(released)
        stats["adoptions_released_as_designs"] = len(released)
    stats["faceless_adopted"] = adopted
    track_ids = None
    inherit_look = params.appearance_threshold if params.track_inherit_look else None
    track_params = track_params or TrackParams(enabled=params.tracks, vote_share=params.track_vote_share,
                                               min_inherit_look=inherit_look,
                                               merge_area_ratio=params.track_merge_area_ratio,
                                               min_link_look=params.appearance_threshold if params.track_link_look
                                               else None)
    if boxes is not None and track_params.enabled and n:
        labels, confidence, track_ids = _decide_by_tracks(labels, confidence, by, boxes, appearance, face_unit,
                                                          prototypes, params.max_distance, instance_ids, quality,
                                                          track_params, stats, adoption_space)
        if track_params.face_veto:
            stats["track_vetoed_by_face"] = veto_contradicted_inheritance(labels, confidence, by, face_sims,
                                                                          track_params.lean_margin)
        remaining = [k for k in remaining if labels[k] < 0]
    released_from: dict[int, int] = {}   # a released row a track had carried -> the identity it carried it into
    if params.track_release_designs and appearance is not None and colours is not None:
        carried_by, carried_to = list(by), labels.copy()
        released = release_inherited_designs(labels, confidence, by, [i in face_vectors for i in instance_ids],
                                             appearance, colours, params, 2 if pairs_allowed else 3)
        remaining = sorted(set(remaining) | {k for k in released if instance_ids[k] not in face_vectors})
        stats["inherited_released_as_designs"] = len(released)
        released_from = {k: int(carried_to[k]) for k in released if carried_by[k] == "track"}
    if params.appearance_adopts_loose_faces:
        stats["loose_faces_adopted"] = adopt_loose_faces(
            labels, confidence, by, face_labels_before_adoption, adoption_space, groups, params,
            [k for k in with_face if labels[k] < 0], look_blocks, face_sims)
    frame_ids = boxes["frame_id"].to_list() if boxes is not None and "frame_id" in boxes.columns else None
    if params.loose_face_look_agrees and adoption_space is not None and params.join_lead_quantile is not None:
        stats["loose_faces_agreeing"] = join_agreeing_loose_faces(
            labels, confidence, by, face_labels_before_adoption, adoption_space, look_blocks, face_sims,
            [k for k in with_face if labels[k] < 0], params, frame_ids)
    if params.loose_face_clear_looks and adoption_space is not None and params.join_lead_quantile is not None:
        stats["loose_faces_clear_looks"] = join_clear_loose_looks(
            labels, confidence, by, face_labels_before_adoption, adoption_space, look_blocks, face_sims,
            [k for k in with_face if labels[k] < 0], params, frame_ids, track_ids,
            np.array([quality.get(i, (1.0, True))[1] for i in instance_ids], dtype=bool))
    loose_faces = [k for k in with_face if labels[k] < 0] if params.faceless_with_loose_faces else []
    shots = boxes["shot"].to_list() if boxes is not None and "shot" in boxes.columns else None
    faceless_space = (with_shapes(with_colours(appearance, colours, params.faceless_colour_weight), shapes,
                                  params.faceless_shape_weight) if appearance is not None else None)
    pool = sorted(remaining + loose_faces)
    by_shots = (shot_min_cluster_size(boxes["frame_id"].gather(pool).to_list(), [shots[k] for k in pool],
                                      params.min_cluster_shots)
                if params.faceless_min_cluster_shots and shots is not None and "frame_id" in boxes.columns else None)
    one_shot = group_faceless(labels, confidence, faceless_space, groups, params, pool, stats, shots,
                              [b for b in (appearance, colours, shapes) if b is not None], single_frames,
                              (appearance, colours), by_shots)
    before_design_join = len(groups)
    if appearance is not None and colours is not None:
        join_faceless_designs(labels, confidence, [appearance, colours], groups, params, pool, track_ids, shots, stats,
                              faceless_space)
    if params.adopted_looks_follow_faceless and adoption_space is not None:
        stats["adopted_looks_returned"] = return_adopted_looks(
            labels, confidence, by, groups, adoption_space, look_blocks, face_labels_before_adoption,
            [k for k in range(n) if instance_ids[k] not in face_vectors], params, frame_ids)
    if params.appearance_lone_looks and adoption_space is not None:
        stats["lone_looks_adopted"] = adopt_lone_looks(
            labels, confidence, adoption_space, look_blocks, groups, params,
            [k for k in pool if instance_ids[k] not in face_vectors], [k for k in with_face if labels[k] < 0],
            track_ids)
    if params.appearance_view_looks is not None and adoption_space is not None and colours is not None:
        stats["view_looks_joined"] = join_view_looks(
            labels, confidence, adoption_space, appearance, colours, groups, params,
            [k for k in pool if instance_ids[k] not in face_vectors], [k for k in with_face if labels[k] < 0],
            track_ids, frame_ids, shapes)
    if (params.appearance_view_groups and params.appearance_view_looks is not None and adoption_space is not None
            and colours is not None):
        stats["view_groups_joined"] = join_view_groups(
            labels, confidence, adoption_space, appearance, colours, groups, params,
            [k for k in with_face if labels[k] < 0], frame_ids, shapes)
    if params.inherited_looks_follow and adoption_space is not None and colours is not None:
        stats["inherited_looks_returned"] = return_inherited_looks(
            labels, confidence, by, groups, adoption_space, appearance, colours, face_labels_before_adoption,
            params, [k for k in range(n) if instance_ids[k] not in face_vectors], frame_ids, released_from)
    if params.faceless_one_shot_frames is not None and faceless_space is not None:
        stats["one_shot_groups_formed"] = one_shot_groups(labels, confidence, faceless_space, groups, one_shot,
                                                          frame_ids, params.faceless_one_shot_frames)
        if appearance is not None and colours is not None:
            stats["late_group_design_joined"] = join_late_groups(
                labels, confidence, [appearance, colours], groups, params, pool, track_ids,
                list(range(before_design_join, len(groups))), frame_ids)
    for k in loose_faces:  # a face no identity took, its look grouped by appearance
        if labels[k] >= 0:
            by[k] = "appearance"
    stats["loose_faces_grouped"] = sum(1 for k in loose_faces if labels[k] >= 0)
    if params.grey_faces_colourless:
        stats["grey_faces_joined"] = join_grey_faces(labels, confidence, by, face_unit, groups, params,
                                                     [k for k in with_face if labels[k] < 0], frame_ids)
    if params.track_rows_follow_placed and appearance is not None and colours is not None:
        looks_named = (clear_look_identities(labels, adoption_space, look_blocks,
                                             [k for k in range(n) if instance_ids[k] not in face_vectors],
                                             [k for k in with_face if labels[k] < 0], params.appearance_margin,
                                             track_ids)
                       if params.track_rows_follow_clear_look and adoption_space is not None else None)
        stats["track_rows_followed"] = join_placed_tracks(labels, confidence, by, [appearance, colours], track_ids,
                                                          frame_ids, params.faceless_design_join, looks_named)
    # last: a faceless group is read with every row it will hold, its tracks' rows the rule above placed among them
    # (read before, held-out film 43's male person's group lacked his shot-9 track and his face row stayed behind)
    if params.faced_rows_follow_faceless and appearance is not None and colours is not None:
        moved = faced_rows_to_faceless_groups(labels, confidence, [appearance, colours], groups, params, with_face)
        for k in moved:  # placed by its look, as the group's other rows
            by[k] = "appearance"
        stats["faced_rows_to_faceless"] = len(moved)
    for index, group in enumerate(groups):  # adopted and inheriting instances join their identity's members
        group["members"] = [k for k in range(n) if labels[k] == index]
    face_labels_only = np.where(labels < len(prototypes), labels, -1)
    steady = stability(face_unit, face_labels_only, prototypes) if len(prototypes) else np.full(n, np.nan, np.float32)
    return Assignment(instance_ids, labels, confidence, by, groups, stats, steady, track_ids, notes)


def _merged_cut_gaps(params: IdentityParams) -> tuple[float, float] | None:
    """The (face, colour) leads that make a faced row a merged cut (``merged_cuts.py``): the minor design cut's
    gaps, where ``merged_cut_faces_aside`` and the design split are on; else None."""
    if not params.merged_cut_faces_aside or params.split_gap is None or params.split_minor_gap is None:
        return None
    return None if params.split_minor_colour_gap is None else (params.split_minor_gap, params.split_minor_colour_gap)


def _prototype_groups(x: np.ndarray, face_labels: np.ndarray, gated: np.ndarray, quality: np.ndarray,
                      params: IdentityParams) -> tuple[np.ndarray, list[int], list[int], int]:
    """Gated-medoid prototypes per cluster; clusters whose prototypes are alike merge (and get a new prototype).
    Returns labels (0 = largest), prototype rows, faces per prototype, merges made."""
    merged = 0
    while True:
        k = int(face_labels.max()) + 1 if face_labels.size else 0
        found = [prototype(x[face_labels == label], gated[face_labels == label], quality[face_labels == label])
                 for label in range(k)]
        rows = [int(np.flatnonzero(face_labels == label)[r]) for label, (r, _) in enumerate(found)]
        target = merge_by_prototype(x[rows], params.prototype_merge) if rows else []
        if all(t == i for i, t in enumerate(target)):
            return face_labels, rows, [c for _, c in found], merged
        merged += sum(1 for i, t in enumerate(target) if t != i)
        face_labels = relabel_by_size(np.array([target[v] if v >= 0 else -1 for v in face_labels]))


def _decide_by_tracks(labels: np.ndarray, confidence: np.ndarray, by: list[str], boxes: pl.DataFrame,
                      appearance: np.ndarray | None, face_unit: np.ndarray, prototypes: np.ndarray,
                      max_distance: float, instance_ids: list[str],
                      quality: dict[str, tuple[float, bool]], track_params: TrackParams, stats: dict[str, Any],
                      looks: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    gated_faces = {k: face_unit[k] for k, i in enumerate(instance_ids)
                   if face_unit.shape[1] and np.abs(face_unit[k]).sum() > 0 and quality.get(i, (1.0, True))[1]}
    leans = face_leans(face_unit, labels, prototypes, sorted(gated_faces), track_params.lean_margin)
    track_ids = link_tracks(boxes, track_params, normalise(appearance) if appearance is not None else None,
                            gated_faces, leans, normalise(looks) if looks is not None else None)
    stats["track_faces_agreeing"] = join_agreeing_track_faces(track_ids, labels, confidence, by, face_unit,
                                                              prototypes, max_distance)
    votes = np.array([quality.get(i, (1.0, True))[0] if k in gated_faces else 0.0
                      for k, i in enumerate(instance_ids)], dtype=np.float64)
    own = np.array([b in ("face", "prototype") for b in by])
    deciding, stats["track_merged_rows"] = tracks_cut_at_merges(track_ids, boxes, track_params.merge_area_ratio)
    apart = None
    # only pairs with a row a track took up after waiting: there a track may have swapped characters. The refused row
    # is either side: the waited one (film 67: the waiting track took up another's cut) or the one beside it (film
    # 43: the person's track went on with the adventurer's cut while the person's row joined the track that waited)
    if "frame_id" in boxes.columns:
        waited = rows_linked_after_a_wait(deciding, boxes)
        apart = {(i, j) for i, j in conflicts(boxes["frame_id"].to_list(),
                                              boxes.select("x0", "y0", "x1", "y1").to_numpy().astype(np.float64))
                 if i in waited or j in waited}
    labels, share, inherited = decide_tracks(deciding, labels, votes, track_params, own,
                                             normalise(looks) if looks is not None else None, apart)
    for k, changed in enumerate(inherited):
        if changed:
            by[k], confidence[k] = "track", share[k]
    stats["tracks"] = len(set(track_ids))
    stats["track_inherited"] = int(sum(inherited))
    return labels, confidence, track_ids


def tables(assignment: Assignment, ids: list[str], names: dict[str, str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``identities`` and ``instance_identities`` from an assignment and the stable id of each group."""
    ii = pl.DataFrame({
        "instance_id": assignment.instance_ids,
        "identity": [ids[label] if label >= 0 else NOISE for label in assignment.labels],
        "source": ["auto"] * len(assignment.instance_ids),
        "confidence": assignment.confidence.astype(np.float32),
        "by": assignment.by,
        "track_id": assignment.track_ids or [None] * len(assignment.instance_ids),
        "stability": (assignment.stability if assignment.stability is not None
                      else np.full(len(assignment.instance_ids), np.nan, np.float32)).astype(np.float32),
    }, schema={"instance_id": pl.String, "identity": pl.String, "source": pl.String,
               "confidence": pl.Float32, "by": pl.String, "track_id": pl.String, "stability": pl.Float32})
    ii = ii.with_columns(pl.col("stability").fill_nan(None))
    identities = identity_table(ii, {ids[i]: g for i, g in enumerate(assignment.groups)},
                                assignment.instance_ids, names)
    return identities, ii


def identity_table(instance_identities: pl.DataFrame, groups: dict[str, dict[str, Any]], instance_ids: list[str],
                   names: dict[str, str]) -> pl.DataFrame:
    """One row per identity present in ``instance_identities`` (after review too), largest first."""
    counts = (instance_identities.filter(pl.col("identity") != NOISE).group_by("identity")
              .agg(pl.len().alias("size"), (pl.col("by") == "face").any().alias("face_members")))
    rows = []
    for identity, size, face_members in counts.iter_rows():
        group = groups.get(identity)
        rows.append({"identity": identity, "name": names.get(identity), "size": size,
                     "has_faces": bool(group["has_faces"]) if group else bool(face_members),
                     "prototype_instance_id": instance_ids[group["prototype_row"]] if group else None})
    schema = {"identity": pl.String, "name": pl.String, "size": pl.Int64, "has_faces": pl.Boolean,
              "prototype_instance_id": pl.String}
    return pl.DataFrame(rows, schema=schema).sort(["size", "identity"], descending=[True, False])
