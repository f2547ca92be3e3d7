"""A person box on a character's upper body inside another person box on the whole of the same character. YOLOX's
two passes (the frame, then zoomed out) can box one drawn character twice: head and chest at one size, the whole
figure at the other; the two boxes overlap too little for NMS (IoU 0.4) and each became a seed, so the upper-body
seed cut the head away from the body's cut (``nested_in_front`` then takes it for a character in front).

An upper body differs from a character standing in front, whose box also lies inside the other: it starts at the
outer box's top, spans most of its width and ends well above its bottom, where a character in front stands on the
same ground (its box reaches the outer box's bottom: docs/instances.md, session 12, d4's box inside a larger seed)."""

import numpy as np

INSIDE = 0.9  # share of the upper box's area inside the whole figure's box
TOP_ALIGNED = 0.1  # the two tops at most this share of the outer box's height apart
MIN_WIDTH = 0.6  # the upper box at least this share of the outer box's width
MAX_BOTTOM = 0.7  # the upper box ends above this share of the outer box's height
DROP_UPPER_BODIES = True


def is_upper_body(inner: np.ndarray, outer: np.ndarray) -> bool:
    """Whether box ``inner`` (x0, y0, x1, y1) is the upper body of the figure boxed by ``outer``."""
    ow, oh = outer[2] - outer[0], outer[3] - outer[1]
    iw, ih = inner[2] - inner[0], inner[3] - inner[1]
    if ow <= 0 or oh <= 0 or iw <= 0 or ih <= 0:
        return False
    overlap = max(0.0, min(inner[2], outer[2]) - max(inner[0], outer[0])) * \
        max(0.0, min(inner[3], outer[3]) - max(inner[1], outer[1]))
    return bool(overlap >= INSIDE * iw * ih and abs(inner[1] - outer[1]) <= TOP_ALIGNED * oh
                and iw >= MIN_WIDTH * ow and inner[3] <= outer[1] + MAX_BOTTOM * oh)


def without_upper_bodies(seeds: list, drawn: bool) -> list:
    """``seeds`` less the face-less person seeds that are another person seed's upper body (drawn shots only)."""
    if not DROP_UPPER_BODIES or not drawn:
        return seeds
    people = [s for s in seeds if s.kind == "person"]
    return [s for s in seeds if not (s.kind == "person" and s.face is None and any(
        o is not s and is_upper_body(s.box, o.box) for o in people))]
