"""Picture measurements behind the effect detectors, one key frame at a time. No Dagster, no models.

Each function returns the number it is named for; the thresholds that turn a number into a detection live in
``EffectParams`` (params.py). Frames are BGR uint8, analysed at most ``WORK_WIDTH`` px wide so the measures
mean the same at 480p and 4K.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from resources.area_resize import area_resized

WORK_WIDTH = 640


def working_copy(bgr: np.ndarray) -> tuple[np.ndarray, float]:
    """``bgr`` scaled to at most WORK_WIDTH px wide, and the scale applied: OpenCV's area shrink, through the compiled
    ``area_resized`` (the same bytes; a 1080p key frame at 640 wide in about 3.7 CPU-ms against OpenCV's 6.5)."""
    scale = min(1.0, WORK_WIDTH / bgr.shape[1])
    if scale == 1.0:
        return bgr, 1.0
    size = (max(2, round(bgr.shape[1] * scale)), max(2, round(bgr.shape[0] * scale)))
    return area_resized(bgr, *size), scale


@dataclass(frozen=True)
class Particles:
    blobs_per_megapixel: float  # small bright specks (white top-hat) per million pixels
    round_white_per_megapixel: float  # ... of them roughly round and unsaturated (snow flakes)
    aligned_streaks_per_megapixel: float  # ... elongated, weighted by how much their directions agree (rain)
    round_colourful_per_megapixel: float  # ... round and saturated (sparkles, embers)
    # the same counts on the negative picture: dark specks. Texture (stone, foliage, cobbles) makes dark specks as
    # often as bright ones; snow and rain add bright ones only, so the detectors read the bright excess
    round_dark_per_megapixel: float = 0.0
    dark_streaks_per_megapixel: float = 0.0


def particles(bgr: np.ndarray) -> Particles:
    """Small bright specks against their surroundings (snow, rain streaks, sparkles), and as many dark ones."""
    bright = _specks(bgr)
    dark = _specks(255 - bgr)
    return Particles(*bright, round_dark_per_megapixel=dark[1], dark_streaks_per_megapixel=dark[2])


def _specks(bgr: np.ndarray) -> tuple[float, float, float, float]:
    """Per megapixel: small bright specks (white top-hat), the round unsaturated ones, the elongated ones weighted by
    their directions' agreement, the round saturated ones."""
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    tophat = cv2.morphologyEx(grey, cv2.MORPH_TOPHAT, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9)))
    count, labels, stats = components((tophat >= 28).astype(np.uint8))
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.flatnonzero((areas >= 2) & (areas <= 120)) + 1
    megapixels = grey.size / 1e6
    if keep.size == 0:
        return 0.0, 0.0, 0.0, 0.0
    saturation = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)[..., 1]
    # second moments of every speck at once (per-label sums), instead of a Python loop over specks
    ys, xs = np.nonzero(labels > 0)
    owner = labels[ys, xs]

    def per_label(values: np.ndarray) -> np.ndarray:
        return np.bincount(owner, weights=values, minlength=count)[keep]

    n = per_label(np.ones(len(owner)))
    mx, my = per_label(xs.astype(np.float64)) / n, per_label(ys.astype(np.float64)) / n
    cxx = per_label(xs.astype(np.float64) ** 2) / n - mx ** 2
    cyy = per_label(ys.astype(np.float64) ** 2) / n - my ** 2
    cxy = per_label(xs.astype(np.float64) * ys) / n - mx * my
    unbiased = n / np.maximum(n - 1, 1)  # sample covariance, as the thresholds were set with
    cxx, cyy, cxy = cxx * unbiased, cyy * unbiased, cxy * unbiased
    spread = np.sqrt(((cxx - cyy) / 2) ** 2 + cxy ** 2)
    major, minor = (cxx + cyy) / 2 + spread, (cxx + cyy) / 2 - spread
    elongation = np.where(n >= 3, np.sqrt(np.maximum(major, 1e-6) / np.maximum(minor, 0.08)), 1.0)
    angle = np.where(n >= 3, 0.5 * np.arctan2(2 * cxy, cxx - cyy), 0.0)
    colourful = per_label(saturation[ys, xs].astype(np.float64)) / n >= 90
    streaks = elongation >= 3.0
    alignment = float(np.abs(np.exp(2j * angle[streaks]).mean())) if streaks.sum() >= 3 else 0.0
    round_ = elongation < 2.0
    return (keep.size / megapixels, float((round_ & ~colourful).sum() / megapixels),
            float(streaks.sum() * alignment / megapixels), float((round_ & colourful).sum() / megapixels))


