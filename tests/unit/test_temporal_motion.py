"""Character tracks, camera-compensated speeds and the movement heuristics."""

import numpy as np
import polars as pl
import pytest

from assets.motion.core import MotionParams, character_motion, motion_energy, movement_label, pose_dynamics
from assets.motion.tracks import link_tracks, track_points
from assets.shot_analysis.stream import SIGNAL_SCHEMA

PARAMS = MotionParams()
W, H, FPS = 640, 360, 24


def _frames(count: int, step: int = 6) -> pl.DataFrame:
    return pl.DataFrame({"frame_id": [f"f{i}" for i in range(count)], "frame_index": [i * step for i in range(count)],
                         "width": [W] * count, "height": [H] * count})


def _instances(boxes: dict[str, list[tuple[float, float, float, float]]], step: int = 6) -> pl.DataFrame:
    """Instances of characters (name -> one box per key frame), key frames ``step`` video frames apart."""
    rows = []
    for name, track in boxes.items():
        for i, (x0, y0, x1, y1) in enumerate(track):
            rows.append({"instance_id": f"{name}{i}", "frame_id": f"f{i}", "shot": 0, "timestamp_s": i * step / FPS,
                         "x0": x0, "y0": y0, "x1": x1, "y1": y1, "kept": True})
    return pl.DataFrame(rows)


def _pan_signals(frames: int, dx_per_frame: float) -> pl.DataFrame:
    """The background moving ``dx_per_frame`` frame widths per frame (a camera panning the other way)."""
    return pl.DataFrame({"frame_index": range(frames), "timestamp_s": [i / FPS for i in range(frames)],
                         "shot": [0] * frames, "luma": [100.0] * frames, "bright_share": [0.0] * frames,
                         "lab_a": [0.0] * frames, "lab_b": [0.0] * frames, "lab_spread": [0.0] * frames,
                         "saturation": [0.0] * frames,
                         "dx": [dx_per_frame] * frames, "dy": [0.0] * frames, "log_scale": [0.0] * frames,
                         "rotation_deg": [0.0] * frames, "inliers": [80] * frames}, schema=SIGNAL_SCHEMA)


def test_two_characters_crossing_paths_keep_their_tracks():
    left = [(100 + 20 * i, 100, 200 + 20 * i, 300) for i in range(5)]
    right = [(400 - 20 * i, 110, 500 - 20 * i, 310) for i in range(5)]
    rows = _instances({"a": left, "b": right}).with_columns(pl.lit(None, pl.String).alias("identity"))
    tracks = dict(zip(rows["instance_id"], link_tracks(rows)))
    assert len({tracks[f"a{i}"] for i in range(5)}) == 1 and len({tracks[f"b{i}"] for i in range(5)}) == 1
    assert tracks["a0"] != tracks["b0"]


def test_a_character_the_camera_follows_moves_in_the_world_not_in_the_frame():
    # the camera pans right at 0.1 frame widths/s: the background slides left; the character stays centred
    boxes = [(270, 60, 370, 300)] * 6
    points = track_points(_instances({"a": boxes}), _frames(6), None, _pan_signals(40, -0.1 / FPS))
    moving = points.drop_nulls("vx")
    assert moving["vx"].abs().max() == pytest.approx(0.0, abs=1e-6)
    assert moving["rel_vx"].mean() == pytest.approx(0.1 * W, rel=0.05)  # px/s against the background
    motion = character_motion(points, None, None, W, PARAMS)
    row = motion.row(0, named=True)
    assert row["speed"] == pytest.approx(0.0, abs=1e-6) and row["rel_speed"] == pytest.approx(0.1, rel=0.05)
    assert row["rel_direction_deg"] == pytest.approx(0.0, abs=1.0)  # rightward
    # 0.27 body heights per second against the background: walking, though it never moves in the frame
    assert row["body_speed"] == pytest.approx(0.1 * W / 240, rel=0.05) and row["movement"] == "walking"


@pytest.mark.parametrize("shift_per_point, expected", [(0, "still"), (20, "walking"), (80, "running")])
def test_speed_labels(shift_per_point, expected):
    boxes = [(100 + shift_per_point * i, 60, 200 + shift_per_point * i, 300) for i in range(5)]
    motion = character_motion(track_points(_instances({"a": boxes}), _frames(5), None, None), None, None, W, PARAMS)
    row = motion.row(0, named=True)
    assert row["movement"] == expected and row["note"] == "camera motion unknown: speeds are in the frame"


