"""A loose face whose face and look both name identity A is no impostor against another loose face joining A (issue
12, session 31 h4, anime preset: ``loose_face_named_not_impostor``).

The rows are the ones the identity step saw on a Kenney tune image set with composites redrawn
(``bench/anime_image_set.py build DIR --characters kenney --split tune --redraw 33``; a fresh home at 9850a88,
``castforge ingest DIR --film f``, ``castforge materialize f --select identity_clusters``, no film config;
tests/data/kenney_tune_r33_loose_face_rows.npz, the form of kenney_tune_r32_view_group_rows.npz). Two faces of the
female adventurer no identity took: her cut of ``pair_female_adventurer_male_adventurer`` (a face the quality gate
refused) and her face on ``single_female_adventurer_1``. Both are nearest her identity in the face embedding and
in the adoption mix, 0.128 and 0.124 ahead; ``loose_face_clear_looks`` decides both at once, each the other's
impostor, so the first joins her and the second (0.124 < 0.128) stays noise."""

from pathlib import Path

import numpy as np

from tests.unit.test_identities_loose_face_agreement import assigned, identity_of, row
from tests.unit.test_identities_view_looks import characters_of

ROWS = Path(__file__).resolve().parents[2] / "tests/data/kenney_tune_r33_loose_face_rows.npz"
FIRST = ("pair_female_adventurer_male_adventurer.png", "female_adventurer")
SECOND = ("single_female_adventurer_1.png", "female_adventurer")


def test_her_second_loose_face_joins_her_identity():
    stored, result = assigned(True, path=ROWS)
    hers = identity_of(stored, result, "female_adventurer")
    assert result.groups[hers]["has_faces"]
    for face in (FIRST, SECOND):
        k = row(stored, *face)
        assert stored["has_face"][k]
        assert result.labels[k] == hers and result.by[k] == "appearance"
    faced = (stored["character"] == "female_adventurer") & stored["has_face"]
    assert (result.labels[faced] == hers).all()
    for label in set(result.labels[result.labels >= 0].tolist()):   # precision: one character per identity
        assert len(characters_of(stored, result, label)) <= 1
    _, before = assigned(True, path=ROWS, loose_face_named_not_impostor=False)
    assert before.labels[row(stored, *SECOND)] == -1   # off: her first loose face blocks the second
    moved = np.flatnonzero(before.labels != result.labels)
    assert [int(k) for k in moved] == [row(stored, *SECOND)]
    assert result.stats["loose_faces_clear_looks"] == before.stats["loose_faces_clear_looks"] + 1


def test_a_loose_face_that_names_another_identity_stays_an_impostor():
    """Her first loose face moved halfway toward a face of the male adventurer's identity (its face now nearest his
    prototype, 0.83 against hers 0.78, still no identity's by prototype; its look unchanged, 0.128 ahead toward
    her): it names him, so it still counts against her second face, which stays noise."""
    stored = {k: v.copy() for k, v in np.load(ROWS).items()}
    _, result = assigned(True, stored=dict(stored))
    his = identity_of(stored, result, "male_adventurer")
    faced_his = np.flatnonzero((result.labels == his) & stored["has_face"] & (stored["character"] == "male_adventurer"))
    first, other = (stored["face"][k].astype(np.float32) for k in (row(stored, *FIRST), faced_his[0]))
    stored["face"][row(stored, *FIRST)] = (first / np.linalg.norm(first) + other / np.linalg.norm(other)) / 2
    _, changed = assigned(True, stored=stored)
    assert changed.labels[row(stored, *SECOND)] == -1


def test_a_row_whose_face_names_another_identity_still_meets_every_impostor():
    """Her second loose face moved a third of the way toward a face of the male adventurer's identity (its face now
    nearest his prototype, by less than the calibrated lead, so it names no identity to the step; its look still
    toward her): its face and its look disagree, so her first loose face still counts against it, and it stays noise
    (Penny & Chip: a stranger's face nearest Penny, its look toward Chip, joined Chip without this)."""
    stored = {k: v.copy() for k, v in np.load(ROWS).items()}
    _, result = assigned(True, stored=dict(stored))
    his = identity_of(stored, result, "male_adventurer")
    faced_his = np.flatnonzero((result.labels == his) & stored["has_face"] & (stored["character"] == "male_adventurer"))
    second, other = (stored["face"][k].astype(np.float32) for k in (row(stored, *SECOND), faced_his[0]))
    stored["face"][row(stored, *SECOND)] = (2 * second / np.linalg.norm(second) + other / np.linalg.norm(other)) / 3
    _, changed = assigned(True, stored=stored)
    assert changed.labels[row(stored, *SECOND)] == -1
