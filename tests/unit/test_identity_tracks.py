"""Tracks within shots and prototypes from good faces; what a track may decide: faces of one track that agree join
together, an unclear face keeps the identity its own embedding gave it (pure functions, hand-made cases)."""

from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from assets.identities.assignment import assign_identities
from assets.identities.track_faces import join_agreeing_track_faces
from assets.identities.core import IdentityParams
from assets.identities.prototypes import (detector_prototype_similarities, face_quality, impostor_ceiling,
                                          join_by_calibrated_lead, join_by_prototype, merge_by_prototype, prototype,
                                          stability)
from assets.identities.tracks import (TrackParams, decide_tracks, face_leans, link_cost, link_tracks,
                                      veto_contradicted_inheritance)


def frames(rows: list[tuple[int, float, tuple[int, int, int, int]]]) -> pl.DataFrame:
    return pl.DataFrame([{"instance_id": f"i{k}", "shot": shot, "timestamp_s": t, "frame_id": f"f{t}",
                          "x0": b[0], "y0": b[1], "x1": b[2], "y1": b[3]} for k, (shot, t, b) in enumerate(rows)])


def test_two_characters_crossing_keep_their_tracks_and_shots_split_tracks():
    left, right = (10, 10, 60, 110), (200, 10, 250, 110)
    table = frames([(0, 0.0, left), (0, 0.0, right),
                    (0, 0.5, (25, 12, 75, 112)), (0, 0.5, (185, 8, 235, 108)),   # both moved a little
                    (0, 1.0, (40, 10, 90, 110)),                                  # right one off screen
                    (0, 1.5, (170, 10, 220, 110)),                                # ... and back
                    (1, 2.0, left)])                                              # a new shot: a new track
    tracks = link_tracks(table, TrackParams())
    assert tracks[0] == tracks[2] == tracks[4] and tracks[1] == tracks[3] == tracks[5]
    assert tracks[0] != tracks[1] and tracks[6].startswith("s1-") and tracks[6] != tracks[0]


def test_appearance_and_clear_faces_veto_links():
    box = (10, 10, 60, 110)
    table = frames([(0, 0.0, box), (0, 0.5, box)])
    unlike = np.array([[1, 0, 0], [0, 1, 0]], np.float32)
    tracks = link_tracks(table, TrackParams(), appearance=unlike)
    assert tracks[0] != tracks[1]
    faces = {0: np.array([1, 0], np.float32), 1: np.array([0, 1], np.float32)}  # two different people
    assert len(set(link_tracks(table, TrackParams(), faces=faces))) == 2
    unknown = np.zeros((2, 3), np.float32)  # no cut-out: motion alone decides
    assert len(set(link_tracks(table, TrackParams(), appearance=unknown))) == 1


def test_faces_leaning_to_different_identities_never_link_whatever_the_embedder_scale():
    """Drawn characters' embeddings are compressed: two characters' clear faces sit at cosine ~0.6, far above the
    photo-scale face_conflict, so only the identities the faces lean to keep two characters sharing a shot apart."""
    box = (10, 10, 60, 110)
    table = frames([(0, 0.0, box), (0, 0.5, box), (0, 1.0, box)])
    chip, penny = np.array([1.0, 0.0, 0.0]), np.array([0.6, 0.8, 0.0])
    prototypes = np.stack([chip, penny]).astype(np.float32)
    faces = {0: chip.astype(np.float32), 1: np.array([0.62, 0.78, 0.1], np.float32)}
    faces[1] /= np.linalg.norm(faces[1])
    assert len(set(link_tracks(table, TrackParams(), faces=faces))) == 1  # cosine 0.6: no photo-scale conflict
    face_unit = np.stack([faces[0], faces[1], np.zeros(3, np.float32)])
    labels = np.array([0, -1, -1])  # row 0 clustered as chip; row 1 left loose, nearest to penny's prototype
    leans = face_leans(face_unit, labels, prototypes, [0, 1], margin=0.02)
    assert leans == {0: 0, 1: 1}
    tracks = link_tracks(table, TrackParams(), faces=faces, leans=leans)
    assert tracks[0] != tracks[1] and tracks[2] in (tracks[0], tracks[1])  # the faceless row still links
    assert face_leans(face_unit, labels, prototypes, [1], margin=0.5) == {}  # too close to call: no lean


