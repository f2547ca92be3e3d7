"""A transparent image's own alpha is its cut-out (assets/instances/image_alpha.py): Kenney's CC0 sprites (arcade's
wheel, install/fetch_bench_media.sh) written as RGBA PNGs into an image folder, through the frames stage's image
path and the instances stage's core. Skips where the wheel was not fetched."""

import shutil
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from PIL import Image

from assets.frames.core import FrameParams, extract_image_frames
from assets.instances.core import InstanceParams, extract_instances
from assets.instances.filtering import FilterParams, auto_decisions
from assets.instances.image_alpha import alpha_instances


@pytest.fixture(scope="module")
def sprites(kenney_idle_sprites):
    return kenney_idle_sprites


def _segmenter(calls):
    def segment(rgb, **options):  # stands for the segmenter: records the frames it is asked to cut
        calls.append(rgb.shape)
        return [], SimpleNamespace(empty_reason="fake segmenter: nothing")
    return segment


def _frames_and_instances(folder, tmp_path, calls):
    frames = extract_image_frames(folder, tmp_path / "frames", FrameParams(min_sharpness=1.0)).frames
    table = extract_instances("t", frames, lambda p: tmp_path / p, _segmenter(calls), tmp_path / "inst",
                              lambda p: str(p.relative_to(tmp_path)), "fake", "fake",
                              InstanceParams(), drawn=None, empty=[])
    return frames, table


def test_an_rgba_sprite_is_cut_by_its_own_alpha_and_an_opaque_image_is_segmented(sprites, tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    rgba = sprites["zombie"]
    Image.fromarray(rgba).save(folder / "a_zombie.png")
    other = sprites["female_person"]   # another character laid on white, opaque: the segmenter's work, as before
    white = (other[..., :3] * (other[..., 3:] / 255.0) + 255 * (1 - other[..., 3:] / 255.0)).round().astype(np.uint8)
    Image.fromarray(white).save(folder / "b_person_on_white.png")
    calls = []
    frames, table = _frames_and_instances(folder, tmp_path, calls)
    assert frames["kept"].to_list() == [True, True]
    assert len(calls) == 1                                  # only the opaque image went to the segmenter
    assert table.height == 1 and table["seed"][0] == "image_alpha"
    row = table.row(0, named=True)
    assert row["frame_id"] == frames.sort("frame_id")["frame_id"][0]
    mask = cv2.imread(str(tmp_path / row["mask_path"]), cv2.IMREAD_GRAYSCALE) > 0
    assert np.array_equal(mask, rgba[..., 3] >= 128)        # the mask is the file's alpha, pixel for pixel
    cut = cv2.imread(str(tmp_path / row["path"]), cv2.IMREAD_UNCHANGED)
    x0, y0 = row["crop_x0"], row["crop_y0"]
    assert np.array_equal(cut[..., 3], rgba[y0:y0 + cut.shape[0], x0:x0 + cut.shape[1], 3])  # soft edges kept
    decided = auto_decisions(table, FilterParams(min_blur=1e9, min_character_score=2.0))  # nothing else would keep it
    assert decided["kept"].to_list() == [True] and decided["reason"][0].startswith("character: the image's own alpha")


def test_the_alpha_is_kept_by_the_frames_stage_so_a_removed_source_changes_nothing(sprites, tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    Image.fromarray(sprites["female_person"]).save(folder / "person.png")
    frames = extract_image_frames(folder, tmp_path / "frames", FrameParams(min_sharpness=1.0)).frames
    shutil.rmtree(folder)
    calls = []
    table = extract_instances("t", frames, lambda p: tmp_path / p, _segmenter(calls), tmp_path / "inst",
                              lambda p: str(p.relative_to(tmp_path)), "fake", "fake", InstanceParams(), drawn=None)
    assert calls == [] and table["seed"].to_list() == ["image_alpha"]


def test_separate_figures_are_separate_instances_and_specks_are_dropped(sprites):
    a, b = sprites["zombie"][..., 3], sprites["female_person"][..., 3]
    alpha = np.zeros((a.shape[0], a.shape[1] + b.shape[1] + 40), np.uint8)
    alpha[:, :a.shape[1]] = a
    alpha[:, a.shape[1] + 40:] = b
    alpha[5:8, -8:-5] = 255                                  # a 3 x 3 speck in a corner
    found = alpha_instances(alpha)
    assert len(found) == 2
    assert sum(np.count_nonzero(f["mask"]) for f in found) == np.count_nonzero(alpha >= 128) - 9
    left = next(f for f in found if f["mask"][:, :a.shape[1]].any())
    assert not left["mask"][:, a.shape[1]:].any() and np.array_equal(left["alpha"][:, :a.shape[1]], a)
