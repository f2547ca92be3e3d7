"""A transparent image's own alpha as its cut-out (issues #12 / #13). No Dagster, no models.

A user's image folder often holds cut-outs (RGBA sprite exports): the person who made the alpha already said where
the figure is. The frames stage keeps that alpha beside the key frame (``write_frame_alpha``: ``<frame_id>_alpha.png``,
at the key frame's size), and the instances stage makes one instance per separate opaque figure from it
(``alpha_instances``) instead of running the segmenter; such an instance's seed is ``MASK_SOURCE`` ("image_alpha"),
and the filter keeps it unless it is too small (assets/instances/filtering.py). The alpha is kept by the frames stage,
not read from the source file later, so a moved or removed source folder changes nothing once frames are made.
"""

from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np

from resources.disk_space import write_image

MASK_SOURCE = "image_alpha"  # filtering.py IMAGE_ALPHA (no import: filtering is pure polars)
MIN_TRANSPARENT_SHARE = 0.05  # at least this share of pixels below full opacity: a real cut-out, not a stray pixel
MIN_OPAQUE_SHARE = 0.01       # and at least this share at alpha >= 0.5: there is a figure
CLOSING_FRAC = 0.01           # opaque parts closer than this share of the image's longer side are one figure
MIN_FIGURE_SHARE = 0.02       # a component smaller than this share of the largest one (or < MIN_FIGURE_PX) is a speck
MIN_FIGURE_PX = 64
ALPHA_SUFFIX = "_alpha.png"
ALPHA_CUES = SimpleNamespace(empty_reason="the image's own alpha holds no figure larger than a speck")


def image_alpha(path: Path, size: tuple[int, int]) -> np.ndarray | None:
    """The image file's alpha (uint8, ``size`` = (width, height), EXIF orientation applied, resized as the frames
    stage resized its pixels) where the file has real transparency (``has_cutout``), else None."""
    from PIL import ImageOps

    from resources.media import has_transparency, open_image

    with open_image(path) as handle:
        if not has_transparency(handle):
            return None
        alpha = ImageOps.exif_transpose(handle.convert("RGBA")).getchannel("A")
        if alpha.size != size:
            alpha = alpha.resize(size)  # bilinear, as the frames stage's reduced decode
        alpha = np.asarray(alpha)
    return alpha if has_cutout(alpha) else None


def has_cutout(alpha: np.ndarray) -> bool:
    """A meaningful transparent part and an opaque one."""
    return (np.count_nonzero(alpha < 255) >= MIN_TRANSPARENT_SHARE * alpha.size
            and np.count_nonzero(alpha >= 128) >= MIN_OPAQUE_SHARE * alpha.size)


def alpha_path(frame_path: Path) -> Path:
    return frame_path.with_name(frame_path.stem + ALPHA_SUFFIX)


def write_frame_alpha(frame_path: Path, alpha: np.ndarray) -> None:
    write_image(alpha_path(frame_path), alpha)


def read_frame_alpha(frame_path: Path, shape: tuple[int, int]) -> np.ndarray | None:
    """The alpha the frames stage kept beside a key frame, or None (a video frame, an opaque image)."""
    path = alpha_path(frame_path)
    if not path.exists():
        return None
    alpha = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if alpha is None or alpha.shape != shape:
        raise ValueError(f"{path}: unreadable or not the key frame's size {shape}; re-materialise `frames`")
    return alpha


def alpha_instances(alpha: np.ndarray) -> list[dict]:
    """One instance per separate opaque figure, largest first: connected components of alpha >= 0.5 after a closing
    of ``CLOSING_FRAC`` of the longer side, specks dropped. Each has ``mask`` (the component's alpha >= 0.5) and
    ``alpha`` (the file's alpha where that figure is nearest: soft edges kept), ``seed`` MASK_SOURCE, score 1."""
    opaque = (alpha >= 128).astype(np.uint8)
    radius = max(1, round(CLOSING_FRAC * max(alpha.shape)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    closed = cv2.morphologyEx(opaque, cv2.MORPH_CLOSE, kernel)
    count, labels = cv2.connectedComponents(closed, connectivity=8)
    areas = np.bincount(labels[opaque > 0], minlength=count)[1:].tolist()  # opaque pixels of each component
    if not areas:
        return []
    keep = [n + 1 for n, area in enumerate(areas) if area >= max(MIN_FIGURE_PX, MIN_FIGURE_SHARE * max(areas))]
    keep.sort(key=lambda label: -areas[label - 1])
    if len(keep) > 1:  # every partly transparent pixel goes to its nearest figure
        background = np.isin(labels, keep, invert=True).astype(np.uint8)
        _, nearest = cv2.distanceTransformWithLabels(background, cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL)
        owner_of = np.zeros(nearest.max() + 1, np.int32)
        zeros = background == 0
        owner_of[nearest[zeros]] = labels[zeros]
        owner = owner_of[nearest]
    else:
        owner = np.full(alpha.shape, keep[0] if keep else 0, np.int32)
    out = []
    for label in keep:
        mine = (owner == label) & ((labels == label) | (labels == 0))  # not a dropped speck's pixels
        soft = np.where(mine, alpha, 0).astype(np.uint8)
        out.append({"mask": soft >= 128, "alpha": soft, "seed": MASK_SOURCE, "score": 1.0})
    return out
