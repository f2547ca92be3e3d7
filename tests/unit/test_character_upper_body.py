"""A person box on a drawn character's upper body inside the box of her whole figure
(resources/backends/character_upper_body.py): Sita, as tall as the frame, on a real Sintel frame (a tune composite:
bench/composites.py --split tune --preset anime --seed 13, scene 13). YOLOX boxes her whole figure (0.28, with the
face AnimeFace reads on her midriff) and, apart, her head and chest (0.39); without the rule the upper-body seed cuts
her head away from her body's cut."""

import numpy as np
import pytest

import resources.backends.character_upper_body as upper
from assets.instances.composites import load_character, mask_iou, read_background


@pytest.fixture(scope="module")
def tall_sita(shared, paste_character):
    rgb = read_background(shared / "media/video/sintel_trailer_480x204.mp4", 4.0, 480)
    sita = load_character(shared / "media/characters_rgba/sita_front.png").rgba
    return rgb, paste_character(rgb, sita, 630, 9, 482, mirror=True)


@pytest.mark.parametrize("enabled", [True, False])
def test_an_upper_body_box_does_not_cut_the_head_off(drawn_cues, tall_sita, monkeypatch, enabled):
    from resources.backends.opencv_characters import OpencvCharacterSegmenter

    rgb, truth = tall_sita
    monkeypatch.setattr(upper, "DROP_UPPER_BODIES", enabled)
    found = OpencvCharacterSegmenter(cues=drawn_cues).segment(rgb)
    best = max((mask_iou(f["mask"], truth) for f in found), default=0.0)
    if enabled:  # one cut for all of her (0.95)
        assert best >= 0.9 and len(found) == 1, f"best IoU {best:.2f}, {len(found)} cuts"
    else:  # her head goes to the upper-body seed's cut (0.77)
        assert best < 0.85 and len(found) == 2, f"best IoU {best:.2f}, {len(found)} cuts"


def test_only_a_box_at_the_top_of_another_ending_well_above_its_bottom_is_an_upper_body():
    whole = np.array([100, 10, 300, 470], np.float32)
    assert upper.is_upper_body(np.array([110, 12, 290, 240]), whole)
    # a character standing in front reaches the ground the whole figure stands on
    assert not upper.is_upper_body(np.array([150, 200, 260, 465]), whole)
    # a narrow box at the top (a raised arm, a second head) and a box starting lower are not an upper body
    assert not upper.is_upper_body(np.array([110, 12, 170, 240]), whole)
    assert not upper.is_upper_body(np.array([110, 120, 290, 300]), whole)
    # a box half outside the figure is a neighbour
    assert not upper.is_upper_body(np.array([200, 12, 400, 240]), whole)


def test_upper_body_seeds_are_dropped_on_drawn_shots_only():
    from resources.backends.character_seeds import Seed

    whole = Seed(np.array([100, 10, 300, 470], np.float32), 0.3, "person", np.array([150, 200, 230, 270, 0.9]))
    chest = Seed(np.array([110, 12, 290, 240], np.float32), 0.4, "person")
    faced = Seed(np.array([110, 12, 290, 240], np.float32), 0.4, "person", np.array([160, 20, 220, 80, 0.9]))
    assert upper.without_upper_bodies([whole, chest], drawn=True) == [whole]
    assert upper.without_upper_bodies([whole, chest], drawn=False) == [whole, chest]
    assert upper.without_upper_bodies([whole, faced], drawn=True) == [whole, faced]  # its own face: its own seed
