"""The sam2 backend on the real SAM2.1 tiny architecture with random weights, and how `auto` picks a backend."""

import cv2
import pytest

from resources.errors import MissingWeightsError
from resources.segmenter import SegmenterResource, profile_resources


@pytest.fixture
def no_models(tmp_path, monkeypatch):
    monkeypatch.setenv("CASTFORGE_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("CASTFORGE_HOME", str(tmp_path / "home"))
    return tmp_path / "models"


def test_sam2_amg_on_the_real_architecture_with_random_weights(shared, no_models):
    from resources.backends.sam2 import Sam2Segmenter

    segmenter = Sam2Segmenter("tiny", points_per_side=4, pred_iou_thresh=0.0, stability_score_thresh=0.0,
                              min_mask_area_1080p=0, allow_random_weights=True)
    assert segmenter.name == "sam2" and "random weights" in segmenter.model
    rgb = cv2.cvtColor(cv2.imread(str(shared / "media/faces/knn_examples/test/kit_with_rose.jpg")), cv2.COLOR_BGR2RGB)
    rgb = cv2.resize(rgb, (128, 180))
    found = segmenter.segment(rgb)
    assert found, "the AMG kept no mask at zero thresholds"
    for item in found:
        assert item["mask"].shape == (180, 128) and item["mask"].dtype == bool and item["mask"].any()
        assert isinstance(item["score"], float) and item["seed"] == "sam2"
    areas = [int(item["mask"].sum()) for item in found]
    assert areas == sorted(areas, reverse=True)
    segmenter.release()


def test_sam2_runs_under_bfloat16_autocast_on_cuda_only(shared, no_models):
    import torch

    from resources.backends.sam2 import Sam2Segmenter

    segmenter = Sam2Segmenter("tiny", points_per_side=4, allow_random_weights=True)
    assert not isinstance(segmenter.precision(), torch.autocast)  # CPU: float32, as before
    segmenter.device = "cuda:0"
    with pytest.warns(UserWarning):  # this machine's torch has no CUDA: the context is built, not entered
        cuda = segmenter.precision()
    assert isinstance(cuda, torch.autocast) and cuda.device == "cuda" and cuda.fast_dtype == torch.bfloat16
    segmenter.bfloat16 = False
    assert not isinstance(segmenter.precision(), torch.autocast)
    assert SegmenterResource(backend="sam2").sam2_bfloat16


def test_sam2_without_a_checkpoint_names_the_file_and_how_to_get_it(no_models):
    from resources.backends.sam2 import Sam2Segmenter

    with pytest.raises(MissingWeightsError, match=r"sam2\.1_hiera_tiny\.pt.*CASTFORGE_MODELS"):
        Sam2Segmenter("tiny")


def test_min_mask_area_scales_with_resolution():
    from resources.backends.sam2 import Sam2Segmenter

    segmenter = Sam2Segmenter.__new__(Sam2Segmenter)
    segmenter.min_mask_area_1080p = 16384
    assert segmenter.min_area(1080, 1920) == 16384
    assert segmenter.min_area(540, 960) == 4096


def test_auto_picks_sam2_only_when_its_checkpoint_is_present(no_models):
    assert SegmenterResource(backend="auto").resolved_backend() == "characters"
    no_models.mkdir(parents=True)
    (no_models / "sam2.1_hiera_tiny.pt").write_bytes(b"")
    assert SegmenterResource(backend="auto").resolved_backend() == "sam2"
    assert SegmenterResource(backend="characters").resolved_backend() == "characters"


def test_profiles():
    assert profile_resources("local")["segmenter"].backend == "auto"
    gpu = profile_resources("gpu")["segmenter"]
    assert gpu.backend == "sam2" and gpu.device == "cuda"


@pytest.mark.slow
def test_sam2_parts_are_merged_into_the_characters_the_cues_find(shared, no_models, monkeypatch):
    """Real SAM2.1 tiny architecture (random weights) + the real cue models: every character the offline
    segmenter finds comes out once, as a merged SAM2 instance, so both backends give whole characters."""
    monkeypatch.setenv("CASTFORGE_MODELS", str(shared / "models"))
    from resources.backends.opencv_characters import OpencvCharacterSegmenter
    from resources.backends.sam2 import Sam2Segmenter

    characters = OpencvCharacterSegmenter()
    segmenter = Sam2Segmenter("tiny", points_per_side=4, pred_iou_thresh=0.0, stability_score_thresh=0.0,
                              min_mask_area_1080p=0, allow_random_weights=True, characters=characters)
    rgb = cv2.cvtColor(cv2.imread(str(shared / "media/faces/knn_examples/test/obama_and_biden.jpg")),
                       cv2.COLOR_BGR2RGB)
    rgb = cv2.resize(rgb, (320, round(rgb.shape[0] * 320 / rgb.shape[1])))
    cues = characters.cues(rgb)
    coarse = characters.segment(rgb, cues)
    found = segmenter.segment(rgb, cues)
    merged = [f for f in found if f["seed"].startswith("sam2+")]
    assert len(coarse) >= 2 and len(merged) == len(coarse)
    assert sorted(f["seed"] for f in merged) == sorted(f"sam2+{c['seed']}" for c in coarse)
    assert all(f["mask"].shape == rgb.shape[:2] and f["mask"].any() for f in found)
    segmenter.release()
