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


def _through_x264(frames: list[np.ndarray], tmp_path, crf: int = 23) -> list[np.ndarray]:
    """The frames as a lossy video delivers them: x264, 4:2:0 chroma, crf ``crf``, decoded again."""
    import shutil
    import subprocess

    import cv2
    import pytest

    if shutil.which("ffmpeg") is None:
        pytest.skip("needs the ffmpeg command")
    height, width = frames[0].shape[:2]
    video = tmp_path / "tinted.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
                    "-r", "4", "-i", "-", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", str(crf), str(video)],
                   input=b"".join(np.ascontiguousarray(f).tobytes() for f in frames), check=True)
    capture, decoded = cv2.VideoCapture(str(video)), []
    while (read := capture.read())[0]:
        decoded.append(cv2.cvtColor(read[1], cv2.COLOR_BGR2RGB))
    return decoded


def _film_seconds(shared, seconds) -> list[np.ndarray]:
    import cv2

    capture = cv2.VideoCapture(str(shared / "media" / "video" / "2d" / "penny_and_chip_26shots_480p.mp4"))
    fps, frames = round(capture.get(cv2.CAP_PROP_FPS) or 24), []
    for second in seconds:
        capture.set(cv2.CAP_PROP_POS_FRAMES, second * fps)
        ok, bgr = capture.read()
        assert ok
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    return frames


def test_a_tint_through_a_lossy_codec_is_still_a_tint(shared, tmp_path):
    """Penny & Chip's film, seconds 2-7 and 26-31, shown through the cool tint and sepia and sent through x264 (crf 23,
    4:2:0): the codec smears chroma across edges by up to 20 levels. h5's exact one-colour-per-lightness test caught
    none of these (TINT_THROUGH_CODEC off); judged away from edges with room by them every cool tint is caught and most
    sepia ones (session 32 h11); the same frames in colour through the same codec are never tinted."""
    from assets.instances.composites import recolour

    frames = _film_seconds(shared, [2, 3, 4, 5, 6, 7, 26, 27, 28, 29, 30, 31])
    cool = _through_x264([recolour(f, "tint") for f in frames[:6]], tmp_path)
    sepia = _through_x264([recolour(f, "sepia") for f in frames[6:]], tmp_path)
    colour = _through_x264(frames, tmp_path)
    assert all(monochrome.is_tinted(f) for f in cool)
    assert sum(monochrome.is_tinted(f) for f in sepia) >= 4
    assert not any(monochrome.is_tinted(f) for f in colour)
