"""A coarse character mask's edge re-cut at the source resolution (a frame larger than EDGE_MAX_SIDE is re-cut
scaled down to it and its masks scaled back up; the matting then works at the source): the offline segmenter cuts
each character with GrabCut on a window of at most 256 px, so the mask scaled back up has a rounded, blocky edge a
few pixels off the character's outline. A second GrabCut on the frame's own pixels, free only in a thin band
around that edge (sure character inside the band, sure background outside), snaps the edge to the image's edges
while the colour models learn from the character and the background right beside it.

Measured on the composites with seeded GrabCut (bench/composites.py --split tune --preset anime, with the region
scale of character_regions.py): mean IoU 0.801 -> 0.806, edge-band alpha error 0.199 -> 0.182; +0.08 CPU s per 480p
frame. Unseeded, the same change read 0.810 -> 0.829: GrabCut's random start alone moves the figure by 0.02.
One GrabCut iteration in the band, not two: the same masks within 0.0003 mean IoU on both splits, and 0.04-0.06 CPU s
less per frame (the thin band's colour models settle at once).

Images are BGR uint8 (OpenCV order); masks bool, same size.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import cv2
import numpy as np

log = logging.getLogger(__name__)


GRABCUT_SEED = 0x5E6  # GrabCut's k-means starts from OpenCV's shared random state: one seed per call makes a
# character's mask depend on its own pixels only, not on how many GrabCut calls ran before it
GRABCUTS = ("compiled", "opencv")  # the segmenter's `grabcut` setting: grabcut_compiled.py (default) or cv2.grabCut
_grabcut: ContextVar[str] = ContextVar("grabcut", default=GRABCUTS[0])


def checked_grabcut(name: str) -> str:
    """``name`` when it is one of GRABCUTS, else a ValueError naming the choices."""
    if name not in GRABCUTS:
        raise ValueError(f"unknown GrabCut backend {name!r}: one of {', '.join(GRABCUTS)}")
    return name


@contextmanager
def grabcut_backend(name: str) -> Iterator[None]:
    """Every ``seeded_grabcut`` inside the block runs on ``name`` (one of GRABCUTS): the same labels, other CPU."""
    token = _grabcut.set(checked_grabcut(name))
    try:
        yield
    finally:
        _grabcut.reset(token)


def seeded_grabcut(image: np.ndarray, labels: np.ndarray, iterations: int) -> None:
    """``cv2.grabCut`` initialised with ``labels`` (updated in place), from a fixed random state; by default its
    compiled twin (resources/backends/grabcut_compiled.py: the same labels in about 0.6x the CPU), a call repeated
    inside a ``grabcut_memo.remembered_grabcuts`` block answered from the first."""
    cv2.setRNGSeed(GRABCUT_SEED)
    if _grabcut.get() == "compiled":
        from resources.backends.grabcut_compiled import compiled_grabcut, compiled_start_applies
        from resources.backends.grabcut_memo import call_key, recalled, remember

        # a repeat of an earlier call of the shot gets its labels (grabcut_memo.py); only where the compiled start
        # runs, which leaves OpenCV's random state as the seed set it, as a repeat does
        key = call_key(image, labels, iterations, "compiled") if compiled_start_applies(image, labels, iterations) \
            else None
        if recalled(key, labels):
            return
        compiled_grabcut(image, labels, iterations, GRABCUT_SEED)
        remember(key, labels)
        return
    bg_model, fg_model = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(image, labels, None, bg_model, fg_model, iterations, cv2.GC_INIT_WITH_MASK)


def edge_band_px(frame_height: int) -> int:
    """Half-width of the band GrabCut may move the edge in: 6 px at 480 rows, scaled with the frame (14 at 1080).
    The coarse cut, made on a window of at most 256 px and scaled up, is often 4-8 px off (tune composites: 1.5% of
    a found character's pixels missed and as many taken at 3-8 px from the true edge); 4 px at 480 rows could not
    reach that far (bench/composites.py --scenes 16: 6 px gains 0.002-0.003 mean IoU on every tune run; 8 px lost
    seed 13's gain)."""
    return max(3, round(frame_height / 80))


def refine_edge_band(bgr: np.ndarray, mask: np.ndarray, band: int, iterations: int = 1) -> np.ndarray:
    """``mask`` re-cut by GrabCut at ``bgr``'s resolution, only within ``band`` px of its edge; a mask with no edge
    to move, or a band GrabCut cannot model, comes back unchanged."""
    if not mask.any() or mask.all():
        return mask
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
    grown = cv2.dilate(mask.astype(np.uint8), kernel).astype(bool)
    shrunk = cv2.erode(mask.astype(np.uint8), kernel).astype(bool)
    labels = np.full(mask.shape, cv2.GC_BGD, np.uint8)
    labels[grown] = cv2.GC_PR_BGD
    labels[grown & mask] = cv2.GC_PR_FGD
    labels[shrunk] = cv2.GC_FGD
    if not (labels == cv2.GC_BGD).any() or not (labels == cv2.GC_FGD).any():
        return mask
    try:
        seeded_grabcut(bgr, labels, iterations)
    except cv2.error as error:  # a band of one flat colour: nothing to learn, keep the coarse edge
        log.debug("edge-band grabCut failed on a %s crop: %s", mask.shape, error)
        return mask
    return (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)


def refine_at_source(rgb: np.ndarray, mask: np.ndarray, band: int | None = None) -> np.ndarray:
    """Frame-sized ``mask`` with its edge re-cut on ``rgb`` (the source frame) in the mask's box plus a margin of
    three bands; ``band`` defaults to ``edge_band_px`` of the frame's height."""
    if not mask.any():
        return mask
    band = band or edge_band_px(mask.shape[0])
    rows, cols = mask_window(mask, 3 * band)
    out = mask.copy()
    out[rows, cols] = refine_edge_band(np.ascontiguousarray(rgb[rows, cols, ::-1]), mask[rows, cols], band)
    return out


def mask_window(mask: np.ndarray, pad: int) -> tuple[slice, slice]:
    """(rows, columns) of the box of ``mask``'s pixels (bool, not empty) plus ``pad`` px, inside the frame."""
    height, width = mask.shape
    ys, xs = np.nonzero(mask)
    return (slice(max(0, ys.min() - pad), min(height, ys.max() + pad + 1)),
            slice(max(0, xs.min() - pad), min(width, xs.max() + pad + 1)))


# The edge re-cut runs on the frame scaled to at most this many pixels on its longer side: a 480p frame (854 wide) as
# it is, a 1080p one at half size, where it costs what it costs at 480p (GrabCut's graph is the whole crop, 4x the
# pixels at full 1080p). The masks come from a cut at most 640 px wide, so the cap loses no detail they hold; the
# sub-pixel edge is the matting's (assets/instances/matting.py: guided filter at the source resolution).
EDGE_MAX_SIDE = 960


def refine_apart(rgb: np.ndarray, masks: list[np.ndarray], max_side: int | None = None,
                 band_scale: float = 1.0) -> list[np.ndarray]:
    """Every mask's edge re-cut (``refine_at_source``, in a band ``band_scale`` times ``edge_band_px``) on ``rgb``
    scaled to at most ``max_side`` (default EDGE_MAX_SIDE; a larger frame's masks are scaled back up) while characters
    stay apart: a refined mask gains no pixel another character's mask held before refinement or a character before
    it took."""
    height, width = rgb.shape[:2]
    scale = min(1.0, (max_side or EDGE_MAX_SIDE) / max(height, width))
    if scale >= 1.0 or not masks:
        return _refine_apart(rgb, masks, band_scale)
    size = (round(width * scale), round(height * scale))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    refined = _refine_apart(small, [cv2.resize(m.astype(np.uint8) * 255, size, interpolation=cv2.INTER_AREA) >= 128
                                    for m in masks], band_scale)
    grown = [cv2.resize(m.astype(np.uint8) * 255, (width, height), interpolation=cv2.INTER_LINEAR) >= 128
             for m in refined]
    return _kept_apart(grown, masks)


def _refine_apart(rgb: np.ndarray, masks: list[np.ndarray], band_scale: float = 1.0) -> list[np.ndarray]:
    band = round(band_scale * edge_band_px(rgb.shape[0]))
    return _kept_apart([refine_at_source(rgb, mask, band) for mask in masks], masks)


def _kept_apart(refined: list[np.ndarray], masks: list[np.ndarray]) -> list[np.ndarray]:
    """``refined[i]`` without the pixels another ``masks[j]`` held that ``masks[i]`` did not, nor those an earlier
    refined mask kept."""
    out: list[np.ndarray] = []
    for i, (new, mask) in enumerate(zip(refined, masks)):
        new = new.copy()
        for other in out + masks[i + 1:]:
            new &= ~other | mask
        for other in out:
            new &= ~other
        out.append(new)
    return out
