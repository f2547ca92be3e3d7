"""Cel fills: how much of a frame is drawn figures painted in flat colour, wherever they stand. No Dagster.

The outline measure of ``resources/style.py`` reads the whole frame, so a drawn character on a painted or rendered
background (soft, textured, shaded) is outvoted by the background, and characters drawn without dark ink lines
(flat-colour "vector" designs) are not seen at all. What every drawn character has is cel paint: regions of one flat
colour that meet other flat colours at a crisp step (a drawn eye in a face, hair against skin, a shirt against
trousers). A rendered or filmed frame has flat regions too (a clear sky, a blurred background, crushed shadows), but
they fade out at their borders, drift in colour across their extent, or stand alone among texture.

``cel_fill_share`` takes the frame as ``resources/style`` shrinks it (320 px wide, bars cut off) and returns the
share of its pixels in cel fills: 4-connected regions where the Lab colour is locally flat (3 x 3 std under
``FLAT_STD``, gradient under ``SOFT_GRADIENT`` levels a pixel, so a fill stops at any colour step, not only at a
luminance edge) that are

- at least ``MIN_FILL_PIXELS`` large (smaller ones are noise, sparkles and text strokes),
- of one colour (Lab std over the whole region under ``FILL_COLOUR_STD``: a gradient sky or a soft ramp is not),
- not a crushed shadow (mean L at least ``DARK_FILL_L`` of 255: night scenes clip to flat black),
- crisply bounded (``CRISP_BOUNDARY`` of the region's border within 2 px of a step of ``CRISP_GRADIENT`` levels a
  pixel or more, as a painted edge is; a blurred region's border fades),
- and beside another such fill (within ``FILL_GAP`` pixels; a partner may be as small as ``MIN_PARTNER_PIXELS``, a
  drawn eye or buckle): a figure is a mosaic of fills; a lone flat patch in a rendered scene is not.

Measured over the tune films (bench/kenney_film.py's drawn characters on Sintel / Big Buck Bunny / Penny & Chip
backgrounds, Penny & Chip, the Sintel trailer, Big Buck Bunny, PySceneDetect's test video), docs/anime_2d.md
"Session 24 (d3)". About 3 CPU-ms a frame on top of the outline measure (6 before session 37's exact rewrite,
docs/film_scale.md "Session 37 (h20)").
"""

import cv2
import numpy as np

FLAT_STD = 4.0           # 3 x 3 Lab std (largest channel) under which a pixel is flat
SOFT_GRADIENT = 3.0      # Lab levels a pixel (largest channel) under which a flat pixel joins a fill
CRISP_GRADIENT = 12.0    # levels a pixel at a painted edge (a 25+ level step over two pixels)
CRISP_BOUNDARY = 0.5     # share of a fill's border next to a crisp step
MIN_FILL_PIXELS = 20     # at 320 px wide
MIN_PARTNER_PIXELS = 8   # a smaller fill still pairs a larger one (a drawn eye, a buckle, a small figure's parts)
FILL_COLOUR_STD = 8.0    # Lab std over the whole fill
DARK_FILL_L = 40         # mean L (0-255) from which a fill is paint, not a crushed shadow
FILL_GAP = 4             # pixels between two fills of one figure (the step between them and the 3 x 3 window)


def _squared_steps(lab: np.ndarray) -> np.ndarray:
    """float32 per pixel: the largest channel's squared Sobel step, dx * dx + dy * dy, of the uint8 Lab image: exact
    integers (a step is at most 4 * 255 levels). Its square root over 8 is the largest channel's Sobel gradient in
    levels a pixel, ``np.hypot(dx, dy) / 8`` (of integer steps ``np.hypot`` is the correctly rounded root of their
    exact sum of squares), so ``_step_bound`` compares it with no root taken (tests/unit/test_cel_fills_exact.py)."""
    dx = cv2.Sobel(lab, cv2.CV_32F, 1, 0, ksize=3)
    dy = cv2.Sobel(lab, cv2.CV_32F, 0, 1, ksize=3)
    squared = np.add(np.multiply(dx, dx, out=dx), np.multiply(dy, dy, out=dy), out=dx).reshape(-1, 3)
    largest = np.maximum(squared[:, 0], squared[:, 1])
    return np.maximum(largest, squared[:, 2], out=largest).reshape(lab.shape[:2])


