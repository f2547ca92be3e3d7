"""Pose core: views from keypoint geometry and face yaw, features, sub-clustering, folders; on real photos where a
model runs (MoveNet from ../shared)."""

import glob
import json
from pathlib import Path

import cv2
import numpy as np
import polars as pl
import pytest

from assets.pose.cluster import cache_numba_functions, subcluster_labels
from assets.pose.core import PoseParams, assign_subclusters, estimate_one, estimate_poses, subcluster_table, \
    write_subcluster_folders
from assets.pose.selection import identified_instances
from assets.pose.views import classify_view, pose_features, pose_phrases, upright_body_problem, view_from_keypoints, \
    view_from_yaw


def skeleton(facing: str) -> np.ndarray:
    """Hand-made keypoints (x, y, score) for a 100-px-tall character."""
    kp = np.zeros((17, 3), np.float32)
    kp[11] = (60, 100, 0.9)
    kp[12] = (40, 100, 0.9)
    if facing == "front":
        kp[0], kp[1], kp[2] = (50, 20, .9), (55, 15, .9), (45, 15, .9)
        kp[5], kp[6] = (70, 50, .9), (30, 50, .9)
    elif facing == "three_quarter":
        kp[0], kp[1], kp[2] = (55, 20, .9), (58, 15, .9), (50, 15, .9)
        kp[5], kp[6] = (62, 50, .9), (42, 50, .9)
    elif facing == "profile":
        kp[0], kp[1] = (60, 20, .9), (55, 15, .9)
        kp[5], kp[6] = (52, 50, .9), (48, 50, .9)
    elif facing == "back":
        kp[3], kp[4] = (45, 15, .6), (55, 15, .6)
        kp[5], kp[6] = (30, 50, .9), (70, 50, .9)
    return kp


@pytest.mark.parametrize("facing", ["front", "three_quarter", "profile", "back"])
def test_view_from_keypoint_geometry(facing):
    assert view_from_keypoints(skeleton(facing)) == facing


@pytest.mark.parametrize("yaw,view", [(0, "front"), (-15, "front"), (35, "three_quarter"), (-80, "profile")])
def test_face_yaw_wins_over_geometry(yaw, view):
    assert view_from_yaw(yaw) == view
    assert classify_view(skeleton("back"), yaw) == (view, "face")


def test_unknown_view_without_face_or_keypoints():
    assert classify_view(np.zeros((17, 3), np.float32), None) == ("unknown", "none")
    assert classify_view(None, float("nan")) == ("unknown", "none")
    assert classify_view(skeleton("back"), None) == ("back", "keypoints")


def test_pose_features_are_translation_and_scale_invariant():
    kp = skeleton("front")
    moved = kp.copy()
    moved[:, :2] = moved[:, :2] * 3 + 200
    a, b = pose_features(kp, "front", view_weight=2.0), pose_features(moved, "front", view_weight=2.0)
    assert a.shape == (38,)
    np.testing.assert_allclose(a, b, atol=1e-5)
    assert a[34:].tolist() == [2.0, 0.0, 0.0, 0.0]
    seen = kp[:, 2] >= 0.3
    assert np.allclose(a[:34].reshape(17, 2)[~seen], 0)


def test_an_upright_body_has_its_head_over_its_shoulders_over_its_hips_below_the_chin():
    body = skeleton("front")  # nose at 20, shoulders at 50, hips at 100
    assert upright_body_problem(body) is None
    assert upright_body_problem(body, face_box=(40, 5, 60, 30)) is None  # hips 70 px (3.5 faces) below the chin
    assert "hips" in upright_body_problem(body, face_box=(30, 10, 70, 80))  # hips 20 px below a 70-px face's chin
    raised = body.copy()
    raised[[5, 6], 1] = 10  # shoulders above the nose
    assert "shoulders" in upright_body_problem(raised)
    high_hips = body.copy()
    high_hips[[11, 12], 1] = 40
    assert "hips" in upright_body_problem(high_hips)
    unsure = high_hips.copy()
    unsure[[11, 12], 2] = 0.1  # joints under the confidence asked for are not read
    assert upright_body_problem(unsure) is None


