"""Pixels of one instance: content id, soft-edged RGBA cut-out, sharpness, per-frame overlay. numpy / OpenCV only."""

import hashlib

import cv2
import numpy as np

from resources.area_resize import area_resized

PALETTE = [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 240, 240),
           (240, 50, 230), (210, 245, 60), (250, 190, 190), (0, 128, 128)]  # RGB


def instance_id(film: str, frame_id: str, mask: np.ndarray) -> str:
    """16 hex of sha1 over the film, the frame id and the mask's bytes (bool H x W, one byte per pixel)."""
    digest = hashlib.sha1(f"{film}\0{frame_id}\0{mask.shape[0]}x{mask.shape[1]}\0".encode())
    digest.update(np.ascontiguousarray(mask, dtype=bool).tobytes())
    return digest.hexdigest()[:16]


def mask_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """x0, y0, x1, y1 (exclusive ends) of the mask's pixels (from its occupied rows and columns: no index arrays
    of every pixel, which at 1080p cost more than the rest of a cut-out)."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def soft_alpha(mask: np.ndarray, feather_frac: float) -> np.ndarray:
    """uint8 alpha: the mask with a blurred edge whose width scales with the mask's size."""
    x0, y0, x1, y1 = mask_box(mask)
    radius = max(1, round(feather_frac * max(x1 - x0, y1 - y0)))
    alpha = cv2.GaussianBlur(mask.astype(np.float32), (2 * radius + 1, 2 * radius + 1), 0)
    return np.clip(np.round(alpha * 255), 0, 255).astype(np.uint8)


def cutout(rgb: np.ndarray, mask: np.ndarray, margin_frac: float, feather_frac: float,
           alpha: np.ndarray | None = None):
    """(RGBA crop, (cx0, cy0, cx1, cy1) crop window in frame pixels, alpha crop). ``alpha`` (uint8, frame-sized,
    e.g. from assets/instances/matting.py) is used as is; without it the mask's edge is feathered."""
    height, width = mask.shape
    x0, y0, x1, y1 = mask_box(mask)
    margin = max(2, round(margin_frac * max(x1 - x0, y1 - y0)))
    cx0, cy0, cx1, cy1 = max(0, x0 - margin), max(0, y0 - margin), min(width, x1 + margin), min(height, y1 + margin)
    alpha = (soft_alpha(mask, feather_frac) if alpha is None else alpha)[cy0:cy1, cx0:cx1]
    return rgba_of(rgb[cy0:cy1, cx0:cx1], alpha), (cx0, cy0, cx1, cy1), alpha


