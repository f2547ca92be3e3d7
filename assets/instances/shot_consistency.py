"""The neighbouring-frame cue: a character seen in several key frames of one shot constrains its mask there.

Each frame's masks are compared with the masks of its neighbouring key frames in the same shot, carried over to it
by dense optical flow (Farneback, OpenCV). Where the character is found in both neighbours, each pixel takes the
majority of the three masks: a leak into the background or a missed limb in one frame is outvoted when the two
others agree, while what all three see stays. A mask with fewer than two matched neighbours (the shot's first or
last key frame, a character that only appears once, a cut the flow cannot follow) is left as it is.

Images RGB uint8 H x W x 3; masks bool H x W, frame pixels. numpy / OpenCV only.
"""

from fractions import Fraction

import cv2
import numpy as np

from resources.area_resize import area_resized

FLOW_MAX_SIDE = 480  # flow is estimated on the frame scaled to at most this many pixels on its longer side


def _grey(rgb: np.ndarray, scale: float) -> np.ndarray:
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if scale < 1.0:
        grey = cv2.resize(grey, (round(grey.shape[1] * scale), round(grey.shape[0] * scale)),
                          interpolation=cv2.INTER_AREA)
    return grey


def flow_scale(shape: tuple[int, ...]) -> float:
    """The factor (at most 1) that brings a frame of ``shape`` to the flow's size."""
    return min(1.0, FLOW_MAX_SIDE / max(shape[0], shape[1]))


