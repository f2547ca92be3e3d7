"""A faceless group of one character's back views joins her face identity (issue 12, session 31 h1, anime preset:
``appearance_view_groups``).

The rows are the ones the identity step saw on a Kenney tune image set with composites redrawn
(``bench/anime_image_set.py build DIR --characters kenney --split tune --redraw 32``; a fresh home at 9850a88,
``castforge ingest DIR --film f``, ``castforge materialize f --select identity_clusters``, no film config;
tests/data/kenney_tune_r32_view_group_rows.npz, the form of kenney_tune_b_view_look_rows.npz, float16, with each
row's pose). The female adventurer's two back views (``climb0``, alone and flipped beside the female person) pair
into a faceless group of their own: her look split over two identities. The group's colours are 0.856 alike to
her face identity's, 0.064 ahead of the male adventurer's (her palette, another design); no other faceless group of
the tune sets comes within 0.67 of a face identity in the colours."""

from pathlib import Path

import numpy as np

from tests.unit.test_identities_loose_face_agreement import assigned, identity_of, row
from tests.unit.test_identities_view_looks import assert_only_views_joined, characters_of

ROWS = Path(__file__).resolve().parents[2] / "tests/data/kenney_tune_r32_view_group_rows.npz"
BACK_VIEWS = [("pair_female_adventurer_female_person.png", "female_adventurer"),
              ("rgba_female_adventurer_climb0.png", "female_adventurer")]


def test_her_back_views_group_joins_her_face_identity():
    stored, result = assigned(True, path=ROWS)
    hers = identity_of(stored, result, "female_adventurer")
    assert result.groups[hers]["has_faces"]
    for view in BACK_VIEWS:
        k = row(stored, *view)
        assert not stored["has_face"][k] and stored["pose"][k].startswith("climb0")
        assert result.labels[k] == hers and result.by[k] == "appearance"
    assert (result.labels[stored["character"] == "female_adventurer"] == hers).all()
    # precision: every identity holds one character, and only the group's two rows moved
    for label in set(result.labels[result.labels >= 0].tolist()):
        assert len(characters_of(stored, result, label)) <= 1
    _, before = assigned(True, path=ROWS, appearance_view_groups=False)
    moved = np.flatnonzero(before.labels != result.labels)
    assert sorted(int(k) for k in moved) == sorted(row(stored, *view) for view in BACK_VIEWS)
    assert result.stats["view_groups_joined"] == 2


def test_without_it_they_are_a_group_of_their_own():
    stored, result = assigned(True, path=ROWS, appearance_view_groups=False)
    first, second = (row(stored, *view) for view in BACK_VIEWS)
    assert result.labels[first] == result.labels[second] >= 0
    assert not result.groups[result.labels[first]]["has_faces"]
    assert result.labels[first] != identity_of(stored, result, "female_adventurer")


def test_a_row_leading_further_toward_her_in_the_colours_keeps_it_apart():
    """The face no identity took on ``single_male_adventurer_0.png`` given the colours of her idle sprite: a row not
    hers leads toward her identity in the colours by more than the group does (0.18 > 0.064: the impostor bar, as
    another design of her palette would), and the group stays one of its own."""
    stored = dict(np.load(ROWS))
    loose = int(np.flatnonzero((stored["image"] == "single_male_adventurer_0.png") & stored["has_face"]
                               & (stored["character"] == ""))[0])
    stored["colour"] = stored["colour"].copy()
    stored["colour"][loose] = stored["colour"][row(stored, "rgba_female_adventurer_idle.png", "female_adventurer")]
    _, result = assigned(True, stored=stored)
    assert result.labels[loose] == -1
    first, second = (row(stored, *view) for view in BACK_VIEWS)
    assert result.labels[first] == result.labels[second] != identity_of(stored, result, "female_adventurer")
    assert result.stats.get("view_groups_joined", 0) == 0


def test_a_group_sharing_a_frame_with_her_identity_stays_apart():
    """With one of her faced rows moved onto the frame of the pair composite that holds her flipped back view, the
    group and her identity share a frame (two rows of one frame are two characters): it stays apart."""
    stored = dict(np.load(ROWS))
    stored["image"] = stored["image"].copy()
    stored["image"][row(stored, "single_female_adventurer_0.png", "female_adventurer")] = BACK_VIEWS[0][0]
    _, result = assigned(True, stored=stored)
    first, second = (row(stored, *view) for view in BACK_VIEWS)
    assert result.labels[first] == result.labels[second] != identity_of(stored, result, "female_adventurer")
    assert result.stats.get("view_groups_joined", 0) == 0


ROWS_36 = Path(__file__).resolve().parents[2] / "tests/data/kenney_tune_r36_view_group_rows.npz"
PERSONS_BACKS = [("rgba_female_person_climb0.png", "female_person"), ("rgba_male_person_climb0.png", "male_person"),
                 ("single_male_person_1.png", "male_person")]


def test_a_group_of_two_characters_back_views_is_taken_member_by_member():
    """Redraw 36 (same commands, ``--redraw 36``): the two persons' back views (one of hers, two of his) form one
    faceless group, its members nearest two face identities in the colours. Taken member by member
    (``appearance_view_group_members``) each joins its own character's face identity; only they move."""
    stored, result = assigned(True, path=ROWS_36)
    assert all(stored["pose"][row(stored, *view)].startswith("climb0") for view in PERSONS_BACKS)
    _, before = assigned(True, path=ROWS_36, appearance_view_group_members=False)
    assert_only_views_joined(stored, result, before, PERSONS_BACKS)
    # without it the group names two identities and stays whole: her back view in a group holding his
    group = before.labels[row(stored, *PERSONS_BACKS[0])]
    assert group >= 0 and all(before.labels[row(stored, *view)] == group for view in PERSONS_BACKS)
    assert before.stats["view_groups_joined"] == 0
