"""identity_clusters core: clustering, verification, faceless placement, stable ids, evaluation metrics."""

import numpy as np
import polars as pl
import pytest

from assets.identities.assignment import assign_identities, tables
from assets.identities.core import NOISE, IdentityParams, cluster, medoid, relabel_by_size, verify
from assets.identities.prototypes import best_faces
from assets.identities.evaluate import label_instances, read_labels, scores
from assets.identities.stable_ids import load_store, match_ids, store_path, stored_names, update_store
from resources.errors import BadMediaError


def blobs(sizes: list[int], dim: int = 64, spread: float = 0.08, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((len(sizes), dim))
    x = np.concatenate([c + rng.normal(0, spread, (n, dim)) * np.sqrt(1) for c, n in zip(centers, sizes)])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), np.repeat(np.arange(len(sizes)), sizes)


def test_clusters_numbered_by_size_and_pure():
    x, truth = blobs([5, 30, 12])
    labels, strength, info = cluster(x, IdentityParams(min_cluster_size=4))
    assert set(labels[truth == 1]) == {0} and set(labels[truth == 2]) == {1} and set(labels[truth == 0]) == {2}
    assert strength.shape == labels.shape and info["reduced"] == "none"


@pytest.mark.parametrize("n", [0, 1, 3])
def test_too_few_points_are_noise(n):
    labels, strength, _ = cluster(np.ones((n, 8), np.float32), IdentityParams(min_cluster_size=4, min_cluster_fraction=None))
    assert labels.tolist() == [-1] * n and strength.shape == (n,)


def test_pca_kicks_in_above_the_threshold():
    x, truth = blobs([60, 60, 60], dim=128)
    labels, _, info = cluster(x, IdentityParams(min_cluster_size=10, reduce_above=100, reduce_dims=8))
    assert info["reduced"] == "pca" and len(set(labels[labels >= 0])) == 3


def test_verification_splits_a_cluster_holding_two_people():
    x, _ = blobs([6, 6])
    labels = np.zeros(12, dtype=np.int64)  # as if density clustering had merged them
    out, resplit = verify(x, labels, max_distance=0.7, min_cluster_size=3)
    assert resplit == 1 and len(set(out[:6])) == 1 and len(set(out[6:])) == 1 and out[0] != out[6]
    lone = np.concatenate([x[:6], x[6:7]])
    out, _ = verify(lone, np.zeros(7, dtype=np.int64), 0.7, 3)
    assert out[6] == -1 and len(set(out[:6])) == 1  # the odd one out becomes noise


def test_relabel_by_size_and_medoid():
    assert relabel_by_size(np.array([3, 3, -1, 1, 1, 1])).tolist() == [1, 1, -1, 0, 0, 0]
    x = np.array([[1, 0], [0.9, 0.1], [0.8, 0.2], [0, 1]], np.float32)
    assert medoid(x) in (1, 2)


def test_faceless_instances_join_close_identities_else_group_among_themselves():
    x, truth = blobs([8, 8], dim=32, seed=1)
    ids = [f"i{k}" for k in range(16)] + [f"faceless{k}" for k in range(17)]
    face_vectors = {ids[k]: x[k] for k in range(16)}
    rng = np.random.default_rng(3)
    look = rng.standard_normal((4, 16))  # appearance: identity 0, identity 1, two creatures without a face
    appearance = np.concatenate([look[truth] + rng.normal(0, 0.05, (16, 16)),
                                 look[[0]] + rng.normal(0, 0.05, (1, 16)),          # a back view of person 0
                                 look[[2, 3]].repeat(8, axis=0) + rng.normal(0, 0.05, (16, 16))])  # creatures
    result = assign_identities(ids, face_vectors, appearance, IdentityParams(min_cluster_size=4))
    assert len(result.groups) == 4 and [g["has_faces"] for g in result.groups] == [True, True, False, False]
    assert result.labels[16] == result.labels[0] and result.by[16] == "appearance"
    assert len(set(result.labels[17:25])) == 1 and len(set(result.labels[25:])) == 1
    assert {result.labels[17], result.labels[25]} == {2, 3}
    assert result.stats["faceless_adopted"] == 1
    identities, ii = tables(result, ["identity_000", "identity_001", "identity_002", "identity_003"],
                            {"identity_002": "dragon"})
    # person 0 with its adopted back view, person 1, then the two faceless creatures
    assert identities.select("identity", "size", "has_faces").rows() == [
        ("identity_000", 9, True), ("identity_001", 8, True), ("identity_002", 8, False), ("identity_003", 8, False)]
    assert identities.filter(pl.col("identity") == "identity_002")["name"][0] == "dragon"
    assert ii.height == 33 and set(ii["source"]) == {"auto"}


