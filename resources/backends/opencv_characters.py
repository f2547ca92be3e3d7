"""Offline character segmenter: face / person / animal detections as seeds, refined with OpenCV GrabCut inside a
DeepLab character mask, and split between touching characters with a seeded watershed.

One seed per character (resources/backends/character_seeds.py): every YOLOX person/animal box, with the face that
is its head; a face with no box of its own becomes a seed whose box is extrapolated from the face (head and torso).
Each seed's GrabCut gives its pixels; where two characters' masks overlap, a watershed over the image gradient
from each seed's core (its face, else the pixels only it claims) draws the border between them.
"""

import logging

import cv2
import numpy as np

from resources.area_resize import area_resized
from resources.backends.character_axis import body_axis_x
from resources.backends.character_cues import CharacterCues, Cues
from resources.backends.character_boxed_again import without_boxed_again
from resources.backends.character_cel_fills import frame_mosaics, seed_mosaic
from resources.backends.character_close_faces import features_in_skin
from resources.backends.character_creatures import without_creature_limbs
from resources.backends.character_edges import (GRABCUTS, checked_grabcut, grabcut_backend, refine_apart,
                                                seeded_grabcut)
from resources.backends.character_extent import (selfie_applies, with_class_extent, with_legs, with_matte_class_extent,
                                                 with_selfie_extent)
from resources.backends.character_colour_parts import PARTED_SEED, parted_by_colour
from resources.backends.character_face_guard import false_faces
from resources.backends.character_fill_seeds import with_fill_seeds
from resources.backends.character_frame_pockets import with_frame_pockets
from resources.backends.character_ground_pieces import without_ground_pieces
from resources.backends.character_head_share import big_head_box, closes_inside, reaches_beyond, short_figure_box
from resources.backends.character_ink_outline import on_ink_outlines
from resources.backends.character_lower_body import joined_bodies, may_be_body
from resources.backends.character_nesting import nested_in_front
from resources.backends.character_monochrome import is_monochrome
from resources.backends.character_moving_seeds import with_moving_seeds
from resources.backends.character_objects import with_figure_objects
from resources.backends.character_own_prior import recut_with_own_colours
from resources.backends.character_regions import (border_regions, colour_regions, flat_parts,
                                                    textured_at_frame_edge)
from resources.backends.character_seeds import Seed, seeds_from_cues  # noqa: F401 (re-exported)
from resources.backends.character_shot_seeds import SHOT_SEED_KIND, with_shot_seeds
from resources.backends.character_skeleton import matte_cue, selfie_cue, skeleton_cue
from resources.backends.character_toys import with_toy_boxes
from resources.backends.character_upper_body import without_upper_bodies
from resources.backends.character_weak_faces import with_weak_faces
from resources.backends.segmenter_code import segmenter_code_version

log = logging.getLogger(__name__)


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