def test_pose_phrases_arms_raised():
    kp = skeleton("front")
    kp[9], kp[10] = (75, 30, .9), (25, 30, .9)
    assert pose_phrases(kp) == ["arms raised"]
    kp[10] = (25, 80, .9)
    assert pose_phrases(kp) == ["one arm raised"]


@pytest.mark.slow  # numba compiles UMAP: about 19 s of CPU, a quarter of the fast tier on its own
def test_subclusters_kmeans_and_umap_hdbscan_separate_two_pose_groups():
    rng = np.random.default_rng(0)
    a = rng.normal(0, 0.05, (30, 38)) + np.r_[np.ones(19), np.zeros(19)]
    b = rng.normal(0, 0.05, (30, 38)) - np.r_[np.ones(19), np.zeros(19)]
    feats = np.vstack([a, b]).astype(np.float32)
    for method in ("kmeans", "umap_hdbscan"):
        labels = subcluster_labels(feats, method, min_cluster_size=5, n_clusters=2)
        assert len(set(labels[:30]) - {-1}) == 1 and len(set(labels[30:]) - {-1}) == 1
        assert set(labels[:30]) - {-1} != set(labels[30:]) - {-1}
    # too few to split: one sub-cluster
    assert subcluster_labels(feats[:6], "umap_hdbscan", 5, 2).tolist() == [0] * 6


def test_numba_functions_are_compiled_once_per_machine(tmp_path):
    """What keeps UMAP's ~13 CPU-s of numba compiling out of every run but the first: a jitted function of a listed
    package is written to numba's on-disk cache, and a second process loads it instead of compiling it."""
    import subprocess
    import sys

    package = tmp_path / "jitted_package"
    package.mkdir()
    (package / "__init__.py").write_text("import numba\n\n\n@numba.njit\ndef twice(x):\n    return 2 * x\n")
    run = ("import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; import jitted_package as p; "
           "from assets.pose.cluster import cache_numba_functions as c; "
           "n = c(('jitted_package',)); print(n, p.twice(21), sum(p.twice.stats.cache_hits.values()))")
    repo = str(Path(__file__).resolve().parents[2])
    outputs = [subprocess.run([sys.executable, "-c", run, str(tmp_path), repo], capture_output=True, text=True,
                              check=True).stdout.split() for _ in range(2)]
    assert outputs[0] == ["1", "42", "0"]          # compiled, then saved
    assert list((package / "__pycache__").glob("*.nbi"))
    assert outputs[1] == ["1", "42", "1"]          # loaded from the cache, not compiled
    assert cache_numba_functions(("no_such_package",)) == 0


def test_unnamed_identities_get_the_film_scoped_name_the_datasets_give_them():
    filtered = pl.DataFrame({"instance_id": ["a", "b", "c"], "kept": [True] * 3, "path": ["p"] * 3,
                             "x0": [0.0] * 3, "y0": [0.0] * 3, "x1": [1.0] * 3, "y1": [1.0] * 3})
    assign = pl.DataFrame({"instance_id": ["a", "b", "c"], "identity": ["identity_003", "identity_002", "7"]})
    names = pl.DataFrame({"identity": ["identity_002", "identity_003"], "name": ["Sintel the Girl", None]})
    rows = identified_instances(filtered, assign, names, "Big Buck")
    assert rows["label"].to_list() == ["big_buck_char3", "sintel_the_girl", "big_buck_char7"]
    assert rows["trigger"].to_list() == ["big_buck_char3", "Sintel the Girl", "big_buck_char7"]


def test_identified_instances_skips_discarded_noise_and_unassigned():
    filtered = pl.DataFrame({"instance_id": ["a", "b", "c", "d"], "kept": [True, False, True, True],
                             "path": ["p"] * 4, "x0": [0.0] * 4, "y0": [0.0] * 4, "x1": [1.0] * 4, "y1": [1.0] * 4})
    assign = pl.DataFrame({"instance_id": ["a", "b", "c", "d"], "identity": ["identity_001", "identity_001",
                                                                            "noise", None]})
    names = pl.DataFrame({"identity": ["identity_001"], "name": ["Sintel"]})
    rows = identified_instances(filtered, assign, names, "sintel")
    assert rows["instance_id"].to_list() == ["a"] and rows["label"][0] == "sintel" and rows["trigger"][0] == "Sintel"


