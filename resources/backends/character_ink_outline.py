"""A drawn character's cut finished on its ink outline (drawn shots only). No Dagster.

A drawn character is closed by a dark ink line, while its cut (GrabCut, then the edge re-cut of
``character_edges.refine_apart``) follows colour: it runs a few pixels past the line into a background of similar
colour, or stops short of it at a fill of the character that looks like the background. ``on_ink_outline`` moves the
cut's edge onto the outline within a band of a few pixels: the background is flooded inwards from beyond the band
through every pixel that is not ink; what the flood reaches is background, what it cannot reach (the ink and the
fills it encloses) is the character.

Guards: a piece of the cut the flood reached goes only where it is a strip beyond the outline (``_behind_ink``):
where the outline is open or absent (a character drawn without ink lines, as Kenney's flat designs; a dark background
that swallows the line; a hand drawn without a line), the flood enters the character and the piece meets the rest of
the cut on paint, so it stays, and a character without ink keeps its cut; the flood is bounded by the band
(``ink_band_px``), and the cut grows by at most ``MAX_GROWTH``, so a room drawn with outlines around the character is
never taken. Ink is a thin dark stroke: grey black-hat (a disc a few line widths across) of at least ``INK_HAT``
levels, its one-pixel gaps closed. Images are RGB uint8 at the frame's size, masks bool.
"""

import cv2
import numpy as np

from resources.backends.character_edges import mask_window

# frame rows per pixel of the band the edge may move in: 4 px at 480 rows. Kenney-free tune composites (Sita and
# Saha, seed 7, 8 scenes, anime preset), mean IoU / boundary F: 3 px 0.8808 / 0.8649, 4 px 0.8812 / 0.8673,
# 6 px 0.8805 / 0.8642 (HEAD 0.8807 / 0.8643)
INK_BAND_ROWS = 120
INK_HAT = 30         # grey levels a stroke is darker than the paint around it (a drawn line; anti-aliased fills: <10)
INK_BORDER = 0.8     # share of a cut-off piece's border with the rest of the cut that is ink, for it to go
STRIP_SHARE = 0.5    # a strip's border with the ink against its border with the background beyond (a leak: ~1)
MAX_GROWTH = 0.1     # the cut may grow by at most this share (enclosed fills, the outline); else it stays


def ink_band_px(frame_height: int) -> int:
    """How far the cut's edge may move onto the outline: 4 px at 480 rows, scaled with the frame (9 at 1080)."""
    return max(2, round(frame_height / INK_BAND_ROWS))


def ink_lines(grey: np.ndarray, line_px: int) -> np.ndarray:
    """bool: the thin dark strokes of ``grey`` (uint8), lines up to about ``line_px`` wide, one-pixel gaps closed."""
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * line_px + 3, 2 * line_px + 3))
    ink = (cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, disc) >= INK_HAT).astype(np.uint8)
    return cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)) > 0


def _disc(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def snapped_to_ink(grey: np.ndarray, mask: np.ndarray, band: int) -> np.ndarray:
    """``mask`` (bool, the size of ``grey``) with its edge on the ink outline within ``band`` px (module docstring);
    unchanged where the outline is open, absent or far away."""
    ink = ink_lines(grey, max(1, band // 2))
    grown = cv2.dilate(mask.astype(np.uint8), _disc(band)) > 0
    inner = cv2.erode(mask.astype(np.uint8), _disc(band)) > 0
    if not inner.any():
        return mask
    passable = ~ink & ~inner
    count, pieces = cv2.connectedComponents(passable.astype(np.uint8), connectivity=4)
    outside = np.zeros(count, bool)
    outside[np.unique(pieces[passable & ~grown])] = True
    outside[0] = False   # label 0: ink and the inner core, never background
    reached = outside[pieces]
    character = grown & ~reached
    # the outline itself: ink next to the character's enclosed paint, not a background line the band crosses
    paint = character & ~ink
    character &= paint | (cv2.dilate(paint.astype(np.uint8), _disc(max(1, band // 2))) > 0)
    out = (mask & ~_behind_ink(mask & reached, mask & ~reached, ink, band, ~mask)) | character
    if out.sum() > (1 + MAX_GROWTH) * mask.sum():
        return mask
    return out


def _behind_ink(cut_off: np.ndarray, rest: np.ndarray, ink: np.ndarray, band: int, beyond: np.ndarray) -> np.ndarray:
    """The pieces of ``cut_off`` (the cut's pixels the background flood reached) that ink parts from ``rest`` (the
    cut's pixels it did not), as a strip beyond the outline is: at least INK_BORDER of the rest's pixels beside the
    piece are ink, as long as STRIP_SHARE of its border with ``beyond`` (the pixels outside the cut), and no pixel of
    the piece is more than ``band`` px from ink. A piece the flood entered through an open or missing outline (a
    finger drawn without a line, a dark background that swallowed it) meets the rest on paint; a hand that a
    bracelet's line parts from the arm reaches further from the line; a fingertip past the line between two fingers
    meets the background along more than that line: all stay."""
    count, pieces = cv2.connectedComponents(cut_off.astype(np.uint8), connectivity=8)
    if count <= 1:
        return cut_off
    beside = cv2.dilate(pieces.astype(np.float32), np.ones((3, 3), np.uint8)).astype(np.int64)
    border = rest & (beside > 0)
    inked = np.bincount(beside[border & ink], minlength=count)
    total = np.bincount(beside[border], minlength=count)
    outer = np.bincount(beside[beyond & (beside > 0)], minlength=count)
    parted = (inked >= INK_BORDER * np.maximum(total, 1)) & (inked >= STRIP_SHARE * outer)
    distance = cv2.distanceTransform((~ink).astype(np.uint8), cv2.DIST_L2, 3)
    parted[np.unique(pieces[distance > band])] = False
    parted[0] = False
    return parted[pieces]


def on_ink_outline(rgb: np.ndarray, mask: np.ndarray, band: int | None = None) -> np.ndarray:
    """Frame-sized ``mask`` snapped to its ink outline (``snapped_to_ink``) in the mask's box plus a margin of three
    bands; ``band`` defaults to ``ink_band_px`` of the frame's height."""
    if not mask.any():
        return mask
    band = band or ink_band_px(mask.shape[0])
    rows, cols = mask_window(mask, 3 * band)
    out = mask.copy()
    out[rows, cols] = snapped_to_ink(cv2.cvtColor(np.ascontiguousarray(rgb[rows, cols]), cv2.COLOR_RGB2GRAY),
                                     mask[rows, cols], band)
    return out


def on_ink_outlines(rgb: np.ndarray, masks: list[np.ndarray]) -> list[np.ndarray]:
    """Every mask snapped to its ink outline (``on_ink_outline``), gaining no pixel another mask holds."""
    if not masks:
        return []
    held = np.sum(masks, axis=0, dtype=np.int32)   # how many cuts hold each pixel
    return [on_ink_outline(rgb, mask) & ((held == mask) | mask) for mask in masks]
