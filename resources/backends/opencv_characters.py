"""Offline character segmenter: face / person / animal detections as seeds, refined with OpenCV GrabCut inside a
DeepLab character mask, and split between touching characters with a seeded watershed.

One seed per character: every YOLOX person/animal box, with the YuNet faces inside it attached (one face per
box); a face with no box of its own becomes a seed whose box is extrapolated from the face (head and torso).
Each seed's GrabCut gives its pixels; where two characters' masks overlap, a watershed over the image gradient
from each seed's core (its face, else the pixels only it claims) draws the border between them.
"""

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from resources.backends.character_cues import COCO_CHARACTERS, CharacterCues, Cues

log = logging.getLogger(__name__)


@dataclass
class Seed:
    box: np.ndarray  # x0, y0, x1, y1 frame pixels
    score: float
    kind: str  # person | bird | ... | face
    face: np.ndarray | None = None  # x0, y0, x1, y1, score


def _contains(box: np.ndarray, x: float, y: float) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def seeds_from_cues(cues: Cues, width: int, height: int) -> list[Seed]:
    """Pairs faces with body boxes; a face that no free box holds gets a head-and-torso box of its own."""
    seeds = [Seed(b[:4].astype(np.float32), float(b[4]), COCO_CHARACTERS.get(int(b[5]), "object"))
             for b in cues.bodies]
    for face in sorted(cues.faces, key=lambda f: -f[4]):
        cx, cy = (face[0] + face[2]) / 2, (face[1] + face[3]) / 2
        holders = [s for s in seeds if s.face is None and s.kind == "person" and _contains(s.box, cx, cy)
                   and cy <= s.box[1] + 0.6 * (s.box[3] - s.box[1])]
        if holders:  # the tightest box around the face is its body
            body = min(holders, key=lambda s: (s.box[2] - s.box[0]) * (s.box[3] - s.box[1]))
            body.face = face
            continue
        fw, fh = face[2] - face[0], face[3] - face[1]
        box = np.array([face[0] - 1.0 * fw, face[1] - 0.4 * fh, face[2] + 1.0 * fw, face[3] + 3.5 * fh], np.float32)
        seeds.append(Seed(np.clip(box, 0, [width, height, width, height]), float(face[4]), "face", face))
    return seeds


def _shrink(box: np.ndarray, fraction: float) -> np.ndarray:
    w, h = box[2] - box[0], box[3] - box[1]
    return np.array([box[0] + w * fraction, box[1] + h * fraction, box[2] - w * fraction, box[3] - h * fraction])


def _ints(box: np.ndarray, width: int, height: int) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = np.round(box).astype(int)
    return max(0, x0), max(0, y0), min(width, max(x1, x0 + 1)), min(height, max(y1, y0 + 1))


def _core(seed: Seed, width: int, height: int) -> np.ndarray:
    """Pixels surely this character: its face's centre, else a small ellipse at the box's upper centre."""
    core = np.zeros((height, width), np.uint8)
    if seed.face is not None:
        x0, y0, x1, y1 = _ints(_shrink(seed.face[:4], 0.2), width, height)
        core[y0:y1, x0:x1] = 1
    else:
        x0, y0, x1, y1 = seed.box
        centre = (int((x0 + x1) / 2), int(y0 + 0.4 * (y1 - y0)))
        axes = (max(1, int((x1 - x0) * 0.12)), max(1, int((y1 - y0) * 0.15)))
        cv2.ellipse(core, centre, axes, 0, 0, 360, 1, -1)
    return core.astype(bool)


GRABCUT_MAX_SIDE = 256  # GrabCut's cost grows with the pixels it models; larger regions are cut at this size


def _grabcut(roi: np.ndarray, labels: np.ndarray, iterations: int) -> np.ndarray:
    """Foreground of ``roi`` by GrabCut from ``labels``; regions larger than GRABCUT_MAX_SIDE are cut downscaled
    and the mask is scaled back (its edge is feathered later anyway)."""
    height, width = labels.shape
    scale = min(1.0, GRABCUT_MAX_SIDE / max(height, width))
    work_roi, work_labels = roi, labels.copy()
    if scale < 1.0:
        size = (max(2, round(width * scale)), max(2, round(height * scale)))
        work_roi = cv2.resize(roi, size, interpolation=cv2.INTER_AREA)
        work_labels = cv2.resize(labels, size, interpolation=cv2.INTER_NEAREST)
    bg_model, fg_model = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    try:
        cv2.grabCut(work_roi, work_labels, None, bg_model, fg_model, iterations, cv2.GC_INIT_WITH_MASK)
    except cv2.error as error:  # degenerate ROI (flat colour): fall back to the initial labelling
        log.debug("grabCut failed on a %dx%d box: %s", width, height, error)
    foreground = ((work_labels == cv2.GC_FGD) | (work_labels == cv2.GC_PR_FGD)).astype(np.uint8) * 255
    if scale < 1.0:
        foreground = cv2.resize(foreground, (width, height), interpolation=cv2.INTER_LINEAR)
    return (foreground > 127) | (labels == cv2.GC_FGD)


