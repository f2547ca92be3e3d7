"""A faceless character's view seen once joins its faceless group (issue 12, session 35 h9 / h10, anime preset:
``lone_looks_join_faceless``).

The rows are the ones the identity step saw on the Kenney tune film of seed 11 (tests/data/
kenney_film_tune_s11_inherited_looks.npz, described in test_identities_inherited_looks.py). The zombie shows no
face: its rows form a faceless group. Its cut in shot 0 is seen once; the lone-looks rule's clear lead names the
zombie's group for it, and without the setting only a face identity may adopt it, so it stayed noise."""

from pathlib import Path

import numpy as np

from tests.unit.test_identities_faceless_designs import assigned

SEED_11 = Path(__file__).resolve().parents[2] / "tests/data/kenney_film_tune_s11_inherited_looks.npz"
LONE_ZOMBIE = 2   # row 2: the zombie's one cut in shot 0


def zombie_group(characters: np.ndarray, labels: np.ndarray) -> int:
    return int(np.bincount(labels[(characters == "zombie") & (labels >= 0)]).argmax())


def test_the_zombies_lone_view_joins_its_faceless_group():
    characters, shots, result = assigned(SEED_11)
    assert characters[LONE_ZOMBIE] == "zombie" and shots[LONE_ZOMBIE] == 0
    group = zombie_group(characters, result.labels)
    assert not result.groups[group]["has_faces"]
    assert result.labels[LONE_ZOMBIE] == group and result.by[LONE_ZOMBIE] == "appearance"
    assert set(characters[result.labels == group]) == {"zombie"}   # the group stays pure


def test_without_the_setting_only_a_face_identity_adopts_and_the_view_stays_noise():
    characters, _, on = assigned(SEED_11)
    _, _, off = assigned(SEED_11, lone_looks_join_faceless=False)
    assert off.labels[LONE_ZOMBIE] < 0
    assert on.stats["lone_looks_adopted"] > off.stats["lone_looks_adopted"]
    moved = np.flatnonzero(on.labels != off.labels)
    assert moved.tolist() == [LONE_ZOMBIE]
