"""A drawn face's turn read from the head's outline round it: a face drawn from the front sits in a head that is
mirror-symmetric about some upright axis; turned, the head shows more of itself on one side (the near cheek and
ear, the hair or a cap's brim behind the far eye). Pure numpy over the cut-out's opacity mask and the face's box;
no landmarks, so it reads any 2D detector's face (YuNet finds most of a western cartoon's faces, AnimeFace few).
"""

import numpy as np

# the head window: from this many face heights over the face box's top down to its bottom row
HEAD_ABOVE_FACE = 0.8
# mirror axes tried: from this many face widths left of the face box to as many right of it, in AXIS_STEPS steps
AXIS_REACH = 0.3
AXIS_STEPS = 21
# each axis compares this many face widths of the window on either side of it
MIRROR_HALF_WIDTH = 1.0
MIN_COMPARED_PX = 3  # fewer columns on a side (the cut-out image ends at the axis): that axis is not tried


def mirror_mismatch(mask: np.ndarray, axis: int, half_width: int) -> float | None:
    """Share of the pixels opaque on either side of column ``axis`` that its mirror image does not match (0:
    symmetric), over ``half_width`` columns each side (fewer where the image ends); None when too narrow or empty."""
    span = min(half_width, axis, mask.shape[1] - 1 - axis)
    if span < MIN_COMPARED_PX:
        return None
    left = mask[:, axis - span:axis][:, ::-1]
    right = mask[:, axis + 1:axis + 1 + span]
    either = np.count_nonzero(left | right)
    return float(np.count_nonzero(left ^ right)) / either if either else None


def head_outline_asymmetry(alpha: np.ndarray, face_box: tuple[float, float, float, float]) -> float | None:
    """How far the head's outline is from mirror symmetry at its most symmetric upright axis (0: symmetric; about
    0.1-0.2 for a drawn front, more turned), or None where the face box leaves no head window in the cut-out.
    ``alpha``: the cut-out's opacity (bool, rows x columns); ``face_box``: (x0, y0, x1, y1) in the cut-out's pixels.
    The window runs from ``HEAD_ABOVE_FACE`` face heights above the face to its chin; the axes span the face box
    and ``AXIS_REACH`` face widths beyond it, since a detector's box need not sit on the face's middle."""
    x0, y0, x1, y1 = (float(v) for v in face_box)
    width, height = x1 - x0, y1 - y0
    if width <= 0 or height <= 0:
        return None
    top = int(round(max(0.0, y0 - HEAD_ABOVE_FACE * height)))
    bottom = int(round(min(float(alpha.shape[0]), y1)))
    if bottom - top < 2:
        return None
    window = np.asarray(alpha[top:bottom], bool)
    half = int(round(MIRROR_HALF_WIDTH * width))
    mismatches = [mirror_mismatch(window, int(round(axis)), half)
                  for axis in np.linspace(x0 - AXIS_REACH * width, x1 + AXIS_REACH * width, AXIS_STEPS)]
    found = [m for m in mismatches if m is not None]
    return min(found) if found else None


def outline_turned_view(view: str, source: str, asymmetry: float | None, min_asymmetry: float) -> tuple[str, str]:
    """(view, source): a front read from a face whose head outline is ``min_asymmetry`` or more from mirror symmetry
    (``head_outline_asymmetry``) is three_quarter (source ``face+outline``); ``min_asymmetry`` 0 turns it off."""
    if min_asymmetry <= 0 or asymmetry is None or asymmetry < min_asymmetry or view != "front" or source != "face":
        return view, source
    return "three_quarter", "face+outline"
