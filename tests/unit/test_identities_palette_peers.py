"""A view look of a palette several designs wear joins only where the image embedding names it among the palette's
rows (issue 12, session 55 h100, anime preset: ``appearance_view_palette_image``, assets/identities/palette_peers.py).

The rows are the ones the identity step saw on the one-palette creature tune set
(``bench/anime_image_set.py build DIR --characters creatures_one_palette --split tune``; a fresh home at e6f967f,
``castforge ingest DIR --film cop``, ``castforge materialize cop --select identity_clusters``;
tests/data/creatures_one_palette_tune_rows.npz, 40 kept cut-outs, written by bench/image_set_rows.py). Ten faceless
designs recoloured into one green: the green tree's cut-out (``rgba_tree_green_1.png``) is 0.83 alike in the colours
to the green key's group, and the flags', the gem's, the tank's rows and the tree's other look sit 0.80-0.86 from
that group too, as near in the image embedding (0.60-0.75 against the tree's 0.63). The orange ship's cut-out
(``rgba_ship1_orange_1.png``), 0.84 in the colours to the ships' group, is nearer that group in the image embedding
(0.75) than the one row as near in the colours (a green gem, 0.67): it keeps its join. The Kenney tune set's back
views (kenney_tune_b_view_look_rows.npz: the robot's and the male person's) keep theirs."""

from pathlib import Path

import numpy as np

from tests.identity_rows import assign_stored
from tests.unit.test_identities_loose_face_agreement import assigned, identity_of, row

DATA = Path(__file__).resolve().parents[2] / "tests/data"
ONE_PALETTE = DATA / "creatures_one_palette_tune_rows.npz"
BACK_VIEWS = DATA / "kenney_tune_b_view_look_rows.npz"
TREE, KEY, SHIP = ("rgba_tree_green_1.png", "tree_green"), "key_green", ("rgba_ship1_orange_1.png", "ship1_orange")


def test_a_tree_of_the_keys_palette_stays_out_of_the_keys_group():
    stored = dict(np.load(ONE_PALETTE))
    result = assign_stored(stored)
    key = identity_of(stored, result, KEY)
    assert result.labels[row(stored, *TREE)] == -1
    assert set(stored["character"][result.labels == key]) == {KEY}
    off = assign_stored(stored, appearance_view_palette_image=False)
    assert off.labels[row(stored, *TREE)] == key      # the colours alone let it in
    assert off.stats["view_looks_joined"] == result.stats["view_looks_joined"] + 1


def test_a_row_the_image_names_among_its_palette_keeps_its_join():
    stored = dict(np.load(ONE_PALETTE))
    result = assign_stored(stored)
    ship = row(stored, *SHIP)
    assert result.labels[ship] >= 0
    assert result.labels[ship] == assign_stored(stored, appearance_view_palette_image=False).labels[ship]
    assert result.stats["view_looks_joined"] == 1


def test_the_real_back_views_keep_their_joins():
    stored, result = assigned(True, path=BACK_VIEWS)
    for view in (("rgba_robot_climb0.png", "robot"), ("rgba_male_person_climb0.png", "male_person")):
        assert result.labels[row(stored, *view)] == identity_of(stored, result, view[1])
    _, off = assigned(True, path=BACK_VIEWS, appearance_view_palette_image=False)
    assert np.array_equal(off.labels, result.labels)