def grey_at_flow_size(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` as grey at the size the flow is estimated at (``flow_scale``)."""
    return _grey(rgb, flow_scale(rgb.shape))


def small_flow(grey: np.ndarray, neighbour_grey: np.ndarray) -> np.ndarray:
    """Farneback flow between two grey frames already at the flow's size (``grey_at_flow_size``), in their pixels."""
    return cv2.calcOpticalFlowFarneback(grey, neighbour_grey, None, pyr_scale=0.5, levels=4, winsize=21,
                                        iterations=3, poly_n=7, poly_sigma=1.5, flags=0)


def full_size_flow(flow: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A ``small_flow`` brought to a frame of ``shape`` (frame pixels)."""
    height, width = shape[:2]
    scale = flow_scale(shape)
    if scale < 1.0:
        flow = cv2.resize(flow, (width, height), interpolation=cv2.INTER_LINEAR) / scale
    return flow


def full_size_flow_in(small: np.ndarray, shape: tuple[int, ...], window: tuple[int, int, int, int]
                      ) -> np.ndarray | None:
    """``full_size_flow(small, shape)[y0:y1, x0:x1]`` for ``window`` (x0, y0, x1, y1), computed from the part of
    ``small`` around it only: the same values, or None where that cannot be assured (then scale up the whole flow).
    OpenCV's linear resize reads, for output pixel d, source cells floor(f) and +1 with f = (d + 0.5) s - 0.5 and
    s = 1 / (output size / input size) (clamped at the ends): a part that starts on a cell whose output pixel is a
    whole number, whose sizes have the same ratio, and a margin of 2 cells (or the flow's own end) reads the same
    cells with the same weights, as long as s is a dyadic fraction so that every f is exact (1080p: 1/4, 720p: 3/8);
    tests/unit/test_instances_shot_consistency.py compares it with the whole resize on real flows, windows anywhere."""
    height, width = shape[:2]
    x0, y0, x1, y1 = window
    cells, spans = [], []
    for size, count, start, end in ((width, small.shape[1], x0, x1), (height, small.shape[0], y0, y1)):
        ratio = Fraction(count, size)
        dyadic = not ratio.denominator & (ratio.denominator - 1) and ratio.denominator <= 1024
        if not dyadic or 1.0 / (size / count) != count / size:
            return None
        step = count // np.gcd(count, size)   # source cells per aligned block
        first = max(0, (int(start * count // size) - 2) // step * step)
        last = min(count, -(-(int(-(-end * count // size)) + 2) // step) * step)
        cells.append((first, last))
        spans.append(first * size // count)   # the part's first output pixel
    (sx0, sx1), (sy0, sy1) = cells
    ox, oy = spans
    part = small[sy0:sy1, sx0:sx1]
    grown = cv2.resize(part, ((sx1 - sx0) * width // small.shape[1], (sy1 - sy0) * height // small.shape[0]),
                       interpolation=cv2.INTER_LINEAR)[y0 - oy:y1 - oy, x0 - ox:x1 - ox]
    return grown / flow_scale(shape)


def flow_between(rgb: np.ndarray, neighbour: np.ndarray) -> np.ndarray:
    """H x W x 2 float32: for each pixel of ``rgb``, where it lies in ``neighbour`` (dx, dy in frame pixels)."""
    return full_size_flow(small_flow(grey_at_flow_size(rgb), grey_at_flow_size(neighbour)), rgb.shape)


def sample_points(flow: np.ndarray, origin: tuple[int, int] = (0, 0)) -> np.ndarray:
    """H x W x 2 float32: where each pixel's flow points (its own x, y plus the flow), the map ``carry_over`` reads;
    ``origin``: the frame position (x, y) of ``flow``'s first pixel, when ``flow`` is a window of the frame's flow."""
    height, width = flow.shape[:2]
    points = flow.astype(np.float32, copy=True)
    points[..., 0] += np.arange(origin[0], origin[0] + width, dtype=np.float32)
    points[..., 1] += np.arange(origin[1], origin[1] + height, dtype=np.float32)[:, None]
    return points


def carry_over(mask: np.ndarray, flow: np.ndarray, points: np.ndarray | None = None) -> np.ndarray:
    """A neighbour's mask seen from this frame: each pixel takes the neighbour's value where the flow points.
    ``points``: ``sample_points(flow)``, when several masks are carried by one flow."""
    points = sample_points(flow) if points is None else points
    moved = cv2.remap(mask.astype(np.uint8) * 255, points, None, cv2.INTER_LINEAR,
                      borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return moved >= 128


def carry_window(small: np.ndarray, shape: tuple[int, ...], box: tuple[int, int, int, int]
                 ) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1): the part of a frame of ``shape`` outside which ``carry_over`` of a mask whose pixels lie in
    ``box`` (x0, y0, x1, y1, ends exclusive) by ``full_size_flow(small, shape)`` is empty. The full-size flow is
    ``small`` (at most FLOW_MAX_SIDE) scaled up linearly, so a pixel's flow lies between the least and the greatest
    of the small flow around the small pixel it comes from (``cv2.erode`` / ``cv2.dilate`` over 3 x 3); a pixel
    whose flow so bounded cannot reach the box (one pixel wider for the bilinear read, one more for its 1/32 px
    rounding) carries nothing. Windows only the flow's outliers near the mask make large."""
    height, width = shape[:2]
    scale = flow_scale(shape)
    low, high = cv2.erode(small, None) / scale, cv2.dilate(small, None) / scale
    bounds = []
    for axis, (size, cells, start, end) in enumerate(((width, small.shape[1], box[0], box[2]),
                                                      (height, small.shape[0], box[1], box[3]))):
        ratio = cells / size   # OpenCV's inverse scale: pixel p reads small cells floor((p + 0.5) ratio - 0.5) and +1
        index = np.arange(cells)
        first = np.where(index == 0, 0.0, (index + 0.5) / ratio - 1.0)          # the pixels each cell starts from
        last = np.where(index == cells - 1, size, (index + 1.5) / ratio + 1.0)
        bounds.append((first, last, start - 2, end + 1))
    (fx, lx, sx, ex), (fy, ly, sy, ey) = bounds
    reach = ((lx[None, :] + high[..., 0] >= sx) & (fx[None, :] + low[..., 0] <= ex)
             & (ly[:, None] + high[..., 1] >= sy) & (fy[:, None] + low[..., 1] <= ey))
    rows, cols = np.nonzero(reach)
    if not rows.size:
        return 0, 0, 0, 0
    return (max(0, int(np.floor(fx[cols.min()]))), max(0, int(np.floor(fy[rows.min()]))),
            min(width, int(np.ceil(lx[cols.max()])) + 1), min(height, int(np.ceil(ly[rows.max()])) + 1))


def carry_in_window(mask: np.ndarray, flow: np.ndarray, window: tuple[int, int, int, int]) -> np.ndarray:
    """``carry_over(mask, flow)`` computed in ``window`` only (``carry_window``; False outside it): the same pixels,
    since remapping reads each pixel's own sample point."""
    x0, y0, x1, y1 = window
    return carry_by_part(mask, flow[y0:y1, x0:x1], window)


def carry_by_part(mask: np.ndarray, part: np.ndarray, window: tuple[int, int, int, int]) -> np.ndarray:
    """``carry_in_window`` given only the flow's ``part`` in ``window`` (``full_size_flow_in``)."""
    x0, y0, x1, y1 = window
    out = np.zeros(mask.shape, bool)
    if x1 > x0 and y1 > y0:
        out[y0:y1, x0:x1] = carry_over(mask, part, sample_points(part, (x0, y0)))
    return out


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    x, y, w, h = cv2.boundingRect(np.ascontiguousarray(mask).view(np.uint8))
    return x, y, x + w, y + h


def _union(*boxes: tuple[int, int, int, int]) -> tuple[slice, slice]:
    boxes = [b for b in boxes if b[2] > b[0] and b[3] > b[1]] or [(0, 0, 0, 0)]
    return (slice(min(b[1] for b in boxes), max(b[3] for b in boxes)),
            slice(min(b[0] for b in boxes), max(b[2] for b in boxes)))


# A neighbour's carried mask votes only where the flow explains this frame: where the neighbour warped onto it by the
# same flow matches its colours (each channel within EXPLAINED_LEVELS, a mean over EXPLAINED_BLUR pixels at the flow's
# size); elsewhere (what the neighbour's character hid, a limb or hair that moved further than the flow followed) the
# frame's own mask stands there. Without it, on the Sintel trailer's girl looking up in the rubble (4-frame gaps, her
# head turning against a moving camera), the vote put back the debris above and beside her head that her own cut had
# left out, and took her hair at the side and her arm away. On the mask's own rim (EXPLAINED_RIM of the frame's longer
# side inside its edge) the neighbours still vote everywhere: there the colours change within a pixel, a flow a pixel
# off is "unexplained", and the vote trims the rim's leaks (tune --sequence 5 seed 11: without it 3D 0.6342 -> 0.6332,
# with it 0.6338; the same band outside the mask too put a rim of debris back around the girl's head, for the same
# figures).
EXPLAINED_VOTE = True
EXPLAINED_LEVELS = 24  # carry.py's UNEXPLAINED_GREY, per colour channel
EXPLAINED_BLUR = 5
EXPLAINED_RIM = 0.006


def rgb_at_flow_size(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` at the size the flow is estimated at (``flow_scale``)."""
    scale = flow_scale(rgb.shape)
    if scale >= 1.0:
        return rgb
    return area_resized(rgb, round(rgb.shape[1] * scale), round(rgb.shape[0] * scale))


def explained(small: np.ndarray, rgb_small: np.ndarray, neighbour_small: np.ndarray,
              shape: tuple[int, ...]) -> np.ndarray:
    """bool plane of a frame of ``shape``: where the neighbour (``neighbour_small``, at the flow's size) warped by the
    ``small`` flow matches the frame's colours (``rgb_small``): every channel's difference, averaged over
    EXPLAINED_BLUR pixels, at most EXPLAINED_LEVELS."""
    warped = cv2.remap(neighbour_small, sample_points(small), None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    residual = cv2.blur(cv2.absdiff(rgb_small, warped), (EXPLAINED_BLUR, EXPLAINED_BLUR)).max(axis=2)
    fits = (residual <= EXPLAINED_LEVELS).astype(np.uint8)
    if fits.shape != tuple(shape[:2]):
        fits = cv2.resize(fits, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST)
    return fits.astype(bool)


def _inner_rim(mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``mask``'s pixels within EXPLAINED_RIM of its edge (share of the frame's longer side, at least 1 pixel)."""
    if EXPLAINED_RIM <= 0:
        return np.zeros_like(mask)
    radius = max(1, round(EXPLAINED_RIM * max(shape[0], shape[1])))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return mask & ~cv2.erode(mask.astype(np.uint8), disc, borderType=cv2.BORDER_REPLICATE).astype(bool)


class ShotFlows:
    """The flow maps between a shot's key frames, each made once: the grey and colour at the flow's size of a frame,
    the ``small_flow`` from a frame to a neighbour and where it ``explained`` the frame. The shot seeds
    (shot_seeds.carried_candidates) and the vote (``vote_shot``) ask for the same pairs of the same frames; Farneback
    is deterministic, so the second ask gets the very same arrays. Frames are told apart by the arrays themselves
    (held here while their maps are)."""

    def __init__(self) -> None:
        self._frames: dict[int, np.ndarray] = {}
        self._greys: dict[int, np.ndarray] = {}
        self._colours: dict[int, np.ndarray] = {}
        self._flows: dict[tuple[int, int], np.ndarray] = {}
        self._fits: dict[tuple[int, int], np.ndarray] = {}

    def _held(self, rgb: np.ndarray) -> int:
        self._frames[id(rgb)] = rgb
        return id(rgb)

    def grey(self, rgb: np.ndarray) -> np.ndarray:
        key = self._held(rgb)
        if key not in self._greys:
            self._greys[key] = grey_at_flow_size(rgb)
        return self._greys[key]

    def colour(self, rgb: np.ndarray) -> np.ndarray:
        key = self._held(rgb)
        if key not in self._colours:
            self._colours[key] = rgb_at_flow_size(rgb)
        return self._colours[key]

    def small(self, rgb: np.ndarray, neighbour: np.ndarray) -> np.ndarray:
        """``small_flow`` from ``rgb``'s grey to ``neighbour``'s."""
        key = (self._held(rgb), self._held(neighbour))
        if key not in self._flows:
            self._flows[key] = small_flow(self.grey(rgb), self.grey(neighbour))
        return self._flows[key]

    def explained(self, rgb: np.ndarray, neighbour: np.ndarray) -> np.ndarray:
        """``explained`` of ``rgb`` by ``neighbour`` warped with ``small(rgb, neighbour)``."""
        key = (self._held(rgb), self._held(neighbour))
        if key not in self._fits:
            self._fits[key] = explained(self.small(rgb, neighbour), self.colour(rgb), self.colour(neighbour),
                                        rgb.shape)
        return self._fits[key]

    def forget(self, rgb: np.ndarray) -> None:
        """Drops the flows and fits from ``rgb`` (asked for no more)."""
        for held in (self._flows, self._fits):
            for key in [key for key in held if key[0] == id(rgb)]:
                del held[key]


def vote_shot(frames: list[np.ndarray], masks: list[list[np.ndarray]], min_iou: float = 0.5,
              flows: ShotFlows | None = None) -> list[list[np.ndarray]]:
    """``masks[t]``: the instance masks of key frame t (frames in time order, one shot). Returns the same structure,
    each mask replaced by the pixel majority of itself and its counterparts in frames t-1 and t+1 (the carried-over
    mask with the best IoU, if at least ``min_iou``) when both neighbours hold one; otherwise unchanged. A
    neighbour's vote counts only where the flow explains the frame (``explained``; EXPLAINED_VOTE), elsewhere the
    frame's own mask does. Each frame's grey is made once, masks are carried in their ``carry_window`` and compared
    and voted in their boxes. ``flows``: the shot's flow maps (those the shot seeds made are not made again)."""
    out = [list(frame_masks) for frame_masks in masks]
    flows = ShotFlows() if flows is None else flows
    boxes = [[_box(m) for m in frame_masks] for frame_masks in masks]

    for t, frame_masks in enumerate(masks):
        if not frame_masks or t == 0 or t == len(masks) - 1 or not masks[t - 1] or not masks[t + 1]:
            continue
        # each neighbour in turn: its flow, its carried masks and each mask's counterpart; a mask is voted only when
        # both neighbours hold one, so the later work (the second flow, the explained planes) is skipped where no
        # mask can get both (the same masks as computing everything first)
        smalls, counterparts = [], []
        for n in (t - 1, t + 1):
            small = flows.small(frames[t], frames[n])
            carried = _carried(small, frames[t].shape, masks[n], boxes[n])
            pending = range(len(frame_masks)) if not counterparts else \
                [i for i, held in enumerate(counterparts[0]) if held is not None]
            found: list[tuple[np.ndarray, tuple[int, int, int, int]] | None] = [None] * len(frame_masks)
            for i in pending:
                found[i] = _counterpart(frame_masks[i], boxes[t][i], carried, min_iou)
            if not any(held is not None for held in found):
                break
            smalls.append((small, n))
            counterparts.append(found)
        if len(counterparts) < 2:
            flows.forget(frames[t])
            continue
        fits = [flows.explained(frames[t], frames[n]) if EXPLAINED_VOTE else None for _, n in smalls]
        flows.forget(frames[t])
        for i, own in enumerate(frame_masks):
            if counterparts[0][i] is None or counterparts[1][i] is None:
                continue
            votes = [(counterparts[k][i][0], fits[k]) for k in range(2)]
            window = _union(boxes[t][i], counterparts[0][i][1], counterparts[1][i][1])
            mine = own[window]
            counts = mine.astype(np.uint8)
            rim = _inner_rim(mine, frames[t].shape) if EXPLAINED_VOTE else None
            for other, fit in votes:  # where the flow does not explain the frame, its own mask votes again
                counts += other[window] if fit is None else np.where(fit[window] | rim, other[window], mine)
            voted = np.zeros(own.shape, bool)
            voted[window] = counts >= 2
            out[t][i] = voted
    return out


def _counterpart(own: np.ndarray, box: tuple[int, int, int, int],
                 carried: list[tuple[np.ndarray, tuple[int, int, int, int]]], min_iou: float
                 ) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """The carried mask (with its window) of best IoU with ``own`` (the first of equals), if at least ``min_iou``."""
    scores = [mask_iou(own, other, _union(box, window)) for other, window in carried]
    if scores and max(scores) >= min_iou:
        return carried[int(np.argmax(scores))]
    return None


def mask_iou(a: np.ndarray, b: np.ndarray, window: tuple[slice, slice] | None = None) -> float:
    """IoU of two masks; ``window``: where both lie (their boxes' union), the rest being empty in both."""
    a, b = (a, b) if window is None else (a[window], b[window])
    union = float(np.count_nonzero(a | b))
    return float(np.count_nonzero(a & b)) / union if union else 0.0


def _carried(small: np.ndarray, shape: tuple[int, ...], neighbour_masks: list[np.ndarray],
             neighbour_boxes: list[tuple[int, int, int, int]]) -> list[tuple[np.ndarray, tuple[int, int, int, int]]]:
    """The neighbour's masks carried to this frame by the ``small`` flow (``small_flow`` from this frame's grey to the
    neighbour's), each with the window outside which it is empty."""
    if flow_scale(shape) >= 1.0:   # the flow at the frame's size: carried whole
        flow = full_size_flow(small, shape)
        points = sample_points(flow)
        return [(carry_over(m, flow, points), (0, 0, shape[1], shape[0])) for m in neighbour_masks]
    windows = [carry_window(small, shape, box) for box in neighbour_boxes]
    # the flow scaled up in each window only (the windows are 1-21% of a 1080p frame), else over the whole frame
    parts = [full_size_flow_in(small, shape, w) if w[2] > w[0] and w[3] > w[1] else np.zeros((0, 0, 2), np.float32)
             for w in windows]
    if any(part is None for part in parts):
        flow = full_size_flow(small, shape)
        return [(carry_in_window(m, flow, w), w) for m, w in zip(neighbour_masks, windows)]
    return [(carry_by_part(m, part, w), w) for m, part, w in zip(neighbour_masks, parts, windows)]
