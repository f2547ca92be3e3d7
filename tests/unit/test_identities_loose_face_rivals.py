"""A loose face joining identity A by its clear look (``loose_face_clear_looks``) is refused neither by another
loose face whose face and look both name A (``loose_face_named_not_rival``) nor by a face as near two other designs
(``loose_face_vote_one_identity``): issue 12, session 33 h6, anime preset.

The rows are the ones the identity step saw on two Kenney tune image sets with composites redrawn
(``bench/anime_image_set.py build DIR --characters kenney --split tune --redraw 35`` and ``--redraw 37``; homes
made at 9850a88 with ``castforge ingest DIR --film f`` and ``castforge materialize f --select identity_clusters``;
the form of kenney_tune_r33_loose_face_rows.npz).

Redraw 35: the female adventurer's faced cuts on ``pair_female_adventurer_zombie`` and
``pair_female_adventurer_male_adventurer``, faces no identity took (0.022 and 0.028 nearest her prototype, under
the calibrated lead 0.082). The first's look leads toward her by 0.076 in the adoption mix; the second's by 0.047,
under appearance_margin, so it does not lead there clearly, and being 0.917 alike to the first (more than her
prototype, 0.858), it was the first's "look of its own" rival: neither joined.

Redraw 37: the zombie's faced cut on ``pair_female_person_zombie``; its face 0.600 to the female adventurer's
prototype, 0.597 to the female person's, 0.53 to his; its look 0.09 ahead toward him. The face was taken to name
another identity (the nearest 0.073 ahead of his, over the calibrated lead 0.061), though it cannot tell which."""

from pathlib import Path

import numpy as np

from assets.identities.loose_face_looks import face_names_other
from tests.identity_rows import assign_stored
from tests.unit.test_identities_loose_face_agreement import identity_of, row
from tests.unit.test_identities_view_looks import characters_of

DATA = Path(__file__).resolve().parents[2] / "tests/data"
RIVAL_ROWS = DATA / "kenney_tune_r35_loose_face_rival_rows.npz"
VOTE_ROWS = DATA / "kenney_tune_r37_face_vote_rows.npz"
HERS = ("pair_female_adventurer_zombie.png", "female_adventurer")
HER_RIVAL = ("pair_female_adventurer_male_adventurer.png", "female_adventurer")
HIS = ("pair_female_person_zombie.png", "zombie")


def stored_rows(path: Path) -> dict:
    return {k: v.copy() for k, v in np.load(path).items()}


def assert_one_character_per_identity(stored, result):
    for label in set(result.labels[result.labels >= 0].tolist()):
        assert len(characters_of(stored, result, label)) <= 1


def test_her_loose_face_joins_her_though_her_other_loose_face_is_alike():
    stored = stored_rows(RIVAL_ROWS)
    result = assign_stored(stored)
    k = row(stored, *HERS)
    assert stored["has_face"][k] and stored["has_face"][row(stored, *HER_RIVAL)]
    hers = identity_of(stored, result, "female_adventurer")
    assert result.groups[hers]["has_faces"]
    assert result.labels[k] == hers and result.by[k] == "appearance"
    assert_one_character_per_identity(stored, result)
    before = assign_stored(stored, loose_face_named_not_rival=False)
    assert before.labels[k] == -1   # off: her other loose face is her "look of its own"
    assert [int(j) for j in np.flatnonzero(before.labels != result.labels)] == [k]


def test_a_face_as_near_two_other_designs_is_no_vote_against_his_look():
    stored = stored_rows(VOTE_ROWS)
    result = assign_stored(stored)
    k = row(stored, *HIS)
    assert stored["has_face"][k] and stored["gated"][k]
    zombie = identity_of(stored, result, "zombie")
    assert result.groups[zombie]["has_faces"]
    assert result.labels[k] == zombie and result.by[k] == "appearance"
    assert_one_character_per_identity(stored, result)
    before = assign_stored(stored, loose_face_vote_one_identity=False)
    assert before.labels[k] == -1   # off: his face, as near either woman, vetoes his look
    assert [int(j) for j in np.flatnonzero(before.labels != result.labels)] == [k]


def test_a_face_that_names_one_other_identity_still_vetoes():
    """His face moved a third of the way toward a face of the female person's identity: it now names her by the
    calibrated lead (no identity takes it), and his look no longer decides."""
    stored = stored_rows(VOTE_ROWS)
    result = assign_stored(stored)
    hers = identity_of(stored, result, "female_person")
    her_faces = np.flatnonzero((result.labels == hers) & stored["has_face"] & (stored["character"] == "female_person"))
    k = row(stored, *HIS)
    face, other = (stored["face"][j].astype(np.float32) for j in (k, her_faces[0]))
    stored["face"][k] = (2 * face / np.linalg.norm(face) + other / np.linalg.norm(other)) / 3
    changed = assign_stored(stored)
    assert changed.labels[k] == -1


def test_face_names_other_needs_one_identity_ahead_with_the_setting():
    sims = np.array([0.600, 0.597, 0.527])
    assert face_names_other(sims, 2, 0.061, one_identity=False)
    assert not face_names_other(sims, 2, 0.061, one_identity=True)
    assert face_names_other(np.array([0.70, 0.60, 0.53]), 2, 0.061, one_identity=True)
    assert not face_names_other(np.array([0.55, 0.50, 0.53]), 2, 0.061, one_identity=True)   # within the bar of his
