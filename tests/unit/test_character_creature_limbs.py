"""A person box that is a creature's limb named again (resources/backends/character_creatures.py): on the Sintel
trailer at frame 735 YOLOX boxes the dragon (its leg and its claw) as a horse and its leg, beside the girl's hair, a
second time as a weak person, on which BlazePose finds no person. Without the rule the person seed's cut held the
dragon's leg (on the bench's JPEG frames with the girl's hair beside it), the horse seed's the claw: the dragon in two
cut-outs, one of them taken for a person."""

import numpy as np
import pytest

import resources.backends.character_creatures as creatures


class _Seed:
    def __init__(self, box, score, kind, face=None):
        self.box, self.score, self.kind, self.face = np.array(box, np.float32), score, kind, face


class _Flag:
    def __init__(self, score):
        self.score = score


def test_a_faceless_person_box_inside_a_better_animal_box_with_no_pose_is_a_limb():
    horse = _Seed([0, 0, 380, 204], 0.62, "horse")
    leg = _Seed([0, 0, 262, 201], 0.31, "person")
    assert creatures.is_creature_limb(leg, (_Flag(0.1), False), [horse, leg])
    assert creatures.is_creature_limb(leg, None, [horse, leg])
    assert not creatures.is_creature_limb(leg, (_Flag(0.9), True), [horse, leg])  # a rider BlazePose sees
    rider = _Seed([0, 0, 262, 201], 0.31, "person", face=np.array([50, 10, 80, 40, 0.9]))
    assert not creatures.is_creature_limb(rider, None, [horse, rider])  # a face: a person
    assert not creatures.is_creature_limb(_Seed([0, 0, 262, 201], 0.7, "person"), None, [horse])  # the better box
    assert not creatures.is_creature_limb(_Seed([200, 0, 480, 204], 0.31, "person"), None, [horse])  # beside it
    # a drawn shot: BlazePose's silence on a drawn person says nothing, the seed stays
    assert creatures.without_creature_limbs([horse, leg], [horse, leg], [None, None], drawn=False)[0] == [horse]
    assert creatures.without_creature_limbs([horse, leg], [horse, leg], [None, None], drawn=True)[0] == [horse, leg]


@pytest.mark.parametrize("enabled", [True, False])
def test_the_dragons_leg_and_claw_are_one_cut_out_without_the_girls_hair(sintel_cut, monkeypatch, enabled):
    monkeypatch.setattr(creatures, "DROP_CREATURE_LIMBS", enabled)
    found = sintel_cut(735)
    claw = max(found, key=lambda f: f["mask"][60:150, 240:330].mean())["mask"]
    assert claw[60:150, 240:330].mean() > 0.9  # the dragon's claw
    leg = claw[80:140, 95:130].mean()  # the dragon's leg, left of the claw
    assert leg > 0.8 if enabled else leg < 0.1, f"leg in the claw's cut-out {leg:.2f}"
    if enabled:
        assert len(found) == 1 and not found[0]["mask"][20:70, 0:40].mean() > 0.1  # the girl's hair in no cut-out
