"""A drawn person box's head is the face on its body (``character_seeds``, session 33): a face rising over the box's
top (``HEAD_IN_BOX``), or the highest face where it sits off the box's body column and a lower face as large sits on
it (``HEAD_ON_BODY_COLUMN``), is a figure painted behind the character; it keeps a seed of its own, and the
character's cut is seeded on the box (on her own face) instead of on the figure behind.

On real media: two images of Kenney tune redraw 35 (bench/kenney_image_set.py ``redrawn_plan``, rebuilt from the
shared frames and Kenney's sprites), through the real instances core with the anime preset: the female person on
Penny & Chip's bicycle ride, the capped boy's face behind her head, and the female adventurer in the kitchen, the
boy's glasses behind her hair; and hand-made faces for the column rule."""

import os

import numpy as np
import pytest

from resources.backends import character_seeds
from resources.backends.character_seeds import _head_on_body_column
from tests.conftest import kenney_wheel_or_skip, kept_cut_masks, load_bench

REDRAW = 35
COLUMN = ("HEAD_ON_BODY_COLUMN", "single_female_person_1.png", "female_person")
IN_BOX = ("HEAD_IN_BOX", "pair_female_adventurer_male_adventurer.png", "female_adventurer")


def _best_iou(shared, tmp_path, monkeypatch, case: tuple[str, str, str], on: bool) -> float:
    from assets.instances.composites import mask_iou

    switch, image, name = case
    wheel = kenney_wheel_or_skip()
    os.environ.setdefault("CASTFORGE_MODELS", str(shared / "models"))
    monkeypatch.setattr(character_seeds, switch, on)
    image_set = load_bench("kenney_image_set")
    item = next(i for i in image_set.redrawn_plan("tune", REDRAW) if i["name"] == image)
    rgb, masks = image_set.compose(item, str(shared / "media"), str(tmp_path), wheel)
    truth = masks[[c["character"] for c in item["chars"]].index(name)]
    return max((mask_iou(m, truth) for m in kept_cut_masks(load_bench("composites"), rgb, tmp_path / "cut")),
               default=0.0)


@pytest.mark.parametrize("case, floor", [(COLUMN, 0.75), (IN_BOX, 0.7)])
def test_the_character_is_cut_on_her_own_box(shared, tmp_path, monkeypatch, case, floor):
    assert _best_iou(shared, tmp_path, monkeypatch, case, on=True) > floor


@pytest.mark.parametrize("case, ceiling", [(COLUMN, 0.7), (IN_BOX, 0.66)])
def test_headed_by_the_figure_behind_she_is_cut_with_it(shared, tmp_path, monkeypatch, case, ceiling):
    assert _best_iou(shared, tmp_path, monkeypatch, case, on=False) < ceiling


BOX = np.array([100.0, 40.0, 200.0, 300.0])  # the box's middle column at x = 150
BEHIND = np.array([85.0, 20.0, 115.0, 55.0, 0.8])  # off the column (35 px from it), at the box's top
OWN = np.array([125.0, 70.0, 175.0, 120.0, 0.8])  # on the column, lower, larger
HIGHER_OWN = OWN - [0, 50, 0, 50, 0]  # on the column, at the box's top
HAND = np.array([125.0, 70.0, 135.0, 80.0, 0.8])  # lower, on the column, a third of the top face's size
ASIDE = OWN - [60, 0, 60, 0, 0]  # lower, as large, further off the column than the top face


@pytest.mark.parametrize("highest, lower, lower_heads", [
    (BEHIND, OWN, True), (HIGHER_OWN, OWN, False), (BEHIND, HAND, False), (BEHIND, ASIDE, False)])
def test_the_head_is_the_face_on_the_body_column(highest, lower, lower_heads):
    assert _head_on_body_column(BOX, highest, [highest, lower]) is (lower if lower_heads else highest)


def _wall_share(shared, tmp_path, monkeypatch, head_boxes: bool) -> float:
    """The largest share of the kitchen wall above the table between the two children (rows 0-80, columns 330-530,
    where no character is) that one kept cut-out of Penny & Chip's frame 2666 holds, BEHIND_HEAD_BOXES ``head_boxes``.
    AnimeFace finds a face on Chip's raised hand, at the top of Chip's person box and off its column: with a guessed
    body of its own that face's seed was cut in the wall behind the children."""
    import cv2

    os.environ.setdefault("CASTFORGE_MODELS", str(shared / "models"))
    monkeypatch.setattr(character_seeds, "BEHIND_HEAD_BOXES", head_boxes)
    capture = cv2.VideoCapture(str(shared / "media/video/2d/penny_and_chip_26shots_480p.mp4"))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 2666)
    ok, bgr = capture.read()
    capture.release()
    assert ok
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    wall = np.zeros(rgb.shape[:2], bool)
    wall[0:80, 330:530] = True
    masks = kept_cut_masks(load_bench("composites"), rgb, tmp_path)
    return max((float((m & wall).sum()) / wall.sum() for m in masks), default=0.0)


def test_a_face_behind_is_cut_in_its_head_box(shared, tmp_path, monkeypatch):
    assert _wall_share(shared, tmp_path, monkeypatch, head_boxes=True) < 0.05


def test_in_a_guessed_body_a_face_behind_is_cut_in_the_wall(shared, tmp_path, monkeypatch):
    assert _wall_share(shared, tmp_path, monkeypatch, head_boxes=False) > 0.3
