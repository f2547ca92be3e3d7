"""Parts a drawn character's cut leaves out although its own outline encloses them: a hand, a sleeve's cuff, a
piece of the chin or of the hair, cut off from the rest by a line of the line art, which the coarse GrabCut (on a
window of at most 256 px) and the edge re-cut (free only within a few pixels of the coarse edge) gave to the
background. At the source resolution the line art is visible: the thin dark strokes (black-hat) just outside the
mask, together with the mask, close such a part off from the background around it.

A part comes back when it is enclosed by the mask and the strokes (no path of other pixels reaches the search
zone's border or another character's mask; the frame's border closes the outline where the frame cuts the mask), at least ``LINE_SHARE`` of its border is line art
(a hole the cut left inside the mask, bordered by the mask alone, stays out), it is at most ``MAX_SHARE`` of the
mask's area and its colours lie nearer the character's own colours than the background's around it (k-means
centres of each, CIE Lab). The strokes bordering it come back with it.

Measured on the composites (bench/composites.py, tune split; see README "instances"). Images are RGB uint8, masks
bool, same size.
"""

import cv2
import numpy as np

ZONE = 0.12          # the search zone around a mask: this share of its box's longer side (6-60 px)
LINE_HAT = 20        # black-hat response (grey levels) of a stroke of the line art
LINE_SHARE = 0.3     # share of an enclosed part's border that must be line art
MAX_SHARE = 0.4      # an enclosed part is at most this share of the mask's area
MIN_PART_PX = 4      # smaller pieces (specks between strokes) stay out
COLOUR_CENTRES = 6   # k-means centres of the character's and of the background's colours
COLOUR_SAMPLE = 3000  # pixels each k-means learns from
_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))


def colour_centres(rgb: np.ndarray, count: int = COLOUR_CENTRES) -> np.ndarray:
    """k-means centres (float32, count x 3, CIE Lab) of ``rgb`` pixels (N x 3), from a fixed random state and
    sample (only the sample is converted to Lab)."""
    if len(rgb) > COLOUR_SAMPLE:
        rgb = rgb[np.random.default_rng(0).choice(len(rgb), COLOUR_SAMPLE, replace=False)]
    pixels = lab_of(rgb)
    count = min(count, len(pixels))
    cv2.setRNGSeed(1)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 10, 1.0)
    return cv2.kmeans(pixels, count, None, criteria, 1, cv2.KMEANS_PP_CENTERS)[2]


def lab_of(rgb: np.ndarray) -> np.ndarray:
    """N x 3 uint8 RGB pixels -> N x 3 float32 Lab (OpenCV's 8-bit scale)."""
    column = np.ascontiguousarray(rgb).reshape(-1, 1, 3)
    return cv2.cvtColor(column, cv2.COLOR_RGB2LAB).reshape(-1, 3).astype(np.float32)


def nearest_distance(lab: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Each pixel's (N x 3) distance to its nearest centre."""
    return np.sqrt(((lab[:, None, :] - centres[None]) ** 2).sum(-1)).min(1)


def line_width(frame_height: int) -> int:
    """A drawn stroke's width in pixels: 1 at 480 rows, scaled with the frame."""
    return max(1, round(frame_height / 480))


def line_strokes(grey: np.ndarray, width: int) -> np.ndarray:
    """The thin dark strokes of ``grey`` (black-hat of a disc a few line widths across; ``width``: see
    ``line_width``). The outline rim (assets/instances/outline.py) reads a drawn character's line art the same way."""
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (4 * width + 3, 4 * width + 3))
    return cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, disc) >= LINE_HAT


def _zone(mask: np.ndarray) -> tuple[int, int, int, int, int] | None:
    x, y, w, h = cv2.boundingRect(mask.astype(np.uint8))
    if not w:
        return None
    reach = int(np.clip(round(ZONE * max(w, h)), 6, 60))
    height, width = mask.shape
    return max(0, x - reach), max(0, y - reach), min(width, x + w + reach), min(height, y + h + reach), reach


def enclosed_parts(rgb: np.ndarray, mask: np.ndarray, others: np.ndarray) -> np.ndarray:
    """``mask`` with the parts its outline encloses (see the module's docstring); ``others``: the pixels other
    characters' masks hold, which it never takes and which count as open background."""
    zone = _zone(mask)
    if zone is None:
        return mask
    x0, y0, x1, y1, reach = zone
    cut, theirs, crop = mask[y0:y1, x0:x1], others[y0:y1, x0:x1], rgb[y0:y1, x0:x1]
    lines = line_strokes(cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY), line_width(mask.shape[0])) & ~cut
    near = cv2.distanceTransform((~cut).astype(np.uint8), cv2.DIST_L2, 3) <= reach  # a disc's dilation, cheaper
    free = ~(cut | lines)
    count, labels = cv2.connectedComponents(free.astype(np.uint8), connectivity=4)
    open_ = np.zeros(count, bool)
    open_[0] = True  # the label of cut and line pixels
    open_[np.unique(labels[~near | theirs])] = True
    height, width = mask.shape
    for side, held, at_frame_edge in ((np.s_[0], cut[0], y0 == 0), (np.s_[-1], cut[-1], y1 == height),
                                     (np.s_[:, 0], cut[:, 0], x0 == 0), (np.s_[:, -1], cut[:, -1], x1 == width)):
        if not (at_frame_edge and held.any()):  # where the frame cuts the character, its edge closes the outline
            open_[np.unique(labels[side])] = True
    enclosed = ~open_[labels]
    around = free & ~enclosed & near & ~theirs
    if not enclosed.any() or np.count_nonzero(around) < 20:
        return mask
    own, background = colour_centres(crop[cut & ~lines]), colour_centres(crop[around])
    out = cut.copy()
    limit = MAX_SHARE * np.count_nonzero(cut)
    touch = np.ones((2 * line_width(mask.shape[0]) + 3,) * 2, np.uint8)  # across one stroke
    parts, part_labels, stats, _ = cv2.connectedComponentsWithStats(enclosed.astype(np.uint8), connectivity=4)
    for j in range(1, parts):
        x, y, w, h, area = stats[j]
        if not MIN_PART_PX <= area <= limit:
            continue
        pad = 3 * len(touch)
        window = np.s_[max(0, y - pad):y + h + pad, max(0, x - pad):x + w + pad]
        part, strokes = part_labels[window] == j, lines[window]
        if not (cv2.dilate(part.astype(np.uint8), touch) > 0)[cut[window]].any():
            continue  # enclosed by the background's own strokes (a flower's ring), not by the character's outline
        border = cv2.dilate(part.astype(np.uint8), _CROSS).astype(bool) & ~part
        if np.count_nonzero(border & strokes) < LINE_SHARE * np.count_nonzero(border):
            continue
        colours = lab_of(crop[window][part])
        if (nearest_distance(colours, own) < nearest_distance(colours, background)).mean() < 0.5:
            continue
        out[window] |= part | (border & strokes & ~theirs[window])
    result = mask.copy()
    result[y0:y1, x0:x1] = out
    return result


def with_enclosed_parts(rgb: np.ndarray, masks: list[np.ndarray]) -> list[np.ndarray]:
    """Every mask with its enclosed parts, characters kept apart: a part one mask takes is another's background."""
    out = list(masks)
    for i in range(len(out)):
        others = np.zeros(out[i].shape, bool)
        for j, other in enumerate(out):
            if j != i:
                others |= other
        out[i] = enclosed_parts(rgb, out[i], others)
    return out
