"""A faceless character's stray face, clustered with another character's drawn face, goes to the faceless group its
cut-out is plainly of (issue 12, session 44, anime preset: ``faced_rows_follow_faceless``,
``faced_faceless_looks.py``).

The rows are the ones the identity step saw on two Kenney tune films (tests/identity_rows.assign_film_rows's form):
film 21 (tests/data/kenney_film_tune_s21_design_rows.npz, at 1872fd0), where one zombie face sat in the female
person's identity and one in the male person's, and film 13 (tests/data/kenney_film_tune_s13_one_shot_rows.npz,
test_identities_one_shot_groups.py), one in each adventurer's. Each cut-out is 0.62-0.73 alike to its identity's
other members and 0.81-0.88 to the zombie's faceless group (design: the least of the mean cosines in the image
embedding and the colours)."""

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from tests.identity_rows import anime_params, assign_film_rows

DATA = Path(__file__).resolve().parents[2] / "tests/data"
FILMS = [DATA / "kenney_film_tune_s21_design_rows.npz", DATA / "kenney_film_tune_s13_one_shot_rows.npz"]


def _make_up(characters: np.ndarray, labels: np.ndarray) -> dict[int, Counter]:
    return {g: Counter(str(c) for c in characters[labels == g]) for g in set(labels.tolist()) if g >= 0}


def _zombie_rows_elsewhere(characters: np.ndarray, result) -> int:
    """The zombie's rows in face identities (its faceless group is the only faceless identity it has)."""
    zombie = characters == "zombie"
    return int(sum(result.groups[g]["has_faces"] for g in result.labels[zombie] if g >= 0))


@pytest.mark.parametrize("film", FILMS, ids=["tune21", "tune13"])
def test_the_zombies_stray_faces_join_its_faceless_group(film):
    characters, _, before = assign_film_rows(film, faced_rows_follow_faceless=False)
    assert _zombie_rows_elsewhere(characters, before) == 2
    characters, _, after = assign_film_rows(film, faced_rows_follow_faceless=True)
    assert _zombie_rows_elsewhere(characters, after) == 0
    assert after.stats["faced_rows_to_faceless"] == 2
    moved = np.flatnonzero(before.labels != after.labels)
    assert len(moved) == 2 and (characters[moved] == "zombie").all()
    group = set(after.labels[moved].tolist())
    assert len(group) == 1 and not after.groups[group.pop()]["has_faces"]
    assert all(after.by[k] == "appearance" for k in moved)


@pytest.mark.parametrize("film", FILMS, ids=["tune21", "tune13"])
def test_no_other_row_moves_and_the_face_identities_keep_their_own(film):
    characters, _, before = assign_film_rows(film, faced_rows_follow_faceless=False)
    _, _, after = assign_film_rows(film, faced_rows_follow_faceless=True)
    for g, made_of in _make_up(characters, after.labels).items():
        if after.groups[g]["has_faces"]:
            assert "zombie" not in made_of and made_of <= _make_up(characters, before.labels)[g]


def test_the_anime_preset_turns_it_on_and_the_default_leaves_it_off():
    assert anime_params().faced_rows_follow_faceless
    from assets.identities.core import IdentityParams
    assert not IdentityParams().faced_rows_follow_faceless


def test_a_robots_stray_face_leaves_a_persons_identity_for_the_robots_group():
    # Kenney tune film 11 (tests/data/kenney_film_tune_s11_inherited_looks.npz): the robot's one faced cut-out sat
    # in the female person's identity; it joins the robot's faceless group, nothing else moves
    film = DATA / "kenney_film_tune_s11_inherited_looks.npz"
    characters, _, before = assign_film_rows(film, faced_rows_follow_faceless=False)
    _, _, after = assign_film_rows(film)
    moved = np.flatnonzero(before.labels != after.labels)
    assert len(moved) == 1 and characters[moved[0]] == "robot"
    robot = Counter(after.labels[characters == "robot"].tolist()).most_common(1)[0][0]
    assert after.labels[moved[0]] == robot and not after.groups[robot]["has_faces"]
