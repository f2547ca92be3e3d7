"""The per-frame overlay, mask boxes, occlusion and carried-over masks, computed on the instances' pixels or boxes
only, equal the whole-frame reference (two overlapping characters: the second tint applies on the first's unrounded
value); the 1-bit mask PNG reads back as the 8-bit one did."""

import cv2
import numpy as np
import pytest
from PIL import Image

from assets.instances.artefacts import OVERLAY_MAX_HEIGHT, PALETTE, mask_box, occlusion, overlay
from assets.instances.core import InstanceParams, frame_instances
from assets.instances.shot_consistency import carry_over


def _reference(rgb: np.ndarray, masks: list[np.ndarray], labels: list[str]) -> np.ndarray:
    """The whole-frame version: a float copy of the frame tinted, then the boxes and labels."""
    canvas = rgb.astype(np.float32)
    for i, mask in enumerate(masks):
        canvas[mask] = 0.55 * canvas[mask] + 0.45 * np.array(PALETTE[i % len(PALETTE)], np.float32)
    bgr = cv2.cvtColor(canvas.astype(np.uint8), cv2.COLOR_RGB2BGR)
    for i, (mask, label) in enumerate(zip(masks, labels)):
        ys, xs = np.nonzero(mask)
        colour = tuple(int(c) for c in PALETTE[i % len(PALETTE)][::-1])
        cv2.rectangle(bgr, (xs.min(), ys.min()), (xs.max(), ys.max()), colour, 1)
        cv2.putText(bgr, label, (xs.min() + 2, max(12, ys.min() + 12)), cv2.FONT_HERSHEY_SIMPLEX, 0.4, colour, 1,
                    cv2.LINE_AA)
    return bgr


