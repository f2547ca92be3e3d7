"""Kenney's CC0 creatures as an image folder a user brings (issue 12, session 19): a held-out set only, built on
bench/kenney_image_set.py's builder and truth (``bench/anime_image_set.py build DIR --characters creatures``;
``eval`` as for the Kenney set). Run alone it prints the plan as JSON (no media needed).

The folder holds (assets/instances/arcade_creatures.py: 14 characters, 24 sprites):
- ``rgba``: each character as its sprite's canvas upscaled to 360 / 480 / 600 rows, every pose, and at least three
  images a character (a character of one or two sprites seen again flipped, at another size);
- ``single``: each character once on a real frame of the shared videos (frames no other set uses), at 25-55 % of
  the frame's height, some flipped;
- ``pair``: two creatures side by side, half of them overlapping by 15 %: the designs of one body in two colours
  (slimes, worms, fish), one colour in two designs (frog and slime), and others;
- ``grey`` (a pair in greyscale) and ``small`` (a creature at 12 % of a frame's height).
Most have eyes and no face a detector finds: the set measures the faceless path of the identity step.
"""

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BBB, TEST, PC = ("video/big_buck_bunny_0_30.webm", "video/pyscenedetect/testvideo.mp4",
                 "video/2d/penny_and_chip_26shots_480p.mp4")
# real frames no other image set uses (the Kenney set: BBB 8 / 12 / 16 / 24, test 3 / 9 / 15 / 18, P&C x.5 of
# shots 0-13 at 11.5 / 43.5 / 75.5 / 107.5 / 3.5 / 35.5 / 67.5 / 99.5)
BACKGROUNDS = [(BBB, 4.0), (TEST, 6.0), (PC, 27.5), (BBB, 20.0), (TEST, 12.0), (PC, 59.5), (PC, 91.5), (PC, 123.5)]
PAIRS = [("slime_blue", "slime_green"), ("worm_green", "worm_pink"), ("fish_green", "fish_pink"),
         ("slime_purple", "slime_blue"), ("frog", "slime_green"), ("alien_blue", "mouse"), ("bee", "fly"),
         ("ladybug", "slime_block")]
RGBA_HEIGHTS = (360, 480, 600)
SINGLE_HEIGHTS = (0.25, 0.35, 0.45, 0.55)
SPLITS = ("held_out",)


def plan(split: str = "held_out") -> list[dict]:
    """The images, in bench/kenney_image_set.plan's form."""
    from assets.instances.arcade_creatures import CHARACTERS, creature_poses

    if split not in SPLITS:
        raise ValueError(f"the creature set is held out only: --split held_out, not {split!r}")
    rng = np.random.default_rng(19)
    names, images, i = list(CHARACTERS), [], 0
    for character in names:
        poses = creature_poses(character)
        for k in range(max(3, len(poses))):
            images.append({"name": f"rgba_{character}_{k}.png", "kind": "rgba", "background": None,
                           "chars": [{"character": character, "pose": poses[k % len(poses)],
                                      "height": RGBA_HEIGHTS[i % 3], "x": 0.0,
                                      "flip": k >= len(poses) and k % 2 == 1}]})
            i += 1

    def char(character: str, k: int, height: float, flip: bool) -> dict:
        poses = creature_poses(character)
        return {"character": character, "pose": poses[k % len(poses)], "height": height,
                "x": round(float(rng.uniform(0.05, 0.95)), 3), "flip": flip}

    for i, character in enumerate(names):
        images.append({"name": f"single_{character}.png", "kind": "single",
                       "background": list(BACKGROUNDS[i % len(BACKGROUNDS)]),
                       "chars": [char(character, i, SINGLE_HEIGHTS[i % 4], i % 2 == 1)]})
    for i, (a, b) in enumerate(PAIRS):
        height = SINGLE_HEIGHTS[(i + 1) % 4]
        images.append({"name": f"pair_{a}_{b}.png", "kind": "pair",
                       "background": list(BACKGROUNDS[(i + 3) % len(BACKGROUNDS)]), "overlap": [0.0, 0.15][i % 2],
                       "chars": [char(a, i + 1, height, i % 3 == 0), char(b, i, height * 0.95, i % 3 == 1)]})
    images.append({"name": "grey_pair_worm_green_slime_purple.png", "kind": "grey", "grey": True,
                   "background": list(BACKGROUNDS[5]), "overlap": 0.0,
                   "chars": [char("worm_green", 1, 0.3, False), char("slime_purple", 0, 0.3, True)]})
    images.append({"name": "small_frog.png", "kind": "small", "background": list(BACKGROUNDS[7]),
                   "chars": [char("frog", 0, 0.12, False)]})
    return images


def sprite(character: str, pose: str, rows: int, whole_canvas: bool, flip: bool, wheel) -> np.ndarray:
    """RGBA: the sprite's canvas upscaled to ``rows`` (whole_canvas), else the creature cropped to ``rows``."""
    import zipfile

    from assets.instances.arcade_creatures import read_sprite
    from assets.instances.kenney_characters import crop_to_alpha, upscale_rgba

    with zipfile.ZipFile(wheel) as archive:
        raw = read_sprite(archive, character, pose)
    if whole_canvas:
        out = upscale_rgba(raw, rows / raw.shape[0])
    else:
        out = crop_to_alpha(upscale_rgba(raw, rows / crop_to_alpha(raw).shape[0]))
    return np.ascontiguousarray(out[:, ::-1]) if flip else out


def build(out: str, split: str, media: str) -> dict:
    """Writes the images into ``out``, masks into ``out.masks``; returns the truth (``DIR.truth.json``)."""
    from kenney_image_set import build as build_set

    return build_set(out, split, media, plan_of=plan, sprite_of=sprite)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    print(json.dumps(plan(), indent=1))
