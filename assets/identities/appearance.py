"""Appearance vectors of instance cut-outs for placing faceless instances. No Dagster, no model import."""

from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np

from assets.identities.colour_layout import LAYOUT_SIZE, layout_descriptor
from assets.identities.core import normalise
from assets.pose.core import composite_on
from resources.colour_tables import colour_table, packed_colours
from resources.errors import BadMediaError
from resources.image_codec import read_image
from resources.ordered_map import ordered_map
from resources.protocols import ImageEmbedder

BACKGROUND = 127  # cut-outs are composited on mid grey so the background colour carries no identity
# a cut-out's colours: CIELAB L* x a* x b* bins (a*, b* clipped to +-COLOUR_AB), of its opaque pixels
COLOUR_BINS = (4, 6, 6)
COLOUR_AB = 60.0
SHAPE_SIDE = 16  # a cut-out's silhouette: its box padded to a square, at this many pixels a side


def load_cutout(path: Path) -> np.ndarray:
    """An RGBA (or RGB) cut-out as RGB on a neutral background, cropped to its visible part."""
    return cutout_on_grey(read_cutout(path))


def read_cutout(path: Path) -> np.ndarray:
    """A cut-out as read (BGR or BGRA uint8), cropped to its visible part (the pixels with alpha > 0)."""
    image = read_image(path)
    if image is None:
        raise BadMediaError(path, "instance cut-out cannot be read; re-materialise `instances`")
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        # cropped first, then composited: the same pixels as compositing the whole cut-out (a 1080p one's float
        # copies cost more than its decode, and most of a cut-out's margin is transparent)
        x, y, w, h = cv2.boundingRect(cv2.extractChannel(image, 3))
        if w and h:
            image = image[y:y + h, x:x + w]
    return image


def cutout_on_grey(image: np.ndarray) -> np.ndarray:
    """A cut-out as ``read_cutout`` gives it, as RGB on a neutral background."""
    if image.shape[2] == 4:
        # each pixel (colour * a + grey * (1 - a)).astype(uint8) in float32, a = alpha / 255
        return composite_on(image, (BACKGROUND,) * 3, round_half_up=False)
    return cv2.cvtColor(np.ascontiguousarray(image[:, :, :3]), cv2.COLOR_BGR2RGB)


def appearance_vectors(paths: list[str | None], embedder: ImageEmbedder, resolve: Callable[[str], Path],
                       batch_size: int = 16) -> np.ndarray:
    """(N, D) unit vectors; rows whose cut-out is missing are zero (they match nothing). The cut-outs are read on a
    thread per core, the next batch while the embedder takes this one (PNG inflate and compositing release the GIL;
    the embedder is called from this thread only)."""
    return cutout_vectors(paths, embedder, resolve, colours=False, batch_size=batch_size)[0]


class CutoutRows(NamedTuple):
    """What ``cutout_vectors`` read off the cut-outs, a row per path (zero where the cut-out is missing): the
    appearance vectors, and the colours, silhouettes and colour layouts where asked for (else None)."""
    appearance: np.ndarray
    colours: np.ndarray | None
    shapes: np.ndarray | None
    layouts: np.ndarray | None


def cutout_vectors(paths: list[str | None], embedder: ImageEmbedder, resolve: Callable[[str], Path], colours: bool,
                   batch_size: int = 16, shapes: bool = False, layouts: Collection[int] | None = None) -> CutoutRows:
    """``appearance_vectors``, with ``colours`` the cut-outs' ``colour_descriptor`` rows, with ``shapes`` their
    ``shape_descriptor`` rows, and with ``layouts`` (row numbers) their ``layout_descriptor`` at those rows (zero at
    the others: ``layout_rows``), each cut-out read once; a missing cut-out's rows are zero."""
    out = np.zeros((len(paths), embedder.embedding_dim), dtype=np.float32)
    colour_rows = np.zeros((len(paths), int(np.prod(COLOUR_BINS))), dtype=np.float32) if colours else None
    shape_rows = np.zeros((len(paths), SHAPE_SIDE * SHAPE_SIDE), dtype=np.float32) if shapes else None
    layout_rows_ = np.zeros((len(paths), LAYOUT_SIZE), np.float32) if layouts is not None else None
    laid_out = set(layouts or ())
    index = [i for i, p in enumerate(paths) if p]

    def load(i: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, np.ndarray | None]:
        image = read_cutout(resolve(paths[i]))
        return (cutout_on_grey(image), colour_descriptor(image) if colours else None,
                shape_descriptor(image) if shapes else None, layout_descriptor(image) if i in laid_out else None)

    loaded = ordered_map(load, index, ahead=batch_size, name="appearance")
    for start in range(0, len(index), batch_size):
        chunk = index[start:start + batch_size]
        images = []
        for i in chunk:
            image, colour, shape, layout = next(loaded)
            images.append(image)
            if colour_rows is not None:
                colour_rows[i] = colour
            if shape_rows is not None:
                shape_rows[i] = shape
            if layout is not None:
                layout_rows_[i] = layout
        out[chunk] = embedder.embed(images)
    return CutoutRows(out, colour_rows, shape_rows, layout_rows_)


def layout_rows(paths: list[str | None], resolve: Callable[[str], Path], wanted: Iterable[int]) -> np.ndarray:
    """(len(paths), LAYOUT_SIZE) colour layouts of the cut-outs at the ``wanted`` rows (read on a thread per core),
    where no appearance is read (``cutout_vectors`` reads them with it); every other row, and a row whose cut-out is
    missing or opaque, is zero (the layout not read)."""
    out = np.zeros((len(paths), LAYOUT_SIZE), np.float32)
    index = [i for i in wanted if paths[i]]
    for i, row in zip(index, ordered_map(lambda i: layout_descriptor(read_cutout(resolve(paths[i]))), index,
                                         name="layouts")):
        out[i] = row
    return out


