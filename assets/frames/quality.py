"""Frame quality measures and near-duplicate removal. Pure numpy / OpenCV."""

from dataclasses import dataclass

import cv2
import numpy as np

from assets.frames.canvas_match import Canvas, same_picture

SHARPNESS_WIDTH = 512  # sharpness is measured at a fixed width so thresholds do not depend on resolution
COLOUR_CHROMA = 4.0  # a frame whose mean channel spread reaches this is in colour (JPEG noise on grey stays below 2)
# An image folder's cut-outs (RGBA sprites) and figures on a plain canvas are compared by their figure, not their
# canvas: the canvas's hash of a figure on white held different poses of one sprite together (13 of 42 Kenney tune
# sprites dropped as duplicates of another pose). The figure's box, padded to a square, is compared at FIGURE_SIDE.
FIGURE_SIDE = 64
FIGURE_CANVAS_TOLERANCE = 24   # a pixel this far from the canvas colour (max over channels, 0-255) is the figure's
FIGURE_CANVAS_SHARE = 0.9      # an opaque image is a plain canvas when this share of its border ring is one colour
FIGURE_CHANGE_LEVEL = 32       # a thumbnail pixel changed by this much (max over channels) differs ...
FIGURE_MAX_CHANGED = 0.005     # ... and two figures are duplicates when at most this share of their pixels differs
# Only figures whose 16 px grey thumbnails differ by at most this RMS (0-255) are compared pixel by pixel: true copies
# (resized, re-encoded, grey) differ by 0.1-2.9, the closest Kenney poses by 6-17. Keeps a folder of thousands of
# cut-outs near linear (800 figures: 87 CPU-s compared pixel by pixel, all against all).
FIGURE_COARSE_SIDE = 16
FIGURE_COARSE_RMS = 12.0


@dataclass(frozen=True)
class FrameQuality:
    sharpness: float  # variance of the Laplacian of the grey frame scaled to 512 px wide
    brightness: float  # mean grey level, 0-255
    contrast: float  # grey-level standard deviation
    phash: int  # 64-bit perceptual hash (DCT of a 32x32 grey thumbnail)
    chroma: float = 0.0  # mean max-min channel spread over every 8th pixel, 0-255: 0 for a black-and-white frame


def measure(bgr: np.ndarray) -> FrameQuality:
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    height, width = grey.shape
    scaled = cv2.resize(grey, (SHARPNESS_WIDTH, max(1, round(height * SHARPNESS_WIDTH / width))),
                        interpolation=cv2.INTER_AREA)
    _, laplacian_std = cv2.meanStdDev(cv2.Laplacian(scaled, cv2.CV_32F))
    mean, std = cv2.meanStdDev(grey)
    # a larger frame's hash averages the 512 px copy: the same 32x32 box means, without OpenCV's slow
    # non-integer area resize of a whole 1080p frame (7 of the 12 CPU-ms measure took)
    sample = bgr[::8, ::8]
    chroma = float((sample.max(axis=2) - sample.min(axis=2)).mean()) if bgr.ndim == 3 else 0.0
    return FrameQuality(float(laplacian_std[0, 0]) ** 2, float(mean[0, 0]), float(std[0, 0]),
                        perceptual_hash(scaled if width > SHARPNESS_WIDTH else grey), chroma)