def rgba_of(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``np.dstack([rgb, alpha])`` (uint8 H x W x 3 and H x W, views of a frame allowed): the same array, made by
    OpenCV's RGB -> RGBA conversion with the alpha written into it; numpy's channel concatenation copies pixel by
    pixel, about 10x the CPU on a 1080p cut-out (2.9 against 0.3 ms; docs/film_scale.md, session 48)."""
    if not rgb.size:
        return np.dstack([rgb, alpha])
    rgba = cv2.cvtColor(rgb, cv2.COLOR_RGB2RGBA)
    rgba[:, :, 3] = alpha
    return rgba


BLUR_MAX_SIDE = 256  # sharpness is judged on the cut-out scaled down to at most this size


def sharpness(rgb: np.ndarray, mask: np.ndarray) -> float:
    """Variance of the Laplacian over the instance's inner pixels (edge against the background excluded), on the
    crop scaled down to at most BLUR_MAX_SIDE: the same sharp edge spread over more pixels has a lower variance,
    so without it a large, crisp, smoothly shaded 3D character would score as blurrier than a small noisy crop."""
    x0, y0, x1, y1 = mask_box(mask)
    grey = cv2.cvtColor(rgb[y0:y1, x0:x1], cv2.COLOR_RGB2GRAY)
    crop_mask = mask[y0:y1, x0:x1].astype(np.uint8)
    scale = BLUR_MAX_SIDE / max(grey.shape)
    if scale < 1.0:
        size = (max(2, round(grey.shape[1] * scale)), max(2, round(grey.shape[0] * scale)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
        crop_mask = cv2.resize(crop_mask, size, interpolation=cv2.INTER_NEAREST)
    inner = cv2.erode(crop_mask, np.ones((5, 5), np.uint8)).astype(bool)
    if inner.sum() < 16:
        inner = crop_mask.astype(bool)
    return float(cv2.Laplacian(grey, cv2.CV_64F)[inner].var()) if inner.sum() > 1 else 0.0


# the widest frame whose cel fills are measured at its own size (wider ones are shrunk to it). resources/cel_fills'
# constants are pixels of a 320 px wide frame (resources/style shrinks a whole frame to it), but at 320 px a drawn
# character of a fifth of the frame's height loses its fills (the tune Sita composites: painted 0.00 at 320 px,
# 0.11-0.14 at 640, 0.28-0.30 at their own 853-1129 px), and a cut is judged alone, not a whole frame
CEL_FILLS_MAX_WIDTH = 960


def frame_cel_fills(rgb: np.ndarray) -> np.ndarray:
    """bool map of the frame's cel fills (resources/cel_fills.cel_fill_map: flat colours with crisp borders beside
    each other, as drawn figures are painted), on the frame at its own size up to ``CEL_FILLS_MAX_WIDTH`` wide."""
    from resources.cel_fills import cel_fill_map

    height, width = rgb.shape[:2]
    if width <= CEL_FILLS_MAX_WIDTH:
        return cel_fill_map(rgb)
    size = (CEL_FILLS_MAX_WIDTH, max(2, round(height * CEL_FILLS_MAX_WIDTH / width)))
    return cel_fill_map(area_resized(rgb, *size))


def painted_share(fills: np.ndarray, mask: np.ndarray) -> float:
    """Share of the mask's pixels on cel fills (``frame_cel_fills``), the mask shrunk to the map's size: a drawn
    character's cut is painted (the tune Sita composites' face-less cuts 0.12-0.29), a rendered or filmed one is not
    (every kept Sintel trailer cut 0.00-0.08)."""
    small = cv2.resize(mask.astype(np.uint8), (fills.shape[1], fills.shape[0]), interpolation=cv2.INTER_NEAREST) > 0
    area = np.count_nonzero(small)
    return float(np.count_nonzero(fills & small) / area) if area else 0.0


# Overlays of taller frames are drawn on the frame scaled to this many rows: a picture to look at (the review UI, the
# asset's preview), which at 1080p cost about 25 CPU-ms a frame to tint and encode at full size
OVERLAY_MAX_HEIGHT = 540


def overlay(rgb: np.ndarray, masks: list[np.ndarray], labels: list[str],
            max_height: int | None = OVERLAY_MAX_HEIGHT) -> np.ndarray:
    """A BGR visualisation: each instance tinted in its colour, its box and its number; a frame taller than
    ``max_height`` rows (None: no limit) is drawn scaled down to it (the frame by area, the masks nearest)."""
    height, width = rgb.shape[:2]
    if max_height and height > max_height:
        size = (max(1, round(width * max_height / height)), max_height)
        rgb = area_resized(rgb, *size)
        masks = [cv2.resize(m.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0 for m in masks]
    # tinted in float32 on the instances' pixels only (the same values as tinting a float copy of the frame)
    tinted = rgb.copy()
    where = np.flatnonzero(np.any(masks, axis=0)) if masks else np.zeros(0, np.intp)
    pixels = tinted.reshape(-1, 3)[where].astype(np.float32)
    for i, mask in enumerate(masks):
        inside = mask.reshape(-1)[where]
        pixels[inside] = 0.55 * pixels[inside] + 0.45 * np.array(PALETTE[i % len(PALETTE)], np.float32)
    tinted.reshape(-1, 3)[where] = pixels.astype(np.uint8)
    bgr = cv2.cvtColor(tinted, cv2.COLOR_RGB2BGR)
    thickness = max(1, round(max(rgb.shape[:2]) / 400))
    for i, (mask, label) in enumerate(zip(masks, labels)):
        if not mask.any():   # a sliver the scaling lost
            continue
        x0, y0, x1, y1 = mask_box(mask)
        colour = tuple(int(c) for c in PALETTE[i % len(PALETTE)][::-1])
        cv2.rectangle(bgr, (x0, y0), (x1 - 1, y1 - 1), colour, thickness)
        cv2.putText(bgr, label, (x0 + 2, max(12, y0 + 12 * thickness)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.4 * thickness, colour, thickness, cv2.LINE_AA)
    return bgr


def inpaint_occlusion(rgb: np.ndarray, mask: np.ndarray, others: np.ndarray, radius: int = 5):
    """Fills the part of a character hidden by other characters (OpenCV Telea inpainting): the hidden part is
    where the mask's convex hull meets another instance. Returns (rgb, extended mask, inpainted pixel count);
    the occluders' own pixels are never used as a source."""
    points = cv2.findNonZero(mask.astype(np.uint8))
    hull = np.zeros(mask.shape, np.uint8)
    if points is not None:
        cv2.fillConvexPoly(hull, cv2.convexHull(points), 1)
    hidden = hull.astype(bool) & others & ~mask
    if not hidden.any():
        return rgb, mask, 0
    filled = cv2.inpaint(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), others.astype(np.uint8) * 255, radius,
                         cv2.INPAINT_TELEA)
    out = rgb.copy()
    out[hidden] = cv2.cvtColor(filled, cv2.COLOR_BGR2RGB)[hidden]
    return out, mask | hidden, int(hidden.sum())


EDGES = ("left", "top", "right", "bottom")


def frame_edges_touched(mask: np.ndarray, margin_px: int = 1) -> list[str]:
    """The frame edges (left, top, right, bottom) the mask reaches within ``margin_px``: there the frame cuts
    the character, so its cut-out ends in a straight line."""
    hits = (mask[:, :margin_px].any(), mask[:margin_px].any(), mask[:, -margin_px:].any(), mask[-margin_px:].any())
    return [edge for edge, hit in zip(EDGES, hits) if hit]


def occlusion(mask: np.ndarray, others: list[np.ndarray]) -> tuple[float, list[int]]:
    """(share of the character hidden, indices of the ``others`` that hide it). The hidden part is where the
    mask's convex hull meets another instance (the same rule inpaint_occlusion fills). Worked out on the mask's box,
    which holds its hull (at 1080p the whole frame cost 6x as much), from the hull of its outer contours' points
    (the same hull as of all its pixels, from a few hundred points instead of every pixel)."""
    if not others or not mask.any():
        return 0.0, []
    x0, y0, x1, y1 = mask_box(mask)
    own = mask[y0:y1, x0:x1]
    contours, _ = cv2.findContours(own.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hull = np.zeros(own.shape, np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(np.concatenate(contours)), 1)
    outside = hull.astype(bool) & ~own
    hidden = [outside & other[y0:y1, x0:x1] for other in others]
    hidden_px = int(np.count_nonzero(np.any(hidden, axis=0)))
    area = np.count_nonzero(own)
    # an other instance counts as an occluder when it hides a visible share, not a few border pixels
    by = [i for i, part in enumerate(hidden) if np.count_nonzero(part) >= max(16, 0.01 * area)]
    return (hidden_px / float(area + hidden_px) if by else 0.0), by
