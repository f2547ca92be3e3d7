"""Where GrabCut's body-axis band runs down a person seed's box (``opencv_characters.grabcut_seed`` marks a band of
0.16 of the box's width, from 0.1 to 0.98 of its height, probable foreground: the torso and legs below the head).

A detector box holds one character, so its centre is the body's. A box that two characters' faces share side by
side is split between them (``character_seeds._split_shared_box``: halfway between the faces, plus half a face width
of overlap), and the head's part keeps the seed (``Seed.shared``); that part's centre is where the split happened to
fall, not a body. The composites' tune split, seed 11 scene 4 with the 3D defaults: a box over a Sita and a man,
split between his face (0.82) and the weak face of a second Sita beside him; the band at his part's centre lay
between the Sita and him, and his cut held the Sita and a strip of his head, not his suit (IoU 0.17). Under his face
the band lies on his body (0.50).
"""

import numpy as np

# Measured (docs/instances.md, session 17, d3): the band under the face of every face-headed person box, not only of
# a split one, moved characters by up to 0.1 IoU both ways (tune seed 13 3D 0.7587 -> 0.7529: the face box of a
# profile lies ahead of its body's middle)
AXIS_UNDER_SHARED_FACE = True


def body_axis_x(box_x0: int, box_x1: int, face: np.ndarray | None, shared: bool) -> float:
    """The x of a person seed's body axis (frame pixels of the seed's box ``box_x0``-``box_x1``): the box's centre;
    in a box split between faces (``shared``, with its ``face``: x0, y0, x1, y1, ...), the face's centre."""
    if AXIS_UNDER_SHARED_FACE and shared and face is not None:
        return float((face[0] + face[2]) / 2)
    return (box_x0 + box_x1) / 2
