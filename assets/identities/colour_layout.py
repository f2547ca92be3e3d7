"""Where a drawn character's colours sit on its body (issue #12): a coarse colour layout of a cut-out, read where
two designs of one palette share a drawn face (``design_split.split_by_gap``'s ``layouts``; read with the cut-outs'
other rows by ``appearance.cutout_vectors``). No Dagster."""

import cv2
import numpy as np

from resources.colour_tables import colour_table, packed_colours

LAYOUT_GRID = (4, 3)   # rows x columns over the cut-out's alpha box
LAYOUT_COLOURS = 12    # coarse CIELAB colours: 3 lightness levels x the sign of a* x the sign of b*
LAYOUT_SIZE = LAYOUT_GRID[0] * LAYOUT_GRID[1] * LAYOUT_COLOURS


def layout_descriptor(image: np.ndarray) -> np.ndarray:
    """The colour layout of a cut-out (BGRA uint8, as read): a LAYOUT_GRID over the box of its opaque pixels (alpha
    >= 128), each cell's share of the LAYOUT_COLOURS coarse colours (a cell's opaque pixels of each colour over the
    cell's area), made left-right symmetric (a character facing either way is one layout), centred and
    L2-normalised, so the cosine of two is the correlation of their layouts. Two designs of one palette (the same
    hair, skin and clothing colours, in other places: a skirt where the other wears trousers, hair to the shoulders
    where the other's is short) differ here where a colour histogram sees one palette. Zero for an opaque crop (no
    alpha) or an empty one."""
    rows, columns = LAYOUT_GRID
    size = LAYOUT_SIZE
    if image.ndim != 3 or image.shape[2] != 4 or not (image[:, :, 3] >= 128).any():
        return np.zeros(size, np.float32)
    opaque = image[:, :, 3] >= 128
    x, y, width, height = cv2.boundingRect(opaque.astype(np.uint8))
    inside = opaque[y:y + height, x:x + width]
    # each pixel's ``layout_colours`` answer, looked up in a table of every colour (resources/colour_tables.py)
    colour = colour_table("layout_lab", layout_colours)[packed_colours(image[y:y + height, x:x + width])]
    cells = np.zeros((rows, columns, LAYOUT_COLOURS), np.float32)
    for i in range(rows):
        for j in range(columns):
            band = slice(i * height // rows, (i + 1) * height // rows)
            column = slice(j * width // columns, (j + 1) * width // columns)
            shown = colour[band, column][inside[band, column]]
            if shown.size:
                cells[i, j] = np.bincount(shown, minlength=LAYOUT_COLOURS) / inside[band, column].size
    symmetric = ((cells + cells[:, ::-1]) / 2).ravel()
    centred = symmetric - symmetric.mean()
    norm = np.linalg.norm(centred)
    return (centred / norm).astype(np.float32) if norm > 0 else np.zeros(size, np.float32)


def layout_colours(pixels: np.ndarray) -> np.ndarray:
    """The coarse colour (0 .. LAYOUT_COLOURS - 1) of each of ``pixels`` ((N, 1, 3) BGR uint8): its 8-bit CIELAB
    lightness in three levels, then the signs of a* and b*."""
    lab = cv2.cvtColor(pixels, cv2.COLOR_BGR2LAB).reshape(-1, 3)
    return (np.clip(lab[:, 0].astype(np.int64) * 3 // 256, 0, 2) * 4 + (lab[:, 1] > 128) * 2 + (lab[:, 2] > 128))
