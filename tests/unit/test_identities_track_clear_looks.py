"""A track's noise row with no face joins the identity its placed track-mates hold where its look names that identity
as a lone look's must (issue 12, session 53: ``placed_tracks.clear_look_identities``,
``track_rows_follow_clear_look``).

``track_rows_follow_placed`` asks a noise row to be ``faceless_design_join`` (0.8) alike to its track's placed rows in
the image embedding and the colours each. A partial cut-out of the character (a third of the figure) falls under that
bar, though its look is nearest the track's identity by far. Kenney tune films (``bench/kenney_film.py build --split
tune --seed S``, ``castforge ingest``, ``materialize`` at main 8fcf2f1), the rows the identity step saw
(tests/identity_rows.assign_film_rows's form):
- film 19: the robot's cut-out of shot 4 (IoU 0.35 to its mask), 0.77 alike to its group, 0.28 ahead of the
  runner-up in the adoption mix; its track's 2 other labelled rows are in the robot's faceless group;
- film 21: the zombie's cut-out of shot 8 (IoU 0.43), 0.74 alike, 0.10 ahead; its track's 3 placed rows are in the
  zombie's group."""

from collections import Counter
from pathlib import Path

import numpy as np

from assets.identities.placed_tracks import clear_look_identities, join_placed_tracks
from tests.identity_rows import assign_film_rows, members

DATA = Path(__file__).resolve().parents[2] / "tests/data"
FILM_19 = DATA / "kenney_film_tune_s19_track_look_rows.npz"
FILM_21 = DATA / "kenney_film_tune_s21_track_look_rows.npz"


def _identity_of(characters, labels, character):
    rows = characters == character
    return rows, Counter(labels[rows].tolist()).most_common(1)[0][0]


def test_film_19_the_robots_partial_cut_joins_its_group():
    characters, shots, result = assign_film_rows(FILM_19)
    robot, group = _identity_of(characters, result.labels, "robot")
    assert not result.groups[group]["has_faces"]
    assert (result.labels[robot] == group).all()                   # 16 of 16 (15 before: shot 4's partial cut noise)
    assert members(characters, result.labels, group) == {"robot": 16}
    assert result.stats["track_rows_followed"] == 1


def test_film_21_the_zombies_partial_cut_joins_its_group():
    characters, shots, result = assign_film_rows(FILM_21)
    zombie, group = _identity_of(characters, result.labels, "zombie")
    assert (result.labels[zombie] == group).all()                  # 26 of 26 (25 before)
    assert members(characters, result.labels, group) == {"zombie": 26, "robot": 1}


def test_off_the_partial_cuts_stay_noise():
    for path, character, shot in ((FILM_19, "robot", 4), (FILM_21, "zombie", 8)):
        characters, shots, result = assign_film_rows(path, track_rows_follow_clear_look=False)
        assert (result.labels[(characters == character) & (shots == shot)] == -1).sum() == 1
        assert result.stats["track_rows_followed"] == 0


def _looks():
    """Identity 0 (rows 0-1) and identity 1 (rows 2-3); row 4 looks like identity 0, row 5 half way between."""
    look = np.array([[1, 0, 0], [1, 0.1, 0], [0, 1, 0], [0.1, 1, 0], [0.9, 0.3, 0.3], [0.7, 0.7, 0.1]],
                    dtype=np.float32)
    look /= np.linalg.norm(look, axis=1, keepdims=True)
    return look, np.array([0, 0, 1, 1, -1, -1])


def test_a_look_names_the_identity_it_clearly_leads_toward_and_no_identity_on_a_tie():
    look, labels = _looks()
    assert clear_look_identities(labels, look, [look, look], [4, 5], [], 0.05, None) == {4: 0}


def test_a_named_row_under_the_bar_joins_its_tracks_identity_and_only_that_one():
    look, labels = _looks()
    tracks = ["t0", "t0", "t1", "t1", "t0", "t1"]
    frames = ["f0", "f1", "f2", "f3", "f4", "f5"]
    by = ["appearance"] * 6
    moved = labels.copy()
    assert join_placed_tracks(moved, np.zeros(6), by, [look, look], tracks, frames, 0.99, {4: 0, 5: 0}) == 1
    assert moved.tolist() == [0, 0, 1, 1, 0, -1] and by[4] == "track"   # row 5's track holds identity 1, not 0
    assert join_placed_tracks(labels.copy(), np.zeros(6), by, [look, look], tracks, frames, 0.99) == 0
