"""A drawn character's body cut apart from its head. YOLOX often boxes a drawn character twice: the whole figure, and
apart its torso and legs (a box that starts at the neck and reaches the same feet); each box became a seed, and the
watershed between the two cuts gave the head to one and the body to the other (Penny & Chip: Penny, whose face no
detector finds in those frames, cut into a head and a headless body in 7 of 163 key frames; the bodies formed a
faceless "character" of their own, docs/datasets.md session 36; docs/instances.md session 37).

A body cut differs from a character standing in front of another, whose box also lies in the lower part of the other's
box: the cut of the character behind keeps pixels beside and below the top of the one in front (its legs, its sides),
while a head's cut ends where the body's cut begins and meets it along a seam. So a faceless person box's cut is the
body of the cut above it where (on the cuts, not the boxes): the cut above ends within ``BELOW_MARGIN`` of the body
cut's height under the body's top (at most ``MAX_BELOW`` of its pixels further down), the body starts in the lower
part of the cut above (at least ``MIN_TOP`` of its height down) and reaches below it, the cut above stands over the
body (its middle column inside the body's columns, ``MIN_UNDER`` of the body's pixels in its columns), and the two
touch along a seam at least ``MIN_SEAM`` of the narrower cut's width. The body's pixels then join the cut above and
the body gives no instance of its own."""

import cv2
import numpy as np

JOIN_LOWER_BODIES = True
MIN_TOP = 0.3  # the body's top at least this share of the upper cut's height below the upper cut's top
BELOW_MARGIN = 0.1  # rows under the body's top (a share of the body's height) where the upper cut may still end
MAX_BELOW = 0.1  # share of the upper cut's pixels allowed below that margin (Penny & Chip: 0.00-0.06)
MIN_UNDER = 0.8  # share of the body's pixels under the upper cut (in its columns; Penny & Chip 1.0, Kenney 0.48)
MIN_SEAM = 0.3  # columns where the two cuts touch, a share of the narrower cut's width
SEAM_PX = 3  # the two cuts touch where they lie this close (an outline's width at 480 rows)


def _extent(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    return None if rows.size == 0 else (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)


def seam_columns(upper: np.ndarray, lower: np.ndarray) -> int:
    """Columns where the two cuts lie within SEAM_PX of each other."""
    near = cv2.dilate(upper.astype(np.uint8), np.ones((2 * SEAM_PX + 1,) * 2, np.uint8)).astype(bool) & lower
    return int(near.any(axis=0).sum())


def is_body_of(lower: np.ndarray, upper: np.ndarray) -> bool:
    """Whether cut ``lower`` (bool, frame-sized) is the body of the character whose head is cut ``upper``."""
    low, up = _extent(lower), _extent(upper)
    if low is None or up is None:
        return False
    lx0, ly0, lx1, ly1 = low
    ux0, uy0, ux1, uy1 = up
    if not (uy0 + MIN_TOP * (uy1 - uy0) <= ly0 <= uy1 + SEAM_PX and ly1 > uy1):
        return False
    if not lx0 <= (ux0 + ux1) / 2 <= lx1 or lower[:, ux0:ux1].sum() < MIN_UNDER * lower.sum():
        return False
    rows = np.nonzero(upper)[0]
    if (rows >= ly0 + BELOW_MARGIN * (ly1 - ly0)).sum() > MAX_BELOW * rows.size:
        return False
    return seam_columns(upper, lower) >= MIN_SEAM * min(lx1 - lx0, ux1 - ux0)


def may_be_body(seed) -> bool:
    """A cut that may be a body apart from its head: a YOLOX person box's, with no face (a figure confirmed at
    seeding, a shot-carried or a face seed is a character by its own cue; on Penny & Chip a carried seed's cut of
    a snow cloud lay under Chip's head)."""
    return seed.kind == "person" and seed.face is None and not seed.figure


def joined_bodies(masks: list[np.ndarray], bodies: list[bool], skip: list[bool],
                  drawn: bool) -> tuple[list[np.ndarray], list[bool]]:
    """(``masks`` with each body cut joined to the cut above it, which cuts were joined into another: they give no
    instance). ``bodies[i]``: mask i may be a body (``may_be_body``); ``skip[i]``: mask i takes no part (a false
    face's cut). Drawn shots only."""
    joined = [False] * len(masks)
    if not JOIN_LOWER_BODIES or not drawn or len(masks) < 2:
        return masks, joined
    out = list(masks)
    tops = sorted(range(len(masks)), key=lambda i: _extent(masks[i])[1] if masks[i].any() else 0)
    for i in tops:  # top down, so a body joins a head that may itself have taken a higher part
        if not bodies[i] or skip[i] or not masks[i].any():
            continue
        uppers = [j for j in range(len(masks)) if j != i and not skip[j] and not joined[j]
                  and is_body_of(masks[i], out[j])]
        if uppers:
            j = max(uppers, key=lambda k: seam_columns(out[k], masks[i]))
            out[j], joined[i] = out[j] | masks[i], True
    return out, joined
