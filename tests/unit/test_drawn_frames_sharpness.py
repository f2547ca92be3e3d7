"""Drawn images without line art (issue 12, session 18): Kenney's CC0 characters (flat fills, soft shading) as an
image folder at a usable size measure little Laplacian variance. The default frames check drops them as blurry;
the anime preset's ``frames.min_sharpness`` keeps them, and still drops a uniform image."""

import zipfile
from pathlib import Path

import cv2
import numpy as np
import yaml

from assets.frames.core import FrameParams, extract_image_frames
from tests.conftest import kenney_wheel_or_skip

ROOT = Path(__file__).resolve().parents[2]


def test_kenney_characters_as_images_pass_the_anime_frames_check_not_the_default(tmp_path):
    from assets.instances.kenney_characters import (SPRITE_HEIGHT, read_sprite,
                                                    upscale_rgba)

    wheel = kenney_wheel_or_skip()
    folder = tmp_path / "images"
    folder.mkdir()
    with zipfile.ZipFile(wheel) as archive:   # four characters of other designs (no near-duplicate pair)
        for k, character in enumerate(("female_person", "male_adventurer", "robot", "zombie")):
            rgba = upscale_rgba(read_sprite(archive, character, "idle"), 480 / SPRITE_HEIGHT)
            cv2.imwrite(str(folder / f"{k}_{character}.png"), rgba[..., [2, 1, 0, 3]])
    cv2.imwrite(str(folder / "9_flat.png"), np.full((480, 360, 3), 128, np.uint8))
    anime = yaml.safe_load((ROOT / "configs/presets/anime.yaml").read_text())["frames"]

    def kept(params: FrameParams, name: str) -> dict[str, str | None]:
        frames = extract_image_frames(folder, tmp_path / name, params).frames
        return dict(zip(frames["source"], frames["drop_reason"]))

    default, drawn = kept(FrameParams(), "default"), kept(FrameParams.from_dict(anime), "anime")
    characters = [s for s in drawn if not s.startswith("9_")]
    assert all(default[s] == "blurry" for s in characters)     # sharpness 2-10 at 480 rows, under 20
    assert all(drawn[s] is None for s in characters)
    assert drawn["9_flat.png"] is not None                       # a uniform image stays dropped
