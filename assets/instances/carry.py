"""Carrying a shot's masks to its next key frame by optical flow, behind a motion gate (issue #17).

Segmenting a key frame costs ~0.5-0.7 CPU-s; two Farneback flows at the flow's size cost a few hundredths. Within a
shot the masks of the last fully segmented key frame can stand for the next key frame's when the flow between them is
small and trustworthy. The gate measures that on the pair, for every mask carried to the new frame:

- shift: median flow length inside the carried mask, as a share of the frame's longer side (a big move breaks the
  carry even when the flow tracks it: new background, turned limbs);
- forward-backward error: the share of the mask and of a ring around it where the flow from the new frame to the
  source and back misses its start by more than ``FB_TOLERANCE`` pixels (occlusion, a limb the flow cannot follow);
- photometric residual: mean grey difference between the source warped onto the new frame and the new frame, inside
  the mask and in the ring around it (a wrong edge shows in the ring: character where background is, or back);
- area change of the carried mask against the source's;
and on the whole frame outside the carried masks, the share of pixels the warped source does not explain (a new
character walking in, a door opening, a flash). Carry only when every mask and the frame pass; a source without masks
is never carried (something may enter it). Images RGB uint8 H x W x 3; masks bool H x W, frame pixels.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from assets.instances.shot_consistency import (carry_over, full_size_flow, grey_at_flow_size, sample_points,
                                               small_flow)

log = logging.getLogger(__name__)

CARRIED_SEED = "carried"  # a carried instance's seed column reads ``carried+<source seed>``

FB_TOLERANCE = 1.0      # pixels at the flow's size (480 on the longer side): forward-backward miss counted as an error
UNEXPLAINED_GREY = 24   # grey levels: a pixel the warped source misses by more than this is not explained by it
RING_SHARE = 0.015      # ring width around a carried mask, share of the frame's longer side (at least 2 pixels)


@dataclass(frozen=True)
class CarryGate:
    """The limits every carried mask and the frame must stay within (tuned on bench/composites.py's tune split)."""
    max_shift: float = 0.02
    max_fb_error: float = 0.10
    max_residual: float = 10.0
    max_area_change: float = 0.15
    max_unexplained: float = 0.05


@dataclass
class CarryCheck:
    """The gate's answer for one pair: ``carry``, the first limit broken (``reason``, empty when carried), the worst
    value of each measure over the masks, and the flow from the new frame to the source at the flow's size."""
    carry: bool
    reason: str
    measures: dict[str, float] = field(default_factory=dict)
    flow: np.ndarray | None = None


def check_carry(source_rgb: np.ndarray, source_masks: list[np.ndarray], target_rgb: np.ndarray,
                gate: CarryGate = CarryGate()) -> CarryCheck:
    """Whether ``source_masks`` (of ``source_rgb``) can be carried to ``target_rgb`` (same shot, same size)."""
    if not source_masks:
        return CarryCheck(False, "no masks to carry")
    if source_rgb.shape != target_rgb.shape:
        return CarryCheck(False, "frame sizes differ")
    grey_s, grey_t = grey_at_flow_size(source_rgb), grey_at_flow_size(target_rgb)
    to_source = small_flow(grey_t, grey_s)
    points, size = sample_points(to_source), max(grey_t.shape)
    length = np.linalg.norm(to_source, axis=2)
    pairs = []   # (source mask, carried mask) at the flow's size
    for mask in source_masks:
        small = _at_size(mask, grey_s.shape)
        carried = carry_over(small, to_source, points)
        if not small.any() or not carried.any():
            return CarryCheck(False, "a mask vanishes when carried")
        pairs.append((small, carried))
    worst = {"shift": round(max(float(np.median(length[carried])) / size for _, carried in pairs), 4)}
    if worst["shift"] > gate.max_shift:   # the cheap refusal first: one flow (most moving key frames stop here)
        return CarryCheck(False, f"shift {worst['shift']:.3f} > {gate.max_shift}", worst, to_source)
    to_target = small_flow(grey_s, grey_t)
    back = cv2.remap(to_target, points, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    fb_miss = np.linalg.norm(to_source + back, axis=2) > FB_TOLERANCE
    warped = cv2.remap(grey_s, points, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    residual = cv2.absdiff(warped, grey_t)
    outside = ((points[..., 0] < 0) | (points[..., 0] > grey_s.shape[1] - 1) | (points[..., 1] < 0)
               | (points[..., 1] > grey_s.shape[0] - 1))
    residual[outside] = 255   # what the source never saw is not explained by it
    ring_px = max(2, round(RING_SHARE * size))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * ring_px + 1, 2 * ring_px + 1))
    worst.update({"fb_error": 0.0, "residual": 0.0, "area_change": 0.0})
    covered = np.zeros(grey_t.shape, bool)
    for small, carried in pairs:
        ring = cv2.dilate(carried.astype(np.uint8), kernel).astype(bool) & ~carried
        region = carried | ring
        covered |= region
        values = {"fb_error": float(np.count_nonzero(fb_miss & region)) / np.count_nonzero(region),
                  "residual": max(float(residual[carried].mean()), float(residual[ring].mean()) if ring.any() else 0.),
                  "area_change": abs(np.count_nonzero(carried) / np.count_nonzero(small) - 1.0)}
        worst.update({k: max(worst[k], v) for k, v in values.items()})
    rest = ~covered
    worst["unexplained"] = float(np.count_nonzero((residual > UNEXPLAINED_GREY) & rest)) / max(1, np.count_nonzero(rest))
    worst = {k: round(float(v), 4) for k, v in worst.items()}
    for name, limit in (("fb_error", gate.max_fb_error), ("residual", gate.max_residual),
                        ("area_change", gate.max_area_change), ("unexplained", gate.max_unexplained)):
        if worst[name] > limit:
            return CarryCheck(False, f"{name} {worst[name]:.3f} > {limit}", worst, to_source)
    return CarryCheck(True, "", worst, to_source)


def carried_masks(check: CarryCheck, source_masks: list[np.ndarray], shape: tuple[int, ...]) -> list[np.ndarray]:
    """``source_masks`` carried to the new frame (``shape``) along the checked flow, at frame size."""
    flow = full_size_flow(check.flow, shape)
    points = sample_points(flow)
    return [carry_over(mask, flow, points) for mask in source_masks]


def _at_size(mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    if mask.shape[:2] == shape[:2]:
        return mask
    return cv2.resize(mask.astype(np.uint8) * 255, (shape[1], shape[0]), interpolation=cv2.INTER_AREA) >= 128


class CarryChain:
    """One shot's key frames in time order: after a frame is segmented in full (``segmented``) at most ``carry_max``
    following key frames get its masks carried (``carried``) while the gate passes; a refused frame is segmented and
    becomes the new source. A carried instance keeps its source's scores and character evidence (``evidence(mask,
    cues, person_score)`` on the source's mask and cues: the segmenter's cues are not measured on a carried frame),
    and its seed reads ``carried+<source seed>``."""

    def __init__(self, carry_max: int, evidence: Callable[[np.ndarray, Any, float], dict[str, float]],
                 gate: CarryGate = CarryGate()):
        self.carry_max, self.evidence, self.gate = carry_max, evidence, gate
        self.source: tuple[np.ndarray, list[dict]] | None = None
        self.run = 0   # frames carried from the current source
        self.checks: list[CarryCheck] = []

    def segmented(self, rgb: np.ndarray, found: list[dict], cues: Any) -> None:
        """``found`` (the segmenter's instances of ``rgb``, masks not empty) is the shot's new source."""
        if self.carry_max <= 0:
            return
        items = [{**item, "evidence": self.evidence(item["mask"], cues, float(item.get("person_score", 0.0))),
                  "seed": f"{CARRIED_SEED}+{item.get('seed', 'segmenter')}"} for item in found]
        self.source, self.run = (rgb, items), 0

    def carried(self, rgb: np.ndarray, frame_id: str = "") -> list[dict] | None:
        """The source's instances carried to ``rgb``, or None: segment it in full."""
        if self.source is None or self.run >= self.carry_max:
            return None
        source_rgb, items = self.source
        masks = [item["mask"] for item in items]
        check = check_carry(source_rgb, masks, rgb, self.gate)
        self.checks.append(check)
        if not check.carry:
            log.debug("%s: segmented, the carry gate refused: %s", frame_id, check.reason)
            return None
        self.run += 1
        return [{**item, "mask": mask} for item, mask in zip(items, carried_masks(check, masks, rgb.shape))]


def carried_frame_count(table: Any) -> int:
    """Key frames of an instances table whose masks were carried by flow (seed ``carried+...``), not segmented."""
    if not table.height:
        return 0
    return table.filter(table["seed"].str.starts_with(CARRIED_SEED))["frame_id"].n_unique()
