"""Clips with exact camera-motion truth, rendered from a still: a virtual camera moves over the image.

Used by bench/temporal.py and the tests. Each move is a window sliding, tilting or scaling over the source at a
known rate; ``handheld`` adds smooth random wobble around a fixed framing; an optional RGBA character walks
across the frame independently of the camera (the background fit must ignore it).
"""

from dataclasses import dataclass

import cv2
import numpy as np

MOVES = ("static", "pan_left", "pan_right", "tilt_up", "tilt_down", "zoom_in", "zoom_out", "handheld")


@dataclass(frozen=True)
class ClipSpec:
    move: str
    frames: int = 48
    size: tuple[int, int] = (320, 180)  # output width, height
    rate: float = 0.15  # frame widths per second (pan/tilt) or log-scale per second (zoom)
    fps: float = 24.0
    wobble: float = 0.006  # handheld: RMS displacement, frame widths
    seed: int = 0


def render_clip(still: np.ndarray, spec: ClipSpec, character: np.ndarray | None = None) -> list[np.ndarray]:
    """BGR frames of ``spec.move`` over ``still`` (BGR, larger than the output), with ``character`` (BGRA)
    crossing the frame when given."""
    if spec.move not in MOVES:
        raise ValueError(f"unknown move {spec.move!r}; one of {MOVES}")
    out_w, out_h = spec.size
    src_h, src_w = still.shape[:2]
    base = min(src_w / out_w, src_h / out_h) * 0.55  # source px per output px at the start: room to move
    rng = np.random.default_rng(spec.seed)
    wobble = _smooth_noise(rng, spec.frames, 2) * spec.wobble * out_w * base if spec.move == "handheld" else None
    frames = []
    for index in range(spec.frames):
        t = index / spec.fps
        scale, cx, cy = base, src_w / 2.0, src_h / 2.0
        step = spec.rate * out_w * base * t  # source px moved so far
        if spec.move == "pan_right":
            cx += step
        elif spec.move == "pan_left":
            cx -= step
        elif spec.move == "tilt_down":
            cy += step
        elif spec.move == "tilt_up":
            cy -= step
        elif spec.move == "zoom_in":
            scale = base * np.exp(-spec.rate * t)
        elif spec.move == "zoom_out":
            scale = base * np.exp(spec.rate * t)
        elif wobble is not None:
            cx, cy = cx + wobble[index, 0], cy + wobble[index, 1]
        # output pixel (u, v) shows source pixel (cx + (u - out_w/2) * scale, cy + (v - out_h/2) * scale)
        matrix = np.array([[scale, 0, cx - out_w / 2 * scale], [0, scale, cy - out_h / 2 * scale]], np.float64)
        frame = cv2.warpAffine(still, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_REFLECT)
        if character is not None:
            frame = paste(frame, character, index / max(spec.frames - 1, 1))
        frames.append(frame)
    return frames


def paste(frame: np.ndarray, character: np.ndarray, progress: float, height_share: float = 0.6) -> np.ndarray:
    """``character`` (BGRA) composited at ``height_share`` of the frame height, walking left to right."""
    out_h, out_w = frame.shape[:2]
    ch = max(2, int(out_h * height_share))
    cw = max(2, int(character.shape[1] * ch / character.shape[0]))
    sprite = cv2.resize(character, (cw, ch), interpolation=cv2.INTER_AREA)
    x = int(-cw * 0.2 + progress * (out_w - cw * 0.6))
    y = out_h - ch - out_h // 20
    x0, x1 = max(0, x), min(out_w, x + cw)
    if x1 <= x0:
        return frame
    region = sprite[:, x0 - x:x1 - x]
    alpha = region[..., 3:4].astype(np.float32) / 255.0
    out = frame.copy()
    out[y:y + ch, x0:x1] = (region[..., :3] * alpha + out[y:y + ch, x0:x1] * (1 - alpha)).astype(np.uint8)
    return out


def character_box(frame_size: tuple[int, int], character: np.ndarray, progress: float,
                  height_share: float = 0.6) -> tuple[float, float, float, float]:
    """The pasted character's box (x0, y0, x1, y1) in output pixels, as ``paste`` places it."""
    out_w, out_h = frame_size
    ch = max(2, int(out_h * height_share))
    cw = max(2, int(character.shape[1] * ch / character.shape[0]))
    x = int(-cw * 0.2 + progress * (out_w - cw * 0.6))
    y = out_h - ch - out_h // 20
    return float(max(0, x)), float(y), float(min(out_w, x + cw)), float(y + ch)


def _smooth_noise(rng: np.random.Generator, count: int, dims: int, smooth: int = 4) -> np.ndarray:
    """Random wobble low-passed over ``smooth`` frames, scaled to unit RMS."""
    noise = rng.normal(size=(count + 2 * smooth, dims))
    kernel = np.hanning(2 * smooth + 1)
    kernel /= kernel.sum()
    filtered = np.stack([np.convolve(noise[:, d], kernel, mode="same") for d in range(dims)], axis=1)
    filtered = filtered[smooth:smooth + count]
    filtered -= filtered.mean(axis=0)
    return filtered / (np.sqrt((filtered ** 2).mean()) + 1e-9)
