"""A face no identity took joins the identity its cut-out's look clearly leads toward where the face names no other
identity (issue 12, session 29 h3, anime preset: ``loose_face_clear_looks``).

The rows are the ones the identity step saw on two Kenney tune image sets with composites redrawn
(``bench/anime_image_set.py build DIR --characters kenney --split tune --redraw 32`` and ``--redraw 31``; fresh homes
at 975816a, ``castforge ingest DIR --film kv``, ``castforge materialize kv --select identity_clusters``, no film
config; tests/data/kenney_tune_b_loose_face_rows.npz and ..._c_..., the form of cc0_tune_loose_faces.npz, float16).
Drawn faces sit close together in the face embedding: the male adventurer's face on
``pair_female_person_male_adventurer.png`` is 0.013 nearer the female adventurer's prototype than his own, so no
face step places it, while his cut-out is nearest his identity in the adoption mix (0.10 ahead), the image embedding
and the colours; his identity's face members are near-identical sprites (floor 0.96), so no adoption took it."""

from pathlib import Path

import numpy as np

from tests.unit.test_identities_loose_face_agreement import assigned, identity_of, row

DATA = Path(__file__).resolve().parents[2] / "tests/data"
SET_B = DATA / "kenney_tune_b_loose_face_rows.npz"
SET_C = DATA / "kenney_tune_c_loose_face_rows.npz"
ADVENTURER = ("pair_female_person_male_adventurer.png", "male_adventurer")


def face_identities_hold_one_character(stored, result) -> None:
    for label in set(result.labels[result.labels >= 0].tolist()):
        if result.groups[label]["has_faces"]:
            named = {str(c) for c in stored["character"][result.labels == label] if c}
            assert len(named) <= 1, (label, named)


def test_a_face_that_places_nowhere_joins_the_identity_its_look_leads():
    stored, result = assigned(True, path=SET_B)
    k = row(stored, *ADVENTURER)
    assert stored["has_face"][k]
    assert result.labels[k] == identity_of(stored, result, "male_adventurer") and result.by[k] == "appearance"
    # the zombie's face (one the quality gate refused) is 0.11 nearer the female person's prototype; his look leads
    # the zombie's identity by 0.25: he joins it, and his back view (rgba_zombie_climb0.png), which his face no
    # identity took held out as an impostor, joins it as a lone look
    zombie = identity_of(stored, result, "zombie")
    assert result.labels[row(stored, "pair_male_adventurer_zombie.png", "zombie")] == zombie
    assert result.labels[row(stored, "rgba_zombie_climb0.png", "zombie")] == zombie
    assert result.stats["loose_faces_clear_looks"] == 2
    face_identities_hold_one_character(stored, result)


def test_without_it_his_face_is_noise():
    stored, result = assigned(True, path=SET_B, loose_face_clear_looks=False)
    assert result.labels[row(stored, *ADVENTURER)] == -1
    assert result.labels[row(stored, "pair_male_adventurer_zombie.png", "zombie")] == -1


def test_a_face_under_the_look_floor_joins_where_both_name_her():
    """Set c: the female adventurer's face (single_female_adventurer_0.png) is nearest her identity, her look too
    (0.12 ahead), but at 0.90 under her identity's floor (0.94): noise without the setting."""
    for on in (True, False):
        stored, result = assigned(True, path=SET_C, loose_face_clear_looks=on)
        k = row(stored, "single_female_adventurer_0.png", "female_adventurer")
        joined = result.labels[k] == identity_of(stored, result, "female_adventurer")
        assert joined == on and (result.labels[k] >= 0) == on
        face_identities_hold_one_character(stored, result)


def test_a_gated_face_naming_another_identity_stays_out():
    """The zombie's face, taken as one the quality gate passed, is nearer the female person's prototype than his by
    more than the calibrated lead (0.11): read as naming her (``loose_face_vote_one_identity`` off), his look alone
    does not overrule it. It is as near the female adventurer's (0.610 / 0.599): with the setting on (the anime
    preset, session 33 h6) it names neither, and his look places him with the zombie."""
    stored = dict(np.load(SET_B))
    k = row(stored, "pair_male_adventurer_zombie.png", "zombie")
    assert not stored["gated"][k]
    stored["gated"] = stored["gated"].copy()
    stored["gated"][k] = True
    _, result = assigned(True, stored=stored, loose_face_vote_one_identity=False)
    assert result.labels[k] == -1
    _, one_identity = assigned(True, stored=stored)
    assert one_identity.labels[k] == identity_of(stored, one_identity, "zombie")


def test_a_stranger_whose_looks_recur_stays_out():
    """Set c: the background frame's boy (single_robot_0.png, no Kenney character) shows a face that places nowhere
    and a look 0.057 ahead toward the female person's identity; two other cut-outs of him, still noise, are more
    alike to him (0.88) than her identity is (0.69), and they lead toward no identity: a character of his own. He
    stays out of every face identity (without that refusal he joined hers)."""
    stored, result = assigned(True, path=SET_C)
    k = int(np.flatnonzero((stored["image"] == "single_robot_0.png") & (stored["character"] == "")
                           & stored["has_face"])[0])
    assert result.labels[k] < 0 or not result.groups[result.labels[k]]["has_faces"]
