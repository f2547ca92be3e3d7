"""A character seen in one shot only, whose looks no face identity and no other shot's group takes, is a faceless
group of its own (issue 12, session 41, anime preset: ``faceless_one_shot_frames``).

On the Kenney tune film 13 (``bench/kenney_film.py build --split tune --seed 13``, ``castforge ingest``,
``materialize --select identity_clusters`` at 4a5c315) no face detector finds the robot, seen in shot 7 only (6 tight
rows), nor the zombie, whose 8 rows of shot 2 are far from its 4 of shot 11. Each formed a faceless group of one shot,
dropped by ``faceless_min_shots``, and its rows stayed noise. The rows are the ones the identity step saw
(tests/data/kenney_film_tune_s13_one_shot_rows.npz, as tests/data/kenney_film_tune_faceless_rows.npz, with the
faced rows' colour layouts: each kept cut-out's face embedding, quality, gate, detector and box where it has a face,
its MobileNet embedding, colours, silhouette and layout (float16), its shot, key frame and box, and the character its
mask overlaps best ("" none))."""

from pathlib import Path

import numpy as np

from assets.identities.core import normalise
from assets.identities.faceless_groups import one_shot_groups, recurring_only
from tests.identity_rows import assign_film_rows

ROOT = Path(__file__).resolve().parents[2]
STORED = ROOT / "tests/data/kenney_film_tune_s13_one_shot_rows.npz"


def assigned(**settings):
    """The identity step on the stored rows with the anime preset (and ``settings`` over it)."""
    return assign_film_rows(STORED, **settings)


def test_the_robot_and_the_zombie_of_one_shot_each_form_a_faceless_group():
    # faced_rows_follow_faceless off: after this step it moves the zombie's stray face of shot 2 into the group
    # (test_identities_faced_faceless_looks.py)
    characters, shots, result = assigned(faced_rows_follow_faceless=False)
    faceless = ~np.load(STORED)["has_face"]
    # the robot's 7th row of shot 7, noise before, joins its group once the group is formed
    # (test_identities_late_group_designs.py)
    for character, shot, rows in (("robot", 7, 7), ("zombie", 2, 8)):
        members = np.flatnonzero((characters == character) & (shots == shot) & faceless & (result.labels >= 0))
        assert len(members) == rows
        labels = set(result.labels[members].tolist())
        assert len(labels) == 1
        group = result.groups[labels.pop()]
        assert not group["has_faces"] and sorted(group["members"]) == members.tolist()  # one character, all of it
    assert result.stats["one_shot_groups_formed"] == 2


def test_without_the_design_join_a_zombies_shot_of_its_own_is_still_a_group():
    # the stored rows of test_identities_faceless_designs.py (its Kenney tune film): with faceless_design_join
    # off, the zombie's shots are three one-shot groups; the one on 5 key frames (shot 8) forms, all of it zombie
    characters, shots, result = assign_film_rows(ROOT / "tests/data/kenney_film_tune_faceless_rows.npz",
                                                 faceless_design_join=None)
    grouped = np.flatnonzero((characters == "zombie") & (result.labels >= 0))
    assert set(shots[grouped].tolist()) == {8} and len(grouped) == 5
    group = result.groups[int(result.labels[grouped[0]])]
    assert not group["has_faces"] and {str(c) for c in characters[group["members"]]} == {"zombie"}
    assert result.stats["one_shot_groups_formed"] == 1


def test_off_the_one_shot_groups_stay_noise():
    characters, shots, result = assigned(faceless_one_shot_frames=None)
    robot = np.flatnonzero(characters == "robot")
    assert (result.labels[robot] < 0).all()
    assert result.stats["faceless_groups_in_one_shot"] == 2 and "one_shot_groups_formed" not in result.stats


def test_a_group_under_the_frame_bar_or_with_a_placed_row_stays_noise():
    stored = np.load(STORED)
    robot = np.flatnonzero((stored["character"] == "robot") & ~stored["has_face"])   # 7 rows of shot 7
    unit = normalise(stored["appearance"][robot].astype(np.float32))
    frames = [str(f) for f in stored["frame_id"][robot]]
    labels = np.array([-1, -1, -1, -1, -1, 0, -1])
    confidence = np.zeros(7, np.float32)
    groups = [{"has_faces": True, "members": [5]}]
    # five rows of one frame (an image folder's image) form nothing
    assert one_shot_groups(labels.copy(), confidence, unit, list(groups), [[0, 1, 2, 3, 4]], [frames[0]] * 7, 5) == 0
    # five rows of five frames all noise form a group; four of four frames do not; five with row 5 placed do not
    formed = one_shot_groups(labels, confidence, unit, groups, [[0, 1, 2, 3, 4], [2, 3, 4, 5, 6]], frames, 5)
    assert one_shot_groups(np.full(7, -1), confidence, unit, list(groups), [[0, 1, 2, 3]], frames, 5) == 0
    assert formed == 1 and labels.tolist() == [1, 1, 1, 1, 1, 0, -1]
    assert not groups[1]["has_faces"] and groups[1]["members"] == [0, 1, 2, 3, 4]
    assert np.isclose(confidence[groups[1]["prototype_row"]], 1.0)


def test_recurring_only_hands_back_the_one_shot_groups():
    stats: dict = {}
    out, dropped = recurring_only(np.array([0, 0, 1, 1, 1, -1]), ["a", "b", "c", "c", "c", "d"], 2, stats)
    assert out.tolist() == [0, 0, -1, -1, -1, -1] and dropped == [[2, 3, 4]]
    assert stats["faceless_groups_in_one_shot"] == 1