def test_link_cost_forbids_far_jumps_and_scale_changes():
    a = np.array([[0, 0, 50, 100]], float)
    b = np.array([[5, 0, 55, 100], [400, 0, 450, 100], [0, 0, 200, 400]], float)
    cost = link_cost(a, b, TrackParams())
    assert np.isfinite(cost[0, 0]) and np.isinf(cost[0, 1]) and np.isinf(cost[0, 2])


def test_a_track_is_decided_by_its_clear_faces():
    track_of = ["t0"] * 5 + ["t1"] * 2
    labels = np.array([0, 0, -1, 1, -1, 1, 0])   # row 3: an unclear face clustered elsewhere; 2, 4: no face
    votes = np.array([2.0, 1.5, 0.0, 0.0, 0.0, 1.0, 1.0])
    out, share, inherited = decide_tracks(track_of, labels, votes, TrackParams())
    assert out[:5].tolist() == [0, 0, 0, 0, 0] and inherited == [False, False, True, True, True, False, False]
    assert out[5:].tolist() == [1, 0]  # t1 is split 50/50: no decision, nothing changes
    assert share[0] == pytest.approx(1.0) and share[5] == 0


def test_gate_prototype_and_stability():
    faces = pl.DataFrame({"instance_id": ["a", "b", "c", "d"], "det_score": [0.9, 0.9, 0.3, 0.9],
                          "face_size": [80.0, 80.0, 80.0, 10.0], "blur": [100.0, 100.0, 100.0, 100.0],
                          "yaw": [5.0, 60.0, 0.0, 0.0], "roll": [0.0, 0.0, 0.0, None]})
    gated = face_quality(faces, IdentityParams())["gated"].to_list()
    assert gated == [True, False, False, False]  # turned, unsure, tiny (and no roll known)
    unit = np.array([[1, 0], [0.8, 0.6], [0.6, 0.8], [0, 1]], np.float32)
    row, used = prototype(unit, np.array([False, True, True, False]), np.ones(4))
    assert used == 2 and row in (1, 2)
    row, used = prototype(unit, np.zeros(4, bool), np.array([4.0, 3.0, 1.0, 0.5]))  # none gated: the better half
    assert used == 2 and row in (0, 1)
    steady = stability(unit, np.array([0, 0, -1, 0]), unit[[1]])
    assert steady[0] == pytest.approx(0.8) and np.isnan(steady[2])


def test_joining_is_calibrated_on_the_films_impostors():
    protos = np.array([[1, 0, 0], [0, 1, 0]], np.float32)
    unit = np.array([[1, 0, 0], [0.6, 0.8, 0], [0, 1, 0], [0.45, 0.0, 0.893], [0.8, 0.6, 0]], np.float32)
    labels = np.array([0, 0, 1, -1, -1])   # row 1 belongs to 0 but is 0.8 alike to prototype 1: the ceiling
    assert impostor_ceiling(unit, labels, protos) == pytest.approx(0.8)
    out, sims, joined = join_by_prototype(unit, labels, protos, threshold=0.25, margin=0.1)
    assert joined == 0 and out[3] == -1 and out[4] == -1   # 0.45 and 0.8 are below 0.8 + 0.1
    easy = np.array([0, 1, 1, -1, -1])   # a film whose identities are far apart
    unit2 = unit.copy()
    unit2[1] = [0, 1, 0]
    out, sims, joined = join_by_prototype(unit2, easy, protos, threshold=0.25, margin=0.1)
    assert out[3] == 0 and sims[3] == pytest.approx(0.45) and out[4] == 0 and joined == 2


def test_a_loose_face_joins_when_it_leads_like_the_clustered_faces_and_beats_every_impostor():
    # two identities; clustered faces lead their own prototype by 0.3-0.5 and come at most 0.6 to the other one
    sims = np.array([[0.9, 0.4], [0.8, 0.5], [0.95, 0.6], [0.3, 0.8], [0.45, 0.9],
                     [0.65, 0.3],     # above the ceiling (0.6), leads by 0.35: joins 0
                     [0.7, 0.55],     # above the ceiling but leads by 0.15 only: a face between two characters
                     [0.58, 0.1],     # leads far, but no nearer than other characters' faces come: stays loose
                     [0.2, 0.75]], np.float32)  # joins 1
    labels = np.array([0, 0, 0, 1, 1, -1, -1, -1, -1])
    out, similarity, joined = join_by_calibrated_lead(sims, labels, lead_quantile=0.0)
    assert out[5:].tolist() == [0, -1, -1, 1] and joined == 2
    assert similarity[5] == pytest.approx(0.65) and similarity[6] == 0
    assert join_by_calibrated_lead(sims, labels, lead_quantile=1.0)[0][5:].tolist() == [-1, -1, -1, 1]  # 0.5 bar
    one = join_by_calibrated_lead(sims[:, :1], np.where(labels == 1, 0, labels), 0.0)
    assert one[2] == 0   # a single identity has no impostors to calibrate on: nothing joins


