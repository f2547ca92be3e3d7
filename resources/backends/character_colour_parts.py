"""A drawn cut that holds two characters, parted by the characters' colours (issues #13 / #12; session 40, h42).

A drawn character standing half behind another is most often cut into the front one's cut (session 38 h25: 231 of
the 400 visible Kenney characters with no kept cut-out lie at least half inside another's cut). A flat-shaded
character is a few flat colour regions bounded by line art, and the seed's face tells which are its own: the colours
of the cut round the face (its hair or hat above, the face, the clothing just below; ``own_colours``). A second
character swallowed by the cut is a connected set of regions in colours the seed's character does not have
(``foreign_piece``); where that set is large (MIN_PART face areas, MIN_SHARE of the cut), reaches up to the face's
level (its top at most TOP_BELOW face heights below the face's top: a neighbour's head, not the seed's own trousers)
and stands to one side (its middle at least SIDE face widths from the face's middle: not the seed's own hat or
shirt), the cut's pixels nearer to it than to the seed's own colours are parted off as an instance of its own.
Measured on the ten head36 tune films' kept cuts with a face (docs/instances.md, session 40 h42): of 158 merged
cuts it parts 38, 28 of whose parts are the swallowed character's (median IoU 0.58); of 485 clean cuts it parts 6;
of Penny & Chip's 205 face cuts 5 (session 39's face band: 98 / 74, 43 clean).
Masks are H x W bool, faces (x0, y0, x1, y1, ...) frame pixels, frames RGB uint8.

The work runs in the cut's window (``cut_window``; session 41, h45), the same pixels out as on the whole frame: every
step but the distance transforms is per pixel, or a 3 x 3 opening or a labelling of pixels inside the cut, which a
frame's pixels outside the cut (all False) cannot change; OpenCV's distance transform through Intel IPP rounds its
float sums by the column's place in 4-wide groups from the image's left edge and differs in the last columns and row
before an edge, so the window starts on a column multiple of WINDOW_ALIGN and reaches WINDOW_PAD pixels past the cut
(checked: the window's distances equal the frame's on every cut pixel of Penny & Chip's, a Kenney tune film's and the
1080p film's calls and of random blobs; OpenCV's own integer transform needs only the cut's box).
"""

from __future__ import annotations

import cv2
import numpy as np

COLOUR_PARTS = True  # drawn shots: a face-seeded cut's foreign-coloured neighbour parted off as a second instance
INK_L = 70  # Lab lightness (0-255) below this: line art, neither the seed's colour nor a foreign one
LAB_STEP = (24, 10, 10)  # Lab bins (L, a, b); a pixel is the seed's colour where its bin is next to a palette bin
PALETTE_SHARE = 0.02  # a palette bin: at least this share of the face region's pixels
ABOVE, BELOW = 0.5, 1.0  # the face region: the face box's columns, from ABOVE face heights over it to BELOW under it
MIN_PART = 0.5  # the foreign piece: at least this many face areas (face width squared) ...
MIN_SHARE = 0.1  # ... and this share of the cut ...
TOP_BELOW = 0.5  # ... its top at most this many face heights below the face's top ...
SIDE = 0.75  # ... and its middle at least this many face widths from the face's middle
PARTED_SEED = "colour_part"  # the parted-off instance's seed name
WINDOW_PAD = 16  # the window: the cut's box and this many pixels round it (module docstring) ...
WINDOW_ALIGN = 64  # ... its first and last columns widened to a multiple of this (or the frame's edge)


