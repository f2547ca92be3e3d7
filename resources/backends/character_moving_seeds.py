"""A drawn figure that no detector boxes, seeded from where it moves against its shot.

In a drawn film a character YOLOX does not box (or boxes only together with another character) and no face
detector finds still moves on its own against its shot's neighbouring key frames (``character_motion.moving_map``:
the camera's shift taken out). Its moving pixels, those within JOIN of one another (a flat-filled figure moves at its
outline, head and limbs, not in its fills), make one region; where it stands apart from every seed's box (they overlap
less than APART of the smaller of the two boxes: a region touching a seed's box is as often that character's arm
or the background beside it as another character), its bounding box grown GROW on each side is seeded as a figure
(``Seed.figure``, kind person) when it is figure-shaped and the thing moves, not its place
(``character_objects.figure_shaped``: size, an upright-to-tall box, clear of the frame's top and sides;
``character_motion.moving_figure``: at least as tall as wide, enough of it moving, its ring still) and the rest
of the frame stands stiller than for a detector's box (at most MAX_MOVING_REST moves: with no box, the motion is the
only evidence; on the Kenney tune film a photographed desert's dunes, drifting with the camera, moved 0.04-0.05
outside two false regions, the rest of the frame round an unboxed walking zombie 0.00), in a steady shot (the camera
moves at most MAX_SHIFT of the picture's width to either neighbour: a pan blurs and brings parallax, a window's frame
against the view through it, that one shift does not explain; on Penny & Chip a train carriage's whip pan, 21-77 px
a key frame at 320, left pieces of trees and a window sill moving apart and still round them).

The moving map is MOTION_WIDTH wide; boxes are x0, y0, x1, y1 in the frame's pixels.
"""

import cv2
import numpy as np

from resources.backends.character_cues import overlap_of_smaller
from resources.backends.character_motion import Motion, moving_figure, moving_shares
from resources.backends.character_objects import figure_shaped
from resources.backends.character_seeds import Seed

MOVING_SEEDS = True
JOIN = (0.02, 0.04)  # moving pixels up to twice this share of the map's width apart (across, up / down): one region
APART = 0.1  # a seed's box overlapping at least this share of the smaller of it and the region's box: not apart
MAX_MOVING_REST = 0.02  # share of the frame outside the region's box and ring that moves
MAX_SHIFT = 0.02  # the camera's shift to a neighbour, share of the moving map's width: a steady shot
GROW = 0.08  # the region's box grown this share of its width and height on each side (its still parts)


def moving_regions(moving: np.ndarray, frame_shape: tuple[int, ...]) -> list[np.ndarray]:
    """Bounding boxes (frame pixels) of the bool map ``moving``'s pixels, those within JOIN of one another (a
    figure's head, limbs and outline, its still fills between them) taken as one region."""
    reach_x, reach_y = (max(1, round(share * moving.shape[1])) for share in JOIN)
    near = cv2.dilate(moving.astype(np.uint8), np.ones((2 * reach_y + 1, 2 * reach_x + 1), np.uint8))
    count, labels = cv2.connectedComponents(near, connectivity=8)
    scale_x, scale_y = frame_shape[1] / moving.shape[1], frame_shape[0] / moving.shape[0]
    boxes = []
    for label in range(1, count):
        ys, xs = np.nonzero((labels == label) & moving)
        boxes.append(np.array([xs.min() * scale_x, ys.min() * scale_y, (xs.max() + 1) * scale_x,
                               (ys.max() + 1) * scale_y], np.float32))
    return boxes


def grown(box: np.ndarray, frame_shape: tuple[int, ...]) -> np.ndarray:
    """``box`` grown GROW of its size on each side, inside the frame."""
    reach_x, reach_y = GROW * (box[2] - box[0]), GROW * (box[3] - box[1])
    return np.array([max(0.0, box[0] - reach_x), max(0.0, box[1] - reach_y),
                     min(frame_shape[1], box[2] + reach_x), min(frame_shape[0], box[3] + reach_y)], np.float32)


def steady(motion: Motion, width: int) -> bool:
    """Whether the camera moves at most MAX_SHIFT of ``width`` to every neighbour (``motion.shifts``, made by
    ``character_motion.shot_motion``; a motion that does not tell is not steady)."""
    shifts = getattr(motion, "shifts", None)
    return shifts is not None and all(max(abs(dx), abs(dy)) <= MAX_SHIFT * width for dx, dy in shifts())


def moving_figure_boxes(seed_boxes: list[np.ndarray], frame_shape: tuple[int, ...],
                        motion: Motion | None) -> list[np.ndarray]:
    """Boxes of the moving regions apart from every box in ``seed_boxes`` that hold a moving figure (module
    docstring)."""
    moving = motion() if motion is not None else None
    if moving is None or not steady(motion, moving.shape[1]):
        return []
    found = []
    for region in moving_regions(moving, frame_shape):
        if any(overlap_of_smaller(region, box) >= APART for box in seed_boxes):
            continue
        box = grown(region, frame_shape)
        if figure_shaped(box, frame_shape[1], frame_shape[0]) and moving_figure(box, frame_shape, motion) \
                and moving_shares(box, frame_shape, moving)[2] <= MAX_MOVING_REST:
            found.append(box)
    return found


def with_moving_seeds(seeds: list[Seed], frame_shape: tuple[int, ...], motion: Motion | None, drawn: bool,
                      score: float) -> list[Seed]:
    """``seeds`` and, in a drawn shot, a figure seed (scored ``score``) for every ``moving_figure_boxes`` box."""
    if not MOVING_SEEDS or not drawn or motion is None:
        return seeds
    boxes = moving_figure_boxes([s.box for s in seeds], frame_shape, motion)
    return seeds + [Seed(box, score, "person", figure=True) for box in boxes]
