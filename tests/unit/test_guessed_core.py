"""A face-less seed's guessed core (resources/backends/opencv_characters.py: ``_core``, an ellipse at the person
box's upper centre) is only probable foreground where the seed's confident limbs give GrabCut sure pixels of its
own: as sure foreground it put the sky beside a character into the cut (Sintel trailer, real frames).

Since session 57 a face-less seed's cut also loses the pieces MediaPipe's selfie matte calls no person
(``character_unheld_pieces.UNHELD_PIECES``), which takes the sky of frames 406 and 707 out by itself, and since
session 58 a rendered person's cut loses the ground it closed over between its parts
(``character_ground_pieces.GROUND_PIECES``), which takes frame 406's sky out too: the tests without the guessed
core's rule turn those off too, so each still shows what the rule alone prevents."""

import cv2
import numpy as np
import pytest

from assets.instances.composites import read_background

BACKGROUND = "media/video/sintel_trailer_480x204.mp4"


def cut(shared, cue_models, frame: int) -> tuple[np.ndarray, np.ndarray]:
    """(RGB frame of the Sintel trailer, the one character mask the segmenter cuts there)."""
    from resources.backends.opencv_characters import OpencvCharacterSegmenter

    cues_of, _ = cue_models
    rgb = read_background(shared / BACKGROUND, frame / 24, 204)
    found = OpencvCharacterSegmenter(cues=cues_of).segment(rgb, cues_of(rgb))
    assert len(found) == 1 and found[0]["seed"] == "person"  # a person box, no face found
    return rgb, found[0]["mask"]


def without_later_rules(monkeypatch, probable: bool) -> None:
    """The old cut (``probable`` False) is shown without session 57's unheld pieces and session 58's ground pieces
    as well."""
    from resources.backends import character_ground_pieces, character_unheld_pieces

    if not probable:
        monkeypatch.setattr(character_unheld_pieces, "UNHELD_PIECES", False)
        monkeypatch.setattr(character_ground_pieces, "GROUND_PIECES", False)


@pytest.mark.parametrize("probable", [True, False])
def test_the_guessed_core_of_a_face_less_guard_does_not_put_sky_in_his_cut(shared, cue_models, monkeypatch,
                                                                           probable):
    """Frame 406: the guard seen from below, arms above his head, against a light snowy sky. The box's upper
    centre lies on the sky beside his arm; as sure foreground it gave the cut a round patch of sky (6% of the cut is
    light; with the guess only probable under 1%)."""
    from resources.backends import opencv_characters

    monkeypatch.setattr(opencv_characters, "GUESSED_CORE_PROBABLE", probable)
    without_later_rules(monkeypatch, probable)
    rgb, mask = cut(shared, cue_models, 406)
    light = (cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)[mask] >= 150).mean()
    assert (light < 0.02) if probable else (light > 0.04), f"{light:.3f} of the cut is light sky"
    assert mask[60:160, 250:300].mean() > 0.9  # his chest and belly stay


@pytest.mark.parametrize("probable", [True, False])
def test_the_guessed_core_of_a_girl_from_behind_does_not_put_sky_beside_her_hair_in_her_cut(
        shared, cue_models, monkeypatch, probable):
    """Frame 699: the girl from behind (no face), the sky beside her hair sits where the box's upper centre is."""
    from resources.backends import opencv_characters

    monkeypatch.setattr(opencv_characters, "GUESSED_CORE_PROBABLE", probable)
    without_later_rules(monkeypatch, probable)
    _, mask = cut(shared, cue_models, 699)
    sky = mask[106:126, 90:104].mean()  # the sky right of her hair, above her shoulder
    assert (sky < 0.5) if probable else (sky > 0.9), f"{sky:.2f} of the sky patch"
    assert mask[80:100, 55:75].mean() > 0.9  # her hair stays


@pytest.mark.parametrize("probable", [True, False])
def test_without_limbs_the_guessed_core_is_sure_only_where_the_class_map_sees_the_girl(shared, cue_models,
                                                                                      monkeypatch, probable):
    """Frame 707: the girl from behind again, but MoveNet gives no confident limb, so the guess was all sure
    foreground and kept a patch of sky beside her hair (1459 px); now only its part on DeepLab's person pixels
    (her hair) is sure, the rest probable."""
    from resources.backends import opencv_characters

    monkeypatch.setattr(opencv_characters, "GUESSED_CORE_PROBABLE", probable)
    without_later_rules(monkeypatch, probable)
    _, mask = cut(shared, cue_models, 707)
    sky = mask[106:135, 68:94].mean()  # the sky right of her hair, above her shoulder
    assert (sky < 0.5) if probable else (sky > 0.9), f"{sky:.2f} of the sky patch"
    assert mask[80:100, 30:50].mean() > 0.9  # her hair stays
