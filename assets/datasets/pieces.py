"""How much of a cut-out is one thing: the share of its pixels in its largest piece, pieces a small gap apart
counted as one. A whole character is one piece, or nearly (a hand or a foot its outline parts from the body, a
held ball); a cut that the segmenter grew from a false face or a prop over bits of the scene is scattered: two
ghosts and a hand, two coins and a tuft of grass, a ball and scraps of the legs round it, a pair of eyes, two
characters side by side (Penny & Chip, session 47: every kept cut under 0.6 is one of these). Pure numpy / OpenCV."""

import cv2
import numpy as np

# pieces closer than this share of the cut's longer side are one piece: a character's outline, drawn in ink or
# lost in the matting, parts a hand, a shoe or the head from the body by a few pixels (Penny & Chip's Chip sitting,
# 0.40 counted strictly, 0.75 with the gap bridged)
PIECE_GAP = 0.03


def largest_piece_share(alpha: np.ndarray, gap: float = PIECE_GAP) -> float:
    """Share of ``alpha``'s covered pixels (bool or 0 / non-zero) in its largest piece, pieces ``gap`` of the
    covered box's longer side apart joined; 1.0 for one piece, 0.0 for an empty cut-out."""
    covered = (alpha > 0).astype(np.uint8)
    total = int(np.count_nonzero(covered))
    if not total:
        return 0.0
    _, _, width, height = cv2.boundingRect(covered)
    reach = max(3, int(gap * max(width, height)) | 1)
    bridged = cv2.dilate(covered, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach)))
    count, labels = cv2.connectedComponents(bridged, connectivity=8)
    if count <= 2:  # the background and one piece
        return 1.0
    return float(np.bincount(labels[covered > 0], minlength=count)[1:].max() / total)
