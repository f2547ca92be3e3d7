"""A character cut in one key frame of a drawn shot and uncut in the next: seeded there from its carried mask.

A drawn character that no detector boxes in one key frame (cut by the frame's edge, turned, half behind another)
is often cut in the key frame before or after it in the same shot. After a shot's key frames are segmented, each
cut of a key frame is carried to its neighbouring key frames by dense optical flow (Farneback,
``shot_consistency``). Where the carried mask lies mostly on pixels no cut of that frame holds
(``MAX_COVERED``), the flow explains most of it (the neighbour warped by the flow matches the frame's colours there,
``shot_consistency.explained``: the character's own colours are seen in this frame) and it is large enough
(``MIN_SHARE`` of the frame and ``MIN_KEPT`` of the mask it came from), its box is handed back to the segmenter as a
seed (``resources/backends/character_shot_seeds.py``), which cuts the frame again. The carried mask itself is never
an instance: the new cut is GrabCut's on this frame's pixels, and it is kept only where it matches the carried mask
(``MIN_MATCH``); otherwise the frame keeps its first cuts.

Session 56 (h103): a carried mask may lie up to ``MAX_COVERED`` 0.4 on the frame's cuts (an unhidden character's
mask carried next to another's crosses its cut's edge), and one cut of the frame stands for one neighbour character
(``PRESENT_ONCE``). Those candidates are *loose*: they never take a *clean* candidate's place (at most
``CLEAN_COVERED`` 0.2 covered, session 31's), and where the cut with them fails to match, the clean ones are cut alone.

A carried mask that kept its place against the frame's uncut pixels (``STILL_GUARD``: its median flow within
``STILL_SHIFT`` of theirs) is no candidate: the neighbour cut it and this frame did not on the same drawing, so it is
a prop or a figure painted in the background (session 31, h5).

Drawn shots only (the frame's cues say ``drawn``); one pass, from the first cuts of each neighbour; a neighbour's cut
that one of the frame's own cuts overlaps where it stood (``PRESENT_IOU``) is not carried (no flow is estimated for
it). On by default (``SHOT_SEEDS``): measured in docs/instances.md, session 31 (h2). Images RGB uint8 H x W x 3,
masks bool H x W, frame pixels. numpy / OpenCV only.
"""

from typing import Any, Callable

import numpy as np

from assets.instances.artefacts import mask_box
from assets.instances.shot_consistency import ShotFlows, carry_over, flow_scale, full_size_flow, mask_iou, sample_points

# on (session 31, h2; the lead's review): the held-out Kenney film's cut-outs mean IoU 0.499 -> 0.522, found@0.5
# 0.561 -> 0.592, visible-character identity F 0.623 -> 0.646 (labelled F 0.838 -> 0.828); the cost: the neighbours'
# own props carried on as well (Penny & Chip: 9 characters no cut held and 9 props or parts, identities F equal;
# held-out film: 5 of 9 new cut-outs on no character) and +7% of the stage's CPU on a drawn film; docs/instances.md
SHOT_SEEDS = True
# 0.4 (session 56, h103; was 0.2): an unhidden character's carried mask lies 0.25-0.37 on the cut of the character
# beside it where the coarse flow crosses their touching edges; a merged cut holding it lies on more of it
MAX_COVERED = 0.4  # at most this share of the carried mask on the frame's own cuts: the character has no cut here
CLEAN_COVERED = 0.2  # ... a candidate over this share (or let through by PRESENT_ONCE) is tried after the clean ones
MIN_EXPLAINED = 0.6  # at least this share of the carried mask where the flow explains the frame's colours
MIN_SHARE = 0.005  # the carried mask at least this share of the frame's pixels
MIN_KEPT = 0.5  # ... and at least this share of the mask it was carried from (the flow followed the character)
# on (session 31, h5): held-out Kenney film 4 of the 9 shot-seeded cut-outs (all painted in the background) no more,
# every figure of the eval equal; the tune film's painted creature at 323 no more; Penny & Chip identical
STILL_GUARD = True  # a carried mask that did not move against the frame's uncut pixels is not seeded
STILL_SHIFT = 0.5  # ... its median flow within this many pixels of the flow's grid of theirs: nothing moved
PRESENT_IOU = 0.3  # a neighbour's cut this close to one of the frame's own, uncarried, is that cut's character
# on (session 56, h103): one of the frame's cuts stands for one character, the neighbour's cut it overlaps most; a
# second neighbour's cut over it (a character who walked off where another now stands) is carried and gated as usual
PRESENT_ONCE = True
MIN_MATCH = 0.4  # the new cut's IoU with the carried mask for the frame's new cuts to be kept
SEED_KEY = "shot_seeds"  # the keyword the segmenter takes the boxes by (x0, y0, x1, y1, frame pixels)


