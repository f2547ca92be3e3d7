"""A faceless look a face identity adopted before the faceless groups were formed moves to the faceless group of its
character (issue 12, session 29 h5, anime preset: ``adopted_looks_follow_faceless``).

The rows are the ones the identity step saw on a Kenney tune image set with composites redrawn
(``bench/anime_image_set.py build DIR --characters kenney --split tune --redraw 34``; a fresh home at c11802e,
``castforge ingest DIR --film kv``, ``castforge materialize kv --select identity_clusters``, no film config;
tests/data/kenney_tune_d_adopted_robot_rows.npz, the form of cc0_tune_loose_faces.npz, float16). The robot pasted
in front of the background boy on ``pair_male_adventurer_robot.png`` is cut with the boy's face, which clusters with
the background children's faces; that face identity's members then include the robot's look, and two robot
cut-outs of other frames (``pair_female_person_robot.png``, ``single_robot_0.png``) were adopted by it (0.71 / 0.58
to its face members in the image embedding / colours) before the robot's own sprites formed a faceless group
(0.87-0.92 / 0.95-0.98)."""

from pathlib import Path

import numpy as np

from tests.unit.test_identities_loose_face_agreement import assigned, identity_of, in_frame_of, row

ROWS = Path(__file__).resolve().parents[2] / "tests/data/kenney_tune_d_adopted_robot_rows.npz"
ADOPTED = [("pair_female_person_robot.png", "robot"), ("single_robot_0.png", "robot")]


def faceless_robot_group(stored, result) -> int:
    label = identity_of(stored, result, "robot")
    assert not result.groups[label]["has_faces"]
    return label


def test_adopted_robot_looks_join_the_robots_faceless_group():
    stored, result = assigned(True, path=ROWS)
    robot = faceless_robot_group(stored, result)
    for image, character in ADOPTED:
        k = row(stored, image, character)
        assert not stored["has_face"][k]
        assert result.labels[k] == robot and result.by[k] == "appearance"
    assert result.stats["adopted_looks_returned"] == 2
    # every labelled row that moved is the robot's: no other character leaves its identity
    _, before = assigned(True, path=ROWS, adopted_looks_follow_faceless=False)
    moved = np.flatnonzero(before.labels != result.labels)
    assert {str(c) for c in stored["character"][moved]} == {"robot"}


def test_without_it_they_stay_in_the_background_childrens_face_identity():
    stored, result = assigned(True, path=ROWS, adopted_looks_follow_faceless=False)
    robot = faceless_robot_group(stored, result)
    for image, character in ADOPTED:
        label = result.labels[row(stored, image, character)]
        assert label != robot and result.groups[label]["has_faces"]


def test_a_faceless_group_sharing_the_frame_takes_no_row():
    """Two rows of one frame are two characters: with a robot sprite of the faceless group moved into the adopted
    row's frame, that row stays where adoption put it."""
    stored = dict(np.load(ROWS))
    k, sprite = row(stored, *ADOPTED[1]), row(stored, "rgba_robot_idle.png", "robot")
    stored = in_frame_of(ROWS, sprite, k)
    _, result = assigned(True, stored=stored)
    assert result.groups[result.labels[k]]["has_faces"]
    assert result.labels[row(stored, *ADOPTED[0])] == result.labels[sprite]
