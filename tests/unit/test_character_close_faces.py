"""A big-featured drawn face seen close confirmed as a weak face (resources/backends/character_close_faces.py,
character_weak_faces.CLOSE_FACES; docs/instances.md, "Session 29 (h1)").

On real media: Kenney's characters pasted with their exact alpha on Sintel trailer and Big Buck Bunny frames
(bench/composites.py, Kenney tune seed 29, a seed nobody tuned on), through the real instances core with the anime
preset. AnimeFace finds none of these faces at any scale; YuNet scores them under 0.6 (weak), and their middle half
(eyes, nose, mouth, moustache) is no flat fill, so ``drawn_skin`` refused every one over 55 px."""

import numpy as np
import pytest

import resources.backends.character_weak_faces as weak_faces
from resources.backends.character_close_faces import features_in_skin
from tests.unit.test_big_head_body import kept_iou

WALKING = (29, 19, "male_adventurer_walk2")  # a 153 px weak face (0.18), BlazePose's pose flag 0.89 below it
CLOSE = (29, 17, "male_person_walk4")  # a 168 px weak face (0.52) on a figure the frame's bottom cuts, flag 0.31


def test_a_close_drawn_face_seeds_its_character(shared, tmp_path, monkeypatch):
    assert kept_iou(shared, tmp_path, monkeypatch, WALKING, "CLOSE_FACES", True, weak_faces) > 0.9  # measured 0.965


def test_without_it_the_character_is_cut_by_its_box_alone(shared, tmp_path, monkeypatch):
    """The face rule alone: session 32's second cut in the cut's own colours (character_own_prior.OWN_PRIOR) gives
    the box's cut the rest of him as well (0.967 with the rule off), so it is off here."""
    from resources.backends import character_own_prior

    monkeypatch.setattr(character_own_prior, "OWN_PRIOR", False)
    assert kept_iou(shared, tmp_path, monkeypatch, WALKING, "CLOSE_FACES", False, weak_faces) < 0.75  # 0.679


def test_a_close_face_sure_enough_needs_no_pose(shared, tmp_path, monkeypatch):
    assert kept_iou(shared, tmp_path, monkeypatch, CLOSE, "CLOSE_FACES", True, weak_faces) > 0.4  # measured 0.531


def test_without_it_the_close_figure_is_missed(shared, tmp_path, monkeypatch):
    assert kept_iou(shared, tmp_path, monkeypatch, CLOSE, "CLOSE_FACES", False, weak_faces) < 0.1  # measured 0.0


def _drawn_face(size: int, feature_share: float = 0.25, noise: float = 0.0) -> np.ndarray:
    """A size x size peach face with two dark eyes and a mouth (flat shapes) of about ``feature_share`` of its
    middle half, on a blue field; ``noise``: grey-level noise over everything (texture, not fills)."""
    image = np.zeros((size + 40, size + 40, 3), np.float32)
    image[:] = (70, 110, 200)
    image[20:20 + size, 20:20 + size] = (240, 185, 150)
    side = int(size / 2 * np.sqrt(feature_share / 3) / 2)  # three squares of 2 side: the share of the middle half
    for cx, cy in ((0.4, 0.45), (0.6, 0.45), (0.5, 0.62)):
        x, y = int(20 + cx * size), int(20 + cy * size)
        image[y - side:y + side, x - side:x + side] = (40, 30, 30)
    image += np.random.default_rng(0).normal(0, noise, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("size, share, noise, expected", [
    (160, 0.25, 0.0, True),     # a big drawn face: skin round its features
    (160, 0.25, 1.5, True),     # ... with the compression's grain
    (160, 0.0, 0.0, False),     # a flat fill with nothing in it: drawn_skin's case, not this rule's
    (160, 0.25, 14.0, False),   # textured: no fill
    (30, 0.25, 0.0, False),     # a small face: its features are a few pixels (drawn_skin reads it)
])
def test_features_in_skin(size, share, noise, expected):
    image = _drawn_face(size, share, noise)
    assert features_in_skin(image, np.array([20, 20, 20 + size, 20 + size, 0.3], np.float32)) is expected


def test_a_blue_face_is_no_skin():
    image = _drawn_face(160)[:, :, ::-1].copy()  # the face blue, its field orange
    assert not features_in_skin(image, np.array([20, 20, 180, 180, 0.3], np.float32))
