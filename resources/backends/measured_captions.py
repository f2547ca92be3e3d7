"""Captions from what the pipeline measured: the offline default ``Captioner`` (no model, nothing invented).

From the facts the stages measured (view, pose phrases, shot size) and from the character's own pixels (the cut-out's
opaque area): lighting from mean luminance and its spread, and the dominant colours from an HSV colour-name
histogram. Every phrase maps to a measurement and a threshold documented below.

Each image is read against the character's usual look where the caller gives it (its identity's cut-outs:
``light_reference``, their median luminance and spread; ``usual_colours``, the colour names most of them show): a
character drawn in dark colours is not "dim lighting" in every image, nor one in white and black outlines "high
contrast", and its own colours (Chip's green overalls and yellow cap) are not named in every caption, only colours
it does not usually show (a costume, a prop). A caption names what varies between a character's images; what stays
is the character, what the trigger word learns.
"""

import numpy as np

from resources.protocols import CaptionFacts

VIEW_PHRASES = {"front": "front view", "three_quarter": "three-quarter view", "profile": "side view",
                "back": "back view, from behind"}


MAX_PIXELS = 40_000  # measurements use an even subsample of the character's pixels beyond this


def character_pixels(rgb: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """The masked pixels (N x 3, row-major order), an even subsample of ``MAX_PIXELS`` of them beyond that. Only the
    sampled pixels are copied: a 1080p cut-out's whole masked area would be copied just to keep one in ten."""
    flat = rgb.reshape(-1, 3)
    if mask is None:
        chosen = np.arange(len(flat))
    else:
        chosen = np.flatnonzero(mask)  # an empty mask measures nothing
    if len(chosen) > MAX_PIXELS:
        chosen = chosen[np.linspace(0, len(chosen) - 1, MAX_PIXELS).astype(np.int64)]
    return flat[chosen]


# the names' codes in alphabetical order, so counting codes ranks ties as np.unique over the names did
COLOUR_CODES = ("", "beige", "black", "blue", "brown", "green", "grey", "orange", "pink", "purple", "red", "teal",
                "white", "yellow")
_CODE = {name: code for code, name in enumerate(COLOUR_CODES)}
HUE_BINS = ((0, 8, "red"), (8, 20, "orange"), (20, 33, "yellow"), (33, 85, "green"), (85, 100, "teal"),
            (100, 130, "blue"), (130, 150, "purple"), (150, 170, "pink"), (170, 180, "red"))


def colour_names(rgb: np.ndarray, mask: np.ndarray | None, min_share: float = 0.15, top: int = 3) -> list[str]:
    """Named colours covering at least ``min_share`` of the masked pixels, most common first (OpenCV HSV rules)."""
    return pixel_colour_names(character_pixels(rgb, mask), min_share, top)


def pixel_colour_names(pixels: np.ndarray, min_share: float = 0.15, top: int = 3) -> list[str]:
    """``colour_names`` of pixels already sampled (N x 3 RGB)."""
    import cv2

    if pixels.size == 0:
        return []
    hsv = cv2.cvtColor(pixels.reshape(-1, 1, 3).astype(np.uint8), cv2.COLOR_RGB2HSV).reshape(-1, 3).astype(np.int32)
    h, s, v = hsv[:, 0], hsv[:, 1], hsv[:, 2]
    codes = np.zeros(h.shape, np.int8)
    chromatic = (s >= 50) & (v >= 50)
    codes[v < 50] = _CODE["black"]
    codes[(v >= 50) & (s < 50)] = np.where(v[(v >= 50) & (s < 50)] > 200, _CODE["white"], _CODE["grey"])
    for lo, hi, name in HUE_BINS:
        codes[chromatic & (h >= lo) & (h < hi)] = _CODE[name]
    warm = chromatic & (h < 25)
    codes[warm & (v < 150)] = _CODE["brown"]                # dark orange / red-orange reads as brown
    codes[warm & (v >= 150) & (s < 110)] = _CODE["beige"]   # light, desaturated warm tones (skin, sand)
    counts = np.bincount(codes, minlength=len(COLOUR_CODES))
    values = np.flatnonzero(counts)   # the names present, alphabetical, as np.unique gives them
    counts = counts[values]
    order = np.argsort(-counts)
    total = counts.sum()
    return [COLOUR_CODES[values[i]] for i in order[:top] if values[i] and counts[i] / total >= min_share]


def lighting_phrases(rgb: np.ndarray, mask: np.ndarray | None,
                     reference: tuple[float, float] | None = None) -> list[str]:
    """Mean luminance (ITU-R 601) of the character: < 70 dark, < 110 dim, > 170 brightly lit, else medium;
    luminance standard deviation > 60: high contrast. With ``reference`` (the character's usual mean luminance and
    spread), the same phrases against it: under 0.6 of it dark, under 0.8 dim, over 1.25 brightly lit; a spread
    over 1.3 times its usual one high contrast."""
    return stats_lighting_phrases(luminance_stats(character_pixels(rgb, mask)), reference)


def luminance_stats(pixels: np.ndarray) -> tuple[float, float] | None:
    """(mean, standard deviation) of the pixels' luminance (N x 3 RGB); None for no pixels."""
    if pixels.size == 0:
        return None
    luma = pixels.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    return float(luma.mean()), float(luma.std())


def stats_lighting_phrases(stats: tuple[float, float] | None,
                           reference: tuple[float, float] | None = None) -> list[str]:
    """``lighting_phrases`` of the luminance (mean, spread) already measured (``luminance_stats``)."""
    if stats is None:
        return []
    mean, spread = stats
    if reference is not None and reference[0] > 0:
        ratio = mean / reference[0]
        phrases = ["dark low-key lighting" if ratio < 0.6 else "dim lighting" if ratio < 0.8
                   else "brightly lit" if ratio > 1.25 else "medium lighting"]
        contrast = spread > 1.3 * reference[1]
    else:
        phrases = ["dark low-key lighting" if mean < 70 else "dim lighting" if mean < 110
                   else "brightly lit" if mean > 170 else "medium lighting"]
        contrast = spread > 60
    return phrases + (["high contrast"] if contrast else [])


PixelMeasures = tuple[tuple[float, float] | None, list[str]]  # (``luminance_stats``, ``pixel_colour_names``)


def pixel_measures(rgb: np.ndarray, mask: np.ndarray | None) -> PixelMeasures:
    """What a measured caption reads from an image: its character's luminance (mean, spread) and colour names,
    from one sample of its pixels."""
    pixels = character_pixels(rgb, mask)
    return luminance_stats(pixels), pixel_colour_names(pixels)


def fact_phrases(fact: dict) -> list[str]:
    """The phrases the pipeline's own measurements give: view, pose cues, shot size."""
    phrases = [VIEW_PHRASES[fact["view"]]] if fact.get("view") in VIEW_PHRASES else []
    phrases += list(fact.get("pose") or [])
    return phrases + ([fact["shot"]] if fact.get("shot") else [])


class MeasuredCaptioner:
    """Caption bodies assembled from measurements; deterministic."""

    name = "measured"
    model = "measured-template"
    prompt_version = "measured-2"  # 2: light and colours read against the character's usual look (session 45)
    uses_usual_look = True
    # a fact's ``measures`` (``pixel_measures``, taken by the caller for the usual look) stand for its image: the
    # caller need not decode the cut-out a second time
    reads_measures = True

    def caption(self, images: list[np.ndarray | None], facts: list[CaptionFacts]) -> list[str]:
        bodies = []
        for image, fact in zip(images, facts):
            stats, names = fact["measures"] if "measures" in fact else pixel_measures(image, fact.get("alpha"))
            phrases = fact_phrases(fact) + stats_lighting_phrases(stats, fact.get("light_reference"))
            colours = [c for c in names if c not in fact.get("usual_colours", ())]
            if colours:
                phrases.append(" and ".join(colours) + " colours")
            bodies.append(", ".join(phrases))
        return bodies