def test_faces_are_compared_with_the_prototype_of_their_own_detector():
    # identity 0 seen by detector "eyes" (direction x) and by detector "face" (direction z: another framing);
    # identity 1 only by "face" (direction y)
    unit_rows = unit((1, 0, 0), (1, 0.1, 0), (1, 0, 0.1), (0.1, 0, 1), (0, 0.1, 1), (0.1, 0.1, 1),
                     (0, 1, 0), (0.1, 1, 0), (0, 1, 0.1), (0.2, 0.1, 1))
    labels = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, -1])
    detectors = ["eyes"] * 3 + ["face"] * 7
    gated, quality = np.ones(10, bool), np.ones(10)
    prototypes = unit_rows[[0, 6]]   # identity 0's overall prototype is an "eyes" face
    sims = detector_prototype_similarities(unit_rows, labels, gated, quality, detectors, prototypes)
    assert sims[9, 0] > 0.95 and sims[9, 1] < 0.2    # the loose "face" face is close to 0's "face" prototype
    single = detector_prototype_similarities(unit_rows, labels, gated, quality, [""] * 10, prototypes)
    assert single[9, 0] < 0.3 and np.allclose(single, unit_rows @ prototypes.T)
    few = detector_prototype_similarities(unit_rows, labels, gated, quality, detectors, prototypes, min_faces=4)
    assert few[9, 0] < 0.3   # under min_faces of a detector: the overall prototype serves


def test_assignment_joins_loose_faces_by_lead_only_when_asked():
    rng = np.random.default_rng(0)
    centres = unit((1, 0, 0, 0), (0.6, 0.8, 0, 0))   # two characters drawn alike (cosine 0.6): leads near 0.4
    loose = unit((0.92, -0.1, 0.38, 0))[0]            # 0.92 to the first, 0.47 to the second: leads by 0.45
    faces = [centres[k % 2] + rng.normal(0, 0.01, 4) for k in range(12)] + [loose]
    ids = [f"i{k}" for k in range(13)]
    vectors = dict(zip(ids, faces))
    # the fixed floor (prototype_threshold) keeps the loose face out; the calibrated lead lets it in
    params = IdentityParams(min_cluster_size=3, max_distance=0.02, tracks=False, prototype_threshold=0.99)
    off = assign_identities(ids, vectors, None, params)
    assert off.labels[12] == -1 and "joined_by_lead" not in off.stats
    on = assign_identities(ids, vectors, None, replace(params, join_lead_quantile=0.0, prototype_per_detector=True),
                           face_detectors={i: "yunet" if k % 3 else None for k, i in enumerate(ids)})
    assert on.labels[12] == on.labels[0] and on.by[12] == "prototype" and on.stats["joined_by_lead"] == 1
    assert (on.labels[:12] == off.labels[:12]).all()


def test_a_face_nearer_another_prototype_does_not_inherit_its_tracks_identity():
    labels = np.array([0, 1, 0, 0, 1, 0, 0])
    by = ["face", "face", "track", "track", "track", "track", "track"]
    confidence = np.full(7, 0.9, np.float32)
    sims = np.array([[0.9, 0.2], [0.3, 0.65], [0.5, 0.7], [0.6, 0.59], [0.4, 0.8], [np.nan, np.nan], [0.1, 0.3]],
                    np.float32)
    # row 2 looks like identity 1 (0.7, above the least alike clustered face, 0.65): vetoed; row 3 leans its own
    # way; row 4 agrees; row 5 has no face (a faceless view); row 6 leans to 1 but resembles nobody (a masked face)
    assert veto_contradicted_inheritance(labels, confidence, by, sims, margin=0.02) == 1
    assert labels.tolist() == [0, 1, -1, 0, 1, 0, 0] and by[2] == "face" and confidence[2] == 0
    assert by[3:] == ["track"] * 4