GRABCUT_MAX_SIDE = 256  # GrabCut's cost grows with the pixels it models; larger windows are cut at this size
CLASS_SHARE = 0.3  # DeepLab pixels covering this share of the seed box: its class map, not colour regions, seeds
BIG_HEADS = True  # a lone face's guessed body cut again in a big-headed character's box (character_head_share)
# ... and a person box with its face that ends at a big-headed character's feet (short_figure_box): one box round
# Kenney's characters standing together, one face found (session 21, d6: Kenney tune seed 11 +0.0009 / +0.0010)
BIG_HEAD_BOXES = True
FLAT_PARTS = True  # drawn characters: flat enclosed regions joining the cut are kept (character_regions)
# A face-less seed's core (_core: an ellipse at the box's upper centre) is a guess; as sure foreground it put the sky
# beside a head or an arm into the cut (Sintel trailer: the guard's round patch of sky at 00406, the sky beside the
# girl's hair from behind at 00699-00711). Where the seed's confident limbs give GrabCut sure pixels of its own, the
# guess is only probable foreground (29e47ff: composites tune +0.001-0.004 on six runs, drawn backgrounds the same);
# without them, sure only where DeepLab's class map, the enclosed colour regions or the trusted person matte also see
# the character (tune +0.0000-0.0002, drawn backgrounds +0.0008; tests/unit/test_guessed_core.py). Tried: the guess
# probable everywhere (tune +0.0016 on seed 13 in both presets, drawn +0.0003-0.0004, but held out anime 0.7389 ->
# 0.7382, 3D 0.7023 -> 0.7017, and four more Sintel cut-outs change whether they are kept).
GUESSED_CORE_PROBABLE = True
FALSE_FACES = True  # drawn shots: a lone face heading no character gives no instance (character_face_guard; s. 23)
FIGURE_SEED = "figure"  # an instance's seed name where its box is one BlazePose confirmed (character_toys)
# an instance's seed name where a lone face seeded it in a drawn shot and that face is a skin fill round features of
# its own (character_close_faces.features_in_skin): a drawn face by its look, whoever scored it (the filter reads it:
# assets/instances/filtering.py, ``drawn_face_characters``; session 29, h4)
DRAWN_FACE_SEED = "drawn_face"
# drawn shots: the cel-fill mosaic a seed's core lies on is its probable foreground (character_cel_fills; s. 25)
CEL_MOSAIC = True
INK_OUTLINE = True  # drawn shots: a cut's edge moved onto the character's ink outline (character_ink_outline; s. 26)
WINDOW_MARGIN = 0.2  # background around the seed box GrabCut learns colours from, fraction of the box's sides


def _window(seed: Seed, width: int, height: int) -> tuple[tuple[int, int, int, int], tuple[int, int, int, int]]:
    """(seed box, search window) in frame pixels: the box plus a margin of background to learn colours from."""
    bx0, by0, bx1, by1 = _ints(seed.box, width, height)
    mw, mh = int(WINDOW_MARGIN * (bx1 - bx0)) + 2, int(WINDOW_MARGIN * (by1 - by0)) + 2
    return (bx0, by0, bx1, by1), (max(0, bx0 - mw), max(0, by0 - mh), min(width, bx1 + mw), min(height, by1 + mh))


def _cut_window(seed: Seed, width: int, height: int) -> tuple[tuple[int, int, int, int], tuple[int, int, int, int],
                                                                float, tuple[int, int]]:
    """(seed box, search window, scale, cut size): the window is cut at ``scale`` (at most GRABCUT_MAX_SIDE),
    ``cut size`` its (width, height) there."""
    box, (rx0, ry0, rx1, ry1) = _window(seed, width, height)
    scale = min(1.0, GRABCUT_MAX_SIDE / max(rx1 - rx0, ry1 - ry0))
    return box, (rx0, ry0, rx1, ry1), scale, (max(8, round((rx1 - rx0) * scale)), max(8, round((ry1 - ry0) * scale)))


def _box_plane(seed: Seed, width: int, height: int) -> np.ndarray:
    """bool plane of the search window, true inside the seed box."""
    (bx0, by0, bx1, by1), (rx0, ry0, rx1, ry1) = _window(seed, width, height)
    inside = np.zeros((ry1 - ry0, rx1 - rx0), bool)
    inside[by0 - ry0:by1 - ry0, bx0 - rx0:bx1 - rx0] = True
    return inside