def colour_descriptor(image: np.ndarray) -> np.ndarray:
    """The colours of a cut-out (BGR or BGRA uint8, as read): a histogram of its opaque pixels (alpha >= 128) in
    coarse CIELAB bins, each pixel one count, so a character's hair, skin and main clothing weigh by their area
    and the size of the cut-out does not matter; square-rooted and L2-normalised (Hellinger), so the cosine of two
    is their Bhattacharyya coefficient. A partly hidden character keeps the colours of what shows. Zero without
    an opaque pixel. Each pixel's bin is ``lab_bins``' answer for its colour, looked up in a table of every colour
    (resources/colour_tables.py): 1.5 against 10.7 CPU-ms a 1080p film's cut-out (session 52)."""
    lightness_bins, a_bins, b_bins = COLOUR_BINS
    opaque = image[:, :, 3] >= 128 if image.ndim == 3 and image.shape[2] == 4 else np.ones(image.shape[:2], bool)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.dtype == np.uint8:
        index = colour_table("appearance_lab", lab_bins)[packed_colours(image)[opaque]]
    else:   # a 16-bit image's colours are no table's: its pixels converted one by one, as before
        index = lab_bins(np.ascontiguousarray(image[:, :, :3][opaque]).reshape(-1, 1, 3)) if opaque.any() else []
    if not len(index):
        return np.zeros(lightness_bins * a_bins * b_bins, np.float32)
    histogram = np.sqrt(np.bincount(index, minlength=lightness_bins * a_bins * b_bins) / len(index))
    return (histogram / np.linalg.norm(histogram)).astype(np.float32)


def lab_bins(pixels: np.ndarray) -> np.ndarray:
    """The ``COLOUR_BINS`` bin of each of ``pixels`` ((N, 1, 3) BGR uint8): its CIELAB colour (float) binned, a*
    and b* clipped to +-COLOUR_AB."""
    lightness_bins, a_bins, b_bins = COLOUR_BINS
    lab = cv2.cvtColor(pixels.astype(np.float32) / 255, cv2.COLOR_BGR2LAB).reshape(-1, 3)

    def binned(values: np.ndarray, low: float, high: float, bins: int) -> np.ndarray:
        return np.clip((values - low) / (high - low) * bins, 0, bins - 1).astype(np.int64)

    return ((binned(lab[:, 0], 0, 100, lightness_bins) * a_bins + binned(lab[:, 1], -COLOUR_AB, COLOUR_AB, a_bins))
            * b_bins + binned(lab[:, 2], -COLOUR_AB, COLOUR_AB, b_bins))


def shape_descriptor(image: np.ndarray) -> np.ndarray:
    """The silhouette of a cut-out (BGRA uint8, as read): its opaque pixels (alpha >= 128), the box padded to a
    square (the aspect is kept), SHAPE_SIDE pixels a side, made left-right symmetric (a character facing either way
    is one shape), centred and L2-normalised, so the cosine of two is the correlation of their silhouettes. What
    colours cannot tell: one-colour designs of other shapes (a worm, a frog and a fish, all green). Zero for an
    opaque crop (no alpha) or an empty one."""
    if image.ndim != 3 or image.shape[2] != 4 or not (image[:, :, 3] >= 128).any():
        return np.zeros(SHAPE_SIDE * SHAPE_SIDE, np.float32)
    x, y, width, height = cv2.boundingRect((image[:, :, 3] >= 128).astype(np.uint8))
    opaque = (image[y:y + height, x:x + width, 3] >= 128).astype(np.float32)
    side = max(height, width)
    square = np.zeros((side, side), np.float32)
    square[(side - height) // 2:(side - height) // 2 + height, (side - width) // 2:(side - width) // 2 + width] = opaque
    small = cv2.resize(square, (SHAPE_SIDE, SHAPE_SIDE), interpolation=cv2.INTER_AREA)
    symmetric = (small + small[:, ::-1]).ravel() / 2
    centred = symmetric - symmetric.mean()
    norm = np.linalg.norm(centred)
    return (centred / norm).astype(np.float32) if norm > 0 else np.zeros(SHAPE_SIDE * SHAPE_SIDE, np.float32)


def with_colours(appearance: np.ndarray, colours: np.ndarray | None, weight: float) -> np.ndarray:
    """Appearance rows with a cut-out's colours joined in: each block unit-normalised and scaled by the square root
    of its weight (1 - ``weight``, ``weight``), so the cosine of two rows is the weighted mean of the blocks'
    cosines. Unchanged without colours or at weight 0."""
    if colours is None or weight <= 0:
        return appearance
    return np.hstack([np.sqrt(1 - weight) * normalise(appearance), np.sqrt(weight) * normalise(colours)])


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


def with_shapes(rows: np.ndarray, shapes: np.ndarray | None, weight: float) -> np.ndarray:
    """``rows`` (an appearance mix) with the cut-outs' ``shape_descriptor`` joined in as ``with_colours`` joins
    colours: the cosine of two rows is (1 - ``weight``) x the rows' cosine + ``weight`` x the silhouettes'.
    Unchanged without shapes or at weight 0."""
    if shapes is None or weight <= 0:
        return rows
    return np.hstack([np.sqrt(1 - weight) * normalise(rows), np.sqrt(weight) * normalise(shapes)])
