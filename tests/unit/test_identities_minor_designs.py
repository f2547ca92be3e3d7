"""Two designs of one drawn body in one face cluster, cut where the design split read them wrong (issue 12, session
24): the face clusters the pipeline formed on the Kenney tune film built with seed 24 at 720p (``bench/kenney_film.py
build --split tune --height 720 --seed 24``, anime preset; the film's cluster size 11), in
tests/data/kenney_film_seed24_face_clusters.npz (drawn identity embeddings, cut-out colours, shot and true character
of each face; cluster 0: both adventurers, cluster 1: both persons and a robot):
- the adventurers (18 + 16 faces): two of his cut-outs took in the background and the linkage sets them aside, but
  the gaps were read with them back in his part, his colour spread then as low as the colours across (0.031 < 0.06):
  the gaps are read on the two sides of the cut, the odd rows left out;
- the persons: the man's 6 faces (3 shots) and a robot's sit in the woman's 19, 0.10 apart in the face and 0.11 in
  colour, under the cluster size; a part holding faces of ``split_min_shots`` shots is large enough to cut.
Each character's own faces are not cut."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from assets.identities.core import normalise
from assets.identities.design_split import split_by_gap

ROOT = Path(__file__).resolve().parents[2]
CLUSTER_SIZE = 11   # the film's effective min_cluster_size


@pytest.fixture(scope="module")
def stored() -> dict:
    rows = np.load(ROOT / "tests/data/kenney_film_seed24_face_clusters.npz")
    return {"face": normalise(rows["face"].astype(np.float32)), "colour": normalise(rows["colour"].astype(np.float32)),
            "character": rows["character"], "shot": rows["shot"].astype(np.int64), "cluster": rows["cluster"]}


def split(stored: dict, rows: np.ndarray, min_part_shots: int | None) -> tuple[np.ndarray, int]:
    preset = yaml.safe_load((ROOT / "configs/presets/anime.yaml").read_text())["identities"]
    return split_by_gap(stored["face"][rows], np.zeros(rows.sum(), dtype=np.int64), preset["split_gap"],
                        CLUSTER_SIZE, stored["colour"][rows], preset["split_colour_gap"],
                        link_colour_weight=preset["split_link_colour_weight"], shots=stored["shot"][rows],
                        min_part_shots=min_part_shots)


def test_the_gaps_are_read_without_the_rows_set_aside(stored):
    rows = stored["cluster"] == 0
    who = stored["character"][rows]
    labels, cuts = split(stored, rows, None)
    assert cuts == 1
    hers, his = labels[who == "female_adventurer"], labels[who == "male_adventurer"]
    assert len(set(hers)) == 1 and his[0] != hers[0] and (his != hers[0]).sum() >= 15   # one of his 16 with her


def test_a_design_seen_in_three_shots_is_cut_out_under_the_cluster_size(stored):
    preset = yaml.safe_load((ROOT / "configs/presets/anime.yaml").read_text())["identities"]
    rows = stored["cluster"] == 1
    who = stored["character"][rows]
    labels, cuts = split(stored, rows, preset["split_min_shots"])
    assert cuts == 1
    hers, his = labels[who == "female_person"], labels[who == "male_person"]
    assert len(set(hers)) == 1 and len(set(his)) == 1 and his[0] != hers[0]
    assert split(stored, rows, None)[1] == 0   # parts of min_cluster_size only: his 6 faces stay in hers


@pytest.mark.parametrize("character", ["female_adventurer", "male_adventurer", "female_person"])
def test_one_characters_faces_stay_together(stored, character):
    assert split(stored, stored["character"] == character, 3)[1] == 0

