"""Fixtures of the character segmenter's cue tests: the cue models and drawn characters pasted with exact alpha."""

import os

import cv2
import numpy as np
import pytest


@pytest.fixture(scope="module")
def cue_models(shared):
    """(CharacterCues with the declared (3D) settings, the BlazePose MatteCue); skips without BlazePose."""
    os.environ.setdefault("CASTFORGE_MODELS", str(shared / "models"))
    from resources.backends.character_cues import CharacterCues
    from resources.backends.character_skeleton import matte_cue

    matte = matte_cue()
    if matte is None:
        pytest.skip("BlazePose landmark model (pose/mp_pose_landmark_lite.tflite) missing under CASTFORGE_MODELS")
    return CharacterCues(), matte


def best_cut(found: list[dict], truth):
    """The segmenter's answer ``found`` (dicts with a ``mask``) nearest the ``truth`` mask (IoU)."""
    from assets.instances.composites import mask_iou

    return max((f["mask"] for f in found), key=lambda m: mask_iou(m, truth))


def rendered_cuts(rgb, truth, drawn_cues, monkeypatch, module, switch: str) -> list:
    """The cut of ``rgb`` nearest ``truth`` with the frame's drawn cues marked as a rendered or filmed shot (``drawn``
    False), with ``module``'s ``switch`` on, then off: a drawn-only step leaves the two equal."""
    from resources.backends.opencv_characters import OpencvCharacterSegmenter

    segmenter = OpencvCharacterSegmenter(cues=drawn_cues)
    cuts = []
    for on in (True, False):
        monkeypatch.setattr(module, switch, on)
        cues = drawn_cues(rgb)
        cues.drawn = False
        cuts.append(best_cut(segmenter.segment(rgb, cues), truth))
    return cuts


@pytest.fixture(scope="module")
def drawn_cues(shared):
    """CharacterCues with AnimeFace's 2D faces (the anime preset's cues); skips without the animeface environment."""
    os.environ.setdefault("CASTFORGE_MODELS", str(shared / "models"))
    from resources.backends.character_cues import CharacterCues

    cues = CharacterCues(anime_faces=True)
    if cues.anime_detector() is None:
        pytest.skip("the animeface environment is not built here")
    return cues


@pytest.fixture(scope="module")
def sintel_cut(shared, cue_models):
    """The segmenter's cut-outs (its ``segment`` answer) of the Sintel trailer's frame ``index`` (24 fps, 480 x 204),
    with the cue models."""
    from assets.instances.composites import read_background
    from resources.backends.opencv_characters import OpencvCharacterSegmenter

    cues_of, _ = cue_models

    def cut(index: int) -> list[dict]:
        rgb = read_background(shared / "media/video/sintel_trailer_480x204.mp4", index / 24, 204)
        return OpencvCharacterSegmenter(cues=cues_of).segment(rgb, cues_of(rgb))

    return cut


def paste(rgb: np.ndarray, rgba: np.ndarray, x0: int, y0: int, height: int, mirror: bool = False) -> np.ndarray:
    """Pastes ``rgba`` scaled to ``height`` rows onto ``rgb`` (in place) with its top-left corner at x0, y0 (the
    frame's bottom edge may cut it); returns its exact truth mask (alpha >= 0.5) in frame pixels."""
    width = round(rgba.shape[1] * height / rgba.shape[0])
    layer = cv2.resize(rgba, (width, height), interpolation=cv2.INTER_AREA)
    layer = layer[:, ::-1] if mirror else layer
    rows = min(rgb.shape[0], y0 + height) - y0
    alpha = layer[:rows, :, 3:].astype(np.float32) / 255
    region = rgb[y0:y0 + rows, x0:x0 + width].astype(np.float32)
    rgb[y0:y0 + rows, x0:x0 + width] = np.round(layer[:rows, :, :3] * alpha + region * (1 - alpha))
    truth = np.zeros(rgb.shape[:2], bool)
    truth[y0:y0 + rows, x0:x0 + width] = alpha[..., 0] >= 0.5
    return truth


@pytest.fixture(scope="session")
def paste_character():
    """``paste`` (above), for tests that build scenes with exact truth."""
    return paste


@pytest.fixture(scope="session")
def kenney_idle_sprites():
    """Kenney's zombie and female person, idle, as RGBA on the sprite's whole canvas (transparent around the
    figure) at 480 rows; skips without arcade's wheel in .bench-media (install/fetch_bench_media.sh)."""
    import zipfile

    from assets.instances import kenney_characters as kenney

    try:
        wheel = kenney.kenney_wheel()
    except FileNotFoundError as error:
        pytest.skip(str(error))
    with zipfile.ZipFile(wheel) as archive:
        return {name: kenney.upscale_rgba(kenney.read_sprite(archive, name, "idle"), 480 / kenney.SPRITE_HEIGHT)
                for name in ("zombie", "female_person")}
