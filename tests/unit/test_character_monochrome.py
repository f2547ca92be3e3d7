"""In a frame with no colour the seeding rules read a drawn face's skin by lightness alone
(resources/backends/character_monochrome.py; docs/instances.md, "Session 32 (h2)").

On real media: Kenney's two male adventurers pasted with their exact alpha on a Sintel trailer frame of the
composites' tune split (bench/composites.py, Kenney tune seed 7 scene 6), the composite turned grey
(``composites.recolour``: a monochrome copy, the truth unchanged), through the real instances core with the anime
preset. In colour AnimeFace finds both faces; in grey only YuNet's weak face on the walking one (0.32), whose seed the
false-face guard dropped because the skin between its eyes has no warm hue."""

import numpy as np

import resources.backends.character_monochrome as monochrome
from resources.backends.character_face_guard import skin_share
from resources.backends.character_weak_faces import drawn_skin
from tests.conftest import kenney_wheel_or_skip, kept_cut_masks, load_bench

SEED, SCENE, NAME = 7, 6, "male_adventurer_walk4"


def _grey_scene(shared):
    import os

    kenney_wheel_or_skip()
    os.environ.setdefault("CASTFORGE_MODELS", str(shared / "models"))
    bench = load_bench("composites")
    scenes, _ = bench.build_scenes("tune", SCENE + 1, SEED, character_set="kenney", colouring="grey")
    return bench, scenes[SCENE]


def _kept_iou(shared, tmp_path, monkeypatch, on: bool) -> float:
    from assets.instances.composites import mask_iou

    monkeypatch.setattr(monochrome, "MONOCHROME_SKIN", on)
    bench, scene = _grey_scene(shared)
    truth = next(c for c in scene.characters if c.name == NAME).mask
    return max((mask_iou(mask, truth) for mask in kept_cut_masks(bench, scene.rgb, tmp_path)), default=0.0)


def test_the_grey_adventurer_is_cut_out(shared, tmp_path, monkeypatch):
    assert _kept_iou(shared, tmp_path, monkeypatch, on=True) > 0.35


def test_with_colour_skin_tests_the_grey_adventurer_is_never_cut_out(shared, tmp_path, monkeypatch):
    assert _kept_iou(shared, tmp_path, monkeypatch, on=False) < 0.05


def test_only_the_grey_copy_is_monochrome(shared):
    from assets.instances.composites import recolour

    _, scene = _grey_scene(shared)
    assert monochrome.is_monochrome(scene.rgb)
    bench = load_bench("composites")
    colour = bench.build_scenes("tune", SCENE + 1, SEED, character_set="kenney")[0][SCENE].rgb
    assert not monochrome.is_monochrome(colour)
    assert not monochrome.is_monochrome(recolour(colour, "sepia"))  # one warm tint: the colour tests read it


def test_a_flat_grey_fill_is_skin_only_where_the_frame_has_no_colour():
    patch = np.full((60, 60, 3), 150, np.uint8)   # mid grey: no hue, lightness 0.59
    box = np.array([0, 0, 60, 60, 0.3], np.float32)
    assert not drawn_skin(patch, box) and drawn_skin(patch, box, monochrome=True)
    assert skin_share(patch, box) == 0.0 and skin_share(patch, box, monochrome=True) == 1.0
    dark = np.full((60, 60, 3), 40, np.uint8)     # hair or shadow stays no skin either way
    assert not drawn_skin(dark, box, monochrome=True) and skin_share(dark, box, monochrome=True) == 0.0
