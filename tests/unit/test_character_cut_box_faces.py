"""A person box the frame's bottom cuts takes a face low in it as its head (resources/backends/character_seeds.py
CUT_BOX_FACES): on the Sintel trailer at frame 566 the girl in the rubble is seen close from above, her hair filling
her person box's top and her face its bottom, cut by the frame. Without the rule her face was a seed of its own (a body
guessed over the whole frame) whose cut held her face but not her hair, and her hair a second, face-less cut-out."""

import numpy as np
import pytest

import resources.backends.character_seeds as seeding
from resources.backends.character_cues import Cues


@pytest.mark.parametrize("bottom, paired", [(200, True), (180, False)])
def test_a_box_the_frames_bottom_cuts_takes_a_face_low_in_it(bottom, paired):
    cues = Cues(faces=np.array([[60, 130, 110, 200, 0.9]], np.float32),  # centre at 0.8 of the box's height
                bodies=np.array([[40, 60, 150, bottom, 0.8, 0]], np.float32))
    seeds = seeding.seeds_from_cues(cues, 300, 200)
    if paired:
        assert len(seeds) == 1 and seeds[0].kind == "person" and seeds[0].face is not None
    else:  # a box that ends inside the frame holds its whole body: a face that low is not its head
        assert [s.kind for s in seeds] == ["person", "face"] and seeds[0].face is None


@pytest.mark.parametrize("enabled", [True, False])
def test_the_girl_seen_close_from_above_is_one_cut_out_with_her_hair(sintel_cut, monkeypatch, enabled):
    monkeypatch.setattr(seeding, "CUT_BOX_FACES", enabled)
    found = sintel_cut(566)
    face = max(found, key=lambda f: f["mask"][150:195, 160:220].mean())["mask"]
    assert face[150:195, 160:220].mean() > 0.95  # her face
    hair = face[70:110, 120:230].mean()  # her hair, above her face
    assert hair > 0.8 if enabled else hair < 0.1, f"hair in her face's cut-out {hair:.2f}"
    assert face[20:50, 60:150].mean() < 0.05  # the debris above her hair
    if enabled:
        assert len(found) == 1
