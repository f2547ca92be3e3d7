"""A view read from a drawn body's keypoints alone gives way to the view its track's faces say
(assets/pose/track_views.py, the anime preset's ``pose.track_face_view_share``; session 57, h107)."""

from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from assets.pose.core import PoseParams, estimate_poses
from assets.pose.track_views import track_face_views, track_ids, views_from_tracks
from resources.film_settings import stage_params


def _pose(instance_id: str, view: str, source: str) -> dict:
    return {"instance_id": instance_id, "view": view, "view_source": source}


def test_a_weak_view_takes_the_view_most_of_its_tracks_faces_say():
    poses = [_pose("a", "three_quarter", "face+outline"), _pose("b", "three_quarter", "face+mouth"),
             _pose("c", "front", "face"), _pose("d", "front", "keypoints"), _pose("e", "profile", "keypoints"),
             _pose("f", "front", "keypoints+crossing"), _pose("g", "unknown", "none"),
             _pose("h", "front", "keypoints"), _pose("i", "front", "face"), _pose("j", "profile", "face"),
             _pose("k", "front", "keypoints"), _pose("l", "front", "keypoints")]
    tracks = {"a": "s1-t0", "b": "s1-t0", "c": "s1-t0", "d": "s1-t0", "e": "s1-t0", "f": "s1-t0", "g": "s1-t0",
              "h": "s2-t0", "i": "s2-t0", "j": "s2-t0", "k": "s3-t0"}  # l: in no track
    # s1-t0's faces say three-quarter 2 of 3; s2-t0's two faces differ; s3-t0 has none
    assert track_face_views(poses, tracks, 0.5) == {"s1-t0": "three_quarter"}
    assert track_face_views(poses, tracks, 0.7) == {}  # 2 of 3: not more than 0.7 of them
    said = {p["instance_id"]: (p["view"], p["view_source"]) for p in views_from_tracks(poses, tracks, 0.5)}
    assert said["c"] == ("three_quarter", "face+track")
    assert said["d"] == said["e"] == ("three_quarter", "keypoints+track")
    # the turns the face rules and the crossing rule read, an unknown view, a track whose faces differ, a track
    # without a face and a cut-out in no track stand as they were
    assert said["a"] == ("three_quarter", "face+outline") and said["b"] == ("three_quarter", "face+mouth")
    assert said["f"] == ("front", "keypoints+crossing") and said["g"] == ("unknown", "none")
    assert said["h"] == said["k"] == said["l"] == ("front", "keypoints")
    assert said["i"] == ("front", "face") and said["j"] == ("profile", "face")
    assert views_from_tracks(poses, tracks, 0.0) == poses  # 0 is off
    identities = pl.DataFrame({"instance_id": ["a", "b", "c"], "track_id": ["s1-t0", None, "s1-t1"]})
    assert track_ids(identities) == {"a": "s1-t0", "c": "s1-t1"}
    assert track_ids(None) == {} and track_ids(identities.drop("track_id")) == {}


def test_drawn_bodies_whose_faces_were_missed_take_their_tracks_view_with_the_anime_preset(kenney_sprite_faces,
                                                                                          movenet):
    rows, faces, truth = kenney_sprite_faces
    drawn = PoseParams.from_dict(stage_params("track_views_test", "pose_subclusters", preset="anime"))
    assert drawn.track_face_view_share == pytest.approx(0.5)
    # each character's idle key frames (front) are one track and its jump and walk key frames (three-quarter)
    # another; in the mirrored walk and idle key frames its face was missed, so their views come from MoveNet
    tracks = {i: f"{character}:{'idle' if '_idle_' in i else 'moving'}"
              for i, character in zip(rows["instance_id"], rows["identity"])}
    missed = [i for i in rows["instance_id"] if i.endswith(("_walk0_1", "_idle_1"))]
    faces = faces.filter(~pl.col("instance_id").is_in(missed))
    before = estimate_poses(rows, faces, movenet, replace(drawn, track_face_view_share=0.0), Path, tracks=tracks)
    after = estimate_poses(rows, faces, movenet, drawn, Path, tracks=tracks)
    true_view = dict(zip(rows["instance_id"], truth))
    moved = after.filter(after["view"] != before["view"])
    gained = [i for i, v in zip(moved["instance_id"], moved["view"]) if v == true_view[i]]
    lost = [i for i in moved["instance_id"] if i not in gained and before.filter(pl.col("instance_id") == i)["view"]
            .item() == true_view[i]]
    # 6 views move, 5 of them right: the keypoints' profile, front and profile of female_adventurer's idle,
    # female_person's walk and the zombie's walk (the other 8 faceless key frames: the preset refuses their
    # keypoints, no upright body), and the yaw's front of female_person's and male_person's walk0 (their tracks'
    # jumps turned by the mouth and the outline); female_person's faceless idle takes her faces' three-quarter, which
    # the mouth rule reads into her drawn front (session 53): the rule is as good as the track's faces
    assert len(gained) >= 4 and len(lost) <= 1, (gained, lost)
    assert all(source.endswith("+track") for source in moved["view_source"])
    keep = [c for c in after.columns if c not in ("view", "view_source")]
    assert after.select(keep).equals(before.select(keep))  # the view alone moves
