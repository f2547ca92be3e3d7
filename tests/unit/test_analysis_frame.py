"""The segmenter's analysis frame: a tall frame is analysed at most ``analysis_max_height`` rows high and its masks
and cues come back in the source frame's pixels."""

import numpy as np
import pytest

from resources.analysis_frame import analysis_scale, full_cues, full_instances, full_mask, scaled_frame
from resources.backends.character_cues import Cues


@pytest.mark.parametrize("height, cap, expected", [(1080, 480, 480 / 1080), (720, 480, 480 / 720), (480, 480, 1.0),
                                                   (204, 480, 1.0), (1080, None, 1.0), (2160, 1080, 0.5)])
def test_only_frames_taller_than_the_cap_are_scaled(height, cap, expected):
    assert analysis_scale(height, cap) == pytest.approx(expected)


def test_a_scaled_mask_comes_back_at_the_source_size_where_it_was():
    source = np.zeros((1080, 1920), bool)
    source[200:900, 600:1100] = True
    scale = analysis_scale(1080, 480)
    small = scaled_frame(source.astype(np.uint8) * 255, scale) > 127
    assert small.shape == (480, 853)
    back = full_mask(small, source.shape)
    assert back.shape == source.shape and back.dtype == bool
    assert (back ^ source).sum() / source.sum() < 0.01   # only edge pixels differ (the mask's box is 700 x 500)
    assert full_mask(source, source.shape) is source     # an unscaled frame's mask is passed through


def test_cues_come_back_in_source_pixels_and_the_class_map_is_read_lazily():
    reads = []
    small_map = np.zeros((480, 853), bool)
    small_map[100:200, 300:400] = True
    cues = Cues(np.array([[100, 50, 140, 90, 0.9]], np.float32), np.array([[80, 40, 200, 400, 0.8, 0]], np.float32),
                class_mask_of=lambda: reads.append(1) or small_map)
    full = full_cues(cues, 480 / 1080, (1080, 1920))
    assert full.faces[0, :4] == pytest.approx([225, 112.5, 315, 202.5]) and full.faces[0, 4] == pytest.approx(0.9)
    assert full.bodies[0, :4] == pytest.approx([180, 90, 450, 900]) and full.bodies[0, 5] == 0
    assert cues.faces[0, 0] == 100                       # the analysis frame's cues are left as they were
    assert not reads
    assert full.class_mask.shape == (1080, 1920) and full.class_mask[300, 800] and not full.class_mask[100, 100]
    assert reads == [1]
    found = full_instances([{"mask": small_map, "seed": "face", "score": 0.5}], (1080, 1920))
    assert found[0]["mask"].shape == (1080, 1920) and found[0]["seed"] == "face" and found[0]["score"] == 0.5


@pytest.mark.slow
def test_a_1080p_frame_is_cut_out_as_its_480p_analysis_frame_and_returned_at_1080p(shared, monkeypatch):
    """A drawn character composited at 1080p on a Sintel frame: the masks and cues come back at 1080p, they are the
    480-row analysis frame's own (scaled up), and the character is cut out well (exact truth)."""
    monkeypatch.setenv("CASTFORGE_MODELS", str(shared / "models"))
    from assets.instances.composites import compose_scene, load_character, mask_iou, read_background
    from resources.segmenter import SegmenterResource

    character = load_character(shared / "media" / "characters_rgba" / "saha_side.png")
    background = read_background(shared / "media/video/big_buck_bunny_0_30.webm", 6.5, 1080)
    scene = compose_scene(background, "bbb@6.5", [character], np.random.default_rng(5), max_characters=1)
    shape = scene.rgb.shape[:2]
    segmenter = SegmenterResource(backend="characters")
    found, cues = segmenter.segment_frame(scene.rgb, analysis_max_height=480)
    scale = analysis_scale(shape[0], 480)
    small_found, small_cues = segmenter.segment_frame(scaled_frame(scene.rgb, scale))
    assert found and all(item["mask"].shape == shape for item in found)
    assert [(item["seed"], full_mask(item["mask"], shape).sum()) for item in small_found] == \
        [(item["seed"], item["mask"].sum()) for item in found]
    assert np.allclose(cues.bodies[:, :4], small_cues.bodies[:, :4] / scale)
    assert cues.class_mask.shape == shape
    truth = scene.characters[0].mask
    assert max(mask_iou(item["mask"], truth) for item in found) >= 0.8


@pytest.mark.parametrize("cap, expected", [(None, {}), (480, {"analysis_max_height": 480})])
def test_the_stage_passes_its_analysis_cap_to_the_segmenter_only_when_set(tmp_path, cap, expected):
    """The anime preset's cap reaches ``segment``; without one the call is the plain ``segment(rgb)`` that other
    segmenters (and the 3D defaults) take."""
    import cv2
    import polars as pl

    from assets.instances.core import InstanceParams, extract_instances

    path = tmp_path / "f0.png"
    cv2.imwrite(str(path), np.zeros((72, 128, 3), np.uint8))
    frames = pl.DataFrame([{"frame_id": "f0", "shot": 0, "timestamp_s": 0.0, "kept": True, "path": str(path)}])
    calls = []

    def segment(rgb, **options):
        calls.append(options)
        return [], Cues()

    table = extract_instances("film", frames, lambda p: tmp_path / p, segment, tmp_path / "out", str, "fake", "m",
                              InstanceParams(analysis_max_height=cap), drawn=None)
    assert table.is_empty() and calls == [expected]
