"""A tinted monochrome frame (sepia, a cool duotone) is analysed as its luma
(resources/backends/character_monochrome.py ``is_tinted`` / ``without_tint``; docs/instances.md, "Session 32 (h5)").

On real media: Kenney's zombie pasted with its exact alpha on a real film frame of the composites' tune split
(bench/composites.py, Kenney tune seed 7 scene 7), the composite shown through a cool tint (``composites.recolour``
"tint": the luma mapped from a dark blue to a pale cyan, the truth unchanged), through the real instances core with
the anime preset. In colour and in grey the zombie is cut out (IoU 0.92, 0.82); in the blue tint no cut reaches it: the
colour cues read the tint. Real colour frames of the shared videos, a sunset included, are never tinted."""

import numpy as np

import resources.backends.character_monochrome as monochrome
from tests.conftest import kenney_wheel_or_skip, load_bench

SEED, SCENE, NAME = 7, 7, "zombie_idle"


def _scene(shared, colouring: str):
    import os

    kenney_wheel_or_skip()
    os.environ.setdefault("CASTFORGE_MODELS", str(shared / "models"))
    bench = load_bench("composites")
    scenes, _ = bench.build_scenes("tune", SCENE + 1, SEED, character_set="kenney", colouring=colouring)
    return bench, scenes[SCENE]


def _kept_iou(shared, tmp_path, monkeypatch, on: bool) -> float:
    import cv2

    from assets.instances.composites import mask_iou

    monkeypatch.setattr(monochrome, "TINTED_AS_GREY", on)
    bench, scene = _scene(shared, "tint")
    truth = next(c for c in scene.characters if c.name == NAME).mask
    _, decided, _, _ = bench.cut_frames([scene.rgb], [0], tmp_path, "characters", bench.preset_sections("anime"),
                                        anime_faces=True)
    kept = [r for r in decided.iter_rows(named=True) if r["kept"]]
    return max((mask_iou(cv2.imread(r["mask_path"], cv2.IMREAD_GRAYSCALE) > 0, truth) for r in kept), default=0.0)


def test_the_tinted_zombie_is_cut_out(shared, tmp_path, monkeypatch):
    assert _kept_iou(shared, tmp_path, monkeypatch, on=True) > 0.7


def test_with_the_tint_read_as_colour_the_zombie_is_never_cut_out(shared, tmp_path, monkeypatch):
    assert _kept_iou(shared, tmp_path, monkeypatch, on=False) < 0.1


def test_only_the_tinted_copies_are_tinted(shared):
    from assets.instances.composites import recolour

    _, scene = _scene(shared, "colour")
    assert not monochrome.is_tinted(scene.rgb)
    assert not monochrome.is_tinted(recolour(scene.rgb, "grey"))  # grey: h2's monochrome rule, not a tint
    for colouring in ("sepia", "tint"):
        tinted = recolour(scene.rgb, colouring)
        assert monochrome.is_tinted(tinted)
        grey = monochrome.without_tint(tinted)
        assert monochrome.is_monochrome(grey) and np.array_equal(grey[..., 0], grey[..., 2])


def test_a_sunset_in_colour_is_not_tinted(shared):
    """Sintel's sunset close-up (frame 766) and its dusk alley (frame 463): one warm grade over the whole frame, the
    nearest colour frames of the shared videos to a tint; her red hair and the alley's lamps keep their own colour."""
    import cv2

    capture = cv2.VideoCapture(str(shared / "media" / "video" / "sintel_trailer_480x204.mp4"))
    for index in (463, 766):
        capture.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, bgr = capture.read()
        assert ok
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        assert not monochrome.is_tinted(rgb)
        assert monochrome.without_tint(rgb) is rgb
