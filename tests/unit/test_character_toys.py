"""Toy boxes confirmed by BlazePose (resources/backends/character_toys.py): a drawn character that YOLOX boxes as a
teddy bear and not as a person, with no face found, is seeded from the toy box once BlazePose sees a figure in it.
Exact truth: Sita (characters_rgba, exact alpha) pasted at 0.8 of the frame's height onto a real Big Buck Bunny
frame, the declared (3D) cues (no AnimeFace): no trusted face, no person box, no weak face confirmed, a teddy bear
box."""

import numpy as np
import pytest

from assets.instances.composites import load_character, mask_iou, read_background
import resources.backends.character_toys as toys
from resources.backends.character_cues import box_iou
from resources.backends.character_toys import confirmed_toy_boxes

HEIGHT = 384  # Sita's height on the 480-row frame, standing on its bottom edge, centred at 0.3 of its width


@pytest.fixture(scope="module")
def meadow(shared):
    return read_background(shared / "media/video/big_buck_bunny_0_30.webm", 16.0, 480)


@pytest.fixture(scope="module")
def sita(shared, meadow, paste_character):
    rgb = meadow.copy()
    rgba = load_character(shared / "media/characters_rgba/sita_front.png").rgba
    width = round(rgba.shape[1] * HEIGHT / rgba.shape[0])
    x0, y0 = int(0.3 * rgb.shape[1] - width / 2), rgb.shape[0] - HEIGHT
    truth = paste_character(rgb, rgba, x0, y0, HEIGHT)
    return rgb, truth, np.array([x0, y0, x0 + width, rgb.shape[0]], np.float32)


def test_a_drawn_character_yolox_calls_a_teddy_bear_is_confirmed(cue_models, sita, meadow):
    cues_of, matte = cue_models
    rgb, _, box = sita
    cues = cues_of(rgb)
    assert len(cues.faces) == 0 and not (cues.bodies[:, 4] >= 0.3).any(), "a face or a person box finds her"
    assert len(cues.toys) and (cues.toys[:, 5] == 77).all()
    found = confirmed_toy_boxes(rgb, cues.toys, cues.bodies, matte)
    assert len(found) == 1 and box_iou(found[0, :4], box) >= 0.8, f"confirmed {found.round().tolist()} against {box}"
    bare = cues_of(meadow)
    assert len(bare.toys) == 0 and len(confirmed_toy_boxes(meadow, bare.toys, bare.bodies, matte)) == 0


@pytest.mark.parametrize("enabled", [True, False])
def test_the_segmenter_cuts_the_character_only_a_toy_box_finds(cue_models, sita, monkeypatch, enabled):
    from resources.backends.opencv_characters import OpencvCharacterSegmenter

    cues_of, _ = cue_models
    monkeypatch.setattr(toys, "TOY_SEEDS", enabled)
    rgb, truth, _ = sita
    found = OpencvCharacterSegmenter(cues=cues_of).segment(rgb)
    best = max((mask_iou(f["mask"], truth) for f in found), default=0.0)
    assert (best >= 0.8) if enabled else (best < 0.1), f"best IoU with Sita {best:.2f}"


class FakeMatte:
    """Sure of a figure in every box it is asked about; records the boxes."""

    def __init__(self, score: float = 0.9):
        self.score, self.asked = score, []

    def estimate(self, rgb, box):
        self.asked.append(box)
        return type("Found", (), {"score": self.score})()


@pytest.mark.parametrize("toy, seeded", [
    ((100, 100, 200, 300), True),    # nothing else boxes it
    ((310, 90, 410, 300), False),    # the same character as the person box (IoU > 0.45)
    ((300, 100, 400, 200), False),   # the head and torso of the person box's character
    ((250, 50, 650, 480), False),    # a group round the person box
])
def test_a_toy_box_seeds_only_where_no_trusted_box_holds_its_character(toy, seeded):
    person = np.array([[300, 100, 400, 320, 0.8, 0]], np.float32)
    toy_box = np.array([[*toy, 0.6, 77]], np.float32)
    matte = FakeMatte()
    found = confirmed_toy_boxes(np.zeros((480, 854, 3), np.uint8), toy_box, person, matte)
    assert len(found) == int(seeded) and len(matte.asked) == int(seeded)


def test_a_toy_box_beside_a_weak_person_box_or_unconfirmed_is_judged_by_blazepose():
    weak_person = np.array([[100, 100, 200, 300, 0.2, 0]], np.float32)  # below person_score: seeds only with a face
    toy_box = np.array([[100, 100, 200, 300, 0.6, 77]], np.float32)
    image = np.zeros((480, 854, 3), np.uint8)
    assert len(confirmed_toy_boxes(image, toy_box, weak_person, FakeMatte(0.9))) == 1
    assert len(confirmed_toy_boxes(image, toy_box, weak_person, FakeMatte(0.3))) == 0
    assert len(confirmed_toy_boxes(image, toy_box, weak_person, None)) == 0


def test_of_two_overlapping_toy_boxes_the_better_one_seeds():
    # the case of the Big Buck Bunny scene above: a second box over her arm and the meadow beside it
    boxes = np.array([[137, 90, 369, 478, 0.48, 77], [309, 103, 473, 408, 0.46, 77], [600, 100, 700, 300, 0.4, 77]],
                     np.float32)
    found = confirmed_toy_boxes(np.zeros((480, 854, 3), np.uint8), boxes, np.zeros((0, 6), np.float32), FakeMatte())
    assert found[:, 4].tolist() == pytest.approx([0.48, 0.4])