def test_no_faces_and_no_instances():
    empty = assign_identities([], {}, None, IdentityParams())
    identities, ii = tables(empty, [], {})
    assert identities.height == 0 and ii.height == 0
    lonely = assign_identities(["a"], {}, np.ones((1, 4), np.float32), IdentityParams())
    assert lonely.labels.tolist() == [-1]
    assert tables(lonely, [], {})[1]["identity"].to_list() == [NOISE]


def test_best_face_per_instance():
    faces = pl.DataFrame({"instance_id": ["a", "a", "b"], "face_id": ["small", "big", "only"],
                          "det_score": [0.9, 0.8, 0.5], "face_size": [20.0, 200.0, 50.0], "blur": [50.0, 60.0, 1.0],
                          "yaw": [0.0, 10.0, 0.0], "roll": [0.0, 0.0, 0.0]})
    chosen = best_faces(faces, IdentityParams())
    assert sorted(chosen["face_id"].to_list()) == ["big", "only"]
    assert chosen.filter(pl.col("face_id") == "big")["gated"].to_list() == [True]
    assert chosen.filter(pl.col("face_id") == "only")["gated"].to_list() == [False]  # blurred


def test_a_face_without_landmarks_ranks_below_a_known_one_of_the_same_instance():
    # faces/core.head_pose stores NaN angles for a detector without landmarks (the LBP cascade); a NaN quality
    # would sort above every number and the unknown face would be chosen.
    faces = pl.DataFrame({"instance_id": ["a", "a"], "face_id": ["cascade", "yunet"],
                          "det_score": [0.9, 0.6], "face_size": [60.0, 50.0], "blur": [40.0, 30.0],
                          "yaw": [float("nan"), 50.0], "roll": [float("nan"), 0.0]})
    chosen = best_faces(faces, IdentityParams())
    assert chosen["face_id"].to_list() == ["yunet"]
    assert chosen["gated"].to_list() == [False]  # yaw 50 is beyond the gate: the order is by quality alone
    scored = best_faces(faces.filter(pl.col("face_id") == "cascade"), IdentityParams())
    assert scored["quality"].is_nan().to_list() == [False] and scored["quality"].item() > 0
    assert scored["gated"].to_list() == [False]  # missing angles fail the pose gate


def test_stable_ids_survive_reruns_and_carry_names(tmp_path):
    x, _ = blobs([10, 6], dim=16)
    groups = [{"space": "face:m", "vector": x[0]}, {"space": "face:m", "vector": x[10]}]
    path = store_path(tmp_path, "franchise one")
    store = load_store(path)
    ids = match_ids(groups, store, {"face": 0.45})
    assert ids == ["identity_000", "identity_001"]
    store = update_store(path, store, groups, ids, {"identity_001": "Sintel"}, "film_a")
    # another film: the second character is now the larger one, and a newcomer appears
    rng = np.random.default_rng(1)
    newcomer = rng.standard_normal(16).astype(np.float32)
    again = [{"space": "face:m", "vector": x[12]}, {"space": "face:m", "vector": newcomer / np.linalg.norm(newcomer)},
             {"space": "face:m", "vector": x[3]}]
    assert match_ids(again, load_store(path), {"face": 0.45}) == ["identity_001", "identity_002", "identity_000"]
    assert stored_names(load_store(path)) == {"identity_001": "Sintel"}
    # a different embedding space never matches
    assert match_ids([{"space": "face:other", "vector": x[0]}], load_store(path), {"face": 0.45}) == ["identity_002"]


