"""Kenney's CC0 creatures (assets/instances/arcade_creatures.py), the held-out set of session 19
(bench/creatures_image_set.py): every sprite reads from arcade's wheel with real alpha, and the plan shows every
creature in at least three images, the designs of one body in two colours side by side."""

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_plan_shows_every_creature_three_times_and_pairs_one_design_in_two_colours():
    if str(ROOT / "bench") not in sys.path:   # last: bench/datasets.py must not shadow Hugging Face's `datasets`
        sys.path.append(str(ROOT / "bench"))
    from creatures_image_set import plan

    from assets.instances.arcade_creatures import CHARACTERS

    images = plan("held_out")
    seen = {c: sum(ch["character"] == c for item in images for ch in item["chars"]) for c in CHARACTERS}
    assert min(seen.values()) >= 3 and len(seen) == 14
    pairs = {tuple(ch["character"] for ch in item["chars"]) for item in images if item["kind"] == "pair"}
    assert {("slime_blue", "slime_green"), ("worm_green", "worm_pink"), ("fish_green", "fish_pink")} <= pairs
    with pytest.raises(ValueError):
        plan("tune")   # held out only: nothing may be tuned on it


def test_every_creature_sprite_reads_with_its_alpha():
    from assets.instances.arcade_creatures import CHARACTERS, creature_poses, load_creature
    from assets.instances.kenney_characters import kenney_wheel

    try:
        import zipfile
        archive = zipfile.ZipFile(kenney_wheel())
    except FileNotFoundError as missing:
        pytest.skip(str(missing))
    with archive:
        for character in CHARACTERS:
            for pose in creature_poses(character):
                rgba = load_creature(character, pose, 240, archive).rgba
                assert rgba.shape[0] == 240 and rgba.shape[2] == 4
                opaque = rgba[..., 3] >= 128
                assert 0.2 < opaque.mean() < 1.0, (character, pose)   # a figure, cropped to its alpha
                assert np.ptp(rgba[..., :3][opaque]) > 30               # drawn colours, not a blank