@pytest.fixture
def photo_rows(shared, tmp_path) -> pl.DataFrame:
    """Real photos as RGBA cut-outs placed at an offset in a virtual frame, one identity per person."""
    rows = []
    for i, p in enumerate(sorted(glob.glob(str(shared / "media/faces/knn_examples/train/*/*")))):
        bgr = cv2.imread(p)
        bgr = cv2.resize(bgr, (bgr.shape[1] // 4, bgr.shape[0] // 4))
        out = tmp_path / f"cut{i}.png"
        cv2.imwrite(str(out), cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA))
        h, w = bgr.shape[:2]
        # the box is twice the cut-out's size: keypoints must be scaled, then offset
        rows.append({"instance_id": f"i{i:02d}", "frame_id": f"f{i}", "path": str(out), "kept": True,
                     "x0": 100.0, "y0": 50.0, "x1": 100.0 + 2 * w, "y1": 50.0 + 2 * h, "person": Path(p).parent.name})
    filtered = pl.DataFrame(rows)
    assign = filtered.select("instance_id", pl.col("person").alias("identity"))
    names = pl.DataFrame({"identity": sorted(set(filtered["person"])), "name": sorted(set(filtered["person"]))})
    return identified_instances(filtered.drop("person"), assign, names, "knn")


def test_estimate_poses_on_real_photos_in_frame_coordinates(photo_rows, castforge_home, tmp_path):
    from resources.backends.litert_pose import LitertMoveNetPoseEstimator

    estimator = LitertMoveNetPoseEstimator()
    faces = pl.DataFrame({"face_id": ["x"], "instance_id": ["i00"], "yaw": [40.0], "face_size": [30.0],
                          "fy0": [0.0], "fy1": [30.0]})
    poses = assign_subclusters(estimate_poses(photo_rows, faces, estimator, PoseParams(), Path),
                               PoseParams(method="kmeans", n_clusters=2))
    assert poses.height == photo_rows.height
    assert poses.filter(pl.col("instance_id") == "i00")["view"][0] == "three_quarter"
    for row, pose in zip(photo_rows.iter_rows(named=True), poses.iter_rows(named=True)):
        kp = np.asarray(pose["keypoints"]).reshape(17, 3)
        nose = kp[0]
        assert row["x0"] <= nose[0] <= row["x1"] and row["y0"] <= nose[1] <= row["y1"]
        assert pose["view"] in ("front", "three_quarter", "profile", "back")
        assert pose["no_pose_reason"] is None and pose["subcluster"] >= 0
        assert pose["folder"].startswith(pose["label"] + "_pose_")
    summary = write_subcluster_folders(tmp_path / "out", poses, photo_rows, PoseParams(), Path)
    assert sum(s["count"] for s in summary["subclusters"].values()) == poses.height
    assert json.loads((tmp_path / "out" / "pose_subclustering.json").read_text()) == summary
    first = poses.row(0, named=True)
    assert (tmp_path / "out" / first["folder"] / f"{first['instance_id']}_pose.jpg").exists()
    assert subcluster_table(poses)["count"].sum() == poses.height
    # overlays drawn while the cut-outs are decoded for the estimate: the same poses and the same files
    (tmp_path / "early").mkdir()
    (tmp_path / "early" / ".overlays").mkdir()
    early = assign_subclusters(estimate_poses(photo_rows, faces, estimator, PoseParams(), Path,
                                              tmp_path / "early" / ".overlays"),
                               PoseParams(method="kmeans", n_clusters=2))
    assert early.equals(poses)
    write_subcluster_folders(tmp_path / "early", early, photo_rows, PoseParams(), Path, tmp_path / "early" / ".overlays")
    files = sorted(p.relative_to(tmp_path / "out") for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "early") for p in (tmp_path / "early").rglob("*") if p.is_file())
    assert all((tmp_path / "out" / f).read_bytes() == (tmp_path / "early" / f).read_bytes() for f in files)


