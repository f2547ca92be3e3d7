"""The matting's compiled parts (assets/instances/matting.py: the band pass ``_band_soft`` and ``guide_of``, the
coefficients' systems near the band ``_near_systems`` / ``_near_coefficients``) against the NumPy arithmetic they
replace: the same alpha, level for level, on real characters composited on a real film frame."""

import cv2
import numpy as np
import pytest

from assets.instances.composites import compose_scene, load_character, read_background
from assets.instances.matting import (FAST_RADIUS_PER_STEP, MATTING_EPS, _applied, _band_soft, box_mean,
                                      boundary_band, full_size_coefficients, guide_of, guided_coefficients,
                                      mask_bounds, matting_radius, refine_alpha)
from assets.instances.outline import OUTLINE_ALPHA, outline_rim, outline_width_px

SINTEL = "media/video/sintel_trailer_480x204.mp4"
CHARACTERS = ("sita_front", "saha_side", "saha_front")


def numpy_coefficients(guide, source, radius, eps, needed):
    """guided_coefficients' ``needed`` path as it was before its systems were compiled (session 12): the reference."""
    mean_i = box_mean(guide, radius)
    mean_p = box_mean(source, radius)
    mean_ip = box_mean(guide * source[..., None], radius)
    cov_ip = mean_ip - mean_i * mean_p[..., None]
    var = np.empty(guide.shape[:2] + (3, 3), np.float32)
    for a in range(3):
        for b in range(a, 3):
            value = box_mean(guide[..., a] * guide[..., b], radius) - mean_i[..., a] * mean_i[..., b]
            var[..., a, b] = var[..., b, a] = value
    var += eps * np.eye(3, dtype=np.float32)
    near = cv2.dilate(needed.astype(np.uint8), np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)).astype(bool)
    coeff = np.zeros_like(cov_ip)
    coeff[near] = np.linalg.solve(var[near], cov_ip[near][..., None])[..., 0]
    offset = mean_p - (coeff * mean_i).sum(-1)
    return box_mean(coeff, radius), box_mean(offset, radius)


