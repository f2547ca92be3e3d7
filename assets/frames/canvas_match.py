"""Whether two images of a folder whose perceptual hashes are close are the same picture. Pure numpy / OpenCV.

The hash (quality.perceptual_hash) reads a 32 x 32 grey thumbnail's lowest frequencies: the layout of the whole
canvas. Two composites on one background frame with another character pasted on each (Kenney tune sets redrawn from
seeds 31-36: 15 of 15 busy-canvas images the frames stage dropped at distance 4-8 were another character or pose)
read as one, while a resized, re-encoded, grey or slightly cropped copy is still one picture. So a pair the hash calls
near-duplicates must also match pixel by pixel: both images at the smaller one's size (at most CANVAS_SIDE wide), a
pixel of either changed when no pixel of the other within CANVAS_SHIFT thumbnail pixels comes within
CANVAS_CHANGE_LEVEL of it (in colour when both are, in grey otherwise), counted in areas of at least 3 x 3 pixels.
Measured (tune sets only): true copies (40-300 px resizes, 4000 px upscale, JPEG q15, CMYK, 16-bit, grey, 1-2 %
crops, 1 degree turns, 1 % shifts, gamma) 0.000-0.008 of the pixels; another character or pose pasted on the same
frame 0.053-0.185. Video frames keep the hash alone (the frames stage passes no canvases for them).
"""

from dataclasses import dataclass

import cv2
import numpy as np

CANVAS_SIDE = 128          # the comparison's width at most (a smaller image is compared at its own size)
CANVAS_SHIFT = 2           # a pixel may move this far (thumbnail pixels) in a copy: crops, turns, resampling
CANVAS_CHANGE_LEVEL = 32   # max over channels (0-255) beyond which a pixel differs
CANVAS_MAX_CHANGED = 0.02  # two images are one picture when at most this share of their pixels differs


@dataclass(frozen=True)
class Canvas:
    """An image's thumbnail, at most CANVAS_SIDE wide, BGR uint8, and whether the image is in colour."""
    thumbnail: np.ndarray
    colour: bool


def canvas(bgr: np.ndarray, colour: bool) -> Canvas:
    height, width = bgr.shape[:2]
    side = min(CANVAS_SIDE, width)
    size = (side, max(1, round(height * side / width)))
    interpolation = cv2.INTER_AREA if side < width else cv2.INTER_LINEAR
    return Canvas(cv2.resize(bgr, size, interpolation=interpolation), colour)


def canvas_changes(a: Canvas, b: Canvas) -> float:
    """The share of the pixels of ``a`` and ``b``, the larger resized to the smaller, that differ (module doc)."""
    first, second = a.thumbnail, b.thumbnail
    if first.shape[1] > second.shape[1]:
        first, second = second, first
    second = cv2.resize(second, (first.shape[1], first.shape[0]), interpolation=cv2.INTER_AREA)
    if not (a.colour and b.colour):
        first = cv2.cvtColor(first, cv2.COLOR_BGR2GRAY)[:, :, None]
        second = cv2.cvtColor(second, cv2.COLOR_BGR2GRAY)[:, :, None]
    first, second = first.astype(np.int16), second.astype(np.int16)
    changed = (_nearest_difference(first, second) >= CANVAS_CHANGE_LEVEL) | \
              (_nearest_difference(second, first) >= CANVAS_CHANGE_LEVEL)
    opened = cv2.morphologyEx(changed.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    return float(opened.mean())


def _nearest_difference(image: np.ndarray, other: np.ndarray) -> np.ndarray:
    """For each pixel of ``image``, its smallest difference (max over channels) to ``other``'s pixels within
    CANVAS_SHIFT."""
    height, width = image.shape[:2]
    reach = CANVAS_SHIFT
    padded = np.pad(other, ((reach, reach), (reach, reach), (0, 0)), mode="edge")
    nearest = np.full((height, width), np.iinfo(np.int16).max, dtype=np.int16)
    for dy in range(2 * reach + 1):
        for dx in range(2 * reach + 1):
            difference = np.abs(image - padded[dy:dy + height, dx:dx + width]).max(axis=2)
            np.minimum(nearest, difference, out=nearest)
    return nearest


def same_picture(a: Canvas, b: Canvas) -> bool:
    return canvas_changes(a, b) <= CANVAS_MAX_CHANGED
