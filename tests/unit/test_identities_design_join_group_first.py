"""A faceless track that names a faceless group on its own joins it, even where another shot's track of the same
character is a hair nearer (issue 12, session 44: ``faceless_designs._clear_faceless_group``).

Kenney tune film 21 (``bench/kenney_film.py build --split tune --seed 21``, ``castforge ingest``, ``materialize
--select identity_clusters`` at 1872fd0): the zombie's track of shot 7, five cut-outs whose faces joined no identity,
is 0.8418 alike to the zombie's faceless group in design (the image embedding and the colours, each) and 0.44 at
most to any face identity; the zombie's track of shot 2, already in that group, is 0.8425 alike to it. The design
join linked the track to the nearer track and then counted the group among the rivals, so the lead was 0.0007 and
the five rows stayed noise (zombie coverage 17 of 26). The rows are the ones the identity step saw
(tests/data/kenney_film_tune_s21_design_rows.npz: tests/identity_rows.assign_film_rows's form)."""

from collections import Counter
from pathlib import Path

import numpy as np

from tests.identity_rows import assign_film_rows

STORED = Path(__file__).resolve().parents[2] / "tests/data/kenney_film_tune_s21_design_rows.npz"


def _zombie_identity(characters: np.ndarray, labels: np.ndarray) -> int:
    return Counter(labels[(characters == "zombie") & (labels >= 0)].tolist()).most_common(1)[0][0]


def test_the_zombies_shot_7_track_joins_the_zombies_faceless_group():
    # the zombie's two stray faces in face identities stay there (test_identities_faced_faceless_looks.py); its
    # shot-8 partial cut whose look names the group its track's rows hold joins it too with
    # track_rows_follow_clear_look (24 of 26, test_identities_track_clear_looks.py): off, the design join's own count
    characters, shots, result = assign_film_rows(STORED, faced_rows_follow_faceless=False,
                                                 track_rows_follow_clear_look=False)
    zombie = _zombie_identity(characters, result.labels)
    assert not result.groups[zombie]["has_faces"]
    shot_7 = (characters == "zombie") & (shots == 7)   # one row grouped before the join, the five loose faces
    assert shot_7.sum() == 6 and (result.labels[shot_7] == zombie).all()
    assert (result.labels[characters == "zombie"] == zombie).sum() == 23   # of 26 (17 before)
    # the group gains no other character: it holds the zombie and the one robot row it held before
    assert Counter(characters[result.labels == zombie].tolist()) == {"zombie": 23, "robot": 1}


def test_a_group_the_track_does_not_lead_toward_by_enough_still_refuses_it():
    # the track leads every face identity by 0.40: a lead asked above that leaves it noise as before (the design join
    # alone: its track's sixth row, placed, would otherwise lend them its group at the end, track_rows_follow_placed)
    characters, shots, result = assign_film_rows(STORED, faceless_design_lead=0.45, track_rows_follow_placed=False)
    shot_7 = (characters == "zombie") & (shots == 7)
    assert (result.labels[shot_7] == -1).sum() == 5