def test_no_pose_reasons(tmp_path):
    class FakeBlindEstimator:
        name, model = "fake", "fake"

        def estimate(self, image, margin=0):
            return np.zeros((17, 3), np.float32)

    params = PoseParams()
    kp, reason = estimate_one(FakeBlindEstimator(), tmp_path / "gone.png", (0, 0, 10, 10), params)
    assert kp is None and reason.startswith("cut-out missing")
    tiny = tmp_path / "tiny.png"
    cv2.imwrite(str(tiny), np.zeros((8, 8, 4), np.uint8))
    assert estimate_one(FakeBlindEstimator(), tiny, (0, 0, 8, 8), params)[1].startswith("crop too small")
    ok = tmp_path / "ok.png"
    cv2.imwrite(str(ok), np.full((64, 64, 4), 200, np.uint8))
    kp, reason = estimate_one(FakeBlindEstimator(), ok, (0, 0, 64, 64), params)
    assert kp.shape == (17, 3) and reason.startswith("low confidence: 0/17")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    assert estimate_one(FakeBlindEstimator(), bad, (0, 0, 8, 8), params)[1].startswith("unreadable cut-out")


def test_empty_film_gives_empty_tables(tmp_path):
    empty = pl.DataFrame(schema={"instance_id": pl.String, "frame_id": pl.String, "identity": pl.String,
                                 "label": pl.String, "path": pl.String, "x0": pl.Float64, "y0": pl.Float64,
                                 "x1": pl.Float64, "y1": pl.Float64})
    poses = assign_subclusters(estimate_poses(empty, None, None, PoseParams(), Path), PoseParams())
    assert poses.height == 0 and "subcluster" in poses.columns
    assert subcluster_table(poses).height == 0
    assert write_subcluster_folders(tmp_path, poses, empty, PoseParams(), Path)["instances"] == 0


def test_keypoints_are_placed_from_the_cut_outs_own_origin(shared, tmp_path):
    """The instances stage writes a cut-out with a margin round the instance's box, clipped at the frame's edges
    (``crop_x0`` / ``crop_y0``: its origin). Keypoints are the estimator's on that image moved by its origin; before
    session 44 the image was stretched onto the box, which moved them toward the box's centre by up to the margin
    (Penny & Chip: 14 px median, 39 px at most)."""
    from assets.pose.core import load_cutout_rgb
    from resources.backends.litert_pose import LitertMoveNetPoseEstimator

    rgba = cv2.imread(str(shared / "media/characters_rgba/saha_front.png"), cv2.IMREAD_UNCHANGED)
    rgba = cv2.resize(rgba, (rgba.shape[1] // 2, rgba.shape[0] // 2), interpolation=cv2.INTER_AREA)
    ys, xs = np.nonzero(rgba[..., 3] > 127)
    character = rgba[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h, w = character.shape[:2]
    x0, y0, margin = 40, 120, 80  # the character's box in the frame; the frame's left edge clips the margin
    cutout = np.zeros((h + 2 * margin, x0 + w + margin, 4), np.uint8)
    cutout[margin:margin + h, x0:x0 + w] = character
    path = tmp_path / "saha.png"
    cv2.imwrite(str(path), cutout)
    rows = pl.DataFrame([{"instance_id": "saha", "identity": "a", "label": "a", "path": str(path),
                          "x0": float(x0), "y0": float(y0), "x1": float(x0 + w), "y1": float(y0 + h),
                          "crop_x0": 0, "crop_y0": y0 - margin}])
    estimator = LitertMoveNetPoseEstimator(str(shared / "models/pose/movenet_singlepose_lightning_int8_4.tflite"))
    params = PoseParams()
    kp = np.asarray(estimate_poses(rows, None, estimator, params, Path)["keypoints"][0]).reshape(17, 3)
    rgb, _ = load_cutout_rgb(path)
    local = np.asarray(estimator.estimate(rgb, margin=int(round(params.crop_padding * max(rgb.shape[:2])))))
    assert np.allclose(kp[:, :2], local[:, :2] + [0, y0 - margin], atol=0.01)
    seen = kp[:, 2] >= params.min_confidence
    assert seen.sum() >= 10  # and they lie on the character: within its box
    assert (kp[seen, 0] >= x0 - 5).all() and (kp[seen, 0] <= x0 + w + 5).all()
    assert (kp[seen, 1] >= y0 - 5).all() and (kp[seen, 1] <= y0 + h + 5).all()
