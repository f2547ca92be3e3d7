"""A pose feature of a drawn character from its cut-out's silhouette (alpha). numpy / OpenCV; no Dagster, no model.

Keypoint models trained on photos place joints on drawn bodies where there are none (bench/kenney_views.py: MoveNet
right 20 of 214 views on Kenney's characters), so pose buckets built from them group nothing on drawn films
(bench/kenney_pose_buckets.py). The silhouette is exact wherever the cut-out is: the outline of the arms, legs and
head tells a stride from a stand, arms up from arms down. The feature is the silhouette at a fixed height, centred
on its box and folded onto its mirror image, so that a pose drawn facing left and the same pose facing right are one.
"""

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

GRID = 16  # cells a side: the silhouette's height spans the grid; a stride shows at this size, noise does not


def silhouette_feature(alpha: np.ndarray, grid: int = GRID) -> np.ndarray | None:
    """``grid * grid // 2`` numbers in [0, 1] (the mirror-folded coverage of each cell of a square as tall as the
    silhouette, centred on its box), or None when ``alpha`` (H x W, bool or uint8) holds nothing."""
    mask = np.asarray(alpha) > (127 if np.asarray(alpha).dtype == np.uint8 else 0)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    box = mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].astype(np.float32)
    height, width = box.shape
    side = max(height, width)
    # a square canvas as tall as the silhouette (a wide pose keeps its width: aspect is part of the pose), one
    # column wider where the margins would differ by one, so that the mirror image lands on the mirrored canvas
    square = np.zeros((side, side + (side - width) % 2), np.float32)
    y0, x0 = (side - height) // 2, (square.shape[1] - width) // 2
    square[y0:y0 + height, x0:x0 + width] = box
    cells = cv2.resize(square, (grid, grid), interpolation=cv2.INTER_AREA)
    folded = (cells + cells[:, ::-1]) / 2.0  # a pose and its mirror image give the same numbers
    return folded[:, :grid // 2].reshape(-1).astype(np.float32)


def read_silhouettes(paths: dict[str, Path]) -> dict[str, np.ndarray]:
    """instance_id -> ``silhouette_feature`` of its cut-out file's alpha; a missing, unreadable or empty cut-out is
    left out (its cut-out has no pose bucket, as a cut-out without keypoints has none from keypoints)."""
    from resources.image_codec import read_image

    features = {}
    for instance_id, path in paths.items():
        image = read_image(path) if path.is_file() else None
        if image is None:
            continue
        alpha = image[:, :, 3] if image.ndim == 3 and image.shape[2] == 4 else np.full(image.shape[:2], 255, np.uint8)
        feature = silhouette_feature(alpha)
        if feature is not None:
            features[instance_id] = feature
    return features


def silhouette_labels(ids: list[str], silhouettes: dict[str, np.ndarray], speeds: dict[str, float],
                      min_speed: float, cluster: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Labels (-1 noise) of ``cluster`` on the ``silhouettes`` of one character's cut-outs ``ids``, run apart on
    the ones crossing their shot at ``min_speed`` heights a second or more (``speeds``: crossing_speeds; 0: one
    pool) and on the others, numbered on from one part to the next: a walking drawing and a standing one can share
    an outline (Kenney's stride drawing is more like the idle pose, mask IoU 0.77, than like the walk's passing
    drawing, 0.71), and the motion tells them apart where the outline cannot."""
    features = np.stack([silhouettes[i] for i in ids])
    moving = np.array([min_speed > 0 and abs(speeds.get(i, 0.0)) >= min_speed for i in ids], bool)
    labels = np.full(len(ids), -1, np.int32)
    offset = 0
    for part in (np.flatnonzero(~moving), np.flatnonzero(moving)):
        if part.size == 0:
            continue
        found = np.asarray(cluster(features[part]), np.int32)
        labels[part] = np.where(found >= 0, found + offset, -1)
        offset = int(labels.max()) + 1
    return labels
