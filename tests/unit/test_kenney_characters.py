"""Kenney's CC0 characters read from arcade's wheel (install/fetch_bench_media.sh): the pose split, the upscale and
the truth's alpha. Skips where the wheel was not fetched (a clone without `make setup`)."""

import zipfile

import numpy as np
import pytest

from assets.instances import kenney_characters as kenney


@pytest.fixture(scope="module")
def wheel():
    try:
        return kenney.kenney_wheel()
    except FileNotFoundError as error:
        pytest.skip(str(error))


def test_splits_hold_every_pose_once_and_every_character_from_the_back(wheel):
    tune, held_out = set(kenney.POSES["tune"]), set(kenney.POSES["held_out"])
    assert not tune & held_out
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    for character, prefix in kenney.CHARACTERS.items():
        in_wheel = {n.rsplit("_", 1)[1][:-4] for n in names if n.startswith(f"{kenney.FOLDER}/{character}/{prefix}_")}
        assert in_wheel == tune | held_out, character
    assert any(p.startswith("climb") for p in tune) and any(p.startswith("climb") for p in held_out)


def test_a_character_is_upscaled_with_soft_edges_and_cropped_to_its_alpha(wheel):
    character = kenney.load_kenney_character("zombie", "walk1", height=640)
    alpha = character.rgba[..., 3]
    assert character.name == "zombie_walk1"
    assert 500 <= alpha.shape[0] <= 640          # the sprite's canvas is 640 rows, the zombie most of it
    assert alpha[0].any() and alpha[-1].any() and alpha[:, 0].any() and alpha[:, -1].any()
    soft = (alpha > 0) & (alpha < 255)
    assert soft.sum() > 0.01 * (alpha > 0).sum()  # the resampled outline is graded, not a hard cut
    skin = character.rgba[alpha == 255][:, :3].astype(int)
    assert (skin[:, 1] > skin[:, 0]).mean() > 0.3  # a green-skinned zombie, colours not darkened by the resampling


def test_a_missing_wheel_names_how_to_fetch_it(tmp_path, monkeypatch):
    monkeypatch.setenv("CASTFORGE_BENCH_MEDIA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="fetch_bench_media.sh"):
        kenney.kenney_wheel()
