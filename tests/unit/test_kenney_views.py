"""Views of drawn characters (issue #13): bench/kenney_views.py's truth and verdicts, and MoveNet's keypoint views on
Kenney's sprites, which the anime preset no longer reads."""

import zipfile
from pathlib import Path

import cv2
import polars as pl
import pytest

from assets.pose.core import PoseParams, estimate_poses
from resources.film_settings import stage_params
from tests.conftest import kenney_wheel_or_skip, load_bench


def test_each_kenney_pose_has_one_view_and_a_walk_drawing_is_held_three_frames():
    views = load_bench("kenney_views")
    assert {views.VIEW_OF_POSE[p] for p in ("idle",)} == {"front"}
    assert {views.VIEW_OF_POSE[f"walk{k}"] for k in range(8)} | {views.VIEW_OF_POSE["jump"]} == {"three_quarter"}
    assert views.VIEW_OF_POSE["climb0"] == views.VIEW_OF_POSE["climb1"] == "back"
    shot = {"start_frame": 100, "characters": [{"character": "robot", "poses": ["walk0", "walk2", "walk4"]},
                                                {"character": "zombie", "poses": ["idle"]}]}
    assert [views.pose_at(shot, "robot", 100 + f) for f in (0, 2, 3, 8, 9)] == \
        ["walk0", "walk0", "walk2", "walk4", "walk0"]
    assert views.pose_at(shot, "zombie", 140) == "idle"


def test_a_view_two_turns_off_is_far_and_unknown_is_no_verdict():
    views = load_bench("kenney_views")
    assert views.verdict("unknown", "back") == "none"
    assert views.verdict("front", "three_quarter") == "wrong" and not views.far("front", "three_quarter")
    assert views.far("back", "three_quarter") and views.far("front", "back") and not views.far("back", "profile")
    rows = [{"true_view": "back", "view": v, "source": s, "verdict": views.verdict(v, "back")}
            for v, s in (("back", "keypoints"), ("front", "keypoints"), ("unknown", "none"))]
    assert views.tally(rows)["by_true_view"]["back"] == {"n": 3, "right": 1, "wrong": 1, "none": 1, "wrong_far": 1,
                                                          "right_share": 0.333, "wrong_of_said": 0.5}


@pytest.fixture(scope="module")
def sprite_rows(tmp_path_factory) -> pl.DataFrame:
    """Kenney's six characters in a tune pose of each view (idle, walk0, climb0) as RGBA cut-outs 360 rows tall,
    the size of a character in a 480-row film, as identified instances without a face."""
    from assets.instances.kenney_characters import CHARACTERS, read_sprite, upscale_rgba

    out = tmp_path_factory.mktemp("sprites")
    rows = []
    with zipfile.ZipFile(kenney_wheel_or_skip()) as archive:
        for character in CHARACTERS:
            for pose in ("idle", "walk0", "climb0"):
                rgba = upscale_rgba(read_sprite(archive, character, pose), 360 / 128)
                path = out / f"{character}_{pose}.png"
                cv2.imwrite(str(path), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
                h, w = rgba.shape[:2]
                rows.append({"instance_id": f"{character}_{pose}", "frame_id": "f0", "path": str(path),
                             "x0": 0.0, "y0": 0.0, "x1": float(w), "y1": float(h), "identity": character,
                             "label": character, "pose": pose})
    return pl.DataFrame(rows)


def test_movenet_says_no_back_of_a_faceless_drawn_character_in_the_anime_preset(sprite_rows, shared):
    from resources.backends.litert_pose import LitertMoveNetPoseEstimator

    views = load_bench("kenney_views")
    estimator = LitertMoveNetPoseEstimator(str(shared / "models/pose/movenet_singlepose_lightning_int8_4.tflite"))
    truth = [views.VIEW_OF_POSE[p] for p in sprite_rows["pose"]]

    def verdicts(params: PoseParams) -> dict[str, int]:
        said = estimate_poses(sprite_rows.drop("pose"), None, estimator, params, Path)["view"].to_list()
        found = [views.verdict(v, t) for v, t in zip(said, truth)]
        return {**{k: found.count(k) for k in ("right", "wrong", "none")},
                "far": sum(views.far(v, t) for v, t in zip(said, truth)), "back": said.count("back")}

    # the photo-trained model on these flat drawings: three standing fronts and a walker read as backs
    every = verdicts(PoseParams())
    assert every["wrong"] > 2 * every["right"] and every["far"] >= 5 and every["back"] >= 3, every
    drawn = PoseParams.from_dict(stage_params("kenney_views_test", "pose_subclusters", preset="anime"))
    assert drawn.keypoint_views == "upright_facing"
    upright = verdicts(drawn)
    assert upright["back"] == 0 and upright["far"] < every["far"] and upright["wrong"] < every["wrong"], upright
    assert upright["right"] == every["right"]
