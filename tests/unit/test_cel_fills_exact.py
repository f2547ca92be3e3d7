"""The cel-fill map and the monochrome / tint tests computed more cheaply give the very answers of the computation they
replace (docs/film_scale.md, "Session 37 (h20)"): on real frames (Penny & Chip's painted shots, the Sintel trailer, Big
Buck Bunny; as they are, scaled up to 1080p and shrunk as ``instances`` shrinks them, JPEG round trips, sepia and blue
tinted copies) every map and answer equals the one the unoptimised formulas below give."""

import cv2
import numpy as np
import pytest

from resources.backends import character_monochrome
from resources.backends.character_monochrome import is_monochrome, is_tinted
from resources.cel_fills import (CRISP_GRADIENT, CRISP_BOUNDARY, DARK_FILL_L, FILL_COLOUR_STD, FILL_GAP, FLAT_STD,
                                 MIN_FILL_PIXELS, MIN_PARTNER_PIXELS, SOFT_GRADIENT, _squared_steps, _step_bound,
                                 cel_fill_map)
from resources.region_sums import colour_sums

VIDEOS = {"media/video/2d/penny_and_chip_26shots_480p.mp4": (509, 1200, 2400, 3300, 4100),
          "media/video/sintel_trailer_480x204.mp4": (200, 700, 1100),
          "media/video/big_buck_bunny_0_30.webm": (100, 400)}


def _reference_gradient(lab: np.ndarray) -> np.ndarray:
    """The largest Lab channel's Sobel gradient in levels a pixel, as cel_fill_map computed it before session 37."""
    return np.max([np.hypot(cv2.Sobel(lab[..., c], cv2.CV_32F, 1, 0, ksize=3),
                            cv2.Sobel(lab[..., c], cv2.CV_32F, 0, 1, ksize=3)) for c in range(3)], axis=0) / 8


