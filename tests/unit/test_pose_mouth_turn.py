"""A drawn face's front turned three-quarter by where its mouth sits (assets/pose/views.py mouth_offset, the anime
preset's ``pose.face_turn_mouth_offset``; session 53, h91)."""

import zipfile
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import polars as pl
import pytest

from assets.faces.core import head_pose
from assets.pose.core import PoseParams, estimate_poses
from assets.pose.views import mouth_offset, mouth_turned_view
from resources.film_settings import stage_params
from tests.conftest import kenney_wheel_or_skip, load_bench


def test_the_mouth_offset_is_sideways_in_eye_distances_and_none_without_landmarks():
    centred = [(40, 50), (60, 50), (50, 60), (44, 70), (56, 70)]
    turned = [(40, 50), (60, 50), (53, 60), (47, 70), (59, 70)]  # the mouth 3 px right of the eyes' middle: 0.15
    assert mouth_offset(np.array(centred, float)) == 0.0
    assert mouth_offset(np.array(turned, float)) == pytest.approx(0.15)
    assert mouth_offset(np.array(turned, float) * [-1, 1]) == pytest.approx(0.15)  # mirrored: the same turn
    assert mouth_offset(None) is None
    assert mouth_offset(np.array([(50, 50)] * 5, float)) is None  # no eye distance


def test_only_a_front_read_from_a_face_turns_and_zero_is_off():
    assert mouth_turned_view("front", "face", 0.2, 0.16) == ("three_quarter", "face+mouth")
    assert mouth_turned_view("front", "face", 0.15, 0.16) == ("front", "face")
    assert mouth_turned_view("front", "face", 0.9, 0.0) == ("front", "face")
    assert mouth_turned_view("front", "keypoints", 0.9, 0.16) == ("front", "keypoints")
    assert mouth_turned_view("profile", "face", 0.9, 0.16) == ("profile", "face")
    assert mouth_turned_view("front", "face", None, 0.16) == ("front", "face")


@pytest.fixture(scope="module")
def sprite_faces(tmp_path_factory) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """Kenney's six characters standing in the tune poses of two views (idle: front; jump, walk0: three-quarter),
    each as drawn and mirrored, 360 rows tall on a grey 480-row frame: (identified instances, their drawn faces
    as the faces stage stores them (YuNet at the 2D threshold, else the LBP cascade), true views)."""
    from assets.instances.kenney_characters import CHARACTERS, read_sprite, upscale_rgba
    from resources.face_analyzer import FaceAnalyzerResource

    views = load_bench("kenney_views")
    analyzer = FaceAnalyzerResource(drawn_detectors=["yunet", "anime"]).get(anime=True)
    out = tmp_path_factory.mktemp("standing")
    rows, faces, truth = [], [], []
    with zipfile.ZipFile(kenney_wheel_or_skip()) as archive:
        for character in CHARACTERS:
            for pose in ("idle", "jump", "walk0"):
                for mirrored in (False, True):
                    rgba = upscale_rgba(read_sprite(archive, character, pose), 360 / 128)
                    rgba = np.ascontiguousarray(rgba[:, ::-1]) if mirrored else rgba
                    h, w = rgba.shape[:2]
                    frame = np.full((480, 640, 3), 150, np.uint8)
                    alpha = rgba[..., 3:] / 255.0
                    frame[60:60 + h, 100:100 + w] = (rgba[..., :3] * alpha + 150 * (1 - alpha)).astype(np.uint8)
                    instance_id = f"{character}_{pose}_{int(mirrored)}"
                    path = out / f"{instance_id}.png"
                    cv2.imwrite(str(path), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
                    rows.append({"instance_id": instance_id, "frame_id": "f0", "path": str(path), "crop_x0": 100,
                                 "crop_y0": 60, "x0": 100.0, "y0": 60.0, "x1": 100.0 + w, "y1": 60.0 + h,
                                 "identity": character, "label": character})
                    truth.append(views.VIEW_OF_POSE[pose])
                    found = analyzer.detect(frame, "yunet") or analyzer.detect(frame, "anime")
                    for face in found:
                        x0, y0, x1, y1 = face.box
                        landmarks = None if face.landmarks is None else np.asarray(face.landmarks, np.float32)
                        faces.append({"instance_id": instance_id, "fx0": x0, "fy0": y0, "fx1": x1, "fy1": y1,
                                      "face_size": min(x1 - x0, y1 - y0), "yaw": head_pose(landmarks)[0],
                                      "landmarks": None if landmarks is None else landmarks.reshape(-1).tolist()})
    return pl.DataFrame(rows), pl.DataFrame(faces, schema_overrides={"landmarks": pl.List(pl.Float32)}), truth


def test_standing_drawn_three_quarters_said_front_by_their_face_turn_with_the_anime_preset(sprite_faces, shared):
    from resources.backends.litert_pose import LitertMoveNetPoseEstimator

    rows, faces, truth = sprite_faces
    estimator = LitertMoveNetPoseEstimator(str(shared / "models/pose/movenet_singlepose_lightning_int8_4.tflite"))
    drawn = PoseParams.from_dict(stage_params("mouth_turn_test", "pose_subclusters", preset="anime"))
    assert drawn.face_turn_mouth_offset == pytest.approx(0.16)
    before = estimate_poses(rows, faces, estimator, replace(drawn, face_turn_mouth_offset=0.0), Path)
    after = estimate_poses(rows, faces, estimator, drawn, Path)
    with_face = set(faces["instance_id"])
    said_front = [(i, t) for i, t, v, s in zip(before["instance_id"], truth, before["view"], before["view_source"])
                  if i in with_face and v == "front" and s == "face"]
    # YuNet finds most of these faces and its yaw says front for nearly all of them, the turned ones included
    assert sum(t == "three_quarter" for _, t in said_front) >= 12, said_front
    turned = dict(zip(after["instance_id"], after["view"]))
    gained = [i for i, t in said_front if t == "three_quarter" and turned[i] == "three_quarter"]
    lost = [i for i, t in said_front if t == "front" and turned[i] != "front"]
    # on these clean sprites 5 of the standing three-quarters turn (their mouth 0.19-0.23 eye distances off the
    # eyes' middle) and 1 front does (female_person's idle as drawn: 0.167); base code turns none
    assert len(gained) >= 4 and len(lost) <= 1, (gained, lost)
    keep = [c for c in after.columns if c not in ("view", "view_source")]
    assert after.select(keep).equals(before.select(keep))  # the view alone moves
