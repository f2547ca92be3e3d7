"""Where a key frame moves against its shot: the cue that confirms a faceless drawn figure's object box in a film.

In a film a character moves against a background that stands still or pans as a whole. Between a key frame and
its neighbouring key frames of the same shot (the instances stage holds them: ``assets/instances/core.py``) the
camera's motion is taken out as one shift (phase correlation of small grey pictures, whole pixels) and what is left
is where something moved on its own: a pixel moves where it differs by at least DIFFERENCE grey levels from every
neighbour (the previous and the next key frame; one at a shot's ends), each compared at the shift and one pixel
around it (the fine texture of a tree or grass, resampled, stays still), the map opened once (speckle). Differing
from both neighbours keeps a walking character where it is now, not where it was.

A YOLOX box round a thing no face or pose confirms (``character_objects``) is confirmed as a figure where it is
upright (MIN_UPRIGHT), at least MIN_MOVING of it moves, its surroundings do not (a ring RING of its size round it:
at most MAX_MOVING_RING moves, and at most RING_SHARE of the box's own share) and the rest of the frame is explained
by the one shift (at most MAX_MOVING_ELSEWHERE of it moves: a zoom, a parallax, a cut, or a drawn film whose whole
frame is animated, confirms nothing). On the Kenney tune films (``bench/kenney_film.py``) the faceless characters'
boxes move 0.10-0.32 with 0.00-0.05 of their ring and 0.00-0.05 of the rest; boxes on trees, rocks and grass
0.00-0.05. On Penny & Chip, whose frames move all over (falling leaves, twinkling lights, flickering lanterns, a
drifting camera), the first rule (0.08 moving, 0.15 elsewhere, no ring, no upright test) confirmed pumpkins, a
cushion, presents, a sandbox's edge and boxes between the two children (their ring moves 0.03-0.24, 0.41-0.63 of
the box's share; the rest 0.02-0.15; a squat lantern 0.86 as tall as wide): hence the ring, the 0.06 and the upright
box.

Pictures are MOTION_WIDTH pixels wide, whatever the film's size; boxes are in the frame's pixels (x0, y0, x1, y1).
An image folder's images are each their own shot: they have no neighbours and no motion.
"""

from collections.abc import Callable, Sequence

import cv2
import numpy as np

MOTION_WIDTH = 320
DIFFERENCE = 20.0  # grey levels (0-255) after a 3 x 3 blur
MIN_MOVING = 0.08  # share of the box's pixels that move
RING = 0.25  # the ring round the box: this share of the box's width and height on each side
MAX_MOVING_RING = 0.06  # ... at most this share of it moves
RING_SHARE = 0.35  # ... and at most this share of the box's own moving share: the thing moves, not its place
MAX_MOVING_ELSEWHERE = 0.06  # share of the rest of the frame that moves: the shift explains the background
MIN_UPRIGHT = 1.0  # a box confirmed by motion alone is at least as tall as wide (a figure standing or walking)

Motion = Callable[[], "np.ndarray | None"]  # the frame's moving map, computed when first asked for
Grey = Callable[[np.ndarray], np.ndarray]  # a frame's motion picture: ``motion_grey``, or a shot's ``greys_once``


def motion_grey(rgb: np.ndarray) -> np.ndarray:
    """The frame as a MOTION_WIDTH wide, lightly blurred float32 grey picture."""
    height = max(2, round(rgb.shape[0] * MOTION_WIDTH / rgb.shape[1]))
    # OpenCV's own: at a factor of 6 the compiled area resize is no faster (5.6 against 6.1 CPU-ms; session 51)
    small = cv2.resize(rgb, (MOTION_WIDTH, height), interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), (3, 3), 0).astype(np.float32)


def camera_shift(grey: np.ndarray, other: np.ndarray) -> tuple[int, int]:
    """The whole-pixel shift that lays ``other`` on ``grey`` (phase correlation; it windows its inputs in place,
    hence the copies)."""
    window = cv2.createHanningWindow(grey.shape[::-1], cv2.CV_32F)
    (dx, dy), _ = cv2.phaseCorrelate(grey.copy(), other.copy(), window)
    return round(dx), round(dy)


def aligned_difference(grey: np.ndarray, other: np.ndarray, shift: tuple[int, int]) -> np.ndarray:
    """|grey - other| with ``other`` moved by the camera's ``shift`` (``camera_shift``), the least over that shift
    and the 8 one pixel away."""
    dx, dy = shift
    size = grey.shape[::-1]
    least = None
    for ox in (-1, 0, 1):
        for oy in (-1, 0, 1):
            moved = cv2.warpAffine(other, np.float32([[1, 0, ox - dx], [0, 1, oy - dy]]), size,
                                   flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)
            difference = cv2.absdiff(grey, moved)
            least = difference if least is None else np.minimum(least, difference)
    # what the camera's shift brought in at the frame's sides has nothing to be compared with: it does not move
    reach_x, reach_y = abs(dx) + 1, abs(dy) + 1
    least[:, :reach_x], least[:, -reach_x:], least[:reach_y], least[-reach_y:] = 0, 0, 0, 0
    return least