def _reference_fill_map(rgb: np.ndarray) -> np.ndarray:
    """resources/cel_fills.cel_fill_map as it stood before session 37 (every float step as it was)."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    mean, square = cv2.blur(lab, (3, 3)), cv2.blur(lab * lab, (3, 3))
    local_std = np.sqrt(np.maximum(square - mean * mean, 0)).max(axis=2)
    gradient = _reference_gradient(lab)
    flat = ((local_std < FLAT_STD) & (gradient < SOFT_GRADIENT)).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(flat, connectivity=4)
    if count <= 1:
        return np.zeros(flat.shape, bool)
    crisp = cv2.dilate((gradient >= CRISP_GRADIENT).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    border = (flat > 0) & (cv2.erode(flat, np.ones((3, 3), np.uint8)) == 0)
    border_total = np.bincount(labels[border], minlength=count)
    border_crisp = np.bincount(labels[border & crisp], minlength=count)
    flat_labels, pixels = labels.ravel(), lab.reshape(-1, 3)
    area = np.maximum(stats[:, cv2.CC_STAT_AREA], 1)
    means = [np.bincount(flat_labels, pixels[:, c], minlength=count) / area for c in range(3)]
    variance = sum(np.bincount(flat_labels, pixels[:, c] ** 2, minlength=count) / area - means[c] ** 2
                   for c in range(3))
    paint = ((stats[:, cv2.CC_STAT_AREA] >= MIN_PARTNER_PIXELS) & (border_total > 0)
             & (border_crisp >= CRISP_BOUNDARY * border_total)
             & (np.sqrt(np.maximum(variance, 0)) < FILL_COLOUR_STD) & (means[0] >= DARK_FILL_L))
    paint[0] = False
    fill = paint & (stats[:, cv2.CC_STAT_AREA] >= MIN_FILL_PIXELS)
    if not fill.any():
        return np.zeros(flat.shape, bool)
    fill_labels = np.where(paint[labels], labels, 0).astype(np.float32)
    window = np.ones((2 * FILL_GAP + 1, 2 * FILL_GAP + 1), np.uint8)
    largest = cv2.dilate(fill_labels, window)
    smallest = cv2.erode(np.where(fill_labels > 0, fill_labels, np.float32(count)), window)
    inside = fill_labels > 0
    touching = inside & ((largest != fill_labels) | (smallest < fill_labels))
    paired = np.bincount(fill_labels[touching].astype(np.int64), minlength=count) > 0
    return (fill & paired)[labels]


def _reference_off_their_tint(chroma, bins, flat, bound):
    """character_monochrome._off_their_tint as it stood before session 37: every bin picked from all the pixels."""
    off = np.zeros(len(chroma), bool)
    for level in np.unique(bins):
        members = bins == level
        reference = members & flat if np.count_nonzero(members & flat) >= 10 else members
        tint = np.median(chroma[reference], axis=0)
        off[members] = np.abs(chroma[members] - tint).max(axis=1) > bound[members]
    return off


def _reference_is_monochrome(rgb: np.ndarray) -> bool:
    sample = rgb[::2, ::2, :3]
    chroma = sample.max(axis=2).astype(np.int16) - sample.min(axis=2)
    return bool((chroma > character_monochrome.CHROMA_MAX).mean() < character_monochrome.COLOURED_SHARE)


def _jpeg(rgb: np.ndarray, quality: int = 95) -> np.ndarray:
    encoded = cv2.imencode(".jpg", rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])[1]
    return cv2.imdecode(encoded, cv2.IMREAD_COLOR)[..., ::-1].copy()


def _tinted(rgb: np.ndarray, gains: tuple[float, float, float], lift: float = 0.0) -> np.ndarray:
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return np.clip(np.dstack([grey * g + lift for g in gains]), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def frames(shared) -> list[np.ndarray]:
    """RGB frames of the shared videos: each as decoded, scaled up to 1080 rows and shrunk to 960 px wide by area
    (as frame_cel_fills reads a 1080p key frame) through a JPEG q95 round trip (as the frames stage stores it)."""
    out = []
    for video, positions in VIDEOS.items():
        capture = cv2.VideoCapture(str(shared / video))
        for position in positions:
            capture.set(cv2.CAP_PROP_POS_FRAMES, position)
            ok, bgr = capture.read()
            assert ok, (video, position)
            rgb = bgr[..., ::-1].copy()
            big = _jpeg(cv2.resize(rgb, (1920, 1080), interpolation=cv2.INTER_CUBIC))
            out += [rgb, cv2.resize(big, (960, 540), interpolation=cv2.INTER_AREA)]
    return out


def test_the_squared_steps_answer_as_the_gradient_for_every_step_a_uint8_image_has():
    """Every integer Sobel step pair of a uint8 image (|dx|, |dy| at most 4 * 255): the gradient's two bounds and the
    squared step's bounds agree; and on real frames the squared steps are the gradient's square (times 64)."""
    steps = np.arange(-1020, 1021, dtype=np.float32)
    dx, dy = np.meshgrid(steps, steps)
    gradient, squared = np.hypot(dx, dy) / 8, dx * dx + dy * dy
    assert np.array_equal(gradient < SOFT_GRADIENT, squared < _step_bound(SOFT_GRADIENT))
    assert np.array_equal(gradient >= CRISP_GRADIENT, squared >= _step_bound(CRISP_GRADIENT))


def test_the_fill_map_is_the_unoptimised_maps_on_real_frames(frames):
    painted = 0
    for rgb in frames:
        lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
        assert np.array_equal(np.sqrt(_squared_steps(lab)) / 8, _reference_gradient(lab.astype(np.float32)))
        fills = cel_fill_map(rgb)
        assert fills.dtype == bool and np.array_equal(fills, _reference_fill_map(rgb))
        painted += bool(fills.any())
    assert painted >= len(frames) // 2   # the maps compared hold fills, not only empty planes


def test_the_compiled_colour_sums_are_the_bincounts(frames):
    for rgb in frames[:6]:
        lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
        count, labels = cv2.connectedComponents((cv2.Laplacian(lab[..., 0], cv2.CV_16S) == 0).astype(np.uint8),
                                                connectivity=4)
        sums = colour_sums(lab, labels, count)
        pixels = lab.reshape(-1, 3).astype(np.float32)
        for c in range(3):
            assert np.array_equal(sums[c], np.bincount(labels.ravel(), pixels[:, c], minlength=count))
            assert np.array_equal(sums[3 + c], np.bincount(labels.ravel(), pixels[:, c] ** 2, minlength=count))


def test_the_monochrome_and_tint_answers_are_the_unoptimised_ones(frames, monkeypatch):
    """Colour frames, sepia and blue copies through JPEG (some tinted, some not) and a grey one; the tint test's
    per-pixel verdicts compared too, not only the frame's answer."""
    seen = []
    real = character_monochrome._off_their_tint

    def both(chroma, bins, flat, bound):
        off = real(chroma, bins, flat, bound)
        assert np.array_equal(off, _reference_off_their_tint(chroma, bins, flat, bound))
        seen.append(off.size)
        return off

    monkeypatch.setattr(character_monochrome, "_off_their_tint", both)
    inputs = []
    for rgb in frames:
        inputs += [rgb, _jpeg(_tinted(rgb, (1.07, 0.74, 0.43)), 80), _jpeg(_tinted(rgb, (0.6, 0.8, 1.2), 10), 80),
                   _tinted(rgb, (1.0, 1.0, 1.0))]
    tinted = 0
    for rgb in inputs:
        assert is_monochrome(rgb) == _reference_is_monochrome(rgb)
        tinted += is_tinted(rgb)
    assert seen and 0 < tinted < len(inputs)
