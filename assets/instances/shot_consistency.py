"""The neighbouring-frame cue: a character seen in several key frames of one shot constrains its mask there.

Each frame's masks are compared with the masks of its neighbouring key frames in the same shot, carried over to it
by dense optical flow (Farneback, OpenCV). Where the character is found in both neighbours, each pixel takes the
majority of the three masks: a leak into the background or a missed limb in one frame is outvoted when the two
others agree, while what all three see stays. A mask with fewer than two matched neighbours (the shot's first or
last key frame, a character that only appears once, a cut the flow cannot follow) is left as it is.

Images RGB uint8 H x W x 3; masks bool H x W, frame pixels. numpy / OpenCV only.
"""

import cv2
import numpy as np

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


def flow_between(rgb: np.ndarray, neighbour: np.ndarray) -> np.ndarray:
    """H x W x 2 float32: for each pixel of ``rgb``, where it lies in ``neighbour`` (dx, dy in frame pixels)."""
    return full_size_flow(small_flow(grey_at_flow_size(rgb), grey_at_flow_size(neighbour)), rgb.shape)


def sample_points(flow: np.ndarray) -> np.ndarray:
    """H x W x 2 float32: where each pixel's flow points (its own x, y plus the flow), the map ``carry_over`` reads."""
    height, width = flow.shape[:2]
    points = flow.astype(np.float32, copy=True)
    points[..., 0] += np.arange(width, dtype=np.float32)
    points[..., 1] += np.arange(height, dtype=np.float32)[:, None]
    return points


def carry_over(mask: np.ndarray, flow: np.ndarray, points: np.ndarray | None = None) -> np.ndarray:
    """A neighbour's mask seen from this frame: each pixel takes the neighbour's value where the flow points.
    ``points``: ``sample_points(flow)``, when several masks are carried by one flow."""
    points = sample_points(flow) if points is None else points
    moved = cv2.remap(mask.astype(np.uint8) * 255, points, None, cv2.INTER_LINEAR,
                      borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return moved >= 128


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = float(np.count_nonzero(a | b))
    return float(np.count_nonzero(a & b)) / union if union else 0.0


def vote_shot(frames: list[np.ndarray], masks: list[list[np.ndarray]], min_iou: float = 0.5) -> list[list[np.ndarray]]:
    """``masks[t]``: the instance masks of key frame t (frames in time order, one shot). Returns the same structure,
    each mask replaced by the pixel majority of itself and its counterparts in frames t-1 and t+1 (the carried-over
    mask with the best IoU, if at least ``min_iou``) when both neighbours hold one; otherwise unchanged."""
    out = [list(frame_masks) for frame_masks in masks]
    for t, frame_masks in enumerate(masks):
        if not frame_masks or t == 0 or t == len(masks) - 1 or not masks[t - 1] or not masks[t + 1]:
            continue
        carried = [_carried(frames[t], frames[n], masks[n]) for n in (t - 1, t + 1)]
        for i, own in enumerate(frame_masks):
            votes = [own]
            for neighbour in carried:
                scores = [_iou(own, other) for other in neighbour]
                if scores and max(scores) >= min_iou:
                    votes.append(neighbour[int(np.argmax(scores))])
            if len(votes) == 3:
                out[t][i] = np.sum(votes, axis=0) >= 2
    return out


def _carried(rgb: np.ndarray, neighbour_rgb: np.ndarray, neighbour_masks: list[np.ndarray]) -> list[np.ndarray]:
    flow = flow_between(rgb, neighbour_rgb)
    points = sample_points(flow)
    return [carry_over(m, flow, points) for m in neighbour_masks]