def test_merge_by_prototype_links_alike_identities():
    protos = np.array([[1, 0], [0.95, 0.312], [0, 1]], np.float32)
    assert merge_by_prototype(protos, 0.9) == [0, 0, 2]
    assert merge_by_prototype(protos, 0.99) == [0, 1, 2]


def test_assignment_with_tracks_gives_masked_views_the_clear_faces_identity():
    """A shot where a character's face is clear in two key frames and masked (no usable face) in two others."""
    rng = np.random.default_rng(0)
    centre_a, centre_b = np.eye(8, dtype=np.float32)[0], np.eye(8, dtype=np.float32)[1]
    ids, vectors, quality, rows = [], {}, {}, []
    for k in range(12):  # identity A in shot 0..2, identity B in shot 3..5, clear faces
        identity = centre_a if k < 6 else centre_b
        ids.append(f"c{k}")
        vectors[f"c{k}"] = identity + rng.normal(0, 0.05, 8).astype(np.float32)
        quality[f"c{k}"] = (3.0, True)
        rows.append((k // 2, float(k), (10, 10, 60, 110)))
    for k, masked in enumerate(["m0", "m1"]):   # same shot as c0/c1: one with a drifting face, one faceless
        ids.append(masked)
        rows.append((0, 0.5 + k * 0.2, (12, 10, 62, 110)))
    vectors["m0"] = np.eye(8, dtype=np.float32)[5]  # a masked face: its embedding resembles nobody
    quality["m0"] = (0.5, False)
    table = frames(rows).with_columns(pl.Series("instance_id", ids)).sort("timestamp_s")
    order = table["instance_id"].to_list()
    params = IdentityParams(min_cluster_size=3)
    with_tracks = assign_identities(order, vectors, None, params, quality, table)
    without = assign_identities(order, vectors, None, IdentityParams(min_cluster_size=3, tracks=False), quality,
                                table)
    a = with_tracks.labels[order.index("c0")]
    assert a >= 0 and with_tracks.labels[order.index("m0")] == a == with_tracks.labels[order.index("m1")]
    assert {with_tracks.by[order.index(m)] for m in ("m0", "m1")} == {"track"}
    assert without.labels[order.index("m0")] == -1 and without.labels[order.index("m1")] == -1
    assert with_tracks.track_ids[order.index("m0")] == with_tracks.track_ids[order.index("c0")]
    assert with_tracks.stability[order.index("c0")] > 0.9 and np.isnan(with_tracks.stability[order.index("m1")])


def unit(*rows: tuple[float, ...]) -> np.ndarray:
    x = np.array(rows, dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_an_unclear_face_placed_by_its_own_embedding_keeps_its_identity():
    # two characters whose boxes overlap share a track; the clear faces vote for 0, row 2's unclear face clustered
    # with 1 on its own: the track must not overwrite it, while the faceless row 3 still inherits
    track_of = ["t0"] * 4
    labels = np.array([0, 0, 1, -1])
    votes = np.array([2.0, 1.0, 0.0, 0.0])
    own = np.array([True, True, True, False])
    out, _, inherited = decide_tracks(track_of, labels, votes, TrackParams(), own)
    assert out.tolist() == [0, 0, 1, 0] and inherited == [False, False, False, True]
    out, _, inherited = decide_tracks(track_of, labels, votes, TrackParams())  # without `own`: the old rule
    assert out.tolist() == [0, 0, 0, 0] and inherited[2]


# prototypes of two identities, a clustered face of each (one leans 0.3 to the other: the impostor ceiling)
PROTOTYPES = unit((1, 0, 0, 0), (0, 1, 0, 0))
CLUSTERED = unit((1, 0, 0, 0), (0.3, 0.954, 0, 0))


@pytest.mark.parametrize("loose, tracks, expected", [
    # two alike faces of one track, each a little closer to prototype 0 than the ceiling: they join 0 together
    (unit((0.4, 0.1, 0.9, 0), (0.42, 0.05, 0.85, 0.2)), ["a", "a"], [0, 0]),
    # the same two faces in different tracks: one face alone is not enough
    (unit((0.4, 0.1, 0.9, 0), (0.42, 0.05, 0.85, 0.2)), ["a", "b"], [-1, -1]),
    # one track, but the faces are not alike (two people): nothing joins
    (unit((0.4, 0.1, 0.9, 0), (0.42, 0.05, 0, 0.9)), ["a", "a"], [-1, -1]),
    # alike, but under the ceiling (no closer to 0 than a face of 1 is): nothing joins
    (unit((0.25, 0.1, 0.95, 0), (0.25, 0.05, 0.9, 0.2)), ["a", "a"], [-1, -1]),
    # alike, but leaning to different identities: nothing joins
    (unit((0.4, 0.1, 0.9, 0), (0.1, 0.42, 0.9, 0.1)), ["a", "a"], [-1, -1]),
])
def test_faces_of_one_track_that_agree_join_together(loose, tracks, expected):
    faces = np.vstack([CLUSTERED, loose])
    labels = np.array([0, 1, -1, -1])
    confidence = np.zeros(4, np.float32)
    by = ["face", "face", "face", "face"]
    joined = join_agreeing_track_faces(["x", "y", *tracks], labels, confidence, by, faces, PROTOTYPES, 0.7)
    assert labels[2:].tolist() == expected and joined == sum(v >= 0 for v in expected)
    assert by[2:] == ["prototype" if v >= 0 else "face" for v in expected]
    assert labels[:2].tolist() == [0, 1]


def test_a_track_holding_a_face_placed_elsewhere_is_left_alone():
    faces = np.vstack([CLUSTERED, unit((0.4, 0.1, 0.9, 0), (0.42, 0.05, 0.85, 0.2))])
    labels = np.array([0, 1, -1, -1])
    by = ["face"] * 4
    # row 1 (identity 1) shares the track with the two loose faces that lean to 0
    assert join_agreeing_track_faces(["x", "a", "a", "a"], labels, np.zeros(4, np.float32), by, faces,
                                     PROTOTYPES, 0.7) == 0
    assert labels.tolist() == [0, 1, -1, -1]


def test_a_faceless_group_seen_in_one_shot_only_stays_noise():
    """Two faceless look-alike sets of six: a creature met in three shots is a group; a prop followed through the
    key frames of one shot (it always looks like itself there) is not a character."""
    rng = np.random.default_rng(5)
    people = rng.standard_normal((2, 32))
    face_rows = 12
    faces = {f"p{k}": people[k % 2] + rng.normal(0, 0.05, 32) for k in range(face_rows)}
    look = rng.standard_normal((4, 16))
    appearance = np.concatenate([look[[k % 2 for k in range(face_rows)]] + rng.normal(0, 0.05, (face_rows, 16)),
                                 look[[2, 3]].repeat(6, axis=0) + rng.normal(0, 0.05, (12, 16))])
    ids = [*faces, *(f"creature{k}" for k in range(6)), *(f"prop{k}" for k in range(6))]
    shots = [k % 4 for k in range(face_rows)] + [0, 0, 1, 1, 2, 2] + [3] * 6
    boxes = pl.DataFrame({"instance_id": ids, "shot": shots, "timestamp_s": [float(k) for k in range(len(ids))],
                          "frame_id": [f"f{k}" for k in range(len(ids))],
                          "x0": [0.0] * len(ids), "y0": [0.0] * len(ids), "x1": [50.0] * len(ids),
                          "y1": [100.0] * len(ids)})
    result = assign_identities(ids, faces, appearance, IdentityParams(min_cluster_size=4), None, boxes)
    creature, prop = result.labels[face_rows:face_rows + 6], result.labels[face_rows + 6:]
    assert len(set(creature.tolist())) == 1 and creature[0] >= 0 and not result.groups[creature[0]]["has_faces"]
    assert (prop == -1).all() and result.stats["faceless_groups_in_one_shot"] == 1
    # without shot information (no boxes, or null shots) both sets are groups, as before
    unboxed = assign_identities(ids, faces, appearance, IdentityParams(min_cluster_size=4))
    assert len({int(v) for v in unboxed.labels[face_rows:]}) == 2 and (unboxed.labels[face_rows:] >= 0).all()
    unknown = boxes.with_columns(pl.lit(None, pl.Int64).alias("shot"))
    nulls = assign_identities(ids, faces, appearance, IdentityParams(min_cluster_size=4), None, unknown)
    assert (nulls.labels[face_rows:] >= 0).all() and nulls.stats["faceless_groups_in_one_shot"] == 0
