"""Kenney's CC0 creatures as an image folder a user brings (issue 12, session 19): a held-out set, built on
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

``--split tune`` (session 47): the same plan on the pack's other flat-fill figures (TUNE_CHARACTERS below:
flags, gems, keys, a coin, a star, tanks, a tree, ships; none of the held-out characters), on other frames, with
its own pairs: one colour in several designs (the held-out green creatures' case) and one design in several
colours, for choosing the faceless split's bars where a rule needs one.
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
SPLITS = ("held_out", "tune")
# The tune split (session 47, issue 12): the pack holds no other creature, so the tune characters are its other
# flat-fill figures drawn in the same style and palette, none of arcade_creatures.CHARACTERS: one colour in several
# designs (a green flag, gem, key, tank and tree, as the green fish, frog, slime and worm; three orange ships; a
# yellow flag, key, coin and star), one design in several colours (flags, ships), and poses that part one figure's
# silhouette as a creature's moves do (a flag waving and furled, a coin spinning, a tank with and without its barrel,
# a ship and its life icon, a tree large and small). Kept here, not in assets/instances/: the instances stage's
# cache key holds that package's code.
TUNE_CHARACTERS = {  # name -> (folder under arcade_creatures.FOLDER, file stems: one per pose)
    "flag_green": ("items", ("flagGreen1", "flagGreen2", "flagGreen_down")),
    "flag_red": ("items", ("flagRed1", "flagRed2", "flagRed_down")),
    "flag_yellow": ("items", ("flagYellow1", "flagYellow2", "flagYellow_down")),
    "gem_green": ("items", ("gemGreen",)),
    "gem_blue": ("items", ("gemBlue",)),
    "key_green": ("items", ("keyGreen",)),
    "key_yellow": ("items", ("keyYellow",)),
    "coin_star": ("items", ("gold_1", "gold_2", "gold_3", "gold_4")),
    "star": ("items", ("star",)),
    "tank_green": ("topdown_tanks", ("tank_green", "tankBody_green")),
    "tree_green": ("topdown_tanks", ("treeGreen_large", "treeGreen_small")),
    "ship1_orange": ("space_shooter", ("playerShip1_orange", "playerLife1_orange")),
    "ship1_blue": ("space_shooter", ("playerShip1_blue", "playerLife1_blue")),
    "ship2_orange": ("space_shooter", ("playerShip2_orange",)),
    "ship3_orange": ("space_shooter", ("playerShip3_orange",)),
}
# the tune split's frames: none the held-out split or the Kenney set uses
TUNE_BACKGROUNDS = [(BBB, 2.0), (TEST, 4.5), (PC, 139.5), (BBB, 26.0), (TEST, 10.5), (PC, 155.5), (PC, 171.5),
                    (PC, 187.5)]
TUNE_PAIRS = [("flag_green", "flag_red"), ("ship1_orange", "ship2_orange"), ("gem_green", "key_green"),
              ("tank_green", "tree_green"), ("flag_yellow", "key_yellow"), ("ship1_blue", "ship1_orange"),
              ("coin_star", "star"), ("ship3_orange", "gem_blue")]


def plan(split: str = "held_out") -> list[dict]:
    """The images, in bench/kenney_image_set.plan's form."""
    from assets.instances.arcade_creatures import CHARACTERS

    if split not in SPLITS:
        raise ValueError(f"the creature set's splits are {SPLITS}, not {split!r}")
    tune = split == "tune"
    backgrounds, pairs = (TUNE_BACKGROUNDS, TUNE_PAIRS) if tune else (BACKGROUNDS, PAIRS)
    grey, small = (("key_green", "flag_yellow"), "ship2_orange") if tune else (("worm_green", "slime_purple"), "frog")
    rng = np.random.default_rng(47 if tune else 19)
    names, images, i = list(TUNE_CHARACTERS if tune else CHARACTERS), [], 0
    for character in names:
        poses = figure_poses(character)
        for k in range(max(3, len(poses))):
            images.append({"name": f"rgba_{character}_{k}.png", "kind": "rgba", "background": None,
                           "chars": [{"character": character, "pose": poses[k % len(poses)],
                                      "height": RGBA_HEIGHTS[i % 3], "x": 0.0,
                                      "flip": k >= len(poses) and k % 2 == 1}]})
            i += 1

    def char(character: str, k: int, height: float, flip: bool) -> dict:
        poses = figure_poses(character)
        return {"character": character, "pose": poses[k % len(poses)], "height": height,
                "x": round(float(rng.uniform(0.05, 0.95)), 3), "flip": flip}

    for i, character in enumerate(names):
        images.append({"name": f"single_{character}.png", "kind": "single",
                       "background": list(backgrounds[i % len(backgrounds)]),
                       "chars": [char(character, i, SINGLE_HEIGHTS[i % 4], i % 2 == 1)]})
    for i, (a, b) in enumerate(pairs):
        height = SINGLE_HEIGHTS[(i + 1) % 4]
        images.append({"name": f"pair_{a}_{b}.png", "kind": "pair",
                       "background": list(backgrounds[(i + 3) % len(backgrounds)]), "overlap": [0.0, 0.15][i % 2],
                       "chars": [char(a, i + 1, height, i % 3 == 0), char(b, i, height * 0.95, i % 3 == 1)]})
    images.append({"name": f"grey_pair_{grey[0]}_{grey[1]}.png", "kind": "grey", "grey": True,
                   "background": list(backgrounds[5]), "overlap": 0.0,
                   "chars": [char(grey[0], 1, 0.3, False), char(grey[1], 0, 0.3, True)]})
    images.append({"name": f"small_{small}.png", "kind": "small", "background": list(backgrounds[7]),
                   "chars": [char(small, 0, 0.12, False)]})
    return images


def figure_poses(character: str) -> tuple[str, ...]:
    """A held-out creature's poses (arcade_creatures), or a tune figure's."""
    from assets.instances.arcade_creatures import creature_poses

    return TUNE_CHARACTERS[character][1] if character in TUNE_CHARACTERS else creature_poses(character)


def read_figure(archive, character: str, pose: str) -> np.ndarray:
    """The sprite as H x W x 4 uint8 RGBA: a held-out creature's (arcade_creatures.read_sprite) or a tune figure's."""
    from PIL import Image

    from assets.instances.arcade_creatures import FOLDER, read_sprite

    if character not in TUNE_CHARACTERS:
        return read_sprite(archive, character, pose)
    folder, stems = TUNE_CHARACTERS[character]
    if pose not in stems:
        raise ValueError(f"{character} has no pose {pose!r}: one of {stems}")
    with archive.open(f"{FOLDER}/{folder}/{pose}.png") as handle, Image.open(handle) as image:
        return np.asarray(image.convert("RGBA")).copy()


def sprite(character: str, pose: str, rows: int, whole_canvas: bool, flip: bool, wheel) -> np.ndarray:
    """RGBA: the sprite's canvas upscaled to ``rows`` (whole_canvas), else the creature cropped to ``rows``."""
    import zipfile

    from assets.instances.kenney_characters import crop_to_alpha, upscale_rgba

    with zipfile.ZipFile(wheel) as archive:
        raw = read_figure(archive, character, pose)
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