def carried_candidates(rgb: np.ndarray, own: list[np.ndarray], neighbours: list[tuple[np.ndarray, list[np.ndarray]]],
                       flows: ShotFlows | None = None) -> list[np.ndarray]:
    """The masks of ``neighbours`` ((rgb, masks) of the shot's adjacent key frames) carried to this frame (``rgb``,
    cut into ``own``) that no cut of it holds, the flow explains and that kept their size; one per place (a mask
    overlapping one already taken at IoU 0.3 or more is left out): ``carried_tiers``' clean ones, then its loose
    ones. ``flows``: the shot's flow maps (kept for its vote)."""
    clean, loose = carried_tiers(rgb, own, neighbours, flows)
    return clean + loose


def carried_tiers(rgb: np.ndarray, own: list[np.ndarray], neighbours: list[tuple[np.ndarray, list[np.ndarray]]],
                  flows: ShotFlows | None = None) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(clean, loose) carried candidates. Clean: at most CLEAN_COVERED of the mask on the frame's cuts, and not
    present by PRESENT_IOU alone (session 31's candidates, in their order). Loose: the ones only MAX_COVERED or
    PRESENT_ONCE let through, each where no clean or earlier loose one stands (IoU 0.3)."""
    flows = ShotFlows() if flows is None else flows
    held = np.any(own, axis=0) if own else np.zeros(rgb.shape[:2], bool)
    frame_px = rgb.shape[0] * rgb.shape[1]
    clean: list[np.ndarray] = []
    loose: list[np.ndarray] = []
    for neighbour, masks in neighbours:
        # a neighbour's cut that one of this frame's cuts already overlaps where it stood (``present``) is that
        # character's: no flow is estimated for it (most key frames, whose characters are cut in both); one that
        # overlaps a cut PRESENT_ONCE gave to another neighbour's cut is carried, but is not clean (shared)
        masks = [m for m in masks if m.sum() >= MIN_SHARE * frame_px]
        ious = own_overlaps(masks, own)
        masks = [(m, not (row >= PRESENT_IOU).any())
                 for m, row, here in zip(masks, ious, present(masks, own, ious)) if not here]
        if not masks:
            continue
        small = flows.small(rgb, neighbour)
        flow = full_size_flow(small, rgb.shape)
        points = sample_points(flow)
        fits = None
        for mask, unshared in masks:
            carried = carry_over(mask, flow, points)
            area = int(carried.sum())
            if area < MIN_SHARE * frame_px or area < MIN_KEPT * mask.sum():
                continue
            covered = (carried & held).sum()
            if covered > MAX_COVERED * area:
                continue
            if fits is None:
                fits = flows.explained(rgb, neighbour)
            if (carried & fits).sum() < MIN_EXPLAINED * area:
                continue
            if STILL_GUARD and stood_still(flow, carried, held):
                continue
            if unshared and covered <= CLEAN_COVERED * area:
                if not any(mask_iou(carried, other) >= 0.3 for other in clean):
                    clean.append(carried)
            else:
                loose.append(carried)
    kept_loose: list[np.ndarray] = []
    for carried in loose:  # a loose candidate never takes a clean one's place
        if not any(mask_iou(carried, other) >= 0.3 for other in clean + kept_loose):
            kept_loose.append(carried)
    return clean, kept_loose


def own_overlaps(masks: list[np.ndarray], own: list[np.ndarray]) -> np.ndarray:
    """The IoU of each neighbour's cut in ``masks`` (rows) with each of the frame's ``own`` cuts (columns)."""
    return np.array([[mask_iou(m, o) for o in own] for m in masks], float).reshape(len(masks), len(own))


def present(masks: list[np.ndarray], own: list[np.ndarray], ious: np.ndarray | None = None) -> list[bool]:
    """Per neighbour's cut in ``masks``: whether one of the frame's ``own`` cuts overlaps it where it stood (IoU
    PRESENT_IOU or more), so that it is that cut's character and is not carried. With PRESENT_ONCE an own cut
    stands only for the neighbour's cut it overlaps most: two characters of the neighbour seldom share one cut here
    unless it is a merged cut, and a merged cut holds the carried mask, which MAX_COVERED then refuses. ``ious``:
    ``own_overlaps(masks, own)`` where the caller has it."""
    if not masks or not own:
        return [False] * len(masks)
    ious = own_overlaps(masks, own) if ious is None else ious
    close = ious >= PRESENT_IOU
    if PRESENT_ONCE:
        close &= ious == ious.max(axis=0, keepdims=True)
    return close.any(axis=1).tolist()


def stood_still(flow: np.ndarray, carried: np.ndarray, held: np.ndarray) -> bool:
    """Whether the ``carried`` mask's median flow (frame pixels, ``full_size_flow``) is within STILL_SHIFT pixels of
    the flow's grid of the median flow of the frame's pixels that neither it nor a cut (``held``) holds: it kept its
    place in the scene while the neighbour's detectors cut it and this frame's did not, on the same drawing (a prop or
    a painted figure of the background; a character the detectors lost moved, turned or was hidden)."""
    rest = ~carried & ~held
    if not rest.any():
        return False
    shift = np.median(flow[carried], axis=0) - np.median(flow[rest], axis=0)
    return float(np.hypot(*shift)) * flow_scale(flow.shape) <= STILL_SHIFT


def matches(found: list[dict], carried: list[np.ndarray]) -> bool:
    """Whether every carried mask has a cut of ``found`` at IoU MIN_MATCH or more."""
    return all(any(mask_iou(f["mask"], c) >= MIN_MATCH for f in found) for c in carried)


def with_shot_seeds(segmented: list[tuple[dict, np.ndarray, list[dict], Any]],
                    segment_again: Callable[[int, list[tuple[int, int, int, int]]], tuple[list[dict], Any]],
                    flows: ShotFlows | None = None) -> tuple[list[tuple[dict, np.ndarray, list[dict], Any]], int]:
    """One shot's ``segmented`` key frames ((frame, rgb, found, cues), time order) with the drawn frames that have a
    carried candidate cut again by ``segment_again(n, boxes)`` and kept where every candidate got a matching cut
    (failing that, where every clean one did when cut alone); and how many frames changed."""
    if not SHOT_SEEDS or len(segmented) < 2:
        return segmented, 0
    out, changed = list(segmented), 0
    for n, (frame, rgb, found, cues) in enumerate(segmented):
        if cues is None or not getattr(cues, "drawn", False):
            continue   # a transparent image's own cut-out, a carried key frame or a rendered shot
        neighbours = [(segmented[k][1], [f["mask"] for f in segmented[k][2]]) for k in (n - 1, n + 1)
                      if 0 <= k < len(segmented) and segmented[k][3] is not None]
        clean, loose = carried_tiers(rgb, [f["mask"] for f in found], neighbours, flows)
        # every candidate at once; where a loose one gets no matching cut, the clean ones alone (session 31's cut)
        for carried in ([clean + loose, clean] if loose and clean else [clean + loose]):
            if not carried:
                continue
            again, again_cues = segment_again(n, [mask_box(c) for c in carried])
            again = [f for f in again if f["mask"].any()]
            if matches(again, carried):
                out[n], changed = (frame, rgb, again, again_cues), changed + 1
                break
    return out, changed