def _step_bound(levels: float) -> float:
    """The squared Sobel step (``_squared_steps``) at which the Sobel gradient reaches ``levels`` levels a pixel."""
    return (8 * levels) ** 2


def cel_fill_share(small_rgb: np.ndarray) -> float:
    """Share of the pixels of ``small_rgb`` (RGB uint8, already shrunk) in cel fills; see the module docstring."""
    fills = cel_fill_map(small_rgb)
    return float(np.count_nonzero(fills) / fills.size)


def cel_fill_map(rgb: np.ndarray) -> np.ndarray:
    """bool image, true on the pixels of ``rgb`` (RGB uint8) in cel fills (the module docstring); the constants are
    pixels of a 320 px wide frame."""
    from resources.region_sums import colour_sums

    lab_levels = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    lab = lab_levels.astype(np.float32)
    mean, square = cv2.blur(lab, (3, 3)), cv2.blur(lab * lab, (3, 3))
    spread = np.subtract(square, np.multiply(mean, mean, out=mean), out=square)   # float32, as before
    # the largest channel's 3 x 3 std: the square root of the largest variance (sqrt is monotone: the same value)
    local_std = np.sqrt(np.maximum(np.maximum(np.maximum(spread[..., 0], spread[..., 1]), spread[..., 2]), 0))
    steps = _squared_steps(lab_levels)
    flat = ((local_std < FLAT_STD) & (steps < _step_bound(SOFT_GRADIENT))).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(flat, connectivity=4)
    if count <= 1:
        return np.zeros(flat.shape, bool)
    crisp = cv2.dilate((steps >= _step_bound(CRISP_GRADIENT)).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    border = (flat > 0) & (cv2.erode(flat, np.ones((3, 3), np.uint8)) == 0)   # the picture's edge is no border
    border_total = np.bincount(labels[border], minlength=count)
    border_crisp = np.bincount(labels[border & crisp], minlength=count)
    # each region's colour sums (float64 sums of uint8 levels and their squares: exact integers, in any order)
    sums, area = colour_sums(lab_levels, labels, count), np.maximum(stats[:, cv2.CC_STAT_AREA], 1)
    means = [sums[c] / area for c in range(3)]
    variance = sum(sums[3 + c] / area - means[c] ** 2 for c in range(3))
    paint = ((stats[:, cv2.CC_STAT_AREA] >= MIN_PARTNER_PIXELS) & (border_total > 0)
             & (border_crisp >= CRISP_BOUNDARY * border_total)
             & (np.sqrt(np.maximum(variance, 0)) < FILL_COLOUR_STD) & (means[0] >= DARK_FILL_L))
    paint[0] = False   # not flat
    fill = paint & (stats[:, cv2.CC_STAT_AREA] >= MIN_FILL_PIXELS)
    if not fill.any():
        return np.zeros(flat.shape, bool)
    # beside another fill: within FILL_GAP pixels some pixel of another fill (largest and smallest label around)
    fill_labels = np.where(paint[labels], labels, 0).astype(np.float32)
    window = np.ones((2 * FILL_GAP + 1, 2 * FILL_GAP + 1), np.uint8)
    largest = cv2.dilate(fill_labels, window)
    smallest = cv2.erode(np.where(fill_labels > 0, fill_labels, np.float32(count)), window)
    inside = fill_labels > 0
    touching = inside & ((largest != fill_labels) | (smallest < fill_labels))
    paired = np.bincount(fill_labels[touching].astype(np.int64), minlength=count) > 0
    return (fill & paired)[labels]
