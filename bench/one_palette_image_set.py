"""Kenney's six drawn characters recoloured into one green palette (issue 12, session 54): a tune case of several
designs of one palette, each in several poses and flips (``bench/anime_image_set.py build DIR --characters
one_palette --split tune [--redraw SEED]``; ``eval`` as for the Kenney set). Run alone it prints the recolouring's
settings as JSON (no media needed).

The held-out creature set's loss is its green fish, frog, slime and worm (other designs, one palette) in one
identity; no tune set showed that case (session 52, h84). This set is the Kenney set's plan and builder
(bench/kenney_image_set.py: RGBA sprites, singles and pairs on real frames, greyscale and small ones, only the
split's poses) with every character drawn in one colour family: each coloured pixel's hue set to one green, its
saturation raised to at least ``MIN_SATURATION``; near-white (``WHITE``), near-black (``DARK_VALUE``) and the
alpha stay as drawn (eyes, teeth,
outlines). Designs then differ by shape, layout and shading, as the green creatures do, not by colour.

``--characters creatures_one_palette --split tune``: the creature set's tune figures (bench/creatures_image_set.py:
flags, gems, keys, a coin, a star, a tank, a tree, ships; faceless, other shapes, one to four drawings each, every
figure in three or more images) recoloured alike, a figure drawn in several colours kept once
(``SAME_DESIGN_OTHER_COLOUR`` left out): several faceless designs of one palette, as the held-out creature set's green
fish, frog, slime and worm are. The Kenney form's characters show faces the detectors find (the face clusters'
path); this form is the faceless groups' path.
"""

import json
import sys

import numpy as np

GREEN_HUE = 60            # OpenCV's hue (0-179): 120 degrees
MIN_SATURATION = 110      # 0-255: the greys (the robot, the zombie's shirt) tinted too
DARK_VALUE = 40           # 0-255: pixels as dark (outlines) keep their colour
WHITE = (40, 215)         # saturation under, value over (0-255): near-white pixels (eye whites, teeth) kept


def recoloured(rgba: np.ndarray) -> np.ndarray:
    """RGBA uint8 with every coloured pixel moved into one green family (hue set, saturation raised); alpha,
    near-black and near-white pixels as they are."""
    import cv2

    hsv = cv2.cvtColor(np.ascontiguousarray(rgba[..., :3]), cv2.COLOR_RGB2HSV)
    saturation, value = hsv[..., 1], hsv[..., 2]
    tinted = (value >= DARK_VALUE) & ~((saturation < WHITE[0]) & (value > WHITE[1]))
    hsv[..., 0] = np.where(tinted, GREEN_HUE, hsv[..., 0])
    hsv[..., 1] = np.where(tinted, np.maximum(hsv[..., 1], MIN_SATURATION), hsv[..., 1])
    out = rgba.copy()
    out[..., :3] = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    return out


def sprite(character: str, pose: str, rows: int, whole_canvas: bool, flip: bool, wheel) -> np.ndarray:
    """The Kenney set's sprite (bench/kenney_image_set.sprite), recoloured."""
    from kenney_image_set import sprite as kenney_sprite

    return recoloured(kenney_sprite(character, pose, rows, whole_canvas, flip, wheel))


def creature_sprite(character: str, pose: str, rows: int, whole_canvas: bool, flip: bool, wheel) -> np.ndarray:
    """The creature set's tune figure (bench/creatures_image_set.sprite), recoloured."""
    from creatures_image_set import sprite as creature_figure

    return recoloured(creature_figure(character, pose, rows, whole_canvas, flip, wheel))


# the creature tune split's figures that are another's design in another colour: recoloured they would be one
# character under two names, so they are left out with every image that shows them
SAME_DESIGN_OTHER_COLOUR = ("flag_red", "flag_yellow", "key_yellow", "gem_blue", "ship1_blue")


def creature_plan(split: str) -> list[dict]:
    """The creature set's plan (bench/creatures_image_set.plan) less the images of ``SAME_DESIGN_OTHER_COLOUR``."""
    from creatures_image_set import plan

    return [item for item in plan(split)
            if not any(c["character"] in SAME_DESIGN_OTHER_COLOUR for c in item["chars"])]


def build(out: str, split: str, media: str, plan_of=None, figures: str = "kenney") -> dict:
    """Writes the split's images into ``out``, masks into ``out.masks``; returns the truth (``DIR.truth.json``).
    ``figures``: ``kenney`` (the Kenney set's six characters) or ``creatures`` (the creature set's figures)."""
    from kenney_image_set import build as build_set
    from kenney_image_set import plan

    if figures == "creatures":
        return build_set(out, split, media, plan_of=plan_of or creature_plan, sprite_of=creature_sprite)
    return build_set(out, split, media, plan_of=plan_of or plan, sprite_of=sprite)


if __name__ == "__main__":
    print(json.dumps({"hue": GREEN_HUE, "min_saturation": MIN_SATURATION, "dark_value": DARK_VALUE, "white": WHITE}))
    sys.exit(0)
