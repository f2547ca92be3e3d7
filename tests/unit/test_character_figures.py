"""Figures inside another seed's box (resources/backends/character_figures.py): a drawn character standing in front
of a larger box that no face holds, which YOLOX's class heads do not call a person, an animal or a teddy bear, is
seeded from its class-agnostic box once BlazePose is sure of a figure in it. Exact truth: Sita (characters_rgba,
exact alpha) pasted small in front of the creature of a real Sintel frame (27 s), whose person box holds her."""

import numpy as np
import pytest

import resources.backends.character_figures as figures
from assets.instances.composites import load_character, mask_iou, read_background
from resources.backends.character_cues import box_iou
from resources.backends.character_figures import confirmed_figures
from tests.unit.test_character_toys import FakeMatte  # sure of a figure in every box; records the boxes

X0, Y0, HEIGHT = 857, 258, 235  # Sita's top-left corner and height on the 480-row frame (the bottom edge cuts her)


@pytest.fixture(scope="module")
def creature(shared):
    return read_background(shared / "media/video/sintel_trailer_480x204.mp4", 27.0, 480)


@pytest.fixture(scope="module")
def sita(shared, creature, paste_character):
    rgb = creature.copy()
    rgba = load_character(shared / "media/characters_rgba/sita_front.png").rgba
    truth = paste_character(rgb, rgba, X0, Y0, HEIGHT)
    ys, xs = np.nonzero(truth)
    return rgb, truth, np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float32)


def test_a_figure_inside_the_creatures_box_is_confirmed(cue_models, sita, creature):
    cues_of, matte = cue_models
    rgb, _, box = sita
    cues = cues_of(rgb)
    assert len(cues.faces) == 0 and len(cues.toys) == 0, "a face or a toy box finds her"
    assert not any(box_iou(b[:4], box) > 0.45 for b in cues.bodies), "a person or animal box finds her"
    found = confirmed_figures(rgb, cues.objects, cues.bodies, cues.faces, matte)
    assert len(found) == 1 and box_iou(found[0, :4], box) >= 0.6, f"confirmed {found.round().tolist()} vs {box}"
    assert found[0, 4] >= figures.POSE_FLAG and found[0, 5] == 0  # a person box scored by its pose flag
    bare = cues_of(creature)
    assert len(confirmed_figures(creature, bare.objects, bare.bodies, bare.faces, matte)) == 0


@pytest.mark.parametrize("enabled, drawn", [(True, True), (False, True), (True, False)])
def test_the_segmenter_cuts_her_apart_from_the_creature_in_a_drawn_shot(cue_models, sita, monkeypatch, enabled,
                                                                          drawn):
    """Her cut at IoU >= 0.6 with the rule in a drawn shot's cues; the creature's cut takes her (< 0.3) without
    the rule, and in a rendered shot's cues (where the boxes that pass are parts of creatures: not applied)."""
    from resources.backends.opencv_characters import OpencvCharacterSegmenter

    cues_of, _ = cue_models
    monkeypatch.setattr(figures, "FIGURE_SEEDS", enabled)
    rgb, truth, _ = sita
    cues = cues_of(rgb)
    cues.drawn = drawn
    found = OpencvCharacterSegmenter(cues=cues_of).segment(rgb, cues)
    best = max((mask_iou(f["mask"], truth) for f in found), default=0.0)
    assert (best >= 0.6) if enabled and drawn else (best < 0.3), f"best IoU with Sita {best:.2f}"


@pytest.mark.parametrize("candidate, seeded", [
    ((330, 300, 390, 470), True),    # a small figure inside the person box, below its head
    ((100, 300, 160, 470), False),   # outside every seed box: objectness alone is no character
    ((305, 105, 395, 315), False),   # the person box's character boxed again (IoU > 0.45)
    ((320, 100, 380, 170), False),   # the head of the person box's character (holds its face's centre)
    ((310, 180, 390, 330), False),   # the torso of the person box's character: it ends halfway down the box
])
def test_a_class_agnostic_box_seeds_only_inside_another_seed_box(candidate, seeded):
    person = np.array([[300, 100, 400, 480, 0.8, 0]], np.float32)
    face = np.array([[330, 110, 370, 160, 0.9]], np.float32)
    objects = np.array([[*candidate, 0.3, 33]], np.float32)
    matte = FakeMatte()
    found = confirmed_figures(np.zeros((480, 854, 3), np.uint8), objects, person, face, matte)
    assert len(found) == int(seeded) and len(matte.asked) == int(seeded)


def test_an_unsure_pose_flag_confirms_nothing():
    person = np.array([[300, 100, 400, 480, 0.8, 0]], np.float32)
    objects = np.array([[330, 300, 390, 470, 0.3, 33]], np.float32)
    empty = np.zeros((0, 5), np.float32)
    assert len(confirmed_figures(np.zeros((480, 854, 3), np.uint8), objects, person, empty, FakeMatte(0.7))) == 0