def cut_window(mask: np.ndarray) -> tuple[slice, slice]:
    """(rows, columns) of the frame holding the cut's box with WINDOW_PAD pixels round it, its columns from and to a
    multiple of WINDOW_ALIGN (clipped to the frame)."""
    x, y, width, height = cv2.boundingRect(mask.astype(np.uint8))
    left = max(0, (x - WINDOW_PAD) // WINDOW_ALIGN * WINDOW_ALIGN)
    right = min(mask.shape[1], -(-(x + width + WINDOW_PAD) // WINDOW_ALIGN) * WINDOW_ALIGN)
    return slice(max(0, y - WINDOW_PAD), min(mask.shape[0], y + height + WINDOW_PAD)), slice(left, right)


def face_region(mask: np.ndarray, face: np.ndarray, origin: tuple[int, int] = (0, 0)) -> np.ndarray:
    """The cut's pixels in the face box's columns, from ABOVE face heights over the face to BELOW under it; ``mask``
    a window of the frame whose first pixel is the frame's ``origin`` (row, column)."""
    x0, y0, x1, y1 = (float(v) for v in face[:4])
    height = y1 - y0
    top, left = origin
    region = np.zeros_like(mask, dtype=bool)
    region[max(0, int(y0 - ABOVE * height) - top):max(0, int(y1 + BELOW * height) - top),
           max(0, int(x0) - left):max(0, int(x1) - left)] = True  # top, left >= 0: clipping once is enough
    return region & mask


def _bins(lab: np.ndarray) -> np.ndarray:
    return (lab[..., 0] // LAB_STEP[0]) * 10000 + (lab[..., 1] // LAB_STEP[1]) * 100 + lab[..., 2] // LAB_STEP[2]


def own_colours(lab: np.ndarray, mask: np.ndarray, face: np.ndarray, origin: tuple[int, int] = (0, 0)
                ) -> tuple[np.ndarray, np.ndarray] | None:
    """(the cut's pixels in the seed's own colours, the line art) or None where the face region has no fill: a
    pixel is the seed's colour where its Lab bin is next to (one step in each channel) a bin holding at least
    PALETTE_SHARE of the face region's fill pixels."""
    ink = lab[..., 0] < INK_L
    region = face_region(mask, face, origin) & ~ink
    if not region.any():
        return None
    bins = _bins(lab)
    values, counts = np.unique(bins[region], return_counts=True)
    palette = values[counts >= PALETTE_SHARE * region.sum()]
    steps = np.array([dl * 10000 + da * 100 + db for dl in (-1, 0, 1) for da in (-1, 0, 1) for db in (-1, 0, 1)])
    near = np.unique((palette[:, None] + steps[None, :]).ravel())
    return np.isin(bins, near) & mask & ~ink, ink


def largest_piece(mask: np.ndarray) -> np.ndarray:
    """The largest 4-connected piece of ``mask`` (all of it where it has one piece or none)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=4)
    if count <= 2:
        return mask.astype(bool)
    return labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))


def foreign_piece(lab: np.ndarray, mask: np.ndarray, face: np.ndarray, origin: tuple[int, int] = (0, 0)
                  ) -> tuple[np.ndarray, np.ndarray] | None:
    """(the largest piece of the cut in colours not the seed's, the seed's own colours joined to the face region),
    or None where the cut has no such piece."""
    colours = own_colours(lab, mask, face, origin)
    if colours is None:
        return None
    own, ink = colours
    foreign = cv2.morphologyEx((mask & ~own & ~ink).astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)) > 0
    if not foreign.any():
        return None
    _, labels = cv2.connectedComponents(own.astype(np.uint8), connectivity=4)
    joined = np.unique(labels[face_region(mask, face, origin) & own])
    return largest_piece(foreign), np.isin(labels, joined[joined > 0])


def second_character(lab: np.ndarray, mask: np.ndarray, face: np.ndarray, origin: tuple[int, int] = (0, 0)
                     ) -> np.ndarray | None:
    """The part of the cut that is a second character by its colours (module docstring), or None; ``lab`` and
    ``mask`` a window of the frame from its ``origin`` (row, column), the face in frame pixels."""
    found = foreign_piece(lab, mask, face, origin)
    if found is None:
        return None
    piece, own = found
    x0, y0, x1, y1 = (float(v) for v in face[:4])
    width, height = x1 - x0, y1 - y0
    size = int(piece.sum())
    if width <= 0 or height <= 0 or size < MIN_PART * width ** 2 or size < MIN_SHARE * mask.sum():
        return None
    ys, xs = np.nonzero(piece)
    ys, xs = ys + origin[0], xs + origin[1]  # frame pixels: the same sums and mean as on the whole frame
    if ys.min() - y0 > TOP_BELOW * height or abs(xs.mean() - (x0 + x1) / 2) < SIDE * width:
        return None
    if not own.any():
        return None
    to_piece = cv2.distanceTransform((~piece).astype(np.uint8), cv2.DIST_L2, 3)
    to_own = cv2.distanceTransform((~own).astype(np.uint8), cv2.DIST_L2, 3)
    part = largest_piece(mask & (to_piece < to_own))
    return part if part.sum() < mask.sum() else None


def parted_by_colour(rgb: np.ndarray, mask: np.ndarray, face: np.ndarray | None, drawn: bool
                     ) -> tuple[np.ndarray, np.ndarray | None]:
    """(the seed's cut, the part parted off or None): the cut less its second character (``second_character``) in
    a drawn shot with COLOUR_PARTS on and a seed face; else the cut unchanged and None. Worked in the cut's window
    (``cut_window``)."""
    if not (COLOUR_PARTS and drawn) or face is None:
        return mask, None
    rows, columns = cut_window(mask)
    lab = cv2.cvtColor(np.ascontiguousarray(rgb[rows, columns]), cv2.COLOR_RGB2LAB).astype(np.int32)
    found = second_character(lab, mask[rows, columns], face, (rows.start, columns.start))
    if found is None:
        return mask, None
    part = np.zeros_like(mask, dtype=bool)
    part[rows, columns] = found
    return mask & ~part, part
