"""A lone face's body guessed from the character's own cut, not from a photograph's proportions.

A face that no detector box holds is cut in a body box guessed below it (``character_seeds.guessed_body``: 5 face
widths wide, 6.7 face heights below the face's top: a character 4-7 heads tall). A big-headed character (chibi,
cartoon; Kenney's characters stand 1.8-3.2 of their YuNet face's heights tall and 1.4-2.6 of its widths wide, Saha
3.6-5.7 and 3.5-4.6) fills a fraction of that box, and its neighbours and the background fill the rest: GrabCut
then cuts the group or the sky with it (``merged``, and masks over half the frame). So where that cut reaches beyond
a big-headed character's box (``big_head_box``: BIG_HEAD_WIDTH face widths wide, down to BIG_HEAD_BELOW face heights
below the face), the face is cut again in that box, and the second cut is taken where the character shows it is
that short: its silhouette closes inside the small box (``closes_inside``: it does not run through the box's bottom,
save where the frame ends there). A taller character's legs or dress run through the bottom, and it keeps the
photograph's box (Sita and Saha: the shared tune composites unchanged; docs/instances.md, session 21 d1). A person
box holding a face is cut again the same way where the box itself ends at a big-headed character's feet
(``short_figure_box``: one box round several Kenney characters standing together; session 21 d6). Boxes and masks
in the pixels of the frame the segmenter cuts.
"""

import numpy as np

BIG_HEAD_WIDTH = 3.0  # face widths: a big-headed character's body is at most this wide (Kenney's 1.4-2.6)
BIG_HEAD_BELOW = 1.6  # face heights below the face's bottom: its feet (Kenney's 0.5-1.3)
CLOSED_EDGE = 0.05  # the small box's bottom crossed by the cut on more than this share of its width: not closed
BEYOND = 0.1  # the photograph's box's cut holds at least this share of its pixels outside the small box


def big_head_box(face: np.ndarray, box: np.ndarray, width: int, height: int) -> np.ndarray:
    """The body box of a big-headed character with this face, inside the guessed ``box`` (kept as narrowed by a
    neighbour's face): BIG_HEAD_WIDTH face widths about the face, from ``box``'s top to BIG_HEAD_BELOW face heights
    below the face."""
    fw, fh, cx = face[2] - face[0], face[3] - face[1], (face[0] + face[2]) / 2
    half = BIG_HEAD_WIDTH * fw / 2
    small = np.array([cx - half, box[1], cx + half, face[3] + BIG_HEAD_BELOW * fh], np.float32)
    small = np.r_[np.maximum(small[:2], box[:2]), np.minimum(small[2:], box[2:])]
    return np.clip(small, 0, [width, height, width, height]).astype(np.float32)


def short_figure_box(face: np.ndarray, box: np.ndarray, height: int) -> bool:
    """A detector's person ``box`` round this ``face`` ends where a big-headed character's feet do: at most
    BIG_HEAD_BELOW face heights below the face, above the frame's bottom edge (a box the frame cuts says nothing of
    the character's height). Then the character the face heads is big-headed, and a box wider than one
    (BIG_HEAD_WIDTH face widths) holds its neighbours too (Kenney's characters standing together; Sita and Saha,
    3.6-5.7 face heights tall, never pass)."""
    return bool(box[3] <= face[3] + BIG_HEAD_BELOW * (face[3] - face[1]) and box[3] < height - 1)


def closes_inside(mask: np.ndarray, box: np.ndarray) -> bool:
    """The cut ``mask`` ends inside ``box``: its pixels on the box's bottom row are at most CLOSED_EDGE of the row
    (a taller character's legs run through it; a bottom on the frame's edge does not count: a character the frame
    cuts), and it spills at most CLOSED_EDGE of its pixels outside the box. The sides do not count: a neighbour
    overlapping the character crosses them whatever its size."""
    height, width = mask.shape
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    if x1 - x0 < 4 or y1 - y0 < 4 or not mask.any():
        return False
    inside = np.count_nonzero(mask[y0:y1, x0:x1])
    bottom_open = y1 < height and mask[y1 - 1, x0:x1].mean() > CLOSED_EDGE
    return bool(not bottom_open and np.count_nonzero(mask) - inside <= CLOSED_EDGE * max(1, inside))


def reaches_beyond(mask: np.ndarray, box: np.ndarray) -> bool:
    """The photograph's box's cut ``mask`` holds at least BEYOND of its pixels outside ``box`` (the small one)."""
    x0, y0, x1, y1 = (max(0, int(round(v))) for v in box)
    total = np.count_nonzero(mask)
    return bool(total > 0 and (total - np.count_nonzero(mask[y0:y1, x0:x1])) >= BEYOND * total)