def test_bcubed_purity_coverage():
    pairs = pl.DataFrame({"instance_id": list("abcdef"), "label": ["x", "x", "x", "y", "y", "y"],
                          "identity": ["i0", "i0", NOISE, "i1", "i1", "i0"]})
    s = scores(pairs)
    assert s["coverage"] == pytest.approx(5 / 6, abs=1e-3) and s["noise_ratio"] == pytest.approx(1 / 6, abs=1e-3)
    assert s["purity"] == pytest.approx(4 / 5)
    # precision: a,b: 2/3 each; c: 1; d,e: 1; f: 1/3 -> (2/3+2/3+1+1+1+1/3)/6
    assert s["bcubed_precision"] == pytest.approx((2 / 3 * 2 + 1 + 2 + 1 / 3) / 6, abs=1e-3)
    assert s["per_label"]["x"] == {"identity": "i0", "share": pytest.approx(0.6667, abs=1e-3)}
    perfect = scores(pairs.with_columns(pl.col("label").replace({"x": "i0", "y": "i1"}).alias("identity")))
    assert perfect["bcubed_f"] == 1.0 and perfect["purity"] == 1.0


def test_labels_by_file_name_and_time_range(tmp_path):
    labels_path = tmp_path / "labels.csv"
    labels_path.write_text("source,identity\nobama/obama.jpg,obama\nbiden2.jpg,biden\n10-12.5,sintel\n")
    labels = read_labels(labels_path)
    instances = pl.DataFrame({"instance_id": ["a", "b", "c", "d"],
                              "source": ["obama/obama.jpg", "biden/biden2.jpg", "clip.mp4", "clip.mp4"],
                              "timestamp_s": [0.0, 0.0, 11.0, 20.0]})
    got = dict(label_instances(instances, labels).iter_rows())
    assert got == {"a": "obama", "b": "biden", "c": "sintel"}
    (tmp_path / "bad.csv").write_text("file,who\n")
    with pytest.raises(BadMediaError, match="source,identity"):
        read_labels(tmp_path / "bad.csv")


def test_params_are_checked():
    with pytest.raises(ValueError):
        IdentityParams.from_dict({"reduce": "tsne"})
    with pytest.raises(ValueError):
        IdentityParams.from_dict({"min_cluster_size": 1})


def test_a_film_with_a_single_character_gets_one_identity():
    x, _ = blobs([12], dim=32)
    labels, _, info = cluster(x, IdentityParams(min_cluster_size=4))
    assert set(labels[labels >= 0]) == {0} and (labels == 0).mean() >= 0.5  # density noise stays noise
    two, _ = blobs([12, 12], dim=32, seed=5)
    merged_by_density = cluster(two, IdentityParams(min_cluster_size=4, max_distance=0))[0]
    assert len(set(merged_by_density[merged_by_density >= 0])) == 2


@pytest.mark.parametrize(("rows", "configured", "fraction", "expected"), [
    (26, 10, 0.15, 4),     # a trailer's faces: the feature-film size would leave everyone noise
    (9, 10, 0.15, 2),      # never below 2
    (5000, 10, 0.15, 10),  # a feature film keeps the configured size
    (26, 10, None, 10),    # turned off
])
def test_min_cluster_size_scales_down_for_small_sets(rows, configured, fraction, expected):
    from assets.identities.core import effective_min_cluster_size

    assert effective_min_cluster_size(rows, configured, fraction) == expected
