"""A faceless look seen once joins the face identity it clearly leads toward, once the faceless groups are formed
(issue 12, session 28 h6, anime preset: ``appearance_lone_looks``).

On the Kenney tune film (``bench/kenney_film.py build OUT --split tune``, a fresh home at 2de9e48, ``castforge
ingest OUT/film.mp4 --film kf``, ``materialize kf --select identity_clusters``, no film config) the male adventurer
seen from behind in shot 1 (row 15, mask IoU 0.78, a one-row track, no face) is nearest his identity in the
adoption mix (0.806), the image embedding and the colours, 0.096 ahead of the runner-up, but his identity's face
members are near-identical sprites (floor 0.931, least-alike member 0.888), so it stayed noise. The rows are the
ones the identity step saw (tests/data/kenney_film_tune_lone_look_rows.npz, the form of
kenney_film_tune_faceless_rows.npz: 85 kept cut-outs, 62 with a face)."""

from pathlib import Path

import numpy as np

from tests.unit.test_identities_faceless_designs import assigned

ROWS = Path(__file__).resolve().parents[2] / "tests/data/kenney_film_tune_lone_look_rows.npz"
BACK_VIEW = 15


def named(characters: np.ndarray, result, label: int) -> set[str]:
    return {str(c) for c in characters[result.labels == label] if c}


def test_the_back_view_seen_once_joins_its_face_identity():
    characters, shots, result = assigned(ROWS)
    assert characters[BACK_VIEW] == "male_adventurer" and shots[BACK_VIEW] == 1
    label = int(result.labels[BACK_VIEW])
    assert label >= 0 and result.groups[label]["has_faces"]
    assert named(characters, result, label) == {"male_adventurer"}
    assert result.stats["lone_looks_adopted"] == 1
    # precision: no identity holds two characters; the zombie (no face identity) keeps its own faceless group
    for other in set(result.labels[result.labels >= 0].tolist()):
        assert len(named(characters, result, other)) == 1, (other, named(characters, result, other))
    zombie = set(result.labels[characters == "zombie"].tolist())
    assert len(zombie) == 1 and not result.groups[zombie.pop()]["has_faces"]


def test_without_it_the_back_view_is_noise():
    # the view looks (session 30, view_looks.py) place it as well: both off
    characters, _, result = assigned(ROWS, appearance_lone_looks=False, appearance_view_looks=None)
    assert result.labels[BACK_VIEW] == -1
    assert "lone_looks_adopted" not in result.stats


def test_a_lead_under_the_margin_stays_noise():
    # its lead over the runner-up identity is 0.096
    _, _, result = assigned(ROWS, appearance_margin=0.12)
    assert result.labels[BACK_VIEW] == -1
