"""Soft alpha at the source resolution: a coarse mask (often cut at a lower resolution and scaled up) refined with an
edge-aware guided filter (He et al., "Guided Image Filtering", 2010) on the instance's crop, applied only in a band
around the mask's boundary. Hair strands and anti-aliased outlines keep a soft alpha; the inside stays opaque and
the far outside stays transparent. numpy / OpenCV only.

Why a guided filter and not closed-form matting (pymatting): on 2 CPU cores the closed-form solve takes seconds per
cut-out at 480p, the guided filter a few milliseconds, and on outlined 2D characters and rendered 3D ones it places
the edge as well (bench/composites.py reports the alpha error in the edge band).
"""

import cv2
import numpy as np
from numba import njit

from assets.instances.outline import OUTLINE_ALPHA, outline_rim, outline_width_px


def box_mean(image: np.ndarray, radius: int) -> np.ndarray:
    return cv2.boxFilter(image, -1, (2 * radius + 1, 2 * radius + 1), normalize=True,
                         borderType=cv2.BORDER_REFLECT)


def guided_coefficients(guide: np.ndarray, source: np.ndarray, radius: int, eps: float,
                        needed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) of the colour guided filter, box-averaged: the output is ``(a * guide).sum(-1) + b``. With ``needed``
    (bool H x W) they are exact only there: the per-pixel 3 x 3 solves, the costly part, are done only within
    ``radius`` of those pixels."""
    mean_i = box_mean(guide, radius)
    mean_p = box_mean(source, radius)
    mean_ip = box_mean(guide * source[..., None], radius)
    # the guide's channel products box-averaged: the per-pixel 3 x 3 covariance is these less the means' products
    products = [box_mean(guide[..., a] * guide[..., b], radius) for a, b in _PAIRS]
    if needed is None:
        cov_ip = mean_ip - mean_i * mean_p[..., None]
        var = np.empty(guide.shape[:2] + (3, 3), np.float32)
        for (a, b), product in zip(_PAIRS, products):
            var[..., a, b] = var[..., b, a] = product - mean_i[..., a] * mean_i[..., b]
        var += eps * np.eye(3, dtype=np.float32)   # regularised by eps
        coeff = np.linalg.solve(var, cov_ip[..., None])[..., 0]
        offset = mean_p - (coeff * mean_i).sum(-1)
    else:
        near = cv2.dilate(needed.astype(np.uint8), np.ones((2 * radius + 1, 2 * radius + 1), np.uint8))
        rows, cols = np.nonzero(near)
        var, cov = _near_systems(mean_i, mean_p, mean_ip, *products, rows, cols, np.float32(eps))
        coeff, offset = _near_coefficients(np.linalg.solve(var, cov)[..., 0], rows, cols, mean_i, mean_p)
    return box_mean(coeff, radius), box_mean(offset, radius)


_PAIRS = ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))


@njit(cache=True)
def _near_systems(mean_i, mean_p, mean_ip, p00, p01, p02, p11, p12, p22, rows, cols,
                  eps):  # pragma: no cover - compiled
    """The 3 x 3 systems of the ``needed`` path at the pixels (rows, cols) only, in the whole-grid path's float32
    arithmetic: ``var`` (N x 3 x 3, the products less the means' products, eps on the diagonal, 0 added elsewhere as
    ``eps * np.eye`` adds it) and ``cov`` (N x 3 x 1, ``mean_ip - mean_i * mean_p``)."""
    count = rows.size
    var = np.empty((count, 3, 3), np.float32)
    cov = np.empty((count, 3, 1), np.float32)
    zero = np.float32(0.0)
    for n in range(count):
        y, x = rows[n], cols[n]
        m0, m1, m2 = mean_i[y, x, 0], mean_i[y, x, 1], mean_i[y, x, 2]
        var[n, 0, 0] = (p00[y, x] - m0 * m0) + eps
        var[n, 1, 1] = (p11[y, x] - m1 * m1) + eps
        var[n, 2, 2] = (p22[y, x] - m2 * m2) + eps
        var[n, 0, 1] = var[n, 1, 0] = (p01[y, x] - m0 * m1) + zero
        var[n, 0, 2] = var[n, 2, 0] = (p02[y, x] - m0 * m2) + zero
        var[n, 1, 2] = var[n, 2, 1] = (p12[y, x] - m1 * m2) + zero
        for c in range(3):
            cov[n, c, 0] = mean_ip[y, x, c] - mean_i[y, x, c] * mean_p[y, x]
    return var, cov


@njit(cache=True)
def _near_coefficients(solved, rows, cols, mean_i, mean_p):  # pragma: no cover - compiled
    """(coeff H x W x 3: ``solved`` at (rows, cols), 0 elsewhere; offset H x W: ``mean_p - (coeff * mean_i).sum(-1)``,
    the products summed from the first channel as NumPy's ``sum(-1)`` does)."""
    height, width = mean_p.shape
    coeff = np.zeros((height, width, 3), np.float32)
    for n in range(rows.size):
        for c in range(3):
            coeff[rows[n], cols[n], c] = solved[n, c]
    offset = np.empty((height, width), np.float32)
    for y in range(height):
        for x in range(width):
            total = coeff[y, x, 0] * mean_i[y, x, 0]
            total = total + coeff[y, x, 1] * mean_i[y, x, 1]
            total = total + coeff[y, x, 2] * mean_i[y, x, 2]
            offset[y, x] = mean_p[y, x] - total
    return coeff, offset


def guided_filter(guide: np.ndarray, source: np.ndarray, radius: int, eps: float,
                  needed: np.ndarray | None = None, subsample: int = 1) -> np.ndarray:
    """Colour guided filter: ``guide`` H x W x 3 float32 in [0, 1], ``source`` H x W float32 -> H x W float32.
    ``needed``: see ``guided_coefficients``; the filter is then applied only there (elsewhere the output is
    ``source``). ``subsample`` > 1 is the fast guided filter (He and Sun, 2015): the coefficients are computed on
    both images scaled down by that factor (radius too) and scaled back up, then applied to the full-resolution
    guide, so the output keeps the guide's edges at a fraction of the cost."""
    a, b = full_size_coefficients(guide, source, radius, eps, needed, subsample)
    return _applied(a, b, guide, source, needed)


def full_size_coefficients(guide: np.ndarray, source: np.ndarray, radius: int, eps: float,
                           needed: np.ndarray | None = None, subsample: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``guided_filter``'s (a, b) at the guide's size: computed there (``subsample`` 1) or on both images scaled
    down by ``subsample`` and scaled back up."""
    if subsample <= 1:
        return guided_coefficients(guide, source, radius, eps, needed)
    height, width = source.shape
    small = (max(1, -(-width // subsample)), max(1, -(-height // subsample)))
    shrink = lambda image: cv2.resize(image, small, interpolation=cv2.INTER_AREA)  # noqa: E731
    near = None if needed is None else shrink(needed.astype(np.uint8) * 255) > 0
    a, b = guided_coefficients(shrink(guide), shrink(source), max(1, round(radius / subsample)), eps, near)
    grow = lambda plane: cv2.resize(plane, (width, height), interpolation=cv2.INTER_LINEAR)  # noqa: E731
    return grow(a), grow(b)


def _applied(a: np.ndarray, b: np.ndarray, guide: np.ndarray, source: np.ndarray,
             needed: np.ndarray | None) -> np.ndarray:
    """``(a * guide).sum(-1) + b``, on the ``needed`` pixels only (the same values there: at 1080p the band is a
    tenth of a character's box, and this product the costliest step of its matting)."""
    if needed is None:
        return (a * guide).sum(-1) + b
    out = source.astype(np.float32, copy=True)
    out[needed] = (a[needed] * guide[needed]).sum(-1) + b[needed]
    return out


# uint8 level -> the guide's float32 value, the very ``astype(np.float32) / 255.0`` (cv2.LUT: one pass, no temporary)
GUIDE_LEVELS = np.arange(256, dtype=np.float32) / 255.0


def guide_of(rgb: np.ndarray) -> np.ndarray:
    """H x W x 3 float32 in [0, 1]: ``rgb.astype(np.float32) / 255.0``, value for value."""
    return cv2.LUT(np.ascontiguousarray(rgb), GUIDE_LEVELS)


@njit(cache=True)
def _band_soft(a: np.ndarray, b: np.ndarray, rgb: np.ndarray, band: np.ndarray,
               inside: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """``np.where(band, np.clip(_applied(a, b, guide, inside, band), 0, 1), inside)`` in one pass, the guide read
    from ``rgb`` through GUIDE_LEVELS: the same float32 products, summed channel by channel from the first as
    NumPy's ``sum(-1)`` does, then ``b`` added (tests/unit/test_matting_compiled.py)."""
    height, width = band.shape
    zero, one = np.float32(0.0), np.float32(1.0)
    soft = np.empty((height, width), np.float32)
    for y in range(height):
        for x in range(width):
            if band[y, x]:
                value = a[y, x, 0] * GUIDE_LEVELS[rgb[y, x, 0]]
                value = value + a[y, x, 1] * GUIDE_LEVELS[rgb[y, x, 1]]
                value = value + a[y, x, 2] * GUIDE_LEVELS[rgb[y, x, 2]]
                value = value + b[y, x]
                soft[y, x] = min(max(value, zero), one)
            else:
                soft[y, x] = one if inside[y, x] else zero
    return soft


# The guided filter is subsampled by radius // FAST_RADIUS_PER_STEP (He and Sun suggest radius / 4): a radius under
# that is filtered exactly. At 1080p a character's band radius is 8-12 px, so it runs on a 2-3x smaller grid.
FAST_RADIUS_PER_STEP = 4


def boundary_band(mask: np.ndarray, width: int) -> np.ndarray:
    """Pixels within ``width`` of the mask's boundary (both sides)."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1, 2 * width + 1))
    grown = cv2.dilate(mask.astype(np.uint8), kernel)
    shrunk = cv2.erode(mask.astype(np.uint8), kernel)
    return (grown - shrunk).astype(bool)


def mask_bounds(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) of the mask's pixels, exclusive ends; None for an empty mask (a bool mask read as its 0 / 1
    bytes, not copied)."""
    pixels = mask.view(np.uint8) if mask.dtype == bool else mask.astype(np.uint8)
    x, y, w, h = cv2.boundingRect(pixels)
    return (x, y, x + w, y + h) if w and h else None


def matting_radius(mask: np.ndarray, fraction: float, minimum: int = 2, maximum: int = 12) -> int:
    """Band half-width in pixels: ``fraction`` of the mask box's longer side, within [minimum, maximum]."""
    bounds = mask_bounds(mask)
    if bounds is None:
        return minimum
    side = max(bounds[2] - bounds[0], bounds[3] - bounds[1])
    return int(np.clip(round(fraction * side), minimum, maximum))


# The guided filter's regulariser (He et al.: the smaller, the more the alpha follows the frame's edges; they feather
# with 1e-6 to 1e-4). 1e-3 smoothed a drawn character's hard, anti-aliased edge into a ramp several pixels wide: on
# the tune composites (bench/composites.py --scenes 16, anime preset, seed 7) the edge-band alpha error falls from
# 0.121 to 0.110 at 1e-4 (3e-5: 0.107, 1e-5: 0.106), mean IoU +0.0003.
MATTING_EPS = 1e-4


# The alpha (uint8) from which a matted pixel joins the instance's mask. A drawn shot's mask is the alpha >= 0.5 (its
# outline rim, outline.py, already joins the dark line the cut leaves outside). A rendered shot's edge-band GrabCut
# leaves the cut about a pixel inside the character's anti-aliased rim (3D tune composites, the characters found at
# IoU >= 0.8: 0.0128 of mean IoU missed on the truth's first pixel, 0.0029 taken on the first pixel outside), and the
# guided filter, fitted to that cut, gives the rim 0.3-0.5: alpha >= 0.3 takes it (tune seeds 3 / 7 / 11 / 13 / 17 /
# 23 / 29 / 31 all rise, seed means 0.7120 -> 0.7143, boundary F 0.6930 -> 0.6968; over the 239 characters 0.2 /
# 0.25 / 0.3 / 0.35 / 0.4 read 0.7104 / 0.7106 / 0.7105 / 0.7101 / 0.7096 against 0.7080 at 0.5). The cut-out keeps
# the filter's alpha: only which pixels the mask holds moves.
DRAWN_MASK_LEVEL = 128
RENDERED_MASK_LEVEL = 77


def mask_level(outline: bool) -> int:
    """The uint8 alpha from which a matted pixel is in the mask: DRAWN_MASK_LEVEL where the outline rim is on (drawn
    shots), RENDERED_MASK_LEVEL where it is off (rendered shots)."""
    return DRAWN_MASK_LEVEL if outline else RENDERED_MASK_LEVEL


def refine_alpha(rgb: np.ndarray, mask: np.ndarray, radius: int, eps: float = MATTING_EPS,
                 fast: bool = True, outline: bool = True) -> np.ndarray:
    """uint8 alpha, same shape as ``mask``: opaque well inside, transparent well outside, and in a band of
    ``radius`` px around the boundary the guided filter's alpha, which follows the image's own edges. All the
    work is on the mask's box plus a margin (the band and the filter's reach); ``fast``: the guided filter is
    subsampled for a large radius (FAST_RADIUS_PER_STEP), exact otherwise. ``outline``: the dark rim just outside
    the filtered edge joins the character (``outline_rim``) at OUTLINE_ALPHA."""
    mask = mask.astype(bool, copy=False)
    bounds = mask_bounds(mask)
    if bounds is None or mask.all():
        return mask.astype(np.uint8) * 255
    pad = 3 * radius + 1  # the band reaches radius beyond the mask, the filter 2 * radius beyond the band
    x0, y0 = max(0, bounds[0] - pad), max(0, bounds[1] - pad)
    x1, y1 = min(mask.shape[1], bounds[2] + pad), min(mask.shape[0], bounds[3] + pad)
    crop, window = mask[y0:y1, x0:x1], np.ascontiguousarray(rgb[y0:y1, x0:x1])
    band = boundary_band(crop, radius)
    subsample = max(1, radius // FAST_RADIUS_PER_STEP) if fast else 1
    a, b = full_size_coefficients(guide_of(window), crop.astype(np.float32), radius, eps, band, subsample)
    soft = _band_soft(a, b, window, band, np.ascontiguousarray(crop))
    if outline:
        rim = outline_rim(cv2.cvtColor(window, cv2.COLOR_RGB2GRAY), soft >= 0.5, outline_width_px(rgb.shape[0]))
        soft[rim] = np.maximum(soft[rim], OUTLINE_ALPHA)
    alpha = np.zeros(mask.shape, np.uint8)   # outside the crop the mask is empty
    alpha[y0:y1, x0:x1] = np.round(soft * 255).astype(np.uint8)
    return alpha
