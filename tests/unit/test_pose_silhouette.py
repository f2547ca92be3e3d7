"""Pose buckets of drawn characters (issue #13): the anime preset groups Kenney's poses by the cut-out's silhouette
and its motion; bench/kenney_pose_buckets.py's truth and scores."""

import zipfile
from pathlib import Path

import cv2
import numpy as np
import polars as pl
import pytest

from assets.pose.core import PoseParams, assign_subclusters, bucket_inputs, estimate_poses
from assets.pose.silhouette import silhouette_feature
from resources.film_settings import stage_params
from tests.conftest import kenney_wheel_or_skip, load_bench

# one robot: standing idle and jumping in place (two shots each, one mirrored, at two sizes), and walking across two
# shots (one each way): shot -> (pose cycle, mirrored, height in rows, speed in its heights a second)
SHOTS = {0: (("idle",), False, 200, 0.0), 1: (("idle",), True, 300, 0.0), 2: (("jump",), False, 300, 0.0),
         3: (("jump",), True, 200, 0.0), 4: (("walk0", "walk2", "walk4", "walk6"), False, 240, 0.5),
         5: (("walk0", "walk2", "walk4", "walk6"), True, 240, -0.5)}
KEY_FRAMES = 6  # per shot, half a second apart


@pytest.fixture(scope="module")
def robot_rows(tmp_path_factory) -> pl.DataFrame:
    """The robot's cut-outs (RGBA PNGs of the sprites) as identified instances with boxes, shots and times; the
    true pose class in ``pose``."""
    from assets.instances.kenney_characters import read_sprite, upscale_rgba

    out = tmp_path_factory.mktemp("robot")
    rows = []
    with zipfile.ZipFile(kenney_wheel_or_skip()) as archive:
        for shot, (cycle, mirrored, height, speed) in SHOTS.items():
            for k in range(KEY_FRAMES):
                pose = cycle[k % len(cycle)]
                rgba = upscale_rgba(read_sprite(archive, "robot", pose), height / 128)
                rgba = np.ascontiguousarray(rgba[:, ::-1]) if mirrored else rgba
                path = out / f"s{shot}_k{k}.png"
                cv2.imwrite(str(path), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
                x0 = 100.0 + speed * height * 0.5 * k
                rows.append({"instance_id": f"s{shot}_k{k}", "frame_id": f"s{shot}_f{k}", "path": str(path),
                             "shot": shot, "timestamp_s": 10.0 * shot + 0.5 * k, "x0": x0, "y0": 0.0,
                             "x1": x0 + rgba.shape[1], "y1": float(rgba.shape[0]), "identity": "robot",
                             "label": "robot", "pose": pose.rstrip("0123456789")})
    return pl.DataFrame(rows)


def test_a_pose_and_its_mirror_image_are_one_silhouette_and_size_does_not_change_it(robot_rows):
    from resources.image_codec import read_image

    alpha = {r["instance_id"]: read_image(r["path"])[:, :, 3] for r in robot_rows.iter_rows(named=True)}
    idle_small, idle_large_mirrored = silhouette_feature(alpha["s0_k0"]), silhouette_feature(alpha["s1_k0"])
    jump = silhouette_feature(alpha["s3_k0"])
    assert np.abs(silhouette_feature(alpha["s0_k0"][:, ::-1]) - idle_small).max() < 1e-5
    assert np.abs(idle_small - idle_large_mirrored).mean() < 0.25 * np.abs(idle_small - jump).mean()
    assert silhouette_feature(np.zeros((8, 8), np.uint8)) is None


def _buckets_by_pose(poses: pl.DataFrame, rows: pl.DataFrame) -> dict[str, set[str]]:
    joined = poses.join(rows.select("instance_id", "pose"), on="instance_id")
    return {p: set(g["pose_bucket"]) for (p,), g in joined.group_by(["pose"])}


def test_the_anime_preset_buckets_a_drawn_character_by_its_silhouette_one_pose_a_bucket(robot_rows, shared):
    from resources.backends.litert_pose import LitertMoveNetPoseEstimator

    estimator = LitertMoveNetPoseEstimator(str(shared / "models/pose/movenet_singlepose_lightning_int8_4.tflite"))
    drawn = PoseParams.from_dict(stage_params("pose_buckets_test", "pose_subclusters", preset="anime"))
    assert drawn.bucket_features == "silhouette" and drawn.motion_split_speed > 0
    rows = robot_rows.drop("pose")
    estimated = estimate_poses(rows, None, estimator, drawn, Path)
    by_silhouette = _buckets_by_pose(assign_subclusters(estimated, drawn, *bucket_inputs(rows, drawn, Path)),
                                     robot_rows)
    # every pose has its buckets, none shared with another pose, and none of it is noise
    assert all(by_silhouette.values()) and "noise" not in set().union(*by_silhouette.values()), by_silhouette
    assert not by_silhouette["idle"] & by_silhouette["jump"], by_silhouette
    assert not (by_silhouette["idle"] | by_silhouette["jump"]) & by_silhouette["walk"], by_silhouette
    # (MoveNet's keypoints with the view separate these clean whole sprites too; on the Kenney films' cut-outs,
    # small, cut by the frame or by another character, they left 30% of them noise and one bucket for the rest)


def test_the_silhouettes_come_from_the_estimates_decode_not_a_second_one(robot_rows, tmp_path):
    """Each cut-out is decoded once: the silhouettes the estimate takes from its decode equal a separate read of
    the files, and bucket_inputs then reads only what the estimate did not decode (a missing cut-out here)."""
    class FakeBlindEstimator:
        def estimate(self, rgb, margin=0):
            return np.zeros((17, 3), np.float32)

    drawn = PoseParams(bucket_features="silhouette")
    rows = robot_rows.drop("pose").with_columns(pl.col("path").str.replace(r"^.*/", str(tmp_path) + "/"))
    for source, copy in zip(robot_rows["path"], rows["path"]):
        Path(copy).write_bytes(Path(source).read_bytes())
    rows = pl.concat([rows, rows.head(1).with_columns(instance_id=pl.lit("gone"), path=pl.lit(str(tmp_path / "gone.png")))])
    read_twice = bucket_inputs(rows, drawn, Path)
    seen: dict = {}
    estimate_poses(rows, None, FakeBlindEstimator(), drawn, Path, silhouettes=seen)
    assert set(seen) == set(robot_rows["instance_id"])   # every cut-out decoded, the missing one not
    for path in rows["path"]:
        Path(path).unlink(missing_ok=True)   # a second decode would now find nothing
    silhouettes, speeds = bucket_inputs(rows, drawn, Path, seen)
    assert set(silhouettes) == set(read_twice[0]) and speeds == read_twice[1]
    assert all(np.array_equal(silhouettes[i], read_twice[0][i]) for i in silhouettes)


def test_a_3d_film_keeps_its_keypoint_buckets_and_reads_no_silhouette(robot_rows):
    assert PoseParams().bucket_features == "keypoints"
    assert bucket_inputs(robot_rows, PoseParams(), Path) == (None, None)
    with pytest.raises(ValueError, match="bucket_features"):
        PoseParams(bucket_features="outline")


def test_the_bench_scores_buckets_against_pose_classes_and_drawings():
    bench = load_bench("kenney_pose_buckets")
    assert [bench.pose_class(p) for p in ("walk3", "climb0", "idle", "fall")] == ["walk", "climb", "idle", "fall"]
    rows = [{"identity": "a", "class": c, "drawing": d, "bucket": b} for c, d, b in
            (("walk", "walk0", "pose_000"), ("walk", "walk2", "pose_000"), ("idle", "idle", "pose_001"),
             ("idle", "idle", "pose_001"), ("jump", "jump", "noise"))]
    scores = bench.identity_scores(rows)
    assert scores["buckets"] == 2 and scores["noise_share"] == 0.2
    assert scores["class"]["homogeneity"] == 1.0 and scores["class"]["f"] == 1.0
    assert scores["drawing"]["precision"] == 0.8 and scores["class"]["one_bucket_f"] < 0.6
    single = bench.summary(rows + [{"identity": "b", "class": "walk", "drawing": "walk0", "bucket": "pose_000"}])
    assert single["all"]["items"] == 6 and single["mixed"]["identities"] == 1