def _fit(plane: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A bool window plane at the cut size (nearest neighbour)."""
    return cv2.resize(plane.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST).astype(bool)


def grabcut_seed(bgr: np.ndarray, seed: Seed, class_mask: np.ndarray, iterations: int = 4,
                 limbs: np.ndarray | None = None, matte: np.ndarray | None = None, drawn: bool = False,
                 mosaics: tuple | None = None) -> np.ndarray:
    """The seed's whole character. In the search window (at most GRABCUT_MAX_SIDE): colour regions that reach the
    window's border (or, textured, the frame's edge) start as background, the other regions inside the seed box,
    DeepLab's character pixels and a band along a body box's axis as probable foreground, the core (face) as sure
    foreground; GrabCut then decides by colour; ``limbs`` (frame-sized bool, the character's confident body keypoint
    lines) are sure foreground; outside ``drawn`` shots (rendered, filmed) a textured region inside the outline of
    ``matte`` (BlazePose's sure person pixels) is the person's. (Snapping the result to whole regions was measured
    and lowered the composites' IoU: dark clothing merges with dark backgrounds into one region.) The edge is
    refined later at full resolution. ``mosaics`` (drawn shots: ``character_cel_fills.frame_mosaics``): the cel-fill
    mosaic a detector-boxed seed's core lies on is probable foreground, in or out of the box (a lone face's box is a
    guess: on Penny & Chip its mosaic was the painted wave behind her)."""
    height, width = class_mask.shape
    (bx0, by0, bx1, by1), (rx0, ry0, rx1, ry1), scale, size = _cut_window(seed, width, height)
    roi = cv2.resize(np.ascontiguousarray(bgr[ry0:ry1, rx0:rx1]), size, interpolation=cv2.INTER_AREA)

    def fit(plane: np.ndarray) -> np.ndarray:
        return _fit(plane, size)

    inside, classes = fit(_box_plane(seed, width, height)), fit(class_mask[ry0:ry1, rx0:rx1])
    core = fit(_core(seed, width, height)[ry0:ry1, rx0:rx1])
    # a face seed's box is a guess: outside it is only probably background; a detector's box is trusted
    labels = np.full(inside.shape, cv2.GC_PR_BGD if seed.kind == "face" or seed.shared else cv2.GC_BGD, np.uint8)
    labels[inside] = cv2.GC_PR_BGD
    if (inside & classes).sum() >= CLASS_SHARE * inside.sum():
        labels[inside & classes] = cv2.GC_PR_FGD  # DeepLab sees this character (photos, 3D): trust its pixels
    else:  # DeepLab is blind here (drawn characters): enclosed colour regions instead (only here: 34 ms a window)
        regions, sides = colour_regions(roi), (rx0 > 0, ry0 > 0, rx1 < width, ry1 < height)
        person = None if matte is None or drawn else fit(matte[ry0:ry1, rx0:rx1])  # a rendered beard, fur
        outer = border_regions(regions, sides) | textured_at_frame_edge(roi, regions, sides, person)
        labels[inside & (~outer | classes)] = cv2.GC_PR_FGD
    evidence = labels == cv2.GC_PR_FGD  # the class map's or the enclosed regions' character, before any guess
    if mosaics is not None and seed.kind != "face":  # drawn: the cel-fill mosaic the core lies on (character_cel_fills)
        fills, joined = (plane[ry0:ry1, rx0:rx1] for plane in mosaics)
        labels[fit(seed_mosaic(fills, joined, _core(seed, width, height)[ry0:ry1, rx0:rx1],
                               _box_plane(seed, width, height), (rx0 > 0, ry0 > 0, rx1 < width, ry1 < height)))] = \
            cv2.GC_PR_FGD
    if seed.kind != "face":
        axis = np.zeros_like(inside)
        h, w = axis.shape
        cx = body_axis_x(bx0, bx1, seed.face, seed.shared) - rx0
        axis[int(((by0 - ry0) + 0.1 * (by1 - by0)) * scale):int(((by0 - ry0) + 0.98 * (by1 - by0)) * scale),
             max(0, int((cx - 0.08 * (bx1 - bx0)) * scale)):int((cx + 0.08 * (bx1 - bx0)) * scale) + 1] = True
        labels[axis & inside] = cv2.GC_PR_FGD
    if matte is not None:  # BlazePose's confident person matte, in or out of the box (an arm reaching past it)
        labels[fit(matte[ry0:ry1, rx0:rx1])] = cv2.GC_PR_FGD
        evidence |= fit(matte[ry0:ry1, rx0:rx1])
    sure = None if limbs is None else fit(limbs[ry0:ry1, rx0:rx1])
    # a face-less seed's core is a guess (an ellipse at the box's upper centre, often on the sky beside the head):
    # only probable foreground where the seed's confident limbs give sure pixels of its own; without them sure only
    # where the class map, the enclosed regions or the person matte also see the character
    if GUESSED_CORE_PROBABLE and seed.face is None:
        labels[core] = cv2.GC_PR_FGD
        if sure is None or not sure.any():
            labels[core & evidence] = cv2.GC_FGD
    else:
        labels[core] = cv2.GC_FGD
    if sure is not None:
        labels[sure] = cv2.GC_FGD
    if not (labels == cv2.GC_FGD).any() and not (labels == cv2.GC_PR_FGD).any():
        return np.zeros((height, width), bool)
    border = np.zeros_like(inside)  # GrabCut needs sure background: the window's edge, except where the frame ends
    border[:, 0], border[0, :], border[:, -1], border[-1, :] = rx0 > 0, ry0 > 0, rx1 < width, ry1 < height
    labels[border & (labels != cv2.GC_FGD)] = cv2.GC_BGD
    if not ((labels == cv2.GC_BGD) | (labels == cv2.GC_PR_BGD)).any():
        labels[0, :] = labels[-1, :] = cv2.GC_PR_BGD
    initial = labels.copy()
    try:
        seeded_grabcut(roi, labels, iterations)
    except cv2.error as error:  # degenerate window (flat colour): keep the initial labelling
        log.debug("grabCut failed on a %dx%d window: %s", size[0], size[1], error)
    foreground = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
    if drawn and (inside & classes).sum() < CLASS_SHARE * inside.sum():  # regions in the cut's colours, cut again
        foreground = recut_with_own_colours(roi, initial, foreground, inside,
                                            (rx0 > 0, ry0 > 0, rx1 < width, ry1 < height), iterations)
    mask = np.zeros((height, width), bool)
    mask[ry0:ry1, rx0:rx1] = cv2.resize(foreground.astype(np.uint8) * 255, (rx1 - rx0, ry1 - ry0),
                                        interpolation=cv2.INTER_LINEAR) > 127
    return mask


def with_flat_parts(bgr: np.ndarray, seed: Seed, class_mask: np.ndarray, mask: np.ndarray,
                    others: np.ndarray, drawn: bool = False) -> np.ndarray:
    """``mask`` (the seed's GrabCut cut) plus the flat, enclosed parts of a drawn character that join it
    (``character_regions.flat_parts``: black hair or dark trousers that colour alone gave to a dark background), on
    the same window as ``grabcut_seed``; pixels ``others`` (the other characters' cuts) hold are never added. A
    character DeepLab sees (photos, 3D) keeps its mask: its fills are not flat. In ``drawn`` shots shaded parts in
    the cut's own colours join too (``character_regions.own_fill_regions``)."""
    height, width = class_mask.shape
    _, (rx0, ry0, rx1, ry1), _, size = _cut_window(seed, width, height)
    if not mask[ry0:ry1, rx0:rx1].any():
        return mask
    inside = _fit(_box_plane(seed, width, height), size)
    if (inside & _fit(class_mask[ry0:ry1, rx0:rx1], size)).sum() >= CLASS_SHARE * inside.sum():
        return mask
    roi = cv2.resize(np.ascontiguousarray(bgr[ry0:ry1, rx0:rx1]), size, interpolation=cv2.INTER_AREA)
    added = flat_parts(roi, _fit(mask[ry0:ry1, rx0:rx1], size), inside & ~_fit(others[ry0:ry1, rx0:rx1], size),
                       (rx0 > 0, ry0 > 0, rx1 < width, ry1 < height), own_fills=drawn)
    if not added.any():
        return mask
    grown = np.zeros_like(mask)
    grown[ry0:ry1, rx0:rx1] = cv2.resize(added.astype(np.uint8) * 255, (rx1 - rx0, ry1 - ry0),
                                         interpolation=cv2.INTER_LINEAR) > 127
    return mask | (grown & ~others)


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


# Parts of a mask this close to each other (pixels of the segmenter's working frame, at most max_side = 640 wide)
# are one part: a drawn character's trousers, which flat_parts joins to the cut, sit an outline's width below the
# jacket. Tune split (anime preset): 0 / 1 / 2 / 3 px
# read 0.821 / 0.826 / 0.826 / 0.826 mean IoU.
COMPONENT_GAP_PX = 2


def component_with(mask: np.ndarray, core: np.ndarray, min_share: float = 0.1) -> np.ndarray:
    """The connected parts of ``mask`` that touch ``core`` (else its largest part), plus any part holding at least
    ``min_share`` of the mask: drops stray fragments, but keeps a drawn body that its own dark outline, lost against
    a dark background, separates from the head. Parts at most COMPONENT_GAP_PX apart count as one (a gap of
    outline pixels between a drawn character's jacket and its trousers)."""
    joined = mask.astype(np.uint8)
    if COMPONENT_GAP_PX:
        joined = cv2.dilate(joined, np.ones((2 * COMPONENT_GAP_PX + 1,) * 2, np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    if count <= 2:
        return mask
    labels[~mask] = 0
    stats[:, cv2.CC_STAT_AREA] = np.bincount(labels.ravel(), minlength=count)
    areas = stats[1:, cv2.CC_STAT_AREA]
    touching = np.unique(labels[core & mask])
    touching = touching[touching > 0]
    if touching.size == 0:
        touching = np.array([1 + int(np.argmax(areas))])
    large = 1 + np.flatnonzero(areas >= min_share * areas.sum())
    return np.isin(labels, np.union1d(touching, large)) & mask


def _trusted_face(seed: Seed, cues: Cues) -> bool:
    """Whether ``seed``'s face is one of the frame's trusted faces (``cues.faces``; a weak face the seeding confirmed
    is not among them)."""
    return seed.face is not None and any(np.allclose(seed.face[:4], face[:4]) for face in cues.faces)


def _rgb(bgr: np.ndarray) -> np.ndarray:
    """The RGB pixels of the (uint8) analysis frame ``bgr``, contiguous, as the pose models take them: the array
    ``np.ascontiguousarray(bgr[..., ::-1])`` makes, by OpenCV's channel swap (1.4 -> 0.03 CPU-ms at 853 x 480, asked
    once per body seed: docs/film_scale.md, session 48)."""
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


class OpencvCharacterSegmenter:
    """The offline default ``characters`` backend. ``segment(rgb, cues)`` -> [{mask, score, seed, ...}]."""

    name = "characters"

    def __init__(self, cues: CharacterCues | None = None, max_side: int = 640, iterations: int = 4,
                 person_score: float = 0.3, body_keypoints: bool = True, person_matte: bool = True,
                 grabcut: str = GRABCUTS[0]):
        self.cues = cues or CharacterCues()
        self.skeleton = skeleton_cue() if body_keypoints else None
        self.matte = matte_cue() if person_matte else None
        self.selfie = selfie_cue() if person_matte else None
        self.person_score = person_score
        self.grabcut = checked_grabcut(grabcut)  # GrabCut's implementation (GRABCUTS): the same masks, other CPU
        # the optional cues present and the segmenter's code: either changes the cut-outs, so the cache key
        optional = "".join(f"+{name}" for name, cue in (("movenet", self.skeleton), ("blazepose", self.matte),
                                                        ("selfie", self.selfie)) if cue is not None)
        self.model = f"{grabcut}-grabcut+{self.cues.name}{optional}+code-{segmenter_code_version()}"
        self.max_side, self.iterations = max_side, iterations

    def segment(self, rgb: np.ndarray, cues: Cues | None = None) -> list[dict]:
        with grabcut_backend(self.grabcut):
            return self._segment(rgb, cues)

    def _segment(self, rgb: np.ndarray, cues: Cues | None = None) -> list[dict]:
        cues = cues if cues is not None else self.cues(rgb)
        height, width = rgb.shape[:2]
        boxed = with_figure_objects(rgb, with_toy_boxes(rgb, cues, self.matte, self.person_score),
                                    getattr(cues, "objects", None), self.matte, self.person_score,
                                    getattr(cues, "motion", None))
        monochrome = is_monochrome(rgb)  # no colour: skin read by lightness alone (character_monochrome)
        seeds = seeds_from_cues(with_weak_faces(rgb, boxed, self.matte, monochrome), width, height, self.person_score,
                                len(cues.bodies))
        seeds = without_upper_bodies(seeds, cues.drawn)
        seeds = with_moving_seeds(seeds, rgb.shape, getattr(cues, "motion", None), cues.drawn, self.person_score)
        seeds = with_fill_seeds(seeds, rgb, getattr(cues, "objects", None), cues.drawn, self.person_score)
        seeds = with_shot_seeds(seeds, getattr(cues, "shot_seeds", None), cues.drawn, self.person_score)
        cues.seeds = len(seeds)   # why a frame has no instance (SegmenterResource.segment_frame)
        if not seeds:
            return []
        # GrabCut's cost grows with pixels: refine at most max_side wide, then scale the masks back up
        scale = min(1.0, self.max_side / max(height, width))
        small = (round(width * scale), round(height * scale))
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        class_mask = cues.class_mask if cues.class_mask is not None else np.zeros((height, width), bool)
        if scale < 1.0:
            # OpenCV's bytes, compiled; a GrabCut window (varied sizes, small) stays cv2's: the compiled one builds
            # its tables per size: 3.5 ms a window against under 1 ms (6-minute 1080p film, session 51)
            bgr = area_resized(bgr, *small)
            class_mask = cv2.resize(class_mask.astype(np.uint8), small, interpolation=cv2.INTER_NEAREST) > 0
        scaled = [Seed(s.box * scale, s.score, s.kind, None if s.face is None else
                       np.r_[s.face[:4] * scale, s.face[4:]], s.shared) for s in seeds]
        people = [self._person(bgr, s) for s in scaled]
        seeds, scaled, people = without_creature_limbs(seeds, scaled, people, cues.drawn)
        seeds, scaled, people = without_boxed_again(seeds, scaled, people, cues.drawn)
        cues.seeds = len(seeds)
        mosaics = frame_mosaics(bgr) if CEL_MOSAIC and cues.drawn else None
        masks = [self._cut(bgr, s, p, class_mask, cues.drawn, mosaics) for s, p in zip(scaled, people)]
        if BIG_HEADS:
            for i, (seed, small_seed) in enumerate(zip(seeds, scaled)):
                better = self._big_head(bgr, small_seed, people[i], class_mask, cues.drawn, masks[i], mosaics)
                if better is not None:
                    scaled[i], masks[i] = better
                    seeds[i] = Seed(better[0].box / scale, seed.score, seed.kind, seed.face, seed.shared, seed.figure)
        false = [False] * len(seeds)  # false faces' seeds: cut with the others, their instances dropped
        if FALSE_FACES:
            false = false_faces(bgr, seeds, scaled, masks, cues, monochrome)
            cues.seeds = len(seeds) - sum(false)
            if not cues.seeds:
                return []
        if FLAT_PARTS:
            masks = [with_flat_parts(bgr, s, class_mask, m, np.any([o for j, o in enumerate(masks) if j != i]
                                                                     or [np.zeros_like(m)], axis=0), cues.drawn)
                     for i, (s, m) in enumerate(zip(scaled, masks))]
        cores = [_core(s, small[0], small[1]) for s in scaled]
        masks = [self._selfie_pieces(bgr, s, m, c, class_mask, cues.drawn) for s, m, c in zip(scaled, masks, cores)]
        # a rendered character boxed by the detector with a trusted face of its own, inside a neighbour's cut, is in
        # front (character_nesting.BOXED_MAX_AREA); a weak face confirmed by a weak box may be a hand
        boxed = [not cues.drawn and s.kind != "face" and _trusted_face(s, cues) for s in seeds]
        masks = split_overlaps(bgr, nested_in_front(masks, boxed=boxed), cores)
        coarse = []
        for mask, core in zip(masks, cores):
            mask = component_with(mask, core)
            if scale < 1.0:
                mask = cv2.resize(mask.astype(np.uint8), (width, height), interpolation=cv2.INTER_LINEAR) > 0
            coarse.append(mask)
        out = []
        flags = [0.0 if p is None else round(float(p[0].score), 4) for p in people]
        refined = refine_apart(rgb, coarse)
        refined = on_ink_outlines(rgb, refined) if INK_OUTLINE and cues.drawn else refined
        refined = self._frame_pockets(refined, seeds, cues)
        # a faceless body cut apart from the head cut above it joins that cut (character_lower_body)
        refined, joined = joined_bodies(refined, [may_be_body(s) for s in seeds], false, cues.drawn)
        for seed, mask, person, drop, gone in zip(seeds, refined, flags, false, joined):
            if drop or gone or mask.sum() < 16:
                continue
            kind = FIGURE_SEED if seed.figure else seed.kind  # the filter reads a confirmed figure's seed
            kind = f"{SHOT_SEED_KIND}+{FIGURE_SEED}" if seed.kind == SHOT_SEED_KIND else kind
            if kind == "face" and cues.drawn and seed.face is not None and features_in_skin(rgb, seed.face,
                                                                                             monochrome):
                kind = DRAWN_FACE_SEED
            kind = f"face+{kind}" if seed.face is not None and seed.kind != "face" else kind
            # a second character in other colours beside the seed's face is parted off (character_colour_parts);
            # the filter reads its seed as a figure's, as a shot seed's
            mask, part = parted_by_colour(rgb, mask, seed.face, cues.drawn)
            out.append({"mask": mask, "score": seed.score, "seed": kind, "person_score": person})
            if part is not None:
                out.append({"mask": part, "score": seed.score, "seed": f"{PARTED_SEED}+{FIGURE_SEED}",
                            "person_score": person})
        return out

    @staticmethod
    def _frame_pockets(refined: list[np.ndarray], seeds: list[Seed], cues: Cues) -> list[np.ndarray]:
        """Each refined cut with its pockets against the frame's edge that DeepLab holds (a rendered character's
        body where the frame cuts it, left out in the background's colours: ``character_frame_pockets``), inside
        its seed's box, never over another character's cut. On the refined cuts: a pocket the coarse cut leaves
        open to the background by a pixel's gap is closed by the refinement at full resolution."""
        if cues.drawn or cues.class_mask is None:
            return refined
        height, width = cues.class_mask.shape
        # how many cuts hold each pixel, counted once: another cut holds it where the count exceeds this cut's own
        # (a union per cut over the others is quadratic in the cuts, at the source resolution)
        held = np.sum(refined, axis=0, dtype=np.uint16) if refined else None
        return [with_frame_pockets(mask, cues.class_mask, _ints(seed.box, width, height), held > mask, cues.drawn)
                for seed, mask in zip(seeds, refined)]

    def _cut(self, bgr: np.ndarray, seed: Seed, person: tuple | None, class_mask: np.ndarray,
             drawn: bool, mosaics: tuple | None = None) -> np.ndarray:
        """The seed's GrabCut (``grabcut_seed``), made again with the legs BlazePose sees as sure foreground where
        the first cut left them out (``character_extent.with_legs``), plus the silhouette-extending pieces of
        DeepLab's map (``with_class_extent``) and of its agreement with BlazePose's untrusted matte
        (``with_matte_class_extent``)."""
        sure = self._sure(person)

        def cut(limbs: np.ndarray | None, iterations: int = self.iterations) -> np.ndarray:
            return grabcut_seed(bgr, seed, class_mask, iterations, limbs, sure, drawn, mosaics)

        box, window = _window(seed, bgr.shape[1], bgr.shape[0])
        first = with_legs(cut, self._limbs(bgr, seed), None if sure is None else person[0], sure, box)
        first = with_class_extent(first, class_mask, _core(seed, bgr.shape[1], bgr.shape[0]), box, drawn)
        return with_matte_class_extent(first, self._unsure(bgr, seed, person), class_mask, window, box, drawn)

    def _big_head(self, bgr: np.ndarray, seed: Seed, person: tuple | None, class_mask: np.ndarray, drawn: bool,
                  mask: np.ndarray, mosaics: tuple | None = None) -> tuple[Seed, np.ndarray] | None:
        """(the seed in a big-headed character's body box, its cut) where a lone face's guessed body
        (``character_head_share``), or a person box with its face that ends at a big-headed character's feet
        (``short_figure_box``: a group's box), is too big for the character: its cut reaches beyond the big-head
        box while the cut in that box closes inside it; else None."""
        if seed.face is None or seed.shared or seed.kind not in ("face", "person"):
            return None
        if seed.kind == "person" and not (BIG_HEAD_BOXES and short_figure_box(seed.face, seed.box, bgr.shape[0])):
            return None
        box = big_head_box(seed.face, seed.box, bgr.shape[1], bgr.shape[0])
        if not reaches_beyond(mask, box):
            return None
        small = Seed(box, seed.score, seed.kind, seed.face, seed.shared, seed.figure)
        cut = self._cut(bgr, small, person, class_mask, drawn, mosaics)
        return (small, cut) if closes_inside(cut, box) else None

    def _selfie_pieces(self, bgr: np.ndarray, seed: Seed, mask: np.ndarray, core: np.ndarray,
                       class_mask: np.ndarray, drawn: bool) -> np.ndarray:
        """``mask`` (the seed's cut with its flat parts) less the ground it closed over between the limbs
        (``character_ground_pieces``), plus the selfie matte's silhouette-extending pieces
        (``character_extent.with_selfie_extent``); after the flat parts, which give a drawn leg back without the
        background between the legs."""
        box, window = _window(seed, bgr.shape[1], bgr.shape[0])
        selfie = self._selfie(bgr, seed.face is not None, box, core, class_mask, drawn)
        if selfie is not None and seed.kind == "person":  # the ground a person's cut closed over between the
            mask = without_ground_pieces(mask, bgr, selfie, class_mask, box)  # limbs (character_ground_pieces)
        return with_selfie_extent(mask, selfie, window, box, seed.face, class_mask)

    def _selfie(self, bgr: np.ndarray, has_face: bool, box: tuple[int, int, int, int], core: np.ndarray,
                class_mask: np.ndarray, drawn: bool) -> np.ndarray | None:
        """MediaPipe's selfie matte on the seed's box where the seed is a rendered character DeepLab sees as a
        person at its face, or, without a face, in its box (``character_extent.selfie_applies``), else None."""
        if self.selfie is None or not selfie_applies(has_face, core, class_mask, drawn, box):
            return None
        return self.selfie.estimate(_rgb(bgr), box)

    def _limbs(self, bgr: np.ndarray, seed: Seed) -> np.ndarray | None:
        """The seed's confident body keypoint lines (people and guessed bodies below a face; not animals)."""
        if self.skeleton is None or seed.kind not in ("person", "face"):
            return None
        height, width = bgr.shape[:2]
        box, _ = _window(seed, width, height)
        thickness = round(0.015 * (box[3] - box[1]))
        return self.skeleton.lines(_rgb(bgr), box, thickness)

    def _person(self, bgr: np.ndarray, seed: Seed) -> tuple | None:
        """(BlazePose's PersonMatte on the seed's box, whether it is trusted: sure and holding the seed's face) for
        people and guessed bodies below a face (not animals), or None. Run on every such seed, not only where
        DeepLab is blind: on the Sintel trailer it gives a girl whose cut held only her head her torso and arm back."""
        if self.matte is None or seed.kind not in ("person", "face"):
            return None
        height, width = bgr.shape[:2]
        box, _ = _window(seed, width, height)
        found = self.matte.estimate(_rgb(bgr), box)
        if found is None:
            return None
        core = _core(seed, width, height) if seed.face is not None else None
        return found, self.matte.trusted(found, core)

    def _unsure(self, bgr: np.ndarray, seed: Seed, person: tuple | None):
        """BlazePose's PersonMatte on the seed where it is the seed's own but not trusted, else None: its pose flag
        under the trust bar (a person seen close, from behind or in part) and its matte holding the seed's face, if
        any. A trusted matte already seeded the cut (``_sure``); a sure flag on a matte without the seed's face is
        another person's (tune 3D seed 13 scene 0: a face between two drawn Sahas, flag 0.81)."""
        if person is None or person[1] or person[0].score >= self.matte.min_score:
            return None
        core = _core(seed, bgr.shape[1], bgr.shape[0]) if seed.face is not None else None
        return person[0] if self.matte.holds(person[0], core) else None

    def _sure(self, person: tuple | None) -> np.ndarray | None:
        """The pixels a trusted person matte is sure of (GrabCut's probable foreground), or None."""
        return person[0].matte >= self.matte.high if person is not None and person[1] else None
