"""bench/image_set_compare.py on the labelled rows of real runs: the Kenney tune image set in fresh homes at 372f5eb
(where the README's Kenney image-set figure was set), 724cba4 (drawn cuts take their cel-fill mosaic) and 13e5e1b
(session 28's HEAD), tests/data/kenney_tune_labelled_pairs.json. Session 28 (h1): the labelled F of a run mixes
the characters its cut-outs find with the identities it gives them; the comparison on the pairs both runs found
reads the identities alone."""

import json

import pytest

from tests.conftest import BENCH_DIR, load_bench

PAIRS = BENCH_DIR.parent / "tests/data/kenney_tune_labelled_pairs.json"


@pytest.fixture(scope="module")
def runs() -> dict[str, dict[tuple[str, str], str]]:
    data = json.loads(PAIRS.read_text())
    return {commit: {(image, character): identity for image, character, identity in rows}
            for commit, rows in data.items() if commit != "about"}


def test_a_character_found_and_left_noise_lowers_the_labelled_f_but_not_the_common_one(runs):
    result = load_bench("image_set_compare").compare(runs["372f5eb"], runs["724cba4"])
    assert result["labelled"] == {"a": 60, "b": 61, "common": 60}
    assert result["a"]["all"] == [1.0, 0.851, 0.919]       # the figures anime_image_set.py eval printed
    assert result["b"]["all"] == [1.0, 0.826, 0.905]
    assert result["b"]["common"] == result["a"]["common"] == [1.0, 0.851, 0.919]
    assert result["only_b"] == [["grey_single_female_person.png", "female_person", "noise"]]
    assert result["only_a"] == []


def test_head_places_the_characters_both_found_better_and_finds_three_more(runs):
    result = load_bench("image_set_compare").compare(runs["372f5eb"], runs["13e5e1b"])
    assert result["labelled"] == {"a": 60, "b": 63, "common": 60}
    assert result["b"]["all"] == [1.0, 0.859, 0.924]
    assert result["b"]["common"] == [1.0, 0.88, 0.936]
    assert [pair[:2] for pair in result["only_b"]] == [["grey_single_female_person.png", "female_person"],
                                                      ["pair_zombie_male_person.png", "zombie"],
                                                      ["single_robot_0.png", "robot"]]
    assert result["only_b"][0][2] == "noise" and all(p[2].startswith("identity_") for p in result["only_b"][1:])


def test_a_pair_found_in_a_merged_identity_lowers_precision_on_all_pairs_only():
    rows = {("x.png", "robot"): "identity_000", ("y.png", "robot"): "identity_000", ("x.png", "zombie"): "identity_001"}
    merged = {**rows, ("z.png", "zombie"): "identity_000"}   # a newly found zombie joins the robot's identity
    result = load_bench("image_set_compare").compare(rows, merged)
    assert result["a"]["all"] == result["a"]["common"] == result["b"]["common"] == [1.0, 1.0, 1.0]
    assert result["b"]["all"][0] < 1.0 and result["only_b"] == [["z.png", "zombie", "identity_000"]]
