"""A drawn figure YOLOX boxes but nothing confirms, seeded where its box holds cel fills of its own.

In a drawn shot YOLOX boxes a faceless character (a robot, an adventurer seen from behind) as an object of some class
(``Cues.objects``); ``character_objects.figure_objects`` seeds such a box only where a weak face heads it, it moves
against its shot or BlazePose finds a pose in it, and a character standing still or with its back turned has none
of the three (Kenney tune film, frame 102: the adventurer's object box, box IoU 0.79 with him, objectness 0.7,
missed). A drawn character is painted in cel fills (``resources/cel_fills.py``: flat-colour regions with crisp
borders) that end at its outline, so each of its fills lies inside a box round it; a background's fills (a painted
sky, a wall, a road, a flat blurred backdrop) run on past any box round a thing standing on them. So a box holds a
figure where its own fills (the 4-connected fill pieces with at least INSIDE of their pixels inside it) cover at
least MIN_SHARE of the box and reach over at least MIN_SPAN of its height (head to feet, not one prop at its
bottom), and only against a background not itself painted in fills: at most MAX_REST_FILLS of the frame outside
the box is cel fill (in a wholly painted frame every prop, a pumpkin, a television, a sofa's arm, a mountain, holds
its own fills as a character does: on Penny & Chip the rest of the frame is 0.15-0.33 fill; round the Kenney
characters found on rendered backgrounds 0.02-0.06). The characters already seeded in the frame are no background:
their boxes are left out of that share (``SEEDED_NOT_REST``, session 35: on a Kenney tune composite the fills of a
seeded man beside an adventurer seen from behind made the rest 0.108 of the frame, and her box, 0.58 in fills of
her own, seeded nothing). The box must be figure-shaped
(``character_objects.figure_shaped``: size, upright, clear of the frame's top and sides; or ``cut_figure_shaped``:
the same with one of the frame's sides cutting it, session 27) and stand apart from every
seed (it overlaps each seed's box less than APART of the smaller of the two: a box over a seeded character is that
character again). It is seeded as a figure (``Seed.figure``, kind person, scored as a trusted person box). Drawn
shots only; boxes are x0, y0, x1, y1 in the frame's pixels.

Measured on the Kenney tune films' unconfirmed object boxes (docs/instances.md, "Session 26 (h1)"): boxes on
characters 0.08-0.45 of the box in own fills, spanning 0.66-0.98 of its height; boxes on the background 0.00-0.04,
but for the Big Buck Bunny title's white letters (0.34, span 0.87) and a mossy rock (0.18, span 0.58).
"""

import numpy as np

from resources.backends.character_cues import overlap_of_smaller
from resources.backends.character_objects import cut_figure_shaped, figure_shaped
from resources.backends.character_seeds import Seed
from resources.backends.yolox_boxes import OBJECT_SCORE

FILL_SEEDS = True
INSIDE = 0.8  # a fill piece with at least this share of its pixels inside the box is the box's own
MIN_SHARE = 0.1  # the box's own fills cover at least this share of it
MIN_SPAN = 0.6  # ... and the rows they cover span at least this share of its height
MAX_REST_FILLS = 0.1  # share of the frame outside the box that is cel fill
APART = 0.3  # a seed's box overlapping this share of the smaller of it and the candidate: the same character
SEEDED_NOT_REST = True  # the seeded characters' boxes are left out of the rest of the frame (session 35)