def test_jump_from_the_feet_rising():
    lifts = [0, 30, 60, 30, 0]
    boxes = [(200, 60 - lift, 300, 300 - lift) for lift in lifts]
    motion = character_motion(track_points(_instances({"a": boxes}), _frames(5), None, None), None, None, W, PARAMS, H)
    assert motion["movement"][0] == "jumping"
    # walking toward the camera: the box grows and its bottom moves, but nobody jumps
    approach = [(300 - 10 * i, 100 - 20 * i, 340 + 10 * i, 200 + 30 * i) for i in range(5)]
    motion = character_motion(track_points(_instances({"a": approach}), _frames(5), None, None), None, None, W,
                              PARAMS, H)
    assert motion["movement"][0] != "jumping"


def _pose(hip_y: float, knee_y: float, wrist_x: float) -> list[float]:
    kp = np.zeros((17, 3))
    kp[:, 2] = 0.9
    kp[[5, 6], 0], kp[[5, 6], 1] = (230, 270), 120
    kp[[11, 12], 0], kp[[11, 12], 1] = (235, 265), hip_y
    kp[[13, 14], 0], kp[[13, 14], 1] = (220, 280), knee_y
    kp[[9, 10], 0], kp[[9, 10], 1] = wrist_x, 180
    return kp.reshape(-1).tolist()


def test_sitting_and_gesturing_from_keypoints():
    boxes = [(200, 60, 300, 300)] * 4
    points = track_points(_instances({"a": boxes}), _frames(4), None, None)
    seated = pl.DataFrame({"instance_id": [f"a{i}" for i in range(4)],
                           "keypoints": [_pose(220, 225, 230) for _ in range(4)]})
    assert character_motion(points, seated, None, W, PARAMS)["movement"][0] == "sitting"
    waving = pl.DataFrame({"instance_id": [f"a{i}" for i in range(4)],
                           "keypoints": [_pose(220, 280, 230 + 40 * (i % 2)) for i in range(4)]})
    articulation, wrists, sitting = pose_dynamics(points, {r[0]: np.array(r[1]).reshape(17, 3)
                                                           for r in waving.iter_rows()}, PARAMS)
    assert sitting is False and wrists == pytest.approx(40 / 240 / 0.25, rel=0.01)
    assert character_motion(points, waving, None, W, PARAMS)["movement"][0] == "gesturing"


def test_single_key_frame_and_no_instances():
    assert movement_label(None, None, None, None, PARAMS) == (None, "one key frame: no motion measured")
    single = character_motion(track_points(_instances({"a": [(0, 0, 10, 10)]}), _frames(1), None, None),
                              None, None, W, PARAMS)
    assert single["movement"][0] is None and single["note"][0] == "single key frame"
    empty = track_points(_instances({"a": [(0, 0, 10, 10)]}).clear(), _frames(1), None, None)
    assert empty.height == 0 and character_motion(empty, None, None, W, PARAMS).height == 0


def test_energy_per_shot_and_identity():
    boxes = [(100 + 20 * i, 60, 200 + 20 * i, 300) for i in range(5)]
    identities = pl.DataFrame({"instance_id": [f"a{i}" for i in range(5)], "identity": ["hero"] * 5})
    points = track_points(_instances({"a": boxes}), _frames(5), identities, None)
    motion = character_motion(points, None, None, W, PARAMS)
    shots = pl.DataFrame({"shot": [0, 1], "motion_magnitude": [0.1, 0.0], "duration_s": [2.0, 1.0]},
                         schema={"shot": pl.Int32, "motion_magnitude": pl.Float64, "duration_s": pl.Float64})
    energy = motion_energy(motion, shots)
    assert energy.filter(pl.col("scope") == "shot")["tracks"].to_list() == [1, 0]
    hero = energy.filter(pl.col("scope") == "identity").row(0, named=True)
    assert hero["key"] == "hero" and hero["motion_energy"] == pytest.approx(motion["motion_energy"][0])

    from assets.shot_analysis.timeline import motion_timeline

    picture = motion_timeline(motion, 2.0)
    assert picture is not None and picture.shape[2] == 3 and motion_timeline(motion.clear(), 2.0) is None


def test_the_identity_stages_tracks_are_used_and_gaps_linked_here():
    left = [(100 + 20 * i, 100, 200 + 20 * i, 300) for i in range(4)]
    right = [(400, 110, 500, 310)] * 4
    identities = pl.DataFrame({"instance_id": [f"a{i}" for i in range(4)] + [f"b{i}" for i in range(4)],
                               "identity": ["hero"] * 4 + ["noise"] * 4,  # noise: no identity claimed them
                               "track_id": ["s0-t0"] * 4 + [""] * 4})  # "": the identity stage made no track
    points = track_points(_instances({"a": left, "b": right}), _frames(4), identities, None)
    tracks = dict(zip(points["instance_id"], points["track_id"]))
    assert {tracks[f"a{i}"] for i in range(4)} == {"s0-t0"}
    assert len({tracks[f"b{i}"] for i in range(4)}) == 1 and tracks["b0"] not in ("", "s0-t0", None)
    assert points.filter(pl.col("instance_id").str.starts_with("b"))["identity"].null_count() == 4