def test_overlay_tints_exactly_as_a_float_copy_of_the_frame():
    rng = np.random.default_rng(7)
    rgb = rng.integers(0, 256, (90, 160, 3), np.uint8)
    first, second = np.zeros((90, 160), bool), np.zeros((90, 160), bool)
    first[10:60, 20:90], second[30:80, 70:150] = True, True
    second &= rng.random(second.shape) > 0.2
    drawn = overlay(rgb, [first, second], ["0", "1"])
    assert np.array_equal(drawn, _reference(rgb, [first, second], ["0", "1"]))
    assert not np.array_equal(drawn, _reference(rgb, [second, first], ["0", "1"]))   # the order is seen
    assert np.array_equal(overlay(rgb, [], []), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def test_a_tall_frames_overlay_is_drawn_on_the_frame_scaled_to_the_row_limit():
    rng = np.random.default_rng(8)
    rgb = rng.integers(0, 256, (1080, 1920, 3), np.uint8)
    big, sliver = np.zeros((1080, 1920), bool), np.zeros((1080, 1920), bool)
    big[200:900, 500:1100] = True
    sliver[11, 11] = True   # lost at half size (nearest takes the even rows and columns): drawn nowhere, the big one keeps its colour
    drawn = overlay(rgb, [big, sliver], ["0", "1"])
    assert drawn.shape == (OVERLAY_MAX_HEIGHT, 960, 3) and OVERLAY_MAX_HEIGHT == 540
    small = cv2.resize(rgb, (960, 540), interpolation=cv2.INTER_AREA)
    half = cv2.resize(big.astype(np.uint8), (960, 540), interpolation=cv2.INTER_NEAREST) > 0
    assert np.array_equal(drawn, overlay(small, [half], ["0"]))
    assert overlay(rgb, [big], ["0"], max_height=None).shape == rgb.shape   # no limit: the frame's own size
    short = rgb[:540], [big[:540]], ["0"]   # a frame of at most 540 rows: as it was
    assert np.array_equal(overlay(*short), overlay(*short, max_height=None))


def test_mask_box_is_the_tight_box_with_exclusive_ends():
    mask = np.zeros((50, 80), bool)
    mask[7, 12] = mask[30, 70] = True
    assert mask_box(mask) == (12, 7, 71, 31)
    mask[:] = True
    assert mask_box(mask) == (0, 0, 80, 50)


def _occlusion_reference(mask: np.ndarray, others: list[np.ndarray]) -> tuple[float, list[int]]:
    """The whole-frame version: the hull of every pixel of the mask, filled on a frame-sized plane."""
    points = cv2.findNonZero(mask.astype(np.uint8))
    if points is None or not others:
        return 0.0, []
    hull = np.zeros(mask.shape, np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(points), 1)
    outside = hull.astype(bool) & ~mask
    hidden = [outside & other for other in others]
    hidden_px = int(np.any(hidden, axis=0).sum())
    by = [i for i, part in enumerate(hidden) if part.sum() >= max(16, 0.01 * mask.sum())]
    return (hidden_px / float(mask.sum() + hidden_px) if by else 0.0), by


def _blobs(rng: np.random.Generator, shape: tuple[int, int], count: int) -> np.ndarray:
    """Ragged shapes in pieces: ellipses with holes and stray pixels, some cut by the frame's edge."""
    plane = np.zeros(shape, np.uint8)
    for _ in range(count):
        centre = (int(rng.integers(-20, shape[1] + 20)), int(rng.integers(-20, shape[0] + 20)))
        axes = (int(rng.integers(3, shape[1] // 3)), int(rng.integers(3, shape[0] // 3)))
        cv2.ellipse(plane, centre, axes, float(rng.integers(0, 180)), 0, 360, 1, -1)
    return plane.astype(bool) & (rng.random(shape) > 0.03)


def test_occlusion_on_the_mask_box_from_its_contours_equals_the_whole_frame_hull():
    rng = np.random.default_rng(11)
    seen = set()
    for _ in range(40):
        mask = _blobs(rng, (270, 480), int(rng.integers(1, 3)))
        others = [_blobs(rng, (270, 480), 1) & ~mask for _ in range(int(rng.integers(1, 4)))]
        expected = _occlusion_reference(mask, others)
        assert occlusion(mask, others) == expected
        seen.add(bool(expected[1]))
    assert seen == {True, False}   # both occluded and unoccluded characters were compared
    assert occlusion(np.zeros((20, 30), bool), [np.ones((20, 30), bool)]) == (0.0, [])


def test_carried_masks_equal_the_remap_through_a_pixel_grid():
    rng = np.random.default_rng(5)
    height, width = 180, 320
    flow = (rng.normal(0, 6, (height, width, 2)) + [4.5, -2.25]).astype(np.float32)
    mask = _blobs(rng, (height, width), 3)
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    expected = cv2.remap(mask.astype(np.uint8) * 255, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0) >= 128
    carried = carry_over(mask, flow)
    assert np.array_equal(carried, expected) and not np.array_equal(carried, mask)


@pytest.mark.parametrize("matting", ["guided", "feather"])
def test_stored_masks_are_1_bit_pngs_that_read_back_as_0_and_255(tmp_path, matting):
    rng = np.random.default_rng(2)
    rgb = rng.integers(0, 256, (120, 200, 3), np.uint8)
    mask = np.zeros((120, 200), bool)
    mask[20:100, 40:150] = True
    for sub in ("cutouts", "masks", "overlays"):
        (tmp_path / sub).mkdir()
    rows = frame_instances("film", {"frame_id": "f0", "shot": 0, "timestamp_s": 0.0}, rgb,
                           [{"mask": mask, "score": 0.9}], None, tmp_path, str, "test", "test",
                           InstanceParams(matting=matting))
    path = rows[0]["mask_path"]
    with Image.open(path) as image:
        assert image.mode == "1"   # one bit a pixel
        grey = np.asarray(image.convert("L"))
    stored = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    assert stored.dtype == np.uint8 and set(np.unique(stored)) == {0, 255} and np.array_equal(grey, stored)
    assert int(np.count_nonzero(stored)) == rows[0]["area"]
    assert np.array_equal(stored > 127, cv2.imread(path, cv2.IMREAD_UNCHANGED) > 0)
