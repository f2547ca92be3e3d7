"""A rendered shot's cuts re-cut once more at their edge, in a band twice the segmenter's, just before the matting.

The segmenter's edge GrabCut (resources/backends/character_edges.py) runs on its first cuts, in a band of
``edge_band_px`` (6 px at 480 rows), learning its colours there; the steps after it (pockets, joined bodies, the
shot's vote) move the edge again. A second GrabCut on each final cut, sure inside and outside a band of 12 px (at 480
rows), learns the character's and the background's colours from a wider rim and settles the edge pixel where they
say. On the 3D tune composites (bench/composites.py --scenes 16 --split tune, seeds 3 7 11 13 17 23 29 31, with
matting.mask_level's 0.3) the mean IoU rises 0.7143 -> 0.7172 (six seeds up, 17 and 23 down 0.0002 / 0.0005),
boundary F 0.6968 -> 0.7049; what it mends is the edge pixel itself (the truth's first pixel missed 0.0128 -> 0.0096
of mean IoU with the level, the first pixel outside taken 0.0029 -> 0.0043), not the 4-8 px band (0.0107 -> 0.0099).
Drawn shots keep their cuts as they are (their outline rim, outline.py, places a drawn edge): the anime preset's
composites are identical row for row (docs/instances.md, session 58).
"""

import numpy as np

from resources.backends.character_edges import EDGE_MAX_SIDE, refine_apart

RECUT_BAND_SCALE = 2.0  # the second re-cut's band, in segmenter edge bands (1.5: tune mean +0.0023, found@0.8 fell)
# the frame is re-cut at most this many rows high (where the segmenter cut it, ANALYSIS_MAX_HEIGHT_3D) and never wider
# than the segmenter's own re-cut (EDGE_MAX_SIDE); the matting then works at the source. A 1080p frame re-cut at
# EDGE_MAX_SIDE (960 x 540) costs 0.10 CPU-s, at 480 rows 0.064 (tune seed 7 at 1080 rows, one thread)
RECUT_MAX_ROWS = 480


def recut_side(height: int, width: int) -> int:
    """The longer side ``refine_apart`` scales a ``height`` x ``width`` frame to for the re-cut."""
    return min(EDGE_MAX_SIDE, round(max(height, width) * min(1.0, RECUT_MAX_ROWS / height)))


def recut_edges(rgb: np.ndarray, found: list[dict]) -> list[np.ndarray]:
    """Each item's mask with its edge re-cut (``refine_apart``, RECUT_BAND_SCALE bands) on ``rgb``, characters kept
    apart; an item carrying its own alpha (a transparent image's figure, image_alpha.py) keeps its mask."""
    masks = [item["mask"] for item in found]
    cut = [n for n, item in enumerate(found) if item.get("alpha") is None]
    for n, mask in zip(cut, refine_apart(rgb, [masks[n] for n in cut], recut_side(*rgb.shape[:2]), RECUT_BAND_SCALE)):
        masks[n] = mask
    return masks
