"""What a track may decide: faces of one track that agree join together; an unclear face keeps the identity its
own embedding gave it (pure functions, hand-made cases)."""

import numpy as np
import pytest

from assets.identities.assignment import join_agreeing_track_faces
from assets.identities.tracks import TrackParams, decide_tracks


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
    import polars as pl

    from assets.identities.assignment import assign_identities
    from assets.identities.core import IdentityParams

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
