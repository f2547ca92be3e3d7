"""A drawn figure standing still that no cue confirms, seeded where its object box recurs through its shot.

A faceless drawn character standing still (a zombie, a robot, a figure seen from behind) is boxed by YOLOX as an
object of some class in key frame after key frame of its shot, but no seeding rule of one frame takes the box: no
weak face heads it, it does not move against its neighbours (``motion_seeds`` confirms movers only), a seed's box
beside it overlaps it (``character_fill_seeds.APART``), or its box is faint, or its own fills span too little of its
height or the rest of the frame holds too many fills (session 53, h89: on the Kenney tune films 25 of the 40
characters no cut came near stand still, none with a trusted face; film 31's zombie unseeded in six key frames with
object boxes at box IoU 0.89-0.94 with it in each). The shot confirms what one frame cannot: the same box, nearly at
the same place (``SAME_PLACE``), in most of the shot's drawn key frames (``MOST``, at least ``MIN_FRAMES``), on
pixels no cut of the frame holds (``MAX_HELD``), a standing figure's shape (``character_objects.figure_shaped``:
seen whole, clear of the frame's top and sides; and upright, at least ``MIN_UPRIGHT`` times as tall as wide) and
holding cel fills of its own (``character_fill_seeds.own_fills``: at least ``MIN_OWN_FILLS`` of the box; no span
gate: a figure's outline cuts its fills into pieces), against a background not itself painted in fills
(``MAX_REST_FILLS``: a wholly painted frame's props hold their own fills as a character does). The shape is stricter
than one frame's rules ask, because the shot's confirmation stands in for their other gates: on Penny & Chip's
painted frames, with any figure-shaped box (whole or cut by a side), 7 of the 11 new cuts were props that recur as a
figure does (squat pumpkins, a jug and a sofa's arm the frame's side cuts; session 54, h93). Each such box is handed
back to the segmenter as a shot seed (``SEED_KEY``: a figure seed, ``resources/backends/character_shot_seeds.py``),
and the frame's new cuts are kept where every box got a new cut (no first cut at mask IoU ``NEW_IOU``) whose box
fits it (``MIN_BOX_MATCH``).

Drawn shots only (the frame's cues say ``drawn`` and hold object boxes); the stage's ``standing_seeds`` (anime preset).
Boxes x0, y0, x1, y1 (plus objectness) in frame pixels; images RGB uint8; masks bool H x W. numpy / OpenCV only.
"""

from typing import Any, Callable

import numpy as np

from assets.instances.artefacts import mask_box
from assets.instances.shot_consistency import mask_iou
from resources.backends.character_cues import box_iou
from resources.backends.character_fill_seeds import fill_pieces, own_fills, rest_fill_share
from resources.backends.character_objects import figure_shaped

SAME_PLACE = 0.7  # an object box of another key frame at this box IoU or more: the same thing, nearly still
MOST = 0.5  # ... in at least this share of the shot's drawn key frames (the frame itself counted)
MIN_FRAMES = 3  # ... and in at least this many
MIN_UPRIGHT = 1.2  # the box's height over its width: a figure standing (Penny & Chip's pumpkins, a puddle: 0.7-1.0)
MAX_HELD = 0.2  # at most this share of the box on the frame's cuts: nobody holds it here
MIN_OWN_FILLS = 0.1  # the box's own cel fills cover at least this share of it
MAX_REST_FILLS = 0.25  # share of the frame outside the box that is cel fill: not a wholly painted frame
MIN_BOX_MATCH = 0.5  # a new cut's box at this box IoU with the seeded box: the figure was cut
NEW_IOU = 0.5  # a cut at this mask IoU with one of the frame's first cuts is not new

Segmented = tuple[dict, np.ndarray, list[dict], Any]


def _objects(cues: Any) -> np.ndarray:
    """The object boxes (O x 5) of a drawn key frame's cues; none for a carried, transparent or rendered one."""
    if cues is None or not getattr(cues, "drawn", False):
        return np.zeros((0, 5), np.float32)
    objects = getattr(cues, "objects", None)
    return np.zeros((0, 5), np.float32) if objects is None else np.asarray(objects, np.float32)


