"""A drawn character's body cut apart from its head (resources/backends/character_lower_body.py, session 37): on Penny &
Chip YOLOX boxes Penny (no detector finds her face there) twice, her whole figure and apart her torso and legs; the
two seeds' cuts came out as her head and a headless body, which formed a faceless "character" of their own. On real
media: two of the film's key frames (0.958 s and 53.667 s) through the real segmenter with AnimeFace's cues;
hand-made cuts for the geometry (a head on its body, a character standing in front of another)."""

import numpy as np
import pytest

import resources.backends.character_lower_body as lower
import resources.backends.opencv_characters as characters
from assets.instances.composites import read_background
from resources.backends.character_seeds import Seed

# (film seconds, a point on Penny's hair, a point on her shorts), 854 x 480 frame pixels
PENNY = [(0.9583, (319, 100), (313, 330)), (53.6667, (302, 100), (293, 330))]


def _frame(shared, seconds: float) -> np.ndarray:
    return read_background(shared / "media/video/2d/penny_and_chip_26shots_480p.mp4", seconds, 480)


@pytest.mark.parametrize("seconds, hair, shorts", PENNY)
@pytest.mark.parametrize("enabled", [True, False])
def test_penny_is_one_cut_from_hair_to_shorts(shared, drawn_cues, monkeypatch, enabled, seconds, hair, shorts):
    monkeypatch.setattr(lower, "JOIN_LOWER_BODIES", enabled)
    found = characters.OpencvCharacterSegmenter(cues=drawn_cues).segment(_frame(shared, seconds))
    on_hair = [f for f in found if f["mask"][hair[1], hair[0]]]
    on_shorts = [f for f in found if f["mask"][shorts[1], shorts[0]]]
    assert on_hair and on_shorts, "her head or body has no cut"
    whole = [f for f in on_hair if any(f is g for g in on_shorts)]
    if enabled:
        assert whole, "her head and body are cut apart"
    else:  # without the join: a head cut and a headless body cut
        assert not whole


def _rect(x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    mask = np.zeros((480, 640), bool)
    mask[y0:y1, x0:x1] = True
    return mask


HEAD = _rect(220, 70, 410, 236)
BODY = _rect(245, 230, 385, 418)


def test_a_head_on_its_body_is_one_character():
    assert lower.is_body_of(BODY, HEAD)
    assert not lower.is_body_of(HEAD, BODY)  # the head is not the body's body


@pytest.mark.parametrize("upper, why", [
    (_rect(200, 70, 430, 418) & ~_rect(245, 230, 385, 480), "a character behind, its legs beside the one in front"),
    (_rect(220, 70, 410, 200), "a gap between the two cuts"),
    (_rect(400, 70, 590, 236), "standing beside, not over it"),
    (_rect(250, 226, 380, 246), "a thin strip along the body's top is no head above it"),
    (_rect(220, 70, 410, 420), "the cut above reaches as low"),
])
def test_not_a_body(upper, why):
    assert not lower.is_body_of(BODY, upper), why


def test_a_cut_reaching_far_beside_the_head_is_not_its_body():
    """Kenney tune seed 21: a person box's cut of a woman's legs and the ground beside her, under her cut (0.48 of it
    in her cut's columns)."""
    assert not lower.is_body_of(_rect(245, 230, 600, 418), HEAD)


def test_a_body_joins_the_cut_above_in_drawn_shots_only():
    masks, joined = lower.joined_bodies([HEAD, BODY], [False, True], [False, False], drawn=True)
    assert joined == [False, True] and masks[0].sum() == (HEAD | BODY).sum()
    assert lower.joined_bodies([HEAD, BODY], [False, True], [False, False], drawn=False)[1] == [False, False]
    assert lower.joined_bodies([HEAD, BODY], [False, False], [False, False], drawn=True)[1] == [False, False]
    assert lower.joined_bodies([HEAD, BODY], [False, True], [True, False], drawn=True)[1] == [False, False]


def test_only_a_faceless_person_box_may_be_a_body():
    box = np.array([245, 230, 385, 418], np.float32)
    assert lower.may_be_body(Seed(box, 0.7, "person"))
    assert not lower.may_be_body(Seed(box, 0.7, "person", np.array([280, 240, 340, 300, 0.6])))
    assert not lower.may_be_body(Seed(box, 0.7, "person", figure=True))
    assert not lower.may_be_body(Seed(box, 0.7, "face", np.array([280, 240, 340, 300, 0.6])))
