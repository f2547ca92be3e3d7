"""Appearance vectors of instance cut-outs for placing faceless instances. No Dagster, no model import."""

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from assets.pose.core import composite_on
from resources.errors import BadMediaError
from resources.image_codec import read_image
from resources.ordered_map import ordered_map
from resources.protocols import ImageEmbedder

BACKGROUND = 127  # cut-outs are composited on mid grey so the background colour carries no identity


def load_cutout(path: Path) -> np.ndarray:
    """An RGBA (or RGB) cut-out as RGB on a neutral background, cropped to its visible part."""
    image = read_image(path)
    if image is None:
        raise BadMediaError(path, "instance cut-out cannot be read; re-materialise `instances`")
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        # cropped first, then composited: the same pixels as compositing the whole cut-out (a 1080p one's float
        # copies cost more than its decode, and most of a cut-out's margin is transparent)
        x, y, w, h = cv2.boundingRect(cv2.extractChannel(image, 3))   # the pixels with alpha > 0
        if w and h:
            image = image[y:y + h, x:x + w]
        # each pixel (colour * a + grey * (1 - a)).astype(uint8) in float32, a = alpha / 255
        return composite_on(image, (BACKGROUND,) * 3, round_half_up=False)
    return cv2.cvtColor(np.ascontiguousarray(image[:, :, :3]), cv2.COLOR_BGR2RGB)


def appearance_vectors(paths: list[str | None], embedder: ImageEmbedder, resolve: Callable[[str], Path],
                       batch_size: int = 16) -> np.ndarray:
    """(N, D) unit vectors; rows whose cut-out is missing are zero (they match nothing). The cut-outs are read on a
    thread per core, the next batch while the embedder takes this one (PNG inflate and compositing release the GIL;
    the embedder is called from this thread only)."""
    out = np.zeros((len(paths), embedder.embedding_dim), dtype=np.float32)
    index = [i for i, p in enumerate(paths) if p]
    images = ordered_map(lambda i: load_cutout(resolve(paths[i])), index, ahead=batch_size, name="appearance")
    for start in range(0, len(index), batch_size):
        chunk = index[start:start + batch_size]
        out[chunk] = embedder.embed([next(images) for _ in chunk])
    return out


def held_out_similarities(members: np.ndarray) -> np.ndarray:
    """Each row's cosine to the mean of the OTHER rows (``members``: unit vectors of one identity); a single row
    gets 1.0 (nothing to hold it out against). A member counted in the prototype it is compared with looks closer
    than a new look of the character can: with four members each is a quarter of its own prototype, so a floor
    taken from inclusive similarities shuts out the character's other looks in a small identity (an image folder:
    4 faces of a child). Held out, the floor is what a new member would show; with many members the two agree."""
    members = np.asarray(members, dtype=np.float64)
    if len(members) < 2:
        return np.ones(len(members))
    total = members.sum(axis=0)
    dots = members @ total                      # a_j . S
    own = np.einsum("ij,ij->i", members, members)  # |a_j|^2 (1 for unit rows, 0 for a missing cut-out)
    rest_norm = np.sqrt(np.maximum(total @ total - 2 * dots + own, 1e-24))
    return (dots - own) / rest_norm
