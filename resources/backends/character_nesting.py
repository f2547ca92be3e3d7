"""A character in front of another: where two drawn characters overlap, the one behind often gets a seed whose cut
takes the group (a YOLOX box on both, a face of the character behind), while the one in front gets a seed of its own
(its face) whose cut holds only itself, lying inside the other cut. The watershed that splits contested pixels
(``opencv_characters.split_overlaps``) floods from every pixel only one character claims, so the cut around the
nested one wins nearly all of it and leaves the character in front its face alone (composites tune split, seed 11:
a small Sita in front of a man and a Sita, her GrabCut 8851 px, after the split 2120).

A cut that lies mostly inside a much larger cut is the character in front: its pixels leave the larger cut before
the split. Masks are bool H x W, the same size.
"""

import numpy as np

NESTED = True  # tests switch it off to show the character in front lost without it
NESTED_SHARE = 0.8  # a cut with at least this share of its pixels inside another cut lies in it ...
NESTED_MAX_AREA = 0.5  # ... when it is at most this share of that cut's area
# Chosen on the composites' tune split (the segmenter on cached cues, best mask per character, seeds 7 / 11 / 13 and
# the drawn backgrounds, both presets): 0.8 / 0.5 and 0.6 / 0.5 move only seed 11 (anime 0.7181 -> 0.7377, 3D 0.6929
# -> 0.7126); a larger cut (0.85 of the other's area) is often the character itself, its neighbour's cut reaching
# over it: seed 13 anime 0.7886 -> 0.7625, 3D 0.7745 -> 0.7567 (a Saha's legs given away, 0.70 -> 0.40)
# In a rendered shot a cut whose seed is a detector's box with a trusted face of its own (not a body guessed below a
# lone face, nor a weak face a weak box confirmed: a hand) is a whole character even where it is larger: up to
# BOXED_MAX_AREA of the cut it lies in (session 56, h105: tune 3D seed 29 scene 12, a man in front of a man, his cut
# 0.56 of the one behind, 0.44 -> 0.80; without the face guards seed 11 scene 6 and seed 13 scene 12 fell)
BOXED_MAX_AREA = 0.85


def nested_in_front(masks: list[np.ndarray], fronts: list[bool] | None = None,
                    boxed: list[bool] | None = None) -> list[np.ndarray]:
    """``masks`` where every cut that lies inside a larger one (NESTED_SHARE of it inside, at most NESTED_MAX_AREA
    of its size, or BOXED_MAX_AREA where ``boxed[i]``: a detector's box with a trusted face seeded it) keeps its pixels
    and the larger cut loses them; ``fronts[i]`` False: mask i never counts as in front (default: every mask may)."""
    if not NESTED or len(masks) < 2:
        return masks
    areas = [int(m.sum()) for m in masks]
    out = [m.copy() for m in masks]
    for i, inner in enumerate(masks):
        if areas[i] == 0 or (fronts is not None and not fronts[i]):
            continue
        for j, outer in enumerate(masks):
            limit = BOXED_MAX_AREA if boxed is not None and boxed[i] else NESTED_MAX_AREA
            if i == j or areas[i] > limit * areas[j]:
                continue
            if int((inner & outer).sum()) >= NESTED_SHARE * areas[i]:
                out[j] &= ~inner
    return out
