"""A rendered character's hand that hangs off its cut where DeepLab ends at the wrist.

Seen from behind (no face), a person's hand reaching out lies in the background's colours (Sintel 00711: the dark
glove against the dark clouds), so GrabCut gives it to the background, and DeepLab's person map ends at the wrist.
MediaPipe's selfie matte holds the hand (its lit side at 0.9 and more, its shadowed fingers at 0.6-0.8, so the pieces
come from its person pixels, HANGING_SELFIE, not its sure ones). ``character_extent.silhouette_pieces`` refuses the
hand, though: the cut's convex hull already reaches past it (the arm's sleeve along the frame's bottom edge), where
that rule reads the background between the legs or between an arm and the back. Such background lies beside the cut
on most sides; a hand hangs off it: the ring around the piece lies mostly off the cut.
"""

import cv2
import numpy as np

HANGING_PIECES = True
HANGING_SELFIE = 0.5  # the selfie matte's person pixels: the shadowed fingers are 0.6-0.8 (00711), its sure pixels 0.9
HANGING_RING = 0.25  # at most this share of the ring around the piece lies on the cut (00711's hand: 0.11)
HANGING_RING_WIDTH = 2  # the ring: the piece dilated by this many openings' discs, less the piece
HANGING_CLASS = 0.5  # DeepLab holds less than this share of it: a piece DeepLab holds is with_class_extent's
HANGING_MAX = 0.3  # at most this share of the cut (character_extent.CLASS_MAX_PIECE)
HANGING_OPENING = 0.025  # the opening's disc, share of the box's height (character_extent.CLASS_OPENING)


def hanging_pieces(first: np.ndarray, left: np.ndarray, class_mask: np.ndarray,
                   box: tuple[int, int, int, int]) -> np.ndarray:
    """The pieces of ``left`` (the selfie matte's person pixels the cut ``first`` left out), opened by a disc of
    HANGING_OPENING of ``box``'s height, that touch the cut and hang off it: at most HANGING_MAX of the cut, DeepLab's
    ``class_mask`` holding less than HANGING_CLASS of it, and at most HANGING_RING of the ring around it on the cut."""
    out = np.zeros_like(first)
    if not HANGING_PIECES or not left.any() or not first.any():
        return out
    radius = max(1, round(HANGING_OPENING * (box[3] - box[1])))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    opened = cv2.morphologyEx(left.astype(np.uint8), cv2.MORPH_OPEN, disc)
    count, pieces = cv2.connectedComponents(opened, connectivity=8)
    near = cv2.dilate(first.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    for i in range(1, count):
        piece = pieces == i
        if not (piece & near).any() or piece.sum() > HANGING_MAX * first.sum():
            continue
        if class_mask[piece].mean() >= HANGING_CLASS:
            continue
        ring = cv2.dilate(piece.astype(np.uint8), disc, iterations=HANGING_RING_WIDTH).astype(bool) & ~piece
        if first[ring].mean() <= HANGING_RING:
            out |= piece
    return out