def recurs(box: np.ndarray, shot_objects: list[np.ndarray]) -> bool:
    """Whether an object box at SAME_PLACE with ``box`` is in at least MOST (and MIN_FRAMES) of ``shot_objects``
    (each drawn key frame's object boxes, the frame of ``box`` among them)."""
    frames = sum(any(box_iou(box[:4], other[:4]) >= SAME_PLACE for other in objects) for objects in shot_objects)
    return frames >= MIN_FRAMES and frames >= MOST * len(shot_objects)


def upright_figure(box: np.ndarray, width: int, height: int) -> bool:
    """Whether ``box`` could hold a whole figure standing (``figure_shaped`` in a frame ``width`` x ``height``, and
    at least MIN_UPRIGHT times as tall as wide)."""
    return bool(figure_shaped(box, width, height) and box[3] - box[1] >= MIN_UPRIGHT * (box[2] - box[0]))


def standing_boxes(rgb: np.ndarray, masks: list[np.ndarray], objects: np.ndarray,
                   shot_objects: list[np.ndarray]) -> list[np.ndarray]:
    """The boxes of ``objects`` (this key frame's, best objectness first) that recur through the shot
    (``shot_objects``), hold a whole standing figure's shape (``upright_figure``), lie on pixels no mask of
    ``masks`` holds and hold cel fills of their own against a background not painted in fills (module docstring);
    one per place."""
    height, width = rgb.shape[:2]
    held = np.any(masks, axis=0) if masks else np.zeros((height, width), bool)
    found: list[np.ndarray] = []
    pieces = None
    for box in objects[np.argsort(-objects[:, 4])]:
        if not upright_figure(box, width, height) or not recurs(box, shot_objects) \
                or any(box_iou(box[:4], other) >= NEW_IOU for other in found):
            continue
        x0, y0, x1, y1 = (int(round(float(v))) for v in box[:4])
        window = held[max(0, y0):y1, max(0, x0):x1]
        if not window.size or window.mean() > MAX_HELD:
            continue
        pieces = fill_pieces(rgb) if pieces is None else pieces
        area = max(1.0, float((box[2] - box[0]) * (box[3] - box[1])))
        if own_fills(box, pieces).sum() >= MIN_OWN_FILLS * area and rest_fill_share(box, pieces) <= MAX_REST_FILLS:
            found.append(np.asarray(box[:4], np.float32))
    return found


def cut_each(again: list[dict], first: list[dict], boxes: list[np.ndarray]) -> bool:
    """Whether every box of ``boxes`` has a cut of ``again`` that is new (under NEW_IOU with each of ``first``)
    and whose box fits it (MIN_BOX_MATCH)."""
    new = [f["mask"] for f in again if not any(mask_iou(f["mask"], o["mask"]) >= NEW_IOU for o in first)]
    return all(any(box_iou(box, np.asarray(mask_box(m), np.float32)) >= MIN_BOX_MATCH for m in new)
               for box in boxes)


def with_standing_seeds(segmented: list[Segmented], segment_again: Callable[[int, list], tuple[list[dict], Any]],
                        seeded: dict[int, list]) -> tuple[list[Segmented], int]:
    """One shot's ``segmented`` key frames ((frame, rgb, found, cues), time order) with the drawn key frames that
    hold a standing figure's box (``standing_boxes``) cut again by ``segment_again(n, boxes)`` (with the boxes
    ``seeded[n]`` the shot seeds already gave frame n) and kept where each box got a new cut; and how many frames
    changed."""
    shot_objects = [_objects(cues) for _, _, _, cues in segmented]
    drawn = [objects for (_, _, _, cues), objects in zip(segmented, shot_objects)
             if cues is not None and getattr(cues, "drawn", False)]
    if len(drawn) < MIN_FRAMES:
        return segmented, 0
    out, changed = list(segmented), 0
    for n, (frame, rgb, found, cues) in enumerate(segmented):
        if not len(shot_objects[n]):
            continue
        boxes = standing_boxes(rgb, [f["mask"] for f in found], shot_objects[n], drawn)
        if not boxes:
            continue
        again, again_cues = segment_again(n, [*seeded.get(n, []), *(tuple(float(v) for v in b) for b in boxes)])
        again = [f for f in again if f["mask"].any()]
        if cut_each(again, found, boxes):
            out[n], changed = (frame, rgb, again, again_cues), changed + 1
    return out, changed
