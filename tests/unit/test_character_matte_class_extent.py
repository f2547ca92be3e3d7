"""A rendered person's arm that GrabCut gave to the creature beside her, back from where BlazePose's untrusted matte
and DeepLab's map agree (resources/backends/character_extent.py: ``with_matte_class_extent``, through the
segmenter's ``_unsure``): a real Sintel trailer frame, and a tune composite where a matte sure of a person but
without the seed's face (another person's) stays out."""

import numpy as np
import pytest

import resources.backends.character_extent as extent
from assets.instances.composites import mask_iou
from tests.unit.test_character_class_extent import tune_scene


@pytest.mark.parametrize("enabled", [True, False])
def test_the_girls_arm_beside_the_dragon_is_hers(sintel_cut, monkeypatch, enabled):
    """Frame 731: the girl from behind on the dragon, her arm reaching past its belly. BlazePose's pose flag is low
    (0.10: only her hair, shoulder and arm show), so its matte is not trusted, and GrabCut gives her dark sleeve to the
    dragon's colours, which DeepLab calls a person too; where the matte and DeepLab agree, the arm is hers."""
    monkeypatch.setattr(extent, "MATTE_CLASS_EXTENT", enabled)
    girl = max(sintel_cut(731), key=lambda f: f["mask"].sum())["mask"]
    arm = girl[165:185, 60:110].mean()
    if enabled:
        assert arm > 0.9, f"arm held {arm:.2f}"
    else:
        assert arm < 0.1, f"arm held {arm:.2f}"
    assert girl[0:60, 0:60].mean() > 0.95  # her hair
    assert girl[100:204, 250:480].mean() == 0.0  # the dragon's claw and the sky


@pytest.fixture(scope="module")
def two_sahas(shared):
    """The tune composite of bench/composites.py --split tune --seed 13, scene 0: two drawn Sahas facing each other
    and a small one on a Sintel frame; a face between the two gets a person box whose BlazePose flag is sure (0.81)
    but whose matte does not hold that face."""
    return tune_scene(shared, 13, 0)


@pytest.mark.parametrize("own_only", [True, False])
def test_a_matte_without_the_seeds_face_is_no_evidence(cue_models, two_sahas, monkeypatch, own_only):
    """Only the seed's own matte (its face inside, its flag under the trust bar) extends its cut: every character's
    IoU is the segmenter's without the rule (0.71 / 0.50 / 0.94). Taking every untrusted matte, the other person's
    matte and DeepLab's map join the ground between the middle Saha's legs to his cut (0.50 -> 0.49)."""
    from resources.backends.opencv_characters import OpencvCharacterSegmenter

    cues_of, _ = cue_models
    segmenter = OpencvCharacterSegmenter(cues=cues_of)
    if segmenter.matte is None:
        pytest.skip("pose/mp_pose_landmark_lite.tflite missing under CASTFORGE_MODELS")
    rgb, truths = two_sahas

    def ious() -> list[float]:
        return [max(mask_iou(f["mask"], t) for f in segmenter.segment(rgb, cues_of(rgb))) for t in truths]

    monkeypatch.setattr(extent, "MATTE_CLASS_EXTENT", False)
    before = ious()
    monkeypatch.setattr(extent, "MATTE_CLASS_EXTENT", True)
    if not own_only:
        monkeypatch.setattr(OpencvCharacterSegmenter, "_unsure",
                            lambda self, bgr, seed, person: None if person is None or person[1] else person[0])
    after = ious()
    if own_only:
        assert np.allclose(after, before, atol=0.001), f"{np.round(before, 3)} -> {np.round(after, 3)}"
    else:
        assert min(np.subtract(after, before)) < -0.005, f"{np.round(before, 3)} -> {np.round(after, 3)}"
