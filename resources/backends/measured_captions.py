"""Captions from what the pipeline measured: the offline default ``Captioner`` (no model, nothing invented).

From the facts the stages measured (view, pose phrases, shot size) and from the character's own pixels (the cut-out's
opaque area): lighting from mean luminance and its spread, and the dominant colours from an HSV colour-name
histogram. Every phrase maps to a measurement and a threshold documented below.
"""

import numpy as np

from resources.protocols import CaptionFacts

VIEW_PHRASES = {"front": "front view", "three_quarter": "three-quarter view", "profile": "side view",
                "back": "back view, from behind"}


MAX_PIXELS = 40_000  # measurements use an even subsample of the character's pixels beyond this


def character_pixels(rgb: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    pixels = rgb[mask] if mask is not None else rgb.reshape(-1, 3)  # an empty mask measures nothing
    if len(pixels) > MAX_PIXELS:
        pixels = pixels[np.linspace(0, len(pixels) - 1, MAX_PIXELS).astype(np.int64)]
    return pixels


def colour_names(rgb: np.ndarray, mask: np.ndarray | None, min_share: float = 0.15, top: int = 3) -> list[str]:
    """Named colours covering at least ``min_share`` of the masked pixels, most common first (OpenCV HSV rules)."""
    import cv2

    pixels = character_pixels(rgb, mask)
    if pixels.size == 0:
        return []
    hsv = cv2.cvtColor(pixels.reshape(-1, 1, 3).astype(np.uint8), cv2.COLOR_RGB2HSV).reshape(-1, 3).astype(np.int32)
    h, s, v = hsv[:, 0], hsv[:, 1], hsv[:, 2]
    names = np.full(h.shape, "", dtype=object)
    chromatic = (s >= 50) & (v >= 50)
    names[v < 50] = "black"
    names[(v >= 50) & (s < 50)] = np.where(v[(v >= 50) & (s < 50)] > 200, "white", "grey")
    hue_bins = [(0, 8, "red"), (8, 20, "orange"), (20, 33, "yellow"), (33, 85, "green"), (85, 100, "teal"),
                (100, 130, "blue"), (130, 150, "purple"), (150, 170, "pink"), (170, 180, "red")]
    for lo, hi, name in hue_bins:
        names[chromatic & (h >= lo) & (h < hi)] = name
    warm = chromatic & (h < 25)
    names[warm & (v < 150)] = "brown"                # dark orange / red-orange reads as brown
    names[warm & (v >= 150) & (s < 110)] = "beige"   # light, desaturated warm tones (skin, sand)
    values, counts = np.unique(names.astype(str), return_counts=True)
    order = np.argsort(-counts)
    total = counts.sum()
    return [str(values[i]) for i in order[:top] if values[i] and counts[i] / total >= min_share]


def lighting_phrases(rgb: np.ndarray, mask: np.ndarray | None) -> list[str]:
    """Mean luminance (ITU-R 601) of the character: < 70 dark, < 110 dim, > 170 brightly lit, else medium;
    luminance standard deviation > 60: high contrast."""
    pixels = character_pixels(rgb, mask)
    if pixels.size == 0:
        return []
    luma = pixels.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    mean, spread = float(luma.mean()), float(luma.std())
    phrases = ["dark low-key lighting" if mean < 70 else "dim lighting" if mean < 110
               else "brightly lit" if mean > 170 else "medium lighting"]
    if spread > 60:
        phrases.append("high contrast")
    return phrases


def fact_phrases(fact: dict) -> list[str]:
    """The phrases the pipeline's own measurements give: view, pose cues, shot size."""
    phrases = [VIEW_PHRASES[fact["view"]]] if fact.get("view") in VIEW_PHRASES else []
    phrases += list(fact.get("pose") or [])
    return phrases + ([fact["shot"]] if fact.get("shot") else [])


class MeasuredCaptioner:
    """Caption bodies assembled from measurements; deterministic."""

    name = "measured"
    model = "measured-template"
    prompt_version = "measured-1"

    def caption(self, images: list[np.ndarray], facts: list[CaptionFacts]) -> list[str]:
        bodies = []
        for image, fact in zip(images, facts):
            mask = fact.get("alpha")
            phrases = fact_phrases(fact) + lighting_phrases(image, mask)
            colours = colour_names(image, mask)
            if colours:
                phrases.append(" and ".join(colours) + " colours")
            bodies.append(", ".join(phrases))
        return bodies
