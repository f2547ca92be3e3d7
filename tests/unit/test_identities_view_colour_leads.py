"""A back view of a palette two designs share joins its own identity by its colours' lead (issue 12, session 30 h5,
anime preset: ``appearance_view_colour_leads``).

The rows are the ones the identity step saw on a Kenney tune image set with composites redrawn
(``bench/anime_image_set.py build DIR --characters kenney --split tune --redraw 31``; a fresh home at e4ff5c0,
``castforge ingest DIR --film f``, ``castforge materialize f --select identity_clusters``, no film config;
tests/data/kenney_tune_r31_view_colour_lead_rows.npz, the form of kenney_tune_b_view_look_rows.npz, float16). The
female adventurer seen from behind (``rgba_female_adventurer_climb0.png``) leads her identity by 0.013 in the
adoption mix (the male adventurer's rows share her palette) but by 0.054 in the colours (0.89 alike); the female
person's back view leads hers by 0.041 in the mix, under a face impostor's lead toward it (0.059), and by 0.075 in
the colours. The view looks asked the mix to lead by ``appearance_margin``, so both stayed noise."""

from pathlib import Path

import numpy as np

from tests.unit.test_identities_loose_face_agreement import assigned, identity_of, row
from tests.unit.test_identities_view_looks import assert_only_views_joined

ROWS = Path(__file__).resolve().parents[2] / "tests/data/kenney_tune_r31_view_colour_lead_rows.npz"
BACK_VIEWS = [("rgba_female_adventurer_climb0.png", "female_adventurer"),
              ("rgba_female_person_climb0.png", "female_person")]


def test_back_views_of_a_shared_palette_join_their_characters():
    stored, result = assigned(True, path=ROWS)
    _, before = assigned(True, path=ROWS, appearance_view_colour_leads=False)
    assert_only_views_joined(stored, result, before, BACK_VIEWS)   # each joins its own; only they moved
    assert result.stats["view_looks_joined"] == before.stats["view_looks_joined"] + 2


def test_without_it_they_are_noise():
    stored, result = assigned(True, path=ROWS, appearance_view_colour_leads=False)
    for view in BACK_VIEWS:
        assert result.labels[row(stored, *view)] == -1


def test_a_colour_lead_under_the_margin_stays_out():
    """The male adventurer's cut on a pair composite is nearest his identity in the mix and the colours, but leads
    it by 0.045 in the colours, under ``appearance_margin``: it stays noise."""
    stored, result = assigned(True, path=ROWS)
    assert result.labels[row(stored, "pair_female_adventurer_male_adventurer.png", "male_adventurer")] == -1


def test_an_impostor_leading_further_in_the_colours_keeps_it_out():
    """The colours' lead must beat any row not the identity's that leads toward it there (the clear lead's impostor
    bar, in the colours): with the face no identity took on ``pair_female_person_robot.png`` given the colours of
    the female person's idle sprite (a lead toward her identity above her back view's), her back view stays noise
    (it joins with that bar waived); the female adventurer's still joins."""
    stored = dict(np.load(ROWS))
    k = row(stored, *BACK_VIEWS[1])
    loose = int(np.flatnonzero((stored["image"] == "pair_female_person_robot.png") & stored["has_face"]
                               & (stored["character"] == ""))[0])
    stored["colour"] = stored["colour"].copy()
    stored["colour"][loose] = stored["colour"][row(stored, "rgba_female_person_idle.png", "female_person")]
    _, result = assigned(True, stored=stored)
    assert result.labels[loose] == -1
    assert result.labels[k] == -1
    assert result.labels[row(stored, *BACK_VIEWS[0])] == identity_of(stored, result, "female_adventurer")
