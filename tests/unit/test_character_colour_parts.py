"""A drawn cut holding two characters parted by the characters' colours (resources/backends/character_colour_parts.py),
on Kenney's own drawings: two characters pasted side by side on a flat ground, the one behind half hidden."""

import numpy as np
import pytest

from assets.instances.composites import mask_iou
from resources.backends import character_colour_parts as colour
from tests.conftest import kenney_wheel_or_skip


def _standing(name: str) -> np.ndarray:
    """Kenney's ``name`` standing (its tune ``idle`` pose), 240 px tall: RGBA."""
    from assets.instances.kenney_characters import load_kenney_split

    kenney_wheel_or_skip()
    return next(c.rgba for c in load_kenney_split("tune", 240) if c.name == f"{name}_idle")


def _pair(front_name: str, behind_name: str, shift: float):
    """(frame, cut round both, front's mask, behind's visible mask, front's face box): ``behind`` pasted ``shift`` of
    the front's width to its right, behind it, on a flat sky-blue ground."""
    front, behind = _standing(front_name), _standing(behind_name)
    height = max(front.shape[0], behind.shape[0]) + 20
    width = front.shape[1] + behind.shape[1] + 40
    frame = np.zeros((height, width, 3), np.uint8)
    frame[:] = (120, 180, 230)
    masks = []
    for rgba, left in ((behind, 10 + int(shift * front.shape[1])), (front, 10)):
        alpha = rgba[..., 3] >= 128
        window = frame[height - rgba.shape[0]:, left:left + rgba.shape[1]]
        window[alpha] = rgba[..., :3][alpha]
        mask = np.zeros((height, width), bool)
        mask[height - rgba.shape[0]:, left:left + rgba.shape[1]] = alpha
        masks.append(mask)
    canvas_behind, canvas_front = masks
    ys, xs = np.nonzero(canvas_front)
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    # the face YuNet finds on a Kenney character: 0.58 of its width, 0.4 of its height (session 39 h37: the median
    # of 289 clean face-seeded cuts of the ten tune films)
    w = x1 - x0
    face = np.array([x0 + 0.21 * w, y0 + 0.05 * (y1 - y0), x1 - 0.21 * w, y0 + 0.45 * (y1 - y0), 0.9])
    return frame, canvas_front | canvas_behind, canvas_front, canvas_behind & ~canvas_front, face


@pytest.mark.parametrize("front_name, behind_name, shift, least", [("zombie", "robot", 0.7, 0.85),
                                                                  ("robot", "male_adventurer", 0.5, 0.9),
                                                                  ("female_adventurer", "zombie", 0.5, 0.7)])
def test_the_character_behind_in_other_colours_is_parted_off(front_name, behind_name, shift, least):
    frame, cut, front, behind, face = _pair(front_name, behind_name, shift)
    kept, part = colour.parted_by_colour(frame, cut, face, drawn=True)
    assert part is not None
    assert mask_iou(part, behind) > least
    assert mask_iou(kept, front) > mask_iou(cut, front) + 0.2


@pytest.mark.parametrize("name", ["zombie", "robot", "female_person", "male_person", "female_adventurer",
                                  "male_adventurer"])
def test_a_character_alone_is_not_parted(name):
    frame, _, front, _, face = _pair(name, name, 0.0)
    kept, part = colour.parted_by_colour(frame, front, face, drawn=True)
    assert part is None and (kept == front).all()


def test_a_held_thing_in_other_colours_below_the_face_stays_with_its_character(monkeypatch):
    """A red board held at the hip, beside the character (a mug, a surfboard): not a second character, its top being
    below the face; with the top rule off it would be parted."""
    frame, _, front, _, face = _pair("male_person", "male_person", 0.0)
    ys, xs = np.nonzero(front)
    width = int(face[2] - face[0])
    top, right = int(ys.min() + 0.6 * (ys.max() - ys.min())), int(xs.max())
    board = np.zeros_like(front)
    board[top:top + int(1.2 * width), right - 2:right - 2 + int(0.8 * width)] = True
    frame[board] = (200, 30, 40)
    cut = front | board
    assert colour.parted_by_colour(frame, cut, face, drawn=True)[1] is None
    monkeypatch.setattr(colour, "TOP_BELOW", 10.0)
    assert colour.parted_by_colour(frame, cut, face, drawn=True)[1] is not None


