"""bench/composites.py --characters kenney: Kenney's CC0 characters (assets/instances/kenney_characters.py) pasted on
the split's real frames, the tune poses in the tune split and the held-out poses in the held-out split, with the same
scene generator; the default character set (../shared's Sita and Saha) draws the scenes it always drew."""

import numpy as np
import pytest

from tests.conftest import kenney_wheel_or_skip, load_bench
from tests.unit.test_character_class_extent import tune_scene


@pytest.fixture(scope="module")
def bench(shared):
    kenney_wheel_or_skip()
    return load_bench("composites")


@pytest.mark.parametrize("split", ["tune", "held_out"])
def test_kenney_scenes_paste_only_the_splits_poses_on_the_splits_frames(bench, split):
    from assets.instances.kenney_characters import CHARACTERS, POSES

    scenes, shots = bench.build_scenes(split, 6, 7, character_set="kenney")
    assert shots == list(range(6))
    placed = [c for s in scenes for c in s.characters]
    assert len(placed) >= 6
    for character in placed:
        identity, pose = character.name.rsplit("_", 1)
        assert identity in CHARACTERS and pose in POSES[split], character.name
        assert bench.character_of(character.name, "kenney") == identity
        assert character.alpha.max() > 0.99 and ((character.alpha > 0) & (character.alpha < 1)).any()  # exact alpha
    videos = {v for v, _ in bench.BACKGROUNDS[split]}
    assert {s.background.split("@")[0] for s in scenes} <= videos
    assert all(s.rgb.shape[0] == bench.HEIGHT for s in scenes)


def test_kenney_characters_stand_at_a_films_size_and_are_hardly_enlarged_again(bench):
    """Upscaled (Lanczos) to a 720-row canvas, each character stands 520-650 px tall: the scene generator's largest
    size (1.1 x 1.05 of 480 rows, 554 px) enlarges none by more than 7 %; every other size shrinks them."""
    from assets.instances.composites import SCALES

    heights = [c.rgba.shape[0] for c in bench.split_characters("tune", "kenney")]
    assert len(heights) == 42 and 520 <= min(heights) and max(heights) <= 650
    assert round(1.1 * max(SCALES) * bench.HEIGHT) / min(heights) < 1.07


def test_the_default_character_set_draws_the_scenes_it_always_drew(shared):
    """The shared set's tune scene 1 of seed 11 is the scene the rule tests rebuild with the bench's draws."""
    bench = load_bench("composites")
    scenes, _ = bench.build_scenes("tune", 2, 11)
    rgb, truths = tune_scene(shared, 11, 1)
    assert np.array_equal(scenes[1].rgb, rgb)
    assert [c.name for c in scenes[1].characters] and all(
        np.array_equal(c.mask, t) for c, t in zip(scenes[1].characters, truths))
    assert bench.character_of("sita_front") == "sita_front"
