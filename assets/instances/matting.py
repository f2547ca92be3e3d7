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


def box_mean(image: np.ndarray, radius: int) -> np.ndarray:
    return cv2.boxFilter(image, -1, (2 * radius + 1, 2 * radius + 1), normalize=True,
                         borderType=cv2.BORDER_REFLECT)


def guided_filter(guide: np.ndarray, source: np.ndarray, radius: int, eps: float,
                  needed: np.ndarray | None = None) -> np.ndarray:
    """Colour guided filter: ``guide`` H x W x 3 float32 in [0, 1], ``source`` H x W float32 -> H x W float32.
    With ``needed`` (bool H x W) the output is exact only there: the per-pixel 3 x 3 solves, the costly part, are
    done only within ``radius`` of those pixels."""
    mean_i = box_mean(guide, radius)
    mean_p = box_mean(source, radius)
    mean_ip = box_mean(guide * source[..., None], radius)
    cov_ip = mean_ip - mean_i * mean_p[..., None]
    # per-pixel 3 x 3 covariance of the guide, regularised by eps
    var = np.empty(guide.shape[:2] + (3, 3), np.float32)
    for a in range(3):
        for b in range(a, 3):
            value = box_mean(guide[..., a] * guide[..., b], radius) - mean_i[..., a] * mean_i[..., b]
            var[..., a, b] = var[..., b, a] = value
    var += eps * np.eye(3, dtype=np.float32)
    if needed is None:
        coeff = np.linalg.solve(var, cov_ip[..., None])[..., 0]
    else:
        near = cv2.dilate(needed.astype(np.uint8), np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)).astype(bool)
        coeff = np.zeros_like(cov_ip)
        coeff[near] = np.linalg.solve(var[near], cov_ip[near][..., None])[..., 0]
    offset = mean_p - (coeff * mean_i).sum(-1)
    return (box_mean(coeff, radius) * guide).sum(-1) + box_mean(offset, radius)


def boundary_band(mask: np.ndarray, width: int) -> np.ndarray:
    """Pixels within ``width`` of the mask's boundary (both sides)."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1, 2 * width + 1))
    grown = cv2.dilate(mask.astype(np.uint8), kernel)
    shrunk = cv2.erode(mask.astype(np.uint8), kernel)
    return (grown - shrunk).astype(bool)


def matting_radius(mask: np.ndarray, fraction: float, minimum: int = 2, maximum: int = 12) -> int:
    """Band half-width in pixels: ``fraction`` of the mask box's longer side, within [minimum, maximum]."""
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return minimum
    side = max(int(xs.max() - xs.min()), int(ys.max() - ys.min())) + 1
    return int(np.clip(round(fraction * side), minimum, maximum))


def refine_alpha(rgb: np.ndarray, mask: np.ndarray, radius: int, eps: float = 1e-3) -> np.ndarray:
    """uint8 alpha, same shape as ``mask``: opaque well inside, transparent well outside, and in a band of
    ``radius`` px around the boundary the guided filter's alpha, which follows the image's own edges."""
    mask = mask.astype(bool)
    alpha = mask.astype(np.float32)
    if not mask.any() or mask.all():
        return (alpha * 255).astype(np.uint8)
    band = boundary_band(mask, radius)
    ys, xs = np.nonzero(band)
    pad = 2 * radius
    y0, y1 = max(0, ys.min() - pad), min(mask.shape[0], ys.max() + pad + 1)
    x0, x1 = max(0, xs.min() - pad), min(mask.shape[1], xs.max() + pad + 1)
    guide = rgb[y0:y1, x0:x1].astype(np.float32) / 255.0
    crop_band = band[y0:y1, x0:x1]
    filtered = guided_filter(guide, alpha[y0:y1, x0:x1], radius, eps, needed=crop_band)
    alpha[y0:y1, x0:x1][crop_band] = np.clip(filtered[crop_band], 0.0, 1.0)
    return np.round(alpha * 255).astype(np.uint8)