def perceptual_hash(grey: np.ndarray) -> int:
    """pHash as in imagehash.phash: DCT of a 32x32 thumbnail, top-left 8x8 against their median."""
    thumb = cv2.resize(grey, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    low = cv2.dct(thumb)[:8, :8]
    bits = (low > np.median(low)).flatten()
    return int(np.packbits(bits).view(">u8")[0])


def quality_drop_reason(q: FrameQuality, min_sharpness: float, min_brightness: float,
                        min_contrast: float) -> str | None:
    if q.brightness < min_brightness:
        return "dark"
    if q.contrast < min_contrast:
        return "low_contrast"
    if q.sharpness < min_sharpness:
        return "blurry"
    return None


def hamming(a: np.ndarray, b: int) -> np.ndarray:
    """Bit distance between each 64-bit hash in ``a`` and the hash ``b``."""
    xor = np.bitwise_xor(a.astype(np.uint64), np.uint64(b))
    return np.unpackbits(xor.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)


@dataclass(frozen=True)
class Figure:
    """A cut-out's or plain-canvas image's figure: its box padded to a square on white, FIGURE_SIDE px, BGR."""
    thumbnail: np.ndarray
    colour: bool  # compared in colour only with another colour figure (a grey copy is its original's duplicate)
    grey: np.ndarray  # the thumbnail in grey, for the comparisons with a grey figure
    coarse: np.ndarray  # the grey thumbnail at FIGURE_COARSE_SIDE, float32, flat: which figures to compare at all


def figure(bgr: np.ndarray, cutout: bool, colour: bool) -> Figure | None:
    """The figure of an image laid on white from its alpha (``cutout``) or of an opaque image whose border ring is one
    colour: the pixels away from that canvas colour, their box padded to a square. None for a busy canvas (a frame,
    a photograph) or an image without a figure."""
    height, width = bgr.shape[:2]
    ring = max(1, round(0.01 * max(height, width)))
    if cutout:
        canvas = np.array([255, 255, 255], dtype=np.uint8)
    else:
        border = np.concatenate([bgr[:ring].reshape(-1, 3), bgr[-ring:].reshape(-1, 3),
                                 bgr[:, :ring].reshape(-1, 3), bgr[:, -ring:].reshape(-1, 3)]).astype(np.int16)
        canvas = np.median(border, axis=0).astype(np.uint8)
        if np.mean(np.abs(border - canvas).max(axis=1) <= FIGURE_CANVAS_TOLERANCE) < FIGURE_CANVAS_SHARE:
            return None
    away = cv2.absdiff(bgr, np.broadcast_to(canvas, bgr.shape).copy())
    mask = (cv2.max(cv2.max(away[:, :, 0], away[:, :, 1]), away[:, :, 2]) > FIGURE_CANVAS_TOLERANCE).astype(np.uint8)
    points = cv2.findNonZero(mask)
    if points is None:
        return None
    x, y, w, h = cv2.boundingRect(points)
    side = max(w, h)
    square = np.full((side, side, 3), 255, dtype=np.uint8)
    box = bgr[y:y + h, x:x + w].copy()
    box[mask[y:y + h, x:x + w] == 0] = 255  # the canvas is white whatever its colour: only the figure compares
    square[(side - h) // 2:(side - h) // 2 + h, (side - w) // 2:(side - w) // 2 + w] = box
    interpolation = cv2.INTER_AREA if side > FIGURE_SIDE else cv2.INTER_LINEAR
    thumbnail = cv2.resize(square, (FIGURE_SIDE, FIGURE_SIDE), interpolation=interpolation)
    grey = cv2.cvtColor(thumbnail, cv2.COLOR_BGR2GRAY)
    coarse = cv2.resize(grey.astype(np.float32), (FIGURE_COARSE_SIDE, FIGURE_COARSE_SIDE), interpolation=cv2.INTER_AREA)
    return Figure(thumbnail, colour, grey, coarse.ravel())


def figure_changes(target: Figure, others: list[Figure]) -> np.ndarray:
    """For each of ``others``, the share of its and ``target``'s pixels that differ by FIGURE_CHANGE_LEVEL, counted
    in areas of at least 3 x 3 thumbnail pixels (a morphological opening): a resized or re-encoded copy shifts edges
    by under a pixel (0 here), another pose moves a limb (Kenney's walk2 and walk6, 2.6 % of the sprite's pixels:
    0.013-0.035). In grey where either figure is."""
    if not others:
        return np.zeros(0)
    both_colour = np.array([target.colour and other.colour for other in others])[:, None, None]
    colour = np.stack([other.thumbnail for other in others]).astype(np.int16)
    grey = np.stack([other.grey for other in others]).astype(np.int16)
    own_colour, own_grey = target.thumbnail.astype(np.int16), target.grey.astype(np.int16)
    difference = np.where(both_colour, np.abs(colour - own_colour).max(axis=3), np.abs(grey - own_grey))
    changed = _opened(difference >= FIGURE_CHANGE_LEVEL)
    lightest = np.where(both_colour, np.minimum(colour.min(axis=3), own_colour.min(axis=2)),
                        np.minimum(grey, own_grey))
    union = 255 - lightest > FIGURE_CANVAS_TOLERANCE  # a pixel of either figure (the canvas is white)
    counts = union.sum(axis=(1, 2))
    return np.where(counts > 0, (changed & union).sum(axis=(1, 2)) / np.maximum(counts, 1), 0.0)


def _opened(masks: np.ndarray) -> np.ndarray:
    """A 3 x 3 opening of each of the (K, H, W) masks, the image's border ignored (as OpenCV's default)."""
    def extreme(values: np.ndarray, pick) -> np.ndarray:
        padded = np.pad(values, ((0, 0), (1, 1), (1, 1)), mode="edge")
        height, width = values.shape[1:]
        return pick([padded[:, dy:dy + height, dx:dx + width] for dy in range(3) for dx in range(3)], axis=0)
    return extreme(extreme(masks, np.min), np.max)


def near_duplicates(hashes: list[int], sharpness: list[float], max_distance: int,
                    preferred: list[bool] | None = None,
                    figures: list[Figure | None] | None = None,
                    canvases: list[Canvas | None] | None = None) -> dict[int, int]:
    """Groups near-duplicate frames and keeps the sharpest of each group.

    Returns {dropped index: index of the kept frame it duplicates}. Greedy in order of decreasing sharpness,
    so a kept frame is at least as sharp as every frame it stands for; with ``preferred``, those frames
    come first, each kind by sharpness (an image set's colour original before its black-and-white copy, whose grey hash is the same).
    Two frames that both have a ``figures`` entry are duplicates when their figures are (``figure_changes`` at most
    FIGURE_MAX_CHANGED), whatever their canvases' hashes; other pairs compare hashes, and with ``canvases`` (an
    image folder's) two that both have one are near-duplicates only when they are also one picture pixel by pixel
    (canvas_match.same_picture).
    """
    order = np.argsort(-np.asarray(sharpness, dtype=np.float64), kind="stable")
    if preferred is not None:
        order = order[np.argsort(~np.asarray(preferred, dtype=bool)[order], kind="stable")]
    kept_idx: list[int] = []
    kept_hashes = np.empty(0, dtype=np.uint64)
    kept_figures: list[int] = []  # positions in kept_idx of the kept frames with a figure
    kept_coarse = np.empty((len(hashes), FIGURE_COARSE_SIDE * FIGURE_COARSE_SIDE), dtype=np.float32)
    dropped: dict[int, int] = {}
    for i in order:
        own = figures[i] if figures is not None else None
        if kept_hashes.size:
            distances = hamming(kept_hashes, hashes[i])
            if own is not None and kept_figures:
                distances[kept_figures] = max_distance + 1
                coarse = kept_coarse[:len(kept_figures)]
                close = np.flatnonzero(np.sqrt(np.mean((coarse - own.coarse) ** 2, axis=1)) <= FIGURE_COARSE_RMS)
                both = [kept_figures[k] for k in close]
                same = figure_changes(own, [figures[kept_idx[k]] for k in both]) <= FIGURE_MAX_CHANGED
                distances[both] = np.where(same, 0, max_distance + 1)
            own_canvas = canvases[i] if canvases is not None else None
            if own_canvas is not None:
                by_figure = set(kept_figures) if own is not None else set()
                for k in np.flatnonzero(distances <= max_distance):
                    other = canvases[kept_idx[k]]
                    if k not in by_figure and other is not None and not same_picture(own_canvas, other):
                        distances[k] = max_distance + 1
            nearest = int(np.argmin(distances))
            if distances[nearest] <= max_distance:
                dropped[int(i)] = kept_idx[nearest]
                continue
        if own is not None:
            kept_coarse[len(kept_figures)] = own.coarse
            kept_figures.append(len(kept_idx))
        kept_idx.append(int(i))
        kept_hashes = np.append(kept_hashes, np.uint64(hashes[i]))
    return dropped