def test_the_face_regions_colours_are_the_seeds_own():
    frame, cut, front, behind, face = _pair("zombie", "robot", 0.7)
    lab = colour.cv2.cvtColor(frame, colour.cv2.COLOR_RGB2LAB).astype(np.int32)
    own, ink = colour.own_colours(lab, cut, face)
    region = colour.face_region(cut, face) & ~ink
    assert own[region].mean() > 0.9  # the rest: anti-aliased edges, colours under PALETTE_SHARE
    assert (own & behind).sum() < 0.3 * behind.sum()  # the robot: three quarters in colours the zombie lacks


def test_rendered_shots_and_faceless_cuts_are_left_as_they_are():
    frame, cut, _, _, face = _pair("zombie", "robot", 0.7)
    assert colour.parted_by_colour(frame, cut, face, drawn=False)[1] is None
    assert colour.parted_by_colour(frame, cut, None, drawn=True)[1] is None


def _placed(front_name: str, behind_name: str, shift: float, top: int, left: int):
    """``_pair`` pasted at (top, left) into a 1080p frame of the same ground: (frame, cut, face)."""
    frame, cut, _, _, face = _pair(front_name, behind_name, shift)
    big = np.zeros((1080, 1920, 3), np.uint8)
    big[:] = frame[0, 0]
    big[top:top + frame.shape[0], left:left + frame.shape[1]] = frame
    mask = np.zeros(big.shape[:2], bool)
    mask[top:top + cut.shape[0], left:left + cut.shape[1]] = cut
    return big, mask, face + np.array([left, top, left, top, 0])


@pytest.mark.parametrize("top, left", [(0, 0), (37, 101), (411, 613), (1080 - 260, 1920 - 420), (5, 1921 - 420)])
@pytest.mark.parametrize("front_name, behind_name, shift", [("zombie", "robot", 0.7), ("robot", "male_adventurer", 0.5),
                                                           ("female_adventurer", "zombie", 0.5)])
def test_the_cut_window_parts_as_the_whole_frame(front_name, behind_name, shift, top, left):
    """In the cut's window the part and its distances are the whole frame's, at odd places and at the frame's
    edges. Made to fail by a window of the cut's box alone (WINDOW_PAD 0, WINDOW_ALIGN 1): the distances of IPP's
    transform differ on cut pixels there."""
    frame, mask, face = _placed(front_name, behind_name, shift, top, left)
    lab = colour.cv2.cvtColor(frame, colour.cv2.COLOR_RGB2LAB).astype(np.int32)
    whole = colour.second_character(lab, mask, face)  # origin (0, 0): the whole frame, as before session 41
    kept, part = colour.parted_by_colour(frame, mask, face, drawn=True)
    assert whole is not None and part is not None
    assert (part == whole).all() and (kept == (mask & ~whole)).all()
    piece, own = colour.foreign_piece(lab, mask, face)
    rows, columns = colour.cut_window(mask)
    assert rows.stop - rows.start < 400 and columns.stop - columns.start < 640  # a window, not the frame
    for sources in (piece, own):
        frame_distances = colour.cv2.distanceTransform((~sources).astype(np.uint8), colour.cv2.DIST_L2, 3)
        window_distances = colour.cv2.distanceTransform((~sources[rows, columns]).astype(np.uint8),
                                                        colour.cv2.DIST_L2, 3)
        assert (window_distances[mask[rows, columns]] == frame_distances[rows, columns][mask[rows, columns]]).all()
