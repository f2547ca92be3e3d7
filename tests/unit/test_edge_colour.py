"""The character's own colour in a cut-out's soft edge (assets/instances/edge_colour.py), on real media: Kenney's CC0
sprites (arcade's wheel, install/fetch_bench_media.sh; skips where it was not fetched) as a transparent image in an
image folder, and pasted on a real Sintel frame (exact alpha and exact foreground colour). Alpha and opaque pixels
never change; only the soft band's colour does."""


import cv2
import numpy as np
import pytest
from PIL import Image

from assets.frames.core import FrameParams, extract_image_frames
from assets.instances.core import InstanceParams, extract_instances, frame_instances
from assets.instances.edge_colour import foreground_colour


@pytest.fixture(scope="module")
def sprites(kenney_idle_sprites):
    return kenney_idle_sprites


def _read_rgba(path):
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_UNCHANGED), cv2.COLOR_BGRA2RGBA)


def _soft_colour_error(cut, truth_rgb, where=True):
    """Alpha-weighted mean |cut-out colour - true colour| (0-255) over the cut-out's soft pixels (and ``where``)."""
    soft = (cut[..., 3] > 0) & (cut[..., 3] < 255) & where
    weight = cut[..., 3][soft] / 255.0
    error = np.abs(cut[..., :3][soft].astype(float) - truth_rgb[soft]).mean(1)
    return float((error * weight).sum() / weight.sum())


def _cut_image_folder(folder, tmp_path, edge_colour):
    frames = extract_image_frames(folder, tmp_path / "frames", FrameParams(min_sharpness=1.0)).frames
    segment = lambda rgb, **options: pytest.fail("a transparent image is cut by its own alpha")  # noqa: E731
    table = extract_instances("t", frames, lambda p: tmp_path / p, segment, tmp_path / edge_colour,
                              lambda p: str(p.relative_to(tmp_path)), "fake", "fake",
                              InstanceParams(edge_colour=edge_colour), drawn=None, empty=[])
    return table.row(0, named=True), _read_rgba(tmp_path / table["path"][0])


def test_a_transparent_images_cut_out_loses_the_white_it_was_laid_on(sprites, tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    rgba = sprites["zombie"]
    Image.fromarray(rgba).save(folder / "zombie.png")
    before_row, before = _cut_image_folder(folder, tmp_path, "none")
    after_row, after = _cut_image_folder(folder, tmp_path, "known_background")   # the default
    assert InstanceParams().edge_colour == "known_background"
    assert (before_row["edge_colour"], after_row["edge_colour"]) == ("none", "known_background")
    y0, x0 = after_row["crop_y0"], after_row["crop_x0"]
    truth = rgba[y0:y0 + after.shape[0], x0:x0 + after.shape[1], :3]
    # the frames stage laid the sprite on white (a JPEG key frame): its soft edge was a white fringe
    assert _soft_colour_error(before, truth) > 15
    assert _soft_colour_error(after, truth) < 0.3 * _soft_colour_error(before, truth)
    assert np.array_equal(after[..., 3], before[..., 3])   # alpha untouched
    unchanged = (after[..., 3] == 0) | (after[..., 3] == 255)
    assert np.array_equal(after[unchanged], before[unchanged])   # opaque and transparent pixels byte-identical


def test_blur_fusion_gives_a_cut_out_on_a_film_frame_its_characters_edge_colour(sprites, shared, tmp_path):
    from assets.instances.composites import Character, compose_scene, read_background

    background = read_background(shared / "media" / "video" / "sintel_trailer_480x204.mp4", 16.0, 480)
    characters = [Character(name, rgba[np.any(rgba[..., 3] > 0, 1)][:, np.any(rgba[..., 3] > 0, 0)])
                  for name, rgba in sprites.items()]
    scene = compose_scene(background, "sintel@16", characters, np.random.default_rng(3), max_characters=1)
    placed = scene.characters[0]
    found = [{"mask": placed.mask, "seed": "truth", "score": 1.0}]   # the true mask: matting makes its soft band
    cuts = {}
    for method in ("none", "blur_fusion", "known_background"):
        out = tmp_path / method
        for sub in ("cutouts", "masks", "overlays"):
            (out / sub).mkdir(parents=True)
        rows = frame_instances("t", {"frame_id": "f0", "shot": 0, "timestamp_s": 0.0}, scene.rgb, found, None, out,
                               str, "fake", "fake", InstanceParams(edge_colour=method))
        cuts[method] = (rows[0], _read_rgba(rows[0]["path"]))
    row, before = cuts["none"]
    _, after = cuts["blur_fusion"]
    y0, x0 = row["crop_y0"], row["crop_x0"]
    window = np.s_[y0:y0 + after.shape[0], x0:x0 + after.shape[1]]
    shown = placed.alpha[window] > 0   # the true colour is defined where the character is
    truth = placed.colour[window]
    assert _soft_colour_error(after, truth, shown) < 0.5 * _soft_colour_error(before, truth, shown)
    assert np.array_equal(after[..., 3], before[..., 3])
    assert np.array_equal(after[after[..., 3] == 255], before[before[..., 3] == 255])
    # the default leaves a segmented cut-out (a film frame, the background unknown) as the frame's pixels
    assert cuts["known_background"][0]["edge_colour"] == "none"
    assert np.array_equal(cuts["known_background"][1], before)


def test_only_soft_pixels_change_and_a_cut_out_without_them_is_returned_as_is():
    rgb = np.random.default_rng(0).integers(0, 256, (40, 30, 3), dtype=np.uint8)
    hard = np.zeros((40, 30), np.uint8)
    hard[10:30, 8:22] = 255
    assert foreground_colour(rgb, hard) is rgb
    soft = cv2.GaussianBlur(hard, (7, 7), 0)
    out = foreground_colour(rgb, soft)
    still = (soft == 0) | (soft == 255)
    assert np.array_equal(out[still], rgb[still]) and not np.array_equal(out, rgb)
