"""bench/merged_pairs.py: the cues a merged character's frame held, on a real composite (Kenney tune seed 29 scene 0:
a small man standing in front of a big woman, cut with her as one cut-out)."""

import numpy as np
import pytest

from tests.conftest import kenney_wheel_or_skip, load_bench


@pytest.fixture(scope="module")
def scene(shared):
    kenney_wheel_or_skip()
    composites = load_bench("composites")
    return composites.build_scenes("tune", 1, 29, character_set="kenney")[0][0]


def _named(scene, name):
    return next(c for c in scene.characters if c.name == name)


def test_the_small_man_stands_in_front_of_the_woman_and_tops_none_of_their_joint_cut(scene):
    bench = load_bench("merged_pairs")
    man, woman = _named(scene, "male_person_walk4"), _named(scene, "female_adventurer_walk0")
    assert bench.stands(man, woman) == "in_front"
    assert bench.stands(woman, man) == "behind"
    cut = man.mask | woman.mask  # the one cut-out both get at HEAD
    assert bench.tops_cut(cut, man.mask) < 0.5  # her body and arm lie over most of his columns
    assert bench.tops_cut(cut, woman.mask) > 0.9
    assert bench.tops_cut(man.mask, man.mask) == 1.0


def test_the_counts_read_each_cue_and_the_characters_with_none():
    bench = load_bench("merged_pairs")
    rows = [{"face": 0.8, "weak_face": None, "own_box": 0.0, "tops_cut": 0.2, "stands": "in_front"},
            {"face": None, "weak_face": 0.23, "own_box": 0.0, "tops_cut": 0.2, "stands": "in_front"},
            {"face": None, "weak_face": 0.1, "own_box": 0.3, "tops_cut": 0.7, "stands": "behind"},
            {"face": None, "weak_face": None, "own_box": 0.2, "tops_cut": 0.0, "stands": "beside"}]
    assert bench.counts(rows) == {"merged": 4, "face": 1, "weak_face": 1, "own_box": 0, "tops_cut": 1, "no_cue": 1,
                                  "stands_in_front": 2, "stands_behind": 1, "stands_beside": 1}
    height, width = 40, 60
    truth = np.zeros((height, width), bool)
    truth[10:30, 20:40] = True
    assert bench.best_score_on(np.array([[22, 12, 30, 20, 0.3], [0, 0, 8, 8, 0.9]]), truth) == 0.3
    assert bench.best_score_on(np.zeros((0, 5)), truth) is None
