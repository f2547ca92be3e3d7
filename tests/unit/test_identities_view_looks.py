"""A back view the image embedding reads as another character's joins its own identity by its colours (issue 12,
session 30 h3, anime preset: ``appearance_view_looks``).

The rows are the ones the identity step saw on a Kenney tune image set with composites redrawn
(``bench/anime_image_set.py build DIR --characters kenney --split tune --redraw 32``; a fresh home at 7dfcc6c,
``castforge ingest DIR --film f``, ``castforge materialize f --select identity_clusters``, no film config;
tests/data/kenney_tune_b_view_look_rows.npz, the form of kenney_tune_d_adopted_robot_rows.npz, float16). The male
person seen from behind (``rgba_male_person_climb0.png``) is nearest the faceless group of the female adventurer's
two back views in the image embedding (0.79, his own identity 0.76) but his own identity's members in every view in
the colours (0.96 vs 0.79); the robot seen from behind is 0.95 alike in colour to the robot's faceless group and
0.3 to anything else, and ties the male adventurer in the image embedding. Both stayed noise: the clear lead asks
every block to name the identity and only a face identity to adopt."""

from pathlib import Path

import numpy as np

from tests.unit.test_identities_loose_face_agreement import assigned, identity_of, in_frame_of, row

ROWS = Path(__file__).resolve().parents[2] / "tests/data/kenney_tune_b_view_look_rows.npz"
BACK_VIEWS = [("rgba_male_person_climb0.png", "male_person"), ("rgba_robot_climb0.png", "robot")]


def characters_of(stored, result, label: int) -> set[str]:
    return {str(c) for c in stored["character"][result.labels == label] if c}


def assert_only_views_joined(stored, result, before, views: list[tuple[str, str]]) -> None:
    """Each faceless view ((image, character)) of ``result`` sits in its character's face identity, every identity
    holds one character, and against ``before`` (the same rows, a rule off) only those views moved."""
    for image, character in views:
        k = row(stored, image, character)
        assert not stored["has_face"][k]
        assert result.labels[k] == identity_of(stored, result, character)
        assert result.groups[result.labels[k]]["has_faces"]
    for label in set(result.labels[result.labels >= 0].tolist()):
        assert len(characters_of(stored, result, label)) <= 1
    moved = np.flatnonzero(before.labels != result.labels)
    assert sorted(int(k) for k in moved) == sorted(row(stored, *view) for view in views)


def test_back_views_join_their_characters_identities():
    stored, result = assigned(True, path=ROWS)
    for image, character in BACK_VIEWS:
        k = row(stored, image, character)
        assert not stored["has_face"][k]
        assert result.labels[k] == identity_of(stored, result, character)
    assert result.groups[identity_of(stored, result, "male_person")]["has_faces"]
    assert not result.groups[identity_of(stored, result, "robot")]["has_faces"]
    assert result.stats["view_looks_joined"] == 2
    # precision: every identity holds one character, and only the two back views moved
    for label in set(result.labels[result.labels >= 0].tolist()):
        assert len(characters_of(stored, result, label)) == 1, (label, characters_of(stored, result, label))
    _, before = assigned(True, path=ROWS, appearance_view_looks=None)
    _, looks_only = assigned(True, path=ROWS, appearance_view_groups=False)   # the view groups (session 31) also
    moved = np.flatnonzero(before.labels != looks_only.labels)               # place her back views' pair group
    assert sorted(int(k) for k in moved) == sorted(row(stored, *view) for view in BACK_VIEWS)


def test_without_it_the_back_views_are_noise():
    stored, result = assigned(True, path=ROWS, appearance_view_looks=None)
    for view in BACK_VIEWS:
        assert result.labels[row(stored, *view)] == -1
    assert "view_looks_joined" not in result.stats


def test_a_member_in_the_back_views_frame_keeps_it_out():
    """Two rows of one frame are two characters: with one of the robot group's sprites moved into the robot back
    view's frame, the back view stays noise; the male person's still joins."""
    stored = dict(np.load(ROWS))
    k, sprite = row(stored, *BACK_VIEWS[1]), row(stored, "rgba_robot_idle.png", "robot")
    stored = in_frame_of(ROWS, sprite, k)
    _, result = assigned(True, stored=stored)
    assert result.labels[k] == -1
    assert result.labels[row(stored, *BACK_VIEWS[0])] == identity_of(stored, result, "male_person")

