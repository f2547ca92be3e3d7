"""A rendered character's legs, arm or hair that GrabCut gave to the background and DeepLab's map misses too, back
from MediaPipe's selfie matte (resources/backends/character_extent.py: ``with_selfie_extent``, through the
segmenter's ``_selfie``): a real Sintel trailer frame, and a tune composite where a drawn character's face (which
DeepLab does not see) keeps the matte out."""

import numpy as np
import pytest

import resources.backends.character_extent as extent
from assets.instances.composites import mask_iou, read_background
from tests.unit.test_character_class_extent import tune_scene


def _segmenter(cue_models):
    from resources.backends.opencv_characters import OpencvCharacterSegmenter

    cues_of, _ = cue_models
    segmenter = OpencvCharacterSegmenter(cues=cues_of)
    if segmenter.selfie is None:
        pytest.skip("seg/mp_selfie_segmentation.tflite missing under CASTFORGE_MODELS")
    return cues_of, segmenter


@pytest.mark.parametrize("enabled", [True, False])
def test_the_legs_of_the_small_girl_seen_from_above_are_hers(shared, cue_models, monkeypatch, enabled):
    """Frame 402: the small girl from above in the snow haze, her staff across her. BlazePose trusts her, but its
    ankles sit above her boots and its matte misses the hazy legs, DeepLab covers 0.25 of her box, so GrabCut gives
    her lower legs to the snow (0.0 of them in her cut); the selfie matte holds them."""
    cues_of, segmenter = _segmenter(cue_models)
    monkeypatch.setattr(extent, "SELFIE_EXTENT", enabled)
    rgb = read_background(shared / "media/video/sintel_trailer_480x204.mp4", 402 / 24, 204)
    girl = max(segmenter.segment(rgb, cues_of(rgb)), key=lambda f: f["mask"].sum())["mask"]
    legs = girl[160:175, 295:315].mean(), girl[175:200, 340:355].mean()  # her left leg, her right lower leg
    if enabled:
        assert min(legs) >= 0.6, f"legs held {np.round(legs, 2)}"
    else:
        assert max(legs) < 0.1, f"legs held {np.round(legs, 2)}"
    assert girl[60:110, 300:330].mean() > 0.9  # her head and chest
    assert girl[120:200, 100:200].mean() == 0.0  # the snow left of her


@pytest.fixture(scope="module")
def saha_beside_the_dragon(shared):
    """The tune composite of bench/composites.py --split tune --seed 7, scene 5 (drawn with the same random draws):
    saha_side in front of Sintel's dragon; YuNet finds his drawn face, which DeepLab does not see."""
    return tune_scene(shared, 7, 5)


@pytest.mark.parametrize("gated", [True, False])
def test_a_drawn_face_keeps_the_selfie_matte_out(cue_models, saha_beside_the_dragon, monkeypatch, gated):
    """The selfie matte takes the dragon behind the drawn head for hair; the matte is evidence only where DeepLab
    sees the seed's face (a rendered one). Gated, his IoU is the segmenter's without the matte (0.97); with any face
    (SELFIE_FACE_CLASS 0) the dragon piece joins his cut (0.87)."""
    cues_of, segmenter = _segmenter(cue_models)
    rgb, truths = saha_beside_the_dragon
    monkeypatch.setattr(extent, "SELFIE_EXTENT", False)
    before = [max(mask_iou(f["mask"], t) for f in segmenter.segment(rgb, cues_of(rgb))) for t in truths]
    monkeypatch.setattr(extent, "SELFIE_EXTENT", True)
    if not gated:
        monkeypatch.setattr(extent, "SELFIE_FACE_CLASS", 0.0)
    after = [max(mask_iou(f["mask"], t) for f in segmenter.segment(rgb, cues_of(rgb))) for t in truths]
    if gated:
        assert np.allclose(after, before, atol=0.005), f"{np.round(before, 3)} -> {np.round(after, 3)}"
    else:
        assert min(np.subtract(after, before)) < -0.05, f"{np.round(before, 3)} -> {np.round(after, 3)}"


@pytest.mark.parametrize("trimmed", [True, False])
def test_the_debris_above_the_looking_up_girls_head_is_not_hers(shared, cue_models, monkeypatch, trimmed):
    """Frame 560: the girl looking up at a slope of burning debris, whose strips above her head GrabCut keeps with her
    hair (0.88 of the rows 0-12 above her); the selfie matte gives them nearly nothing and they lie well above her
    face's box, so they go (0.05). Frame 308: the Shaman's turban, cut by the frame's top, which the matte misses too
    but his face's box reaches, stays (0.97 of its top rows either way)."""
    cues_of, segmenter = _segmenter(cue_models)
    monkeypatch.setattr(extent, "SELFIE_DEBRIS", trimmed)
    video = shared / "media/video/sintel_trailer_480x204.mp4"

    def largest(frame):
        rgb = read_background(video, frame / 24, 204)
        return max(segmenter.segment(rgb, cues_of(rgb)), key=lambda f: f["mask"].sum())["mask"]

    girl, shaman = largest(560), largest(308)
    debris = girl[0:12, 65:190].mean()
    assert debris < 0.2 if trimmed else debris > 0.8, f"debris held {debris:.2f}"
    assert girl[60:110, 120:180].mean() > 0.95  # her face
    assert shaman[0:6, 280:340].mean() > 0.9  # the turban's top
