"""Effects inserted into real frames with exact truth, for bench/temporal.py and the tests.

Each insertion is drawn the way the effect looks on screen (a rendered approximation, not a physical model):
snow as soft round specks, rain as thin slanted streaks, a flash as a brightness surge, a lens flare as a bright
source with a horizontal streak and ghost discs on the axis through the centre, depth of field as a sharp
character over a blurred background, motion blur as a linear smear.
"""

import cv2
import numpy as np


def add_snow(bgr: np.ndarray, rng: np.random.Generator, flakes_per_megapixel: float = 2500) -> np.ndarray:
    out = bgr.astype(np.float32)
    height, width = bgr.shape[:2]
    layer = np.zeros((height, width), np.float32)
    for _ in range(int(flakes_per_megapixel * height * width / 1e6)):
        radius = rng.uniform(0.8, 2.2) * max(1.0, width / 640)
        cv2.circle(layer, (int(rng.uniform(0, width)), int(rng.uniform(0, height))), int(round(radius)),
                   float(rng.uniform(0.6, 1.0)), -1, cv2.LINE_AA)
    layer = cv2.GaussianBlur(layer, (0, 0), 0.6)[..., None]
    return np.clip(out * (1 - layer) + 245 * layer, 0, 255).astype(np.uint8)


def add_rain(bgr: np.ndarray, rng: np.random.Generator, drops_per_megapixel: float = 1500,
             angle_deg: float = 75.0) -> np.ndarray:
    height, width = bgr.shape[:2]
    layer = np.zeros((height, width), np.float32)
    direction = np.array([np.cos(np.radians(angle_deg)), np.sin(np.radians(angle_deg))])
    for _ in range(int(drops_per_megapixel * height * width / 1e6)):
        start = np.array([rng.uniform(0, width), rng.uniform(0, height)])
        end = start + direction * rng.uniform(8, 16) * max(1.0, width / 640)
        cv2.line(layer, tuple(int(v) for v in start), tuple(int(v) for v in end), float(rng.uniform(0.5, 0.9)), 1,
                 cv2.LINE_AA)
    layer = layer[..., None]
    return np.clip(bgr.astype(np.float32) * (1 - layer) + 230 * layer, 0, 255).astype(np.uint8)


def add_flash(bgr: np.ndarray, strength: float = 0.6) -> np.ndarray:
    """A white-out of ``strength`` (0..1) toward white."""
    return np.clip(bgr.astype(np.float32) * (1 - strength) + 255 * strength, 0, 255).astype(np.uint8)


def add_lens_flare(bgr: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    height, width = bgr.shape[:2]
    source = np.array([rng.uniform(0.1, 0.35) * width, rng.uniform(0.1, 0.35) * height])
    if rng.random() < 0.5:
        source[0] = width - source[0]
    light = np.zeros((height, width), np.float32)
    cv2.circle(light, tuple(int(v) for v in source), max(3, width // 80), 1.0, -1, cv2.LINE_AA)
    light = cv2.GaussianBlur(light, (0, 0), width / 200) * 3.0
    glow = np.zeros_like(light)
    cv2.circle(glow, tuple(int(v) for v in source), width // 18, 0.35, -1, cv2.LINE_AA)
    light += cv2.GaussianBlur(glow, (0, 0), width / 60)
    streak = np.zeros_like(light)
    cv2.line(streak, (0, int(source[1])), (width - 1, int(source[1])), 0.6, max(1, height // 150), cv2.LINE_AA)
    light += cv2.GaussianBlur(streak, (0, 0), 1.0)
    centre = np.array([width / 2.0, height / 2.0])
    for step in (0.6, 1.25, 1.6, 1.9):
        position = source + (centre - source) * step
        ghost = np.zeros_like(light)
        cv2.circle(ghost, tuple(int(v) for v in position), int(rng.uniform(0.015, 0.04) * width), 0.3, -1,
                   cv2.LINE_AA)
        light += cv2.GaussianBlur(ghost, (0, 0), 2.0)
    tint = np.array([0.85, 0.95, 1.0], np.float32)  # warm light (BGR)
    return np.clip(bgr.astype(np.float32) + 255 * light[..., None] * tint, 0, 255).astype(np.uint8)


def add_motion_blur(bgr: np.ndarray, angle_deg: float, length: int) -> np.ndarray:
    """A linear smear ``length`` px long at ``angle_deg`` (0 = horizontal)."""
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0
    rotation = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), angle_deg, 1.0)
    kernel = cv2.warpAffine(kernel, rotation, (length, length))
    return cv2.filter2D(bgr, -1, kernel / max(kernel.sum(), 1e-6), borderType=cv2.BORDER_REFLECT)


def shallow_focus(bgr: np.ndarray, character: np.ndarray, blur_sigma: float | None,
                  height_share: float = 0.7) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """``character`` (BGRA) pasted sharp at the centre bottom over ``bgr`` blurred by ``blur_sigma`` (None: the
    background stays sharp, a negative example); returns the picture and the character's box."""
    height, width = bgr.shape[:2]
    background = cv2.GaussianBlur(bgr, (0, 0), blur_sigma) if blur_sigma else bgr.copy()
    ch = int(height * height_share)
    cw = max(2, int(character.shape[1] * ch / character.shape[0]))
    sprite = cv2.resize(character, (cw, ch), interpolation=cv2.INTER_AREA)
    x0, y0 = (width - cw) // 2, height - ch
    alpha = sprite[..., 3:4].astype(np.float32) / 255.0
    region = background[y0:y0 + ch, x0:x0 + cw].astype(np.float32)
    background[y0:y0 + ch, x0:x0 + cw] = (sprite[..., :3] * alpha + region * (1 - alpha)).astype(np.uint8)
    return background, (float(x0), float(y0), float(x0 + cw), float(y0 + ch))


def add_lights(bgr: np.ndarray, rng: np.random.Generator, glow: float = 0.0, lights: int = 3) -> np.ndarray:
    """``lights`` small bright lamps pasted over ``bgr``; with ``glow`` > 0 each spills a soft halo around it
    (bloom: the light's blurred excess added back, ``glow`` times its peak). ``glow`` 0 is the crisp negative."""
    height, width = bgr.shape[:2]
    lamp = np.zeros((height, width), np.float32)
    for _ in range(lights):
        centre = (int(rng.uniform(0.15, 0.85) * width), int(rng.uniform(0.15, 0.85) * height))
        cv2.circle(lamp, centre, max(2, int(rng.uniform(0.008, 0.02) * width)), 1.0, -1, cv2.LINE_AA)
    out = bgr.astype(np.float32) * (1 - lamp[..., None]) + 250 * lamp[..., None]
    if glow > 0:
        halo = cv2.GaussianBlur(lamp, (0, 0), width / 50)
        halo = np.clip(halo / max(float(halo.max()), 1e-6) * glow, 0, 1)[..., None]
        out = 255 - (255 - out) * (1 - halo)  # screen blend: the halo brightens toward white, never darkens
    return np.clip(out, 0, 255).astype(np.uint8)
