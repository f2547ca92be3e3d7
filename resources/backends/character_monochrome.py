"""Skin read by lightness alone in a monochrome frame (issue #13: grey drawn footage).

Several seeding rules judge a drawn face by its skin colour: a weak face's middle a flat fill of a warm or light
colour (``character_weak_faces.drawn_skin``), a big-featured face a skin fill round its features
(``character_close_faces.skin_colour``), a lone face heading a character by the skin between its eyes
(``character_face_guard.skin_share``). A greyscale frame (a manga-style scene, a flashback, a grey copy in an image
set) has no hue and no saturation, so every one of them reads "no skin" and the character's face seeds nothing or is
dropped as a false face: on the Kenney tune composites turned grey the male adventurer is never cut out. Where the
frame carries no colour at all, the colour half of each test is unanswerable rather than failed: the tests keep
their lightness bounds and drop the hue and saturation (``skin_by_lightness``). A frame with any colour keeps the
colour tests unchanged.

A frame is monochrome (``is_monochrome``) where fewer than COLOURED_SHARE of its pixels (every other row and column)
have channels more than CHROMA_MAX apart: a decoded grey video or a grey PNG is grey to within the codec's rounding.
Sepia or tinted frames are not monochrome by this test: their hue is one warm tint, which the colour tests read as
warm skin already.
"""

import numpy as np

MONOCHROME_SKIN = True  # switch: in a monochrome frame the skin tests read lightness only
CHROMA_MAX = 8  # a pixel whose channels lie within this many levels of each other carries no colour
COLOURED_SHARE = 0.005  # a frame with fewer coloured pixels than this share is monochrome


def is_monochrome(rgb: np.ndarray) -> bool:
    """Whether the uint8 H x W x 3 frame carries no colour (see the module's docstring); False where the switch is
    off, so every rule keeps its colour test."""
    if not MONOCHROME_SKIN or rgb.ndim != 3 or rgb.shape[2] < 3:
        return False
    sample = rgb[::2, ::2, :3]
    chroma = sample.max(axis=2).astype(np.int16) - sample.min(axis=2)
    return bool((chroma > CHROMA_MAX).mean() < COLOURED_SHARE)