def greys_once(frames: Sequence[np.ndarray]) -> Grey:
    """``motion_grey`` for a shot's key frames, each made once: a key frame's picture is also each neighbour's
    neighbour (the 6-minute 1080p film made 525 pictures of 197 key frames, 5.6 CPU-ms each). Keyed by the identity of
    the arrays in ``frames`` (alive as long as the list); any other array is made anew."""
    index = {id(frame): n for n, frame in enumerate(frames)}
    made: dict[int, np.ndarray] = {}

    def grey_of(rgb: np.ndarray) -> np.ndarray:
        n = index.get(id(rgb))
        if n is None:
            return motion_grey(rgb)
        if n not in made:
            made[n] = motion_grey(rgb)
        return made[n]

    return grey_of


def _pictures(rgb: np.ndarray, neighbours: Sequence[np.ndarray],
              grey_of: Grey = motion_grey) -> tuple[np.ndarray, list, list[tuple[int, int]]]:
    """The frame's and its neighbours' motion pictures and the camera's shift to each neighbour."""
    grey = grey_of(rgb)
    others = [grey_of(other) for other in neighbours]
    return grey, others, [camera_shift(grey, other) for other in others]


def _moving(grey: np.ndarray, others: list[np.ndarray], shifts: list[tuple[int, int]]) -> np.ndarray | None:
    if not others:
        return None
    moving = np.ones(grey.shape, bool)
    for other, shift in zip(others, shifts):
        moving &= aligned_difference(grey, other, shift) >= DIFFERENCE
    return cv2.morphologyEx(moving.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)) > 0


def moving_map(rgb: np.ndarray, neighbours: Sequence[np.ndarray]) -> np.ndarray | None:
    """Bool map (MOTION_WIDTH wide) of where ``rgb`` moves against every one of ``neighbours`` (RGB frames of its
    shot) once the camera's shift is taken out; None without neighbours."""
    return _moving(*_pictures(rgb, neighbours)) if neighbours else None


def shot_motion(rgb: np.ndarray, neighbours: Sequence[np.ndarray],
                grey_of: Grey = motion_grey) -> Motion:
    """``moving_map`` of ``rgb`` against ``neighbours``, computed once, when first asked for (most frames have no
    box that needs it); ``motion.shifts()`` gives the camera's whole-pixel shift to each neighbour (MOTION_WIDTH
    pixels; character_moving_seeds), from the same pictures. ``grey_of``: ``motion_grey`` or a shot's
    ``greys_once``."""
    made: dict = {}

    def pictures() -> tuple[np.ndarray, list, list[tuple[int, int]]]:
        if "pictures" not in made:
            made["pictures"] = _pictures(rgb, neighbours, grey_of)
        return made["pictures"]

    def motion() -> np.ndarray | None:
        if "map" not in made:
            made["map"] = _moving(*pictures()) if neighbours else None
        return made["map"]

    motion.shifts = lambda: pictures()[2] if neighbours else []
    return motion


def moving_shares(box: np.ndarray, frame_shape: tuple[int, ...], moving: np.ndarray) -> tuple[float, float, float]:
    """(share of ``box`` that moves, share of the ring RING of its size round it that moves, share of the frame
    outside box and ring that moves); ``box`` in the pixels of a frame of ``frame_shape``."""
    scale_x, scale_y = moving.shape[1] / frame_shape[1], moving.shape[0] / frame_shape[0]

    def window(grow: float) -> tuple[int, int, int, int]:
        reach_x, reach_y = grow * (box[2] - box[0]), grow * (box[3] - box[1])
        x0, x1 = (int(np.clip(round(v * scale_x), 0, moving.shape[1])) for v in (box[0] - reach_x, box[2] + reach_x))
        y0, y1 = (int(np.clip(round(v * scale_y), 0, moving.shape[0])) for v in (box[1] - reach_y, box[3] + reach_y))
        return x0, y0, x1, y1

    counts, areas = [], []
    for x0, y0, x1, y1 in (window(0.0), window(RING)):
        counts.append(np.count_nonzero(moving[y0:y1, x0:x1]))
        areas.append((x1 - x0) * (y1 - y0))
    if areas[0] <= 0:
        return 0.0, 0.0, 0.0
    ring_area, rest_area = max(1, areas[1] - areas[0]), max(1, moving.size - areas[1])
    return (counts[0] / areas[0], (counts[1] - counts[0]) / ring_area,
            (np.count_nonzero(moving) - counts[1]) / rest_area)


def moving_figure(box: np.ndarray, frame_shape: tuple[int, ...], motion: Motion | None) -> bool:
    """Whether the thing in ``box`` moves on its own against its shot (see the module's docstring)."""
    if box[3] - box[1] < MIN_UPRIGHT * (box[2] - box[0]):
        return False
    moving = motion() if motion is not None else None
    if moving is None:
        return False
    inside, ring, elsewhere = moving_shares(box, frame_shape, moving)
    return inside >= MIN_MOVING and ring <= min(MAX_MOVING_RING, RING_SHARE * inside) \
        and elsewhere <= MAX_MOVING_ELSEWHERE