def numpy_guided_filter(guide, source, radius, eps, needed, subsample):
    """guided_filter as it was (session 12), on ``numpy_coefficients``."""
    if subsample <= 1:
        a, b = numpy_coefficients(guide, source, radius, eps, needed)
        return _applied(a, b, guide, source, needed)
    height, width = source.shape
    small = (max(1, -(-width // subsample)), max(1, -(-height // subsample)))
    shrink = lambda image: cv2.resize(image, small, interpolation=cv2.INTER_AREA)  # noqa: E731
    near = shrink(needed.astype(np.uint8) * 255) > 0
    a, b = numpy_coefficients(shrink(guide), shrink(source), max(1, round(radius / subsample)), eps, near)
    grow = lambda plane: cv2.resize(plane, (width, height), interpolation=cv2.INTER_LINEAR)  # noqa: E731
    return _applied(grow(a), grow(b), guide, source, needed)


def numpy_refine_alpha(rgb, mask, radius, eps=MATTING_EPS, fast=True, outline=True):
    """refine_alpha as it was before the compiled band pass (session 12): the reference."""
    mask = mask.astype(bool)
    alpha = mask.astype(np.uint8) * 255
    bounds = mask_bounds(mask)
    if bounds is None or mask.all():
        return alpha
    pad = 3 * radius + 1
    x0, y0 = max(0, bounds[0] - pad), max(0, bounds[1] - pad)
    x1, y1 = min(mask.shape[1], bounds[2] + pad), min(mask.shape[0], bounds[3] + pad)
    crop = mask[y0:y1, x0:x1]
    band = boundary_band(crop, radius)
    guide = rgb[y0:y1, x0:x1].astype(np.float32) / 255.0
    subsample = max(1, radius // FAST_RADIUS_PER_STEP) if fast else 1
    filtered = numpy_guided_filter(guide, crop.astype(np.float32), radius, eps, band, subsample)
    soft = np.where(band, np.clip(filtered, 0.0, 1.0), crop.astype(np.float32))
    if outline:
        rim = outline_rim(cv2.cvtColor(rgb[y0:y1, x0:x1], cv2.COLOR_RGB2GRAY), soft >= 0.5,
                          outline_width_px(rgb.shape[0]))
        soft[rim] = np.maximum(soft[rim], OUTLINE_ALPHA)
    alpha[y0:y1, x0:x1] = np.round(soft * 255).astype(np.uint8)
    return alpha


@pytest.fixture(scope="module")
def scenes(shared):
    characters = [load_character(shared / "media" / "characters_rgba" / f"{name}.png") for name in CHARACTERS]
    out = []
    for height, seed in ((480, 3), (1080, 7), (1080, 11)):
        background = read_background(shared / SINTEL, 21.0, height)
        out.append(compose_scene(background, "sintel@21", characters, np.random.default_rng(seed), max_characters=3))
    return out


def coarse(mask: np.ndarray, factor: int = 8) -> np.ndarray:
    rows, cols = mask.shape
    small = cv2.resize(mask.astype(np.uint8) * 255, (cols // factor, rows // factor), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (cols, rows), interpolation=cv2.INTER_NEAREST) > 127


def test_the_guide_is_the_frame_divided_by_255(scenes):
    for scene in scenes:
        window = scene.rgb[7:-5, 3:-11]
        assert np.array_equal(guide_of(window), window.astype(np.float32) / 255.0)


def test_refined_alpha_is_the_numpy_alpha_on_real_characters(scenes):
    """Every mode (fast and exact filter, outline rim or not) and radius, masks in the middle and cut by the
    frame's edges: the same uint8 alpha as the NumPy reference."""
    checked = 0
    for scene in scenes:
        for character in scene.characters:
            if not character.mask.any():
                continue
            mask = coarse(character.mask)
            shifted = np.zeros_like(mask)   # the character pushed against the top-left corner
            bounds = mask_bounds(mask)
            shifted[:mask.shape[0] - bounds[1] + 3, :mask.shape[1] - bounds[0] + 5] = mask[bounds[1] - 3:,
                                                                                           bounds[0] - 5:]
            modes = ((True, True), (False, True), (True, False))
            for candidate, modes in ((mask, modes), (shifted, modes[:1])):
                for radius in sorted({3, matting_radius(candidate, 0.015), 12}):
                    for fast, outline in modes:
                        new = refine_alpha(scene.rgb, candidate, radius, fast=fast, outline=outline)
                        old = numpy_refine_alpha(scene.rgb, candidate, radius, fast=fast, outline=outline)
                        assert np.array_equal(new, old), (radius, fast, outline)
                        checked += 1
    assert checked >= 40
    empty = np.zeros(scenes[0].rgb.shape[:2], bool)
    assert np.array_equal(refine_alpha(scenes[0].rgb, empty, 4), empty.astype(np.uint8))
    assert np.array_equal(refine_alpha(scenes[0].rgb, ~empty, 4), np.full(empty.shape, 255, np.uint8))


def test_band_pass_matches_numpy_where_rounding_order_shows(scenes):
    """Coefficients far from a real filter's (large, of both signs, so that the order of the float32 sum changes
    the result): the compiled pass still gives NumPy's ``(a * guide).sum(-1) + b``, clipped, value for value."""
    rng = np.random.default_rng(5)
    rgb = np.ascontiguousarray(scenes[1].rgb[100:400, 200:700])
    inside = np.zeros(rgb.shape[:2], bool)
    inside[80:220, 120:380] = True
    band = boundary_band(inside, 9)
    a = (rng.standard_normal(rgb.shape) * rng.choice([1e-3, 1.0, 1e3], rgb.shape)).astype(np.float32)
    b = (rng.standard_normal(rgb.shape[:2]) * 300).astype(np.float32)
    guide = rgb.astype(np.float32) / 255.0
    expected = np.where(band, np.clip(_applied(a, b, guide, inside.astype(np.float32), band), 0, 1),
                        inside.astype(np.float32))
    assert np.array_equal(_band_soft(a, b, rgb, band, inside), expected)
    products = a * guide   # where the order of the sum shows: another order gives other values here
    assert not np.array_equal(products.sum(-1), products[..., 0] + (products[..., 1] + products[..., 2]))
    # on a real filter's coefficients the values (before rounding to uint8) are the same float32 too
    a, b = full_size_coefficients(guide, inside.astype(np.float32), 9, MATTING_EPS, band, 2)
    expected = np.where(band, np.clip(_applied(a, b, guide, inside.astype(np.float32), band), 0, 1),
                        inside.astype(np.float32))
    assert np.array_equal(_band_soft(a, b, rgb, band, inside), expected)


def test_coefficients_near_the_band_are_numpys(scenes):
    """The ``needed`` path's coefficients over a whole real frame (every pixel's system where the band reaches, the
    offsets everywhere): the same float32 values as the NumPy reference, and the whole-grid path's where needed."""
    for scene in scenes[:2]:
        guide = scene.rgb.astype(np.float32) / 255.0
        source = coarse(scene.characters[0].mask).astype(np.float32)
        band = boundary_band(source > 0, 4)
        a, b = guided_coefficients(guide, source, 4, MATTING_EPS, band)
        ref_a, ref_b = numpy_coefficients(guide, source, 4, MATTING_EPS, band)
        assert np.array_equal(a, ref_a) and np.array_equal(b, ref_b)
        whole_a, whole_b = guided_coefficients(guide, source, 4, MATTING_EPS)
        assert np.abs(whole_a - a)[band].max() < 1e-3 and np.abs(whole_b - b)[band].max() < 1e-3
