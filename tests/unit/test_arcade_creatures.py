"""Kenney's CC0 creatures (assets/instances/arcade_creatures.py), the held-out set of session 19
(bench/creatures_image_set.py): every sprite reads from arcade's wheel with real alpha, and the plan shows every
creature in at least three images, the designs of one body in two colours side by side; the tune split (session 47)
shares no character, sprite or frame with it."""

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
        plan("s15")


def test_the_tune_split_shares_no_character_sprite_or_frame_with_the_held_out_split():
    if str(ROOT / "bench") not in sys.path:
        sys.path.append(str(ROOT / "bench"))
    from creatures_image_set import TUNE_CHARACTERS, figure_poses, plan

    from assets.instances.arcade_creatures import CHARACTERS

    def shown(images: list[dict]) -> tuple[set, set, set]:
        chars = [ch for item in images for ch in item["chars"]]
        return ({ch["character"] for ch in chars}, {ch["pose"] for ch in chars},
                {tuple(item["background"]) for item in images if item["background"]})

    tune, held_out = plan("tune"), plan("held_out")
    (tune_chars, tune_sprites, tune_frames), (held_chars, held_sprites, held_frames) = shown(tune), shown(held_out)
    assert tune_chars == set(TUNE_CHARACTERS) and held_chars == set(CHARACTERS)
    assert not tune_chars & held_chars and not tune_sprites & held_sprites and not tune_frames & held_frames
    seen = {c: sum(ch["character"] == c for item in tune for ch in item["chars"]) for c in TUNE_CHARACTERS}
    assert min(seen.values()) >= 3
    assert all(pose in {ch["pose"] for item in tune for ch in item["chars"]} for c in TUNE_CHARACTERS
               for pose in figure_poses(c))   # every pose of every tune figure is shown
    pairs = {tuple(ch["character"] for ch in item["chars"]) for item in tune if item["kind"] == "pair"}
    # one palette in two designs (the held-out green creatures' case), one design in two colours
    assert {("ship1_orange", "ship2_orange"), ("gem_green", "key_green"), ("flag_green", "flag_red")} <= pairs


def test_every_creature_sprite_reads_with_its_alpha():
    from assets.instances.arcade_creatures import CHARACTERS, load_creature
    from assets.instances.kenney_characters import crop_to_alpha, kenney_wheel, upscale_rgba

    try:
        import zipfile
        archive = zipfile.ZipFile(kenney_wheel())
    except FileNotFoundError as missing:
        pytest.skip(str(missing))
    with archive:
        if str(ROOT / "bench") not in sys.path:
            sys.path.append(str(ROOT / "bench"))
        from creatures_image_set import TUNE_CHARACTERS, figure_poses, read_figure

        def figure(character: str, pose: str) -> np.ndarray:
            if character in CHARACTERS:
                return load_creature(character, pose, 240, archive).rgba
            raw = crop_to_alpha(read_figure(archive, character, pose))
            return crop_to_alpha(upscale_rgba(raw, 240 / raw.shape[0]))

        for character in [*CHARACTERS, *TUNE_CHARACTERS]:
            for pose in figure_poses(character):
                rgba = figure(character, pose)
                assert rgba.shape[0] == 240 and rgba.shape[2] == 4
                opaque = rgba[..., 3] >= 128
                assert 0.2 < opaque.mean() < 1.0, (character, pose)   # a figure, cropped to its alpha
                assert np.ptp(rgba[..., :3][opaque]) > 30               # drawn colours, not a blank