def _clipped(box: np.ndarray, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """``box``'s x0, y0, x1, y1 rounded to pixels and kept inside a frame of ``shape`` (height, width)."""
    height, width = shape[:2]
    x0, y0, x1, y1 = (int(round(float(v))) for v in box[:4])
    return max(0, x0), max(0, y0), min(width, x1), min(height, y1)


def own_fills(box: np.ndarray, pieces: np.ndarray) -> np.ndarray:
    """bool plane: the fill pieces (``pieces``: int32 labels of the frame's 4-connected cel-fill pieces, 0 off the
    fills, frame-sized) with at least INSIDE of their pixels inside ``box``, where they lie inside it."""
    x0, y0, x1, y1 = _clipped(box, pieces.shape)
    window = pieces[y0:y1, x0:x1]
    inside = np.bincount(window.ravel(), minlength=1)
    total = np.bincount(pieces.ravel(), minlength=inside.size)[:inside.size]
    own = np.flatnonzero(inside >= INSIDE * np.maximum(1, total))
    plane = np.zeros(pieces.shape, bool)
    plane[y0:y1, x0:x1] = np.isin(window, own[own > 0])
    return plane


def rest_fill_share(box: np.ndarray, pieces: np.ndarray, seeded: list[np.ndarray] = ()) -> float:
    """The share of the frame outside ``box`` and outside every box in ``seeded`` (the characters already seeded:
    their own fills are no painted background) that is cel fill (``pieces`` > 0)."""
    rest = np.ones(pieces.shape, bool)
    for other in (box, *seeded):
        x0, y0, x1, y1 = _clipped(other, pieces.shape)
        rest[y0:y1, x0:x1] = False
    return np.count_nonzero(rest & (pieces > 0)) / max(1, np.count_nonzero(rest))


def fill_figure(box: np.ndarray, pieces: np.ndarray, seeded: list[np.ndarray] = ()) -> bool:
    """Whether ``box`` holds a figure's own fills against a background not painted in fills (module docstring:
    MIN_SHARE, MIN_SPAN, MAX_REST_FILLS; the boxes in ``seeded``, the characters already seeded, are no
    background)."""
    if rest_fill_share(box, pieces, seeded) > MAX_REST_FILLS:
        return False
    own = own_fills(box, pieces)
    area = max(1.0, float((box[2] - box[0]) * (box[3] - box[1])))
    rows = np.flatnonzero(own.any(axis=1))
    span = (rows[-1] - rows[0] + 1) / max(1.0, float(box[3] - box[1])) if rows.size else 0.0
    return bool(own.sum() >= MIN_SHARE * area and span >= MIN_SPAN)


def fill_pieces(rgb: np.ndarray) -> np.ndarray:
    """int32 labels (frame-sized) of the frame's 4-connected cel-fill pieces (``character_cel_fills.frame_mosaics``'
    fill map), 0 off the fills."""
    import cv2

    from resources.backends.character_cel_fills import frame_mosaics

    fills = frame_mosaics(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[0]
    return cv2.connectedComponents(fills.astype(np.uint8), connectivity=4)[1]


def fill_figure_boxes(rgb: np.ndarray, objects: np.ndarray, seed_boxes: list[np.ndarray]) -> list[np.ndarray]:
    """The ``objects`` boxes (O x 5, best objectness first) that are figure-shaped (whole or cut by a side), apart
    from every box in ``seed_boxes`` and from each other, and hold a figure's own fills (against the rest of the
    frame outside the seeds' boxes, SEEDED_NOT_REST); the fill map made only when a box asks."""
    height, width = rgb.shape[:2]
    found: list[np.ndarray] = []
    pieces = None
    for box in objects[np.argsort(-objects[:, 4])]:
        if not (figure_shaped(box, width, height) or cut_figure_shaped(box, width, height)) \
                or any(overlap_of_smaller(box, other) >= APART for other in [*seed_boxes, *found]):
            continue
        pieces = fill_pieces(rgb) if pieces is None else pieces
        if fill_figure(box, pieces, seed_boxes if SEEDED_NOT_REST else ()):
            found.append(np.asarray(box[:4], np.float32))
    return found


def with_fill_seeds(seeds: list[Seed], rgb: np.ndarray, objects: np.ndarray | None, drawn: bool,
                      score: float) -> list[Seed]:
    """``seeds`` and, in a drawn shot, a figure seed (scored ``score``) for every ``fill_figure_boxes`` box."""
    if objects is not None:  # not the faint boxes (yolox_boxes.FAINT_OBJECT_SCORE): their fills are props' too
        objects = objects[objects[:, 4] >= OBJECT_SCORE]
    if not FILL_SEEDS or not drawn or objects is None or not len(objects):
        return seeds
    boxes = fill_figure_boxes(rgb, objects, [s.box for s in seeds])
    return seeds + [Seed(box, score, "person", figure=True) for box in boxes]
