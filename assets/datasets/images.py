"""Pixels of an export item: the cut-out composited on the background with its soft alpha, measured (perceptual
hash, sharpness) and brought to training resolution by a named method, or skipped with the reason. No Dagster."""

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from assets.datasets.params import DatasetParams
from assets.frames.quality import perceptual_hash
from assets.pose.core import composite_on, read_bgra
from resources.protocols import ImageUpscaler

SHARPNESS_SIDE = 256  # sharpness is measured at a fixed size so a large crop is not judged blurrier for its size
COVERED = 0.15        # alpha share above which a pixel belongs to the character (the 3D preset's threshold)


@dataclass(frozen=True)
class Cutout:
    rgb: np.ndarray    # H x W x 3 uint8, composited on the background colour through the soft alpha
    alpha: np.ndarray  # H x W bool, alpha above COVERED


# Cutout.alpha is ``alpha / 255 > COVERED`` in float32: from this 8-bit alpha on (the float test of every level)
COVERED_FROM = int(np.flatnonzero(np.arange(256, dtype=np.float32) / 255.0 > COVERED)[0])


def load_cutout(path: Path, background: tuple[int, int, int]) -> Cutout:
    """An RGBA (or RGB) cut-out on ``background``; raises ValueError naming the file when it cannot be read.

    Each pixel is ``rgb * a + background * (1 - a)`` rounded, in float32 (a = alpha / 255): ``composite_on``."""
    image = read_bgra(path)  # ValueError "<path>: not a readable image" when missing or damaged
    if image.dtype != np.uint8:
        image = (image.astype(np.float32) / np.iinfo(image.dtype).max * 255).round().astype(np.uint8)
    return Cutout(composite_on(image, background), image[:, :, 3] >= COVERED_FROM)


def sharpness(cut: Cutout) -> float:
    """Variance of the Laplacian over the character's inner pixels, on the cut-out scaled to SHARPNESS_SIDE."""
    grey = cv2.cvtColor(cut.rgb, cv2.COLOR_RGB2GRAY)
    inner = cv2.erode(cut.alpha.astype(np.uint8), np.ones((5, 5), np.uint8))
    scale = SHARPNESS_SIDE / max(grey.shape)
    size = (max(2, round(grey.shape[1] * scale)), max(2, round(grey.shape[0] * scale)))
    grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    inner = cv2.resize(inner, size, interpolation=cv2.INTER_NEAREST).astype(bool)
    lap = cv2.Laplacian(grey, cv2.CV_32F)
    values = lap[inner] if inner.sum() >= 16 else lap.ravel()
    return float(values.var())


def cutout_hash(cut: Cutout) -> int:
    """64-bit pHash of the cut-out on its background (the same character in the same pose hashes alike)."""
    return perceptual_hash(cv2.cvtColor(cut.rgb, cv2.COLOR_RGB2GRAY))


def size_decision(width: int, height: int, params: DatasetParams) -> tuple[str | None, str | None]:
    """(resize method, skip reason) for a source of ``width`` x ``height``: exactly one of them is None."""
    longer = max(width, height)
    if longer < params.min_source_size:
        return None, f"source {width}x{height} below min_source_size {params.min_source_size}"
    if longer > params.target_size:
        return "area", None
    if longer == params.target_size:
        return "none", None
    if params.upscale == "skip":
        return None, f"source {width}x{height} below target_size {params.target_size} (upscale: skip)"
    return params.upscale, None


def to_training_size(rgb: np.ndarray, method: str, params: DatasetParams,
                     upscaler: ImageUpscaler | None = None) -> np.ndarray:
    """RGB with its longer side at ``target_size`` by ``method`` (area | none | lanczos | sr); padded to a square
    of the background colour when ``pad_to_square``. No flips, no colour change."""
    h, w = rgb.shape[:2]
    target = params.target_size
    size = (max(1, round(w * target / max(h, w))), max(1, round(h * target / max(h, w))))
    if method == "sr":
        if upscaler is None:
            raise ValueError("upscale: sr needs an upscaler (resources.backends.esrgan_upscaler)")
        while max(rgb.shape[:2]) < target:
            rgb = upscaler.upscale(rgb)
        method = "area" if max(rgb.shape[:2]) > target else "none"
    if method == "area":
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    elif method == "lanczos":
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_LANCZOS4)
    elif method != "none":
        raise ValueError(f"unknown resize method {method!r}")
    if not params.pad_to_square:
        return rgb
    h, w = rgb.shape[:2]
    side = max(h, w)
    canvas = np.empty((side, side, 3), np.uint8)
    canvas[:] = params.background
    canvas[(side - h) // 2:(side - h) // 2 + h, (side - w) // 2:(side - w) // 2 + w] = rgb
    return canvas


def encode_png(rgb: np.ndarray, source: str) -> bytes:
    """``rgb`` (H x W x 3 uint8) as a PNG file: the pixels ``cv2.imencode`` writes, deflated by libdeflate
    (resources/png_writer.py: about half the CPU, fewer bytes), or OpenCV's own encoding without libdeflate."""
    from resources.png_writer import png_bytes

    data = png_bytes(np.ascontiguousarray(rgb))
    if data is not None:
        return data
    ok, png = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError(f"{source}: the export image could not be encoded as PNG")
    return png.tobytes()


def contact_sheet(paths: list[Path], labels: list[str], tile: int = 160, columns: int = 6) -> np.ndarray | None:
    """BGR grid of exported images (each fitted into ``tile``) with a label under each; None when none is readable."""
    tiles = []
    for path, label in zip(paths, labels):
        bgr = cv2.imread(str(path))
        if bgr is None:
            continue
        scale = tile / max(bgr.shape[:2])
        bgr = cv2.resize(bgr, (max(1, round(bgr.shape[1] * scale)), max(1, round(bgr.shape[0] * scale))),
                         interpolation=cv2.INTER_AREA)
        cell = np.full((tile + 18, tile, 3), 255, np.uint8)
        cell[:bgr.shape[0], :bgr.shape[1]] = bgr
        cv2.putText(cell, label[:26], (2, tile + 13), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (0, 0, 0), 1, cv2.LINE_AA)
        tiles.append(cell)
    if not tiles:
        return None
    tiles += [np.full_like(tiles[0], 255)] * (-len(tiles) % columns)
    return np.vstack([np.hstack(tiles[i:i + columns]) for i in range(0, len(tiles), columns)])
