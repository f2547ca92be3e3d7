"""A rendered character seen from behind loses the pieces of its cut that MediaPipe's selfie matte calls no person.

A face-less seed's box often holds a second character DeepLab calls a person too (Sintel 00715-00739: the girl seen
from behind, hugging the adult dragon; DeepLab holds 0.6-0.9 of the dragon's hide her cut took). GrabCut takes the
neighbour along where its colours are the girl's, and DeepLab cannot part them. The selfie matte is a person cue
that does not see the creature: on the dragon's body it reads below SELFIE_LOW, on her back, arm, hand and hair
above it (her shadowed fingers 0.6-0.8). ``character_extent.without_debris_above`` takes the same evidence for the
debris above a face; a seed without a face has no "above", so the test is each piece's size instead.
"""

import cv2
import numpy as np

UNHELD_PIECES = True
UNHELD_LOW = 0.1  # character_extent.SELFIE_LOW: the matte's "not a person" pixels
UNHELD_MIN_PIECE = 0.02  # a piece this share of the cut or more goes (a rim or a strand of a few pixels stays)
UNHELD_MAX = 0.5  # where the matte disowns more of the cut than this, it missed the character: the cut stays
UNHELD_OPENING = 0.025  # character_extent.CLASS_OPENING, share of the box's height


def without_unheld_pieces(first: np.ndarray, selfie: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """``first`` less its pieces inside ``box`` (where the matte was estimated) that the ``selfie`` matte (float)
    holds below UNHELD_LOW, opened by a disc of UNHELD_OPENING of the box's height, each at least UNHELD_MIN_PIECE
    of the cut; unchanged where those pieces together exceed UNHELD_MAX of it."""
    if not UNHELD_PIECES or not first.any():
        return first
    x0, y0, x1, y1 = box
    low = np.zeros_like(first)
    low[y0:y1, x0:x1] = first[y0:y1, x0:x1] & (selfie[y0:y1, x0:x1] < UNHELD_LOW)
    if not low.any():
        return first
    radius = max(1, round(UNHELD_OPENING * (y1 - y0)))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    opened = cv2.morphologyEx(low.astype(np.uint8), cv2.MORPH_OPEN, disc)
    count, pieces, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    area = first.sum()
    gone = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= UNHELD_MIN_PIECE * area]
    unheld = np.isin(pieces, gone)
    if not gone or unheld.sum() > UNHELD_MAX * area:
        return first
    return first & ~unheld
