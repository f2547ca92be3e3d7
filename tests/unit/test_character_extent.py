"""Whole bodies from BlazePose's legs (resources/backends/character_extent.py): GrabCut gives a drawn character's
dark trousers to a dark background of the same grey; the legs BlazePose sees, inside its sure person matte, bring
them back. Exact truth: saha_side (characters_rgba, exact alpha) pasted onto a real, dark Sintel trailer frame."""

from dataclasses import dataclass

import numpy as np
import pytest

import resources.backends.character_extent as extent
from assets.instances.composites import load_character, mask_iou, read_background

X0, Y0, HEIGHT = 300, 60, 420  # saha_side's top-left corner and height on the 480-row frame


@pytest.fixture(scope="module")
def saha_in_the_dark(shared, paste_character):
    rgb = read_background(shared / "media/video/sintel_trailer_480x204.mp4", 4.0, 480)
    truth = paste_character(rgb, load_character(shared / "media/characters_rgba/saha_side.png").rgba, X0, Y0, HEIGHT)
    return rgb, truth


@pytest.mark.parametrize("enabled", [True, False])
def test_dark_trousers_on_a_dark_street_stay_the_character_s(cue_models, saha_in_the_dark, monkeypatch, enabled):
    from resources.backends.opencv_characters import OpencvCharacterSegmenter

    cues_of, _ = cue_models
    monkeypatch.setattr(extent, "LEGS_FROM_POSE", enabled)
    if not enabled:  # the trousers' pieces of one fill chained (FILL_PIECES, session 27) bring them back too:
        import resources.backends.character_regions as regions  # IoU 0.856, legs held 0.56 without the pose's legs

        monkeypatch.setattr(regions, "FILL_PIECES", False)
    rgb, truth = saha_in_the_dark
    found = OpencvCharacterSegmenter(cues=cues_of).segment(rgb)
    best = max(found, key=lambda f: mask_iou(f["mask"], truth))["mask"]
    legs = truth.copy()
    legs[:Y0 + int(0.66 * HEIGHT)] = False  # below the jacket's hem: trousers and shoes
    held = (best & legs).sum() / legs.sum()
    iou = mask_iou(best, truth)
    if enabled:
        assert iou >= 0.85 and held >= 0.5, f"IoU {iou:.3f}, legs held {held:.2f}"
    else:  # what the first cut gives (no pose legs, no chained fill pieces): the legs go to the street
        assert iou < 0.8 and held < 0.3, f"IoU {iou:.3f}, legs held {held:.2f}"


@dataclass
class Pose:  # the fields of mediapipe_person.PersonMatte that character_extent reads
    keypoints: np.ndarray
    matte: np.ndarray


def standing(visibility: float = 0.9) -> Pose:
    """A person 100 px tall in a 120 x 120 frame: hips at row 50, knees 75, ankles 98, legs at columns 50 and 70;
    its matte covers a 40 px wide body from row 0 to 100 at 0.95."""
    points = np.zeros((33, 4), np.float32)
    for index, (x, y) in {23: (50, 50), 24: (70, 50), 25: (50, 75), 26: (70, 75), 27: (50, 98), 28: (70, 98)}.items():
        points[index] = (x, y, visibility, 1.0)
    matte = np.zeros((120, 120), np.float32)
    matte[0:100, 40:80] = 0.95
    return Pose(points, matte)


def test_legs_are_banded_only_where_blazepose_sees_both_ends_inside_the_box():
    box = (20, 0, 100, 100)
    bands = extent.leg_bands(standing(), box, (120, 120))
    assert bands[60, 50] and bands[90, 70] and not bands[60, 60] and not bands[20, 50]  # legs, not between or above
    assert not extent.leg_bands(standing(visibility=0.3), box, (120, 120)).any()  # unsure landmarks: no band
    assert not extent.leg_bands(standing(), (20, 0, 100, 60), (120, 120)).any()  # knees outside the box: none


def test_a_second_cut_only_where_the_first_left_the_legs_out_and_only_inside_the_matte():
    pose, box = standing(), (20, 0, 100, 100)
    sure = pose.matte >= 0.9
    calls = []

    def cut(limbs, iterations=4):  # the first cut holds the jacket; with the legs sure it spills onto the floor too
        calls.append(iterations)
        out = np.zeros((120, 120), bool)
        out[0:50, 40:80] = True
        if limbs is not None and limbs.any():
            out[50:110, 30:90] = True
        return out

    whole = extent.with_legs(cut, None, pose, sure, box)
    assert calls == [4, extent.SECOND_CUT_ITERATIONS]
    assert whole[90, 50] and whole[90, 70]  # the legs, which the matte holds
    assert not whole[90, 35] and not whole[105, 50]  # the floor the second cut spilt onto, outside the matte
    calls.clear()
    legs_in = lambda limbs, iterations=4: (calls.append(iterations), np.ones((120, 120), bool))[1]  # noqa: E731
    assert extent.with_legs(legs_in, None, pose, sure, box).all() and len(calls) == 1  # legs already in: one cut
    calls.clear()
    assert not extent.with_legs(cut, None, pose, None, box)[90, 50] and len(calls) == 1  # no trusted matte
