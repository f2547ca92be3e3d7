"""Kenney's CC0 platformer characters: six drawn 2D characters (flat fills, soft shading, no line art), 13 poses
each (front, three-quarter walk cycle, jump, fall, two climbing poses seen from the back), exact alpha. They ship
inside arcade 3.3.3's wheel (`arcade/resources/assets/images/animated_characters/`, licence CC0, www.kenney.nl);
`install/fetch_bench_media.sh` (run by `make setup`) downloads that wheel into `.bench-media/` and nothing is
installed: the PNGs are read from the wheel as a zip.

They are the drawn characters no rule was tuned on before session 18, a second set beside ../shared's Sita and Saha.
Poses are split once, here, so that a bench's tune split never sees a held-out pose: each split holds every
character, seen from the front and from the back.

The sprites are 96 x 128 px; `load_kenney_character` upscales them (Lanczos on premultiplied colour, alpha
resampled alike) so a character is as large as a film's characters; the resampled alpha is the truth.
"""

import os
import zipfile
from pathlib import Path

import cv2
import numpy as np

from assets.instances.composites import Character

WHEEL = "arcade-3.3.3-py3-none-any.whl"
FOLDER = "arcade/resources/assets/images/animated_characters"
CHARACTERS = {  # name -> file prefix
    "female_adventurer": "femaleAdventurer",
    "female_person": "femalePerson",
    "male_adventurer": "maleAdventurer",
    "male_person": "malePerson",
    "robot": "robot",
    "zombie": "zombie",
}
POSES = {
    "tune": ("idle", "jump", "walk0", "walk2", "walk4", "walk6", "climb0"),
    "held_out": ("fall", "walk1", "walk3", "walk5", "walk7", "climb1"),
}
SPRITE_HEIGHT = 128


def bench_media_dir() -> Path:
    """Where install/fetch_bench_media.sh put the wheel: CASTFORGE_BENCH_MEDIA, else the checkout's .bench-media."""
    configured = os.environ.get("CASTFORGE_BENCH_MEDIA")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / ".bench-media"


def kenney_wheel() -> Path:
    """The arcade wheel that holds the characters; a clear error naming how to fetch it when it is absent."""
    path = bench_media_dir() / WHEEL
    if not path.is_file():
        raise FileNotFoundError(f"{path}: Kenney's CC0 characters come from arcade 3.3.3's wheel; fetch it with "
                                f"`bash install/fetch_bench_media.sh` (run by `make setup`; needs the package index)")
    return path


def kenney_poses(split: str) -> tuple[str, ...]:
    if split not in POSES:
        raise ValueError(f"unknown split {split!r}: one of {sorted(POSES)}")
    return POSES[split]


def read_sprite(archive: zipfile.ZipFile, character: str, pose: str) -> np.ndarray:
    """The sprite as H x W x 4 uint8 RGBA, straight alpha (the PNGs are palette images with transparency)."""
    from PIL import Image

    name = f"{FOLDER}/{character}/{CHARACTERS[character]}_{pose}.png"
    with archive.open(name) as handle, Image.open(handle) as image:
        return np.asarray(image.convert("RGBA")).copy()


def upscale_rgba(rgba: np.ndarray, factor: float) -> np.ndarray:
    """``rgba`` resized by ``factor`` with Lanczos on premultiplied colour (no dark fringe where alpha fades)."""
    if factor == 1.0:
        return rgba
    alpha = rgba[..., 3:].astype(np.float32) / 255.0
    premultiplied = np.concatenate([rgba[..., :3].astype(np.float32) * alpha, alpha * 255.0], axis=2)
    size = (max(1, round(rgba.shape[1] * factor)), max(1, round(rgba.shape[0] * factor)))
    resized = np.clip(cv2.resize(premultiplied, size, interpolation=cv2.INTER_LANCZOS4), 0.0, 255.0)
    out_alpha = resized[..., 3:] / 255.0
    colour = np.where(out_alpha > 1e-3, resized[..., :3] / np.maximum(out_alpha, 1e-3), 0.0)
    return np.concatenate([np.clip(colour, 0, 255), resized[..., 3:]], axis=2).round().astype(np.uint8)


def crop_to_alpha(rgba: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(rgba[..., 3] > 0)
    return np.ascontiguousarray(rgba[ys.min():ys.max() + 1, xs.min():xs.max() + 1])


def load_kenney_character(character: str, pose: str, height: int = 720,
                          archive: zipfile.ZipFile | None = None) -> Character:
    """One character in one pose, upscaled so the sprite's canvas is ``height`` rows, cropped to its alpha;
    named ``<character>_<pose>`` (the identity is the part before the pose). ``archive``: the wheel, opened once
    by a caller that loads many."""
    if character not in CHARACTERS:
        raise ValueError(f"unknown Kenney character {character!r}: one of {sorted(CHARACTERS)}")
    if archive is None:
        with zipfile.ZipFile(kenney_wheel()) as opened:
            return load_kenney_character(character, pose, height, opened)
    sprite = read_sprite(archive, character, pose)
    return Character(f"{character}_{pose}", crop_to_alpha(upscale_rgba(sprite, height / SPRITE_HEIGHT)))


def load_kenney_split(split: str, height: int = 720) -> list[Character]:
    """Every character in every pose of ``split`` (character-major order)."""
    poses = kenney_poses(split)
    with zipfile.ZipFile(kenney_wheel()) as archive:
        return [load_kenney_character(c, p, height, archive) for c in CHARACTERS for p in poses]
