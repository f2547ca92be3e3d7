"""Rows the design cut's dendrogram sets aside together join one core together (issue #12, session 49, h75).

On tune Kenney film 7 (``bench/kenney_film.py build --split tune --seed 7``, the identity step on HEAD's cut-outs,
/tmp/runs/kf/home_tune_7_head; each row's character the film's truth of best mask IoU, "" under 0.2), HDBSCAN puts
the female person's 19 faces, the male person's 8 and the zombie's 7 in one cluster. The design cut
(``split_by_gap``) finds the two persons as its cores and sets the zombie's 7 faces aside, one branch of the
dendrogram. Read row by row, five joined the female person's core and two (319/1, 353/1) the male person's, by
mean cosines 0.533 vs 0.526 and 0.549 vs 0.548; the next cut parted the five from her (face 0.208, colours 0.45
apart), while two faces are too few to cut out of his ten (``MINOR_MIN_ROWS`` 3), so they stayed in his identity
though their faces are 0.96-0.97 alike to the zombie's. Read as a branch (its rows' mean), all seven go one way
and are cut out together. The rows are the ones the identity step saw (tests/data/kenney_film_tune_s7_aside_faces.npz,
the form of kenney_film_held_out_s43_faced_rows.npz)."""

from pathlib import Path

import numpy as np

from assets.identities.design_split import linkage_parts, part_size_rule
from tests.identity_rows import assign_film_rows, members, stored_row

ROWS = Path(__file__).resolve().parents[2] / "tests/data/kenney_film_tune_s7_aside_faces.npz"


def row(frame: int, inst: int) -> int:
    return stored_row(ROWS, frame, inst)


def test_the_zombies_faces_are_one_identity_and_the_male_persons_holds_none():
    characters, _, result = assign_film_rows(ROWS)
    zombie = result.labels[row(319, 1)]
    assert result.labels[row(353, 1)] == zombie
    assert members(characters, result.labels, zombie) == {"zombie": 11}
    person = result.labels[row(228, 0)]
    assert members(characters, result.labels, person) == {"male_person": 9}


def test_a_branch_set_aside_goes_to_one_core():
    stored = np.load(ROWS)
    characters = stored["character"]
    faced = np.flatnonzero(stored["has_face"])
    cluster = faced[np.isin(characters[faced], ["female_person", "male_person", "zombie"])]
    face = np.zeros((len(characters), stored["face"].shape[1]), dtype=np.float32)
    face[faced] = stored["face"].astype(np.float32)
    unit = face / np.maximum(np.linalg.norm(face, axis=1, keepdims=True), 1e-12)
    colour = stored["colour"].astype(np.float32)
    colour /= np.maximum(np.linalg.norm(colour, axis=1, keepdims=True), 1e-12)
    linked = np.hstack([np.sqrt(0.5) * unit, np.sqrt(0.5) * colour])   # the preset's split_link_colour_weight
    # the film's face clusters need 13 faces, or faces of 3 shots (split_min_shots)
    cores, parts = linkage_parts(linked, cluster, part_size_rule(13, stored["shot"], 3))
    assert sorted(set(characters[cores[0]]) | set(characters[cores[1]])) == ["female_person", "male_person"]
    zombies = [set(characters[p]).__contains__("zombie") for p in parts]
    assert zombies.count(True) == 1
