"""A faceless design seen in several shots forms a faceless group by its tracks' image embedding and colours (issue
12, session 25, anime preset: ``faceless_design_join``).

On the Kenney tune film (/tmp/kfilms/tune: ``bench/kenney_film.py build --split tune``, ``castforge ingest``,
``materialize --select identity_clusters`` at 30631e1, no film config) the zombie, whose face no detector finds
clearly, shows in 3 shots: one tight look through each shot's key frames (shot 1: 3 rows, shot 5: 1, shot 8: 6).
The faceless grouping's mix puts its shots 0.74-0.81 apart (the silhouette changes with the pose), so each shot's
looks formed a group of one shot, dropped, and its 10 rows were noise. The rows are the ones the identity step saw
(tests/data/kenney_film_tune_faceless_rows.npz: each kept cut-out's face embedding, quality, gate, detector and box
where it has a face, its MobileNet embedding, colours and silhouette (float16), its shot, key frame and box, and the
character its mask overlaps best ("" none))."""

from pathlib import Path

import numpy as np

from assets.identities.core import normalise
from assets.identities.faceless_designs import design_units
from tests.identity_rows import assign_film_rows

ROOT = Path(__file__).resolve().parents[2]
STORED = ROOT / "tests/data/kenney_film_tune_faceless_rows.npz"


def assigned(rows: Path = STORED, **settings):
    """The identity step on the stored rows (``rows``: a file of this form) with the anime preset (and ``settings``
    over it)."""
    return assign_film_rows(rows, **settings)


def test_the_zombies_tracks_of_three_shots_form_one_faceless_group():
    characters, shots, result = assigned()
    zombie = np.flatnonzero(characters == "zombie")
    assert len(zombie) == 10 and len(set(shots[zombie].tolist())) == 3
    labels = set(result.labels[zombie].tolist())
    assert len(labels) == 1 and labels != {-1}
    group = result.groups[labels.pop()]
    assert not group["has_faces"]
    # precision: no identity holds two characters
    for label in set(result.labels[result.labels >= 0].tolist()):
        named = {str(c) for c in characters[result.labels == label] if c}
        assert len(named) == 1, (label, named)


def test_without_it_the_zombie_is_noise():
    # faceless_one_shot_frames off too: it would group the zombie's shot 8 alone (test_identities_one_shot_groups.py)
    characters, _, result = assigned(faceless_design_join=None, faceless_one_shot_frames=None)
    assert (result.labels[characters == "zombie"] == -1).all()


def test_a_design_that_leads_no_identity_by_enough_stays_noise():
    # the zombie's tracks lead every identity found (the female person's nearest, 0.47-0.58) by 0.26-0.37
    characters, _, result = assigned(faceless_design_lead=0.4, faceless_one_shot_frames=None)
    assert (result.labels[characters == "zombie"] == -1).all()


def test_units_are_the_rows_of_one_track():
    assert design_units([5, 1, 3, 4], ["", "s1-t0", "", "s1-t0", "s2-t0", ""]) == [[1, 3], [4], [5]]
    assert design_units([2, 0], None) == [[0], [2]]