def grabcut_seed(bgr: np.ndarray, seed: Seed, class_mask: np.ndarray, iterations: int = 4) -> np.ndarray:
    """The seed's pixels: GrabCut initialised from its box (outside: background), the DeepLab mask (probably
    foreground) and its core (foreground)."""
    height, width = class_mask.shape
    bx0, by0, bx1, by1 = _ints(seed.box, width, height)
    mw, mh = int(0.15 * (bx1 - bx0)) + 2, int(0.15 * (by1 - by0)) + 2
    rx0, ry0, rx1, ry1 = max(0, bx0 - mw), max(0, by0 - mh), min(width, bx1 + mw), min(height, by1 + mh)
    labels = np.full((ry1 - ry0, rx1 - rx0), cv2.GC_BGD, np.uint8)
    labels[by0 - ry0:by1 - ry0, bx0 - rx0:bx1 - rx0] = cv2.GC_PR_BGD
    inside = np.zeros_like(labels, bool)
    inside[by0 - ry0:by1 - ry0, bx0 - rx0:bx1 - rx0] = True
    labels[inside & class_mask[ry0:ry1, rx0:rx1]] = cv2.GC_PR_FGD
    core = _core(seed, width, height)[ry0:ry1, rx0:rx1]
    if not (labels == cv2.GC_PR_FGD).any():  # no class pixels: grow from an ellipse around the core
        grown = cv2.dilate(core.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (
            max(3, (bx1 - bx0) // 2 | 1), max(3, (by1 - by0) // 2 | 1)))).astype(bool)
        labels[grown & inside] = cv2.GC_PR_FGD
    labels[core] = cv2.GC_FGD
    if (labels == cv2.GC_BGD).sum() + (labels == cv2.GC_PR_BGD).sum() < 16:
        labels[0, :] = labels[-1, :] = cv2.GC_PR_BGD  # GrabCut needs background samples
    mask = np.zeros((height, width), bool)
    mask[ry0:ry1, rx0:rx1] = _grabcut(np.ascontiguousarray(bgr[ry0:ry1, rx0:rx1]), labels, iterations)
    return mask


def split_overlaps(bgr: np.ndarray, masks: list[np.ndarray], cores: list[np.ndarray]) -> list[np.ndarray]:
    """Gives every pixel claimed by several characters to one of them: watershed on the image from each
    character's core (its face, else the pixels only it claims); pixels only one character claims stay its own."""
    if len(masks) < 2:
        return masks
    claims = np.sum(masks, axis=0)
    if (claims > 1).sum() == 0:
        return masks
    markers = np.zeros(claims.shape, np.int32)
    kernel = np.ones((3, 3), np.uint8)
    for i, (mask, core) in enumerate(zip(masks, cores)):
        own = cv2.erode((mask & (claims == 1)).astype(np.uint8), kernel).astype(bool)
        markers[(own | (core & mask)) & (markers == 0)] = i + 1
    if len(np.unique(markers)) < 3:  # fewer than two characters have a core of their own: nothing to split
        return masks
    cv2.watershed(bgr, markers)  # no background marker: every pixel goes to some character, -1 on borders
    out = []
    for i, mask in enumerate(masks):
        contested_border = (markers == -1) & mask & (claims > 1)
        first_claim = contested_border & ~np.any([m for m in masks[:i]] or [np.zeros_like(mask)], axis=0)
        out.append(mask & ((claims == 1) | (markers == i + 1) | first_claim))
    return out


def component_with(mask: np.ndarray, core: np.ndarray) -> np.ndarray:
    """The connected parts of ``mask`` that touch ``core`` (else its largest part): drops stray fragments."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if count <= 2:
        return mask
    touching = np.unique(labels[core & mask])
    touching = touching[touching > 0]
    if touching.size == 0:
        touching = np.array([1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))])
    return np.isin(labels, touching)


class OpencvCharacterSegmenter:
    """The offline default ``characters`` backend. ``segment(rgb, cues)`` -> [{mask, score, seed, ...}]."""

    name = "characters"

    def __init__(self, cues: CharacterCues | None = None, max_side: int = 640, iterations: int = 4):
        self.cues = cues or CharacterCues()
        self.model = f"opencv-grabcut+{self.cues.name}"
        self.max_side, self.iterations = max_side, iterations

    def segment(self, rgb: np.ndarray, cues: Cues | None = None) -> list[dict]:
        cues = cues if cues is not None else self.cues(rgb)
        height, width = rgb.shape[:2]
        seeds = seeds_from_cues(cues, width, height)
        if not seeds:
            return []
        # GrabCut's cost grows with pixels: refine at most max_side wide, then scale the masks back up
        scale = min(1.0, self.max_side / max(height, width))
        small = (round(width * scale), round(height * scale))
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        class_mask = cues.class_mask if cues.class_mask is not None else np.zeros((height, width), bool)
        if scale < 1.0:
            bgr = cv2.resize(bgr, small, interpolation=cv2.INTER_AREA)
            class_mask = cv2.resize(class_mask.astype(np.uint8), small, interpolation=cv2.INTER_NEAREST) > 0
        scaled = [Seed(s.box * scale, s.score, s.kind, None if s.face is None else
                       np.r_[s.face[:4] * scale, s.face[4:]]) for s in seeds]
        masks = [grabcut_seed(bgr, s, class_mask, self.iterations) for s in scaled]
        cores = [_core(s, small[0], small[1]) for s in scaled]
        masks = split_overlaps(bgr, masks, cores)
        out = []
        for seed, mask, core in zip(seeds, masks, cores):
            mask = component_with(mask, core)
            if scale < 1.0:
                mask = cv2.resize(mask.astype(np.uint8), (width, height), interpolation=cv2.INTER_LINEAR) > 0
            if mask.sum() < 16:
                continue
            kind = f"face+{seed.kind}" if seed.face is not None and seed.kind != "face" else seed.kind
            out.append({"mask": mask, "score": seed.score, "seed": kind})
        return out
