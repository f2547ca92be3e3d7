"""The one-palette tune cases (bench/one_palette_image_set.py, session 54, issue 12): Kenney's tune characters and
the creature set's tune figures recoloured into one green, read from arcade's wheel. The recolouring keeps every
sprite's alpha and puts the designs into one colour family (the cut-out colours the identity step reads); the
creature form shows tune figures only, each once in one colour, in three images or more."""

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def bench_modules() -> None:
    if str(ROOT / "bench") not in sys.path:   # last: bench/datasets.py must not shadow Hugging Face's `datasets`
        sys.path.append(str(ROOT / "bench"))


def colours(rgba: np.ndarray) -> np.ndarray:
    from assets.identities.appearance import colour_descriptor

    return colour_descriptor(cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))


def test_kenney_characters_recoloured_share_one_palette_and_keep_their_alpha():
    bench_modules()
    from kenney_image_set import sprite
    from one_palette_image_set import recoloured

    from assets.instances.kenney_characters import CHARACTERS, kenney_wheel

    try:
        wheel = kenney_wheel()
    except FileNotFoundError as missing:
        pytest.skip(str(missing))
    drawn = [sprite(c, "idle", 480, False, False, wheel) for c in CHARACTERS]
    green = [recoloured(rgba) for rgba in drawn]
    assert all(np.array_equal(a[..., 3], b[..., 3]) for a, b in zip(drawn, green))
    pairs = np.triu_indices(len(drawn), 1)
    before = (np.stack([colours(x) for x in drawn]) @ np.stack([colours(x) for x in drawn]).T)[pairs]
    after = (np.stack([colours(x) for x in green]) @ np.stack([colours(x) for x in green]).T)[pairs]
    # as drawn, the six are told apart by colour (0.05-0.85, mean 0.45); recoloured, 0.68-0.95 (mean 0.80)
    assert before.min() < 0.1 and before.mean() < 0.5
    assert after.min() > 0.6 and after.mean() > 0.75


def test_the_creature_form_shows_tune_figures_once_each_in_three_images():
    bench_modules()
    from creatures_image_set import TUNE_CHARACTERS
    from one_palette_image_set import SAME_DESIGN_OTHER_COLOUR, creature_plan

    from assets.instances.arcade_creatures import CHARACTERS

    images = creature_plan("tune")
    shown = {ch["character"] for item in images for ch in item["chars"]}
    assert shown == set(TUNE_CHARACTERS) - set(SAME_DESIGN_OTHER_COLOUR)
    assert not shown & set(CHARACTERS)
    seen = {c: sum(ch["character"] == c for item in images for ch in item["chars"]) for c in shown}
    assert min(seen.values()) >= 3
    pairs = {tuple(ch["character"] for ch in item["chars"]) for item in images if item["kind"] == "pair"}
    assert ("ship1_orange", "ship2_orange") in pairs and ("gem_green", "key_green") in pairs