def components(binary: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """``cv2.connectedComponentsWithStats(binary, connectivity=8)``'s count, labels and stats, with 16-bit labels where
    they cannot overflow: 8-connected components are at least one pixel apart, so an h x w picture has at most
    ceil(h / 2) * ceil(w / 2) (57,600 at 640 x 360). The same labels and stats, written in half the bytes."""
    height, width = binary.shape
    label_type = cv2.CV_16U if ((height + 1) // 2) * ((width + 1) // 2) < 65535 else cv2.CV_32S
    count, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(binary, 8, label_type, cv2.CCL_DEFAULT)
    return count, labels, stats


def fire_share(bgr: np.ndarray, at_least: float = 0.0) -> tuple[float, float]:
    """Flames are light sources: (share of the frame in flame colours, saturated red-orange-yellow and bright, that
    is also 40 grey levels brighter than its surroundings; that share over all flame-coloured pixels). A sunset sky
    or a red costume has flame colours but is no brighter than what is around it. A frame whose flame colours
    cover less than ``at_least`` of it gives (0.0, 0.0) without the surroundings' blur: the glowing share, a part
    of them, cannot reach ``at_least``."""
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    flame = (hue <= 22) & (sat >= 150) & (val >= 170)
    if not flame.any() or flame.mean() < at_least:
        return 0.0, 0.0
    value = val.astype(np.float32)
    surroundings = cv2.GaussianBlur(value, (0, 0), bgr.shape[1] / 40)
    glowing = flame & (value - surroundings >= 40)
    return float(glowing.mean()), float(glowing.sum() / flame.sum())


@dataclass(frozen=True)
class DetailMaps:
    """A frame's grey levels and the filtered copies several measures read, computed once per frame."""

    grey: np.ndarray  # float32
    smooth: np.ndarray  # Gaussian, sigma 2 px
    fine: np.ndarray  # |Laplacian|
    coarse: np.ndarray  # |difference of Gaussians, sigma 2 and 6 px|


def detail_maps(bgr: np.ndarray) -> DetailMaps:
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).astype(np.float32)
    smooth = cv2.GaussianBlur(grey, (0, 0), 2.0)
    return DetailMaps(grey, smooth, np.abs(cv2.Laplacian(grey, cv2.CV_32F, ksize=3)),
                      np.abs(smooth - cv2.GaussianBlur(grey, (0, 0), 6.0)))


def _detail_ratio(maps: DetailMaps, mask: np.ndarray) -> tuple[float, float]:
    """Fine detail relative to coarse structure inside ``mask``: |Laplacian| over |difference of Gaussians|.
    Blur removes fine detail before coarse structure, so the ratio falls with defocus whatever the contrast.
    Also returns the coarse structure (near 0: a flat area, where blur cannot be judged)."""
    structure = float(maps.coarse[mask].mean()) if mask.any() else 0.0
    return (float(maps.fine[mask].mean()) / structure if structure > 1e-3 else 0.0), structure


def depth_of_field(bgr: np.ndarray, boxes: list[tuple[float, float, float, float]],
                   maps: DetailMaps | None = None) -> tuple[float, float] | None:
    """Sharpness contrast between the characters and the background: subject detail ratio over background detail
    ratio (``_detail_ratio``), and the background's coarse structure. None without boxes or background.
    ``maps``: the frame's ``detail_maps`` when the caller has them."""
    if not boxes:
        return None
    subject = np.zeros(bgr.shape[:2], bool)
    for x0, y0, x1, y1 in boxes:
        subject[int(y0):int(np.ceil(y1)), int(x0):int(np.ceil(x1))] = True
    shrink = cv2.erode(subject.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0  # box edges mix both
    background = cv2.erode((~subject).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    if shrink.sum() < 400 or background.sum() < 0.1 * subject.size:
        return None
    maps = maps or detail_maps(bgr)
    subject_ratio, _ = _detail_ratio(maps, shrink)
    background_ratio, structure = _detail_ratio(maps, background)
    if structure < 1.0 or subject_ratio == 0:
        return None
    return subject_ratio / max(background_ratio, 1e-3), structure


def directional_blur(bgr: np.ndarray, grid: int = 8, maps: DetailMaps | None = None,
                     most_detail: float = float("inf")) -> tuple[float, float, float]:
    """Agreement of blur direction across the picture: each textured patch's gradient structure tensor gives a
    coherence and the direction with the least gradient energy; motion blur smears every patch the same way.
    Returns (agreement 0..1, blur direction in degrees 0..180 counter-clockwise on screen, detail ratio of
    the whole frame). ``maps``: the frame's ``detail_maps`` when the caller has them. A frame whose detail ratio
    is above ``most_detail`` (too sharp to be blurred) gives (0.0, 0.0, ratio) without reading its patches."""
    maps = maps or detail_maps(bgr)
    grey = maps.grey
    ratio, _ = _detail_ratio(maps, np.ones(grey.shape, bool))
    if ratio > most_detail:
        return 0.0, 0.0, ratio
    gx, gy = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    height, width = grey.shape
    energy = gx ** 2 + gy ** 2
    floor = _direction_floor(energy)  # black or flat frames have no direction
    vectors = []
    for row in range(grid):
        for col in range(grid):
            window = (slice(row * height // grid, (row + 1) * height // grid),
                      slice(col * width // grid, (col + 1) * width // grid))
            jxx, jyy, jxy = float((gx[window] ** 2).mean()), float((gy[window] ** 2).mean()), \
                float((gx[window] * gy[window]).mean())
            if jxx + jyy < floor:
                continue  # flat patch: no direction to read
            coherence = np.sqrt((jxx - jyy) ** 2 + 4 * jxy ** 2) / (jxx + jyy)
            gradient_angle = 0.5 * np.arctan2(2 * jxy, jxx - jyy)  # strongest gradient; blur runs across it
            vectors.append(coherence * np.exp(2j * (gradient_angle + np.pi / 2)))
    if len(vectors) < grid:
        return 0.0, 0.0, ratio
    mean = np.mean(vectors)
    # image y points down: report the direction counter-clockwise on screen (0 horizontal, 90 vertical)
    return float(abs(mean)), float(-np.degrees(np.angle(mean) / 2) % 180), ratio


def _direction_floor(energy: np.ndarray, least: float = 50.0) -> float:
    """The gradient energy a patch needs to have a direction: ``max(least, median energy / 2)``. When at most
    half the pixels lie above ``2 * least`` the median (numpy's, between the two middle values) cannot exceed it,
    and the answer is ``least`` without sorting the frame's energies."""
    if np.count_nonzero(energy > 2 * least) <= (energy.size - 1) // 2:
        return least
    return max(least, float(np.percentile(energy, 50)) * 0.5)


def lens_flare(bgr: np.ndarray, maps: DetailMaps | None = None) -> tuple[float, float]:
    """An anamorphic flare: (streak share, source brightness). The streak share is, over the rows, the largest
    share of the width where a thin horizontal band is brighter than both the bands above and below it by 25
    grey levels; the source is the brightest spot within that row's band (a flare streak runs through its light).
    Round ghost-only flares are not measured (see README). ``maps``: the frame's ``detail_maps`` if at hand."""
    maps = maps or detail_maps(bgr)
    grey = maps.grey
    height = grey.shape[0]
    band = cv2.blur(grey, (1, 5))  # each row: the mean of a 5-row band centred on it
    offset = 11
    if height <= 2 * offset + 1:
        return 0.0, 0.0
    centre = band[offset:height - offset]
    lift = np.minimum(centre - band[:height - 2 * offset], centre - band[2 * offset:])
    shares = (lift > 25).mean(axis=1)
    row = int(np.argmax(shares))
    source = float(maps.smooth[row + offset - 3:row + offset + 4].max())
    return float(shares[row]), source


def bloom(bgr: np.ndarray, highlight: float = 235, rise: float = 20, cover: float = 0.8,
          roughness: float = 6.0, maps: DetailMaps | None = None) -> float:
    """Glow around bright lights: of the compact highlights (grey >= ``highlight``, each at most 2% of the frame),
    the share (by area) whose surrounding ring (2-10 px out at 640 px wide) is almost all (``cover``) at least
    ``rise`` grey levels brighter than the ring 22-36 px out, and smooth (mean |Laplacian| at most ``roughness``:
    a halo is a soft gradient, the bright bits of a textured wall are not). A crisp light against a dark background
    has a dark ring; a glowing one spills light into it. Large bright areas (sky, white walls) are not lights.
    The spill must also fade out gradually (``_fades_out``): a white collar against a dark suit drops at once, a
    bright plateau (a lit wall) does not fall at all. ``maps``: the frame's ``detail_maps`` (its grey) if at hand;
    the halo's roughness map is made only once a light's ring is lit."""
    grey = maps.grey if maps is not None else cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).astype(np.float32)
    scale = bgr.shape[1] / WORK_WIDTH
    highlights = (grey >= highlight).astype(np.uint8)
    count, labels, stats = components(highlights)
    areas = stats[1:, cv2.CC_STAT_AREA]
    glowing = total = 0.0
    pad = int(np.ceil(40 * scale))
    detail = None
    for index in np.argsort(-areas)[:12]:  # the largest lights decide what a viewer sees
        area = areas[index]
        if area < 12 * scale ** 2 or area > 0.02 * grey.size:
            continue
        x, y, w, h = stats[index + 1, :4]
        box = (slice(max(0, y - pad), y + h + pad), slice(max(0, x - pad), x + w + pad))
        light = labels[box] == index + 1
        distance = cv2.distanceTransform((~light).astype(np.uint8), cv2.DIST_L2, 5)
        elsewhere = highlights[box].astype(bool) & ~light  # other lights are not this one's glow
        ring = (distance > 2 * scale) & (distance <= 10 * scale) & ~elsewhere
        outer = (distance > 22 * scale) & (distance <= 36 * scale) & ~elsewhere
        if ring.sum() < 10 or outer.sum() < 10:
            continue
        total += area
        lit = float((grey[box][ring] >= np.median(grey[box][outer]) + rise).mean())
        if lit < cover:
            continue
        if detail is None:
            detail = np.abs(cv2.Laplacian(cv2.GaussianBlur(grey, (0, 0), 0.8), cv2.CV_32F))
        if float(detail[box][ring].mean()) <= roughness and _fades_out(grey[box], distance, elsewhere, scale):
            glowing += area
    return glowing / total if total else 0.0


def _fades_out(grey: np.ndarray, distance: np.ndarray, elsewhere: np.ndarray, scale: float) -> bool:
    """A halo's profile: the median grey 2-6, 6-12, 12-20 and 22-36 px out (at 640 px wide) keeps falling, from
    close to the light (6-12 px keeps 60% of the 2-6 px level), by 10 grey levels over the first three rings and 5
    more beyond them."""
    levels = []
    for near, far in ((2, 6), (6, 12), (12, 20), (22, 36)):
        ring = (distance > near * scale) & (distance <= far * scale) & ~elsewhere
        if not ring.any():
            return False
        levels.append(float(np.median(grey[ring])))
    return levels[1] >= 0.6 * levels[0] and levels[0] - levels[2] >= 10 and levels[2] - levels[3] >= 5
