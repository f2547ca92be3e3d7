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
Sepia or tinted frames are not monochrome by this test (their hue is one tint, which the colour tests read as warm
skin or as none): they are analysed as their luma instead (below), which is monochrome.

A tinted monochrome frame (issue #13, session 32 h5: a sepia flashback, a blue night scene, a red alarm scene, a
duotone) is a grey picture shown through one tint: its colour is a function of its lightness, so the colour cues
read the tint and nothing of the picture (every pixel passes a warm-skin test in sepia, none in blue). Where a frame is
tinted (``is_tinted``) the segmenter analyses its luma (``without_tint``: the cues, the seeding rules and the cut all
see the grey frame, which ``is_monochrome`` then calls monochrome); the masks apply to the frame as shown. A frame is
tinted where, among its mid-light pixels (luma MID_LUMA, no channel clipped; every other row and column), the tint is
visible (their median chroma at least TINT_STRENGTH levels) and fewer than TINTED_SHARE of them have a chroma more
than TINT_DEVIATION levels from the median chroma of the pixels of their lightness (LUMA_BIN levels wide): one colour
per lightness, to the rounding of an image file. Colour frames graded towards one hue are not tinted: Sintel's dusk
alley and sunset close-up (one warm grade, her red hair and the lamps keep their own colour) have 8 % or more such
pixels; a weakly graded frame (a desaturated snow scene, chroma under TINT_STRENGTH) keeps its colour analysis. The
bound is tight, and a tint that went through a lossy video codec (x264, 4:2:0 chroma) bleeds chroma across luma
edges and carries a few levels of chroma noise: with TINT_THROUGH_CODEC (session 32 h11) each lightness's tint is read
on its pixels away from luma edges (luma spanning at most EDGE_LUMA levels in an EDGE_WINDOW square), a pixel there
has its own colour beyond FLAT_DEVIATION levels, one by an edge only beyond EDGE_DEVIATION (the smear), and the frame
is tinted with fewer than CODEC_TINTED_SHARE such pixels. Every cool tint of the shared videos through x264 crf 18-28
is caught; sepia only in part (a quarter to a half of Penny & Chip at crf 23-18: its chroma is weaker than the codec noise
at mid-light); Sintel's dusk alley (1.1 % such pixels at least) stays a colour frame.
"""

import numpy as np

MONOCHROME_SKIN = True  # switch: in a monochrome frame the skin tests read lightness only
CHROMA_MAX = 8  # a pixel whose channels lie within this many levels of each other carries no colour
COLOURED_SHARE = 0.005  # a frame with fewer coloured pixels than this share is monochrome
TINTED_AS_GREY = True  # switch: a tinted monochrome frame (sepia, a duotone) is analysed as its luma
MID_LUMA = (64, 192)  # the lightness range whose pixels show a tint (darker and lighter ones carry little chroma)
CLIPPED = 250  # a pixel with a channel this bright is clipped: its tint is bent, not its picture
LUMA_BIN = 8  # pixels of one lightness: luma levels per bin
TINT_STRENGTH = 12.0  # the median chroma (levels) of the mid-light pixels a visible tint has at least
TINT_DEVIATION = 4.0  # a pixel this many levels of chroma off its lightness's tint has a colour of its own
TINTED_SHARE = 0.02  # a frame with fewer such pixels than this share (of its mid-light ones) is tinted
TINT_THROUGH_CODEC = True  # switch: judge the tint as a lossy video codec leaves it (session 32 h11, below)
EDGE_WINDOW = 5  # a pixel whose luma spans more than EDGE_LUMA levels in this square round it lies by an edge
EDGE_LUMA = 12.0
FLAT_DEVIATION = 4.0  # away from edges: a pixel this many levels of chroma off its lightness's tint has its own colour
EDGE_DEVIATION = 20.0  # by an edge, where 4:2:0 chroma smears the tint of the neighbouring lightness across it
CODEC_TINTED_SHARE = 0.008  # a frame with fewer such pixels than this share (of its mid-light ones) is tinted
MIN_MID_SHARE = 0.05  # a frame with fewer mid-light pixels is too dark or too light to tell


def is_monochrome(rgb: np.ndarray) -> bool:
    """Whether the uint8 H x W x 3 frame carries no colour (see the module's docstring); False where the switch is
    off, so every rule keeps its colour test."""
    if not MONOCHROME_SKIN or rgb.ndim != 3 or rgb.shape[2] < 3:
        return False
    red, green, blue = (rgb[::2, ::2, c] for c in range(3))
    chroma = _largest(red, green, blue).astype(np.int16) - np.minimum(np.minimum(red, green), blue)
    return bool((chroma > CHROMA_MAX).mean() < COLOURED_SHARE)


def _largest(red: np.ndarray, green: np.ndarray, blue: np.ndarray) -> np.ndarray:
    """Per pixel, the largest of the three channels: ``max(axis=2)``'s values, without NumPy's slow reduction over
    a last axis of three."""
    return np.maximum(np.maximum(red, green), blue)


def is_tinted(rgb: np.ndarray) -> bool:
    """Whether the uint8 H x W x 3 frame is a grey picture shown through one visible tint (see the module's
    docstring); False where the switch is off."""
    if not TINTED_AS_GREY or rgb.ndim != 3 or rgb.shape[2] < 3:
        return False
    sample = rgb[::2, ::2, :3].astype(np.float32)
    luma = sample @ np.array([0.299, 0.587, 0.114], np.float32)
    unclipped = _largest(*(rgb[::2, ::2, c] for c in range(3))) < CLIPPED   # sample.max(axis=2)'s values
    usable = (luma >= MID_LUMA[0]) & (luma <= MID_LUMA[1]) & unclipped
    if usable.mean() < MIN_MID_SHARE:
        return False
    luma = luma[usable]
    chroma = np.stack([sample[..., 0][usable] - luma, sample[..., 2][usable] - luma], axis=1)
    if np.median(np.hypot(chroma[:, 0], chroma[:, 1])) < TINT_STRENGTH:
        return False
    bins = (luma // LUMA_BIN).astype(np.int32)
    if not TINT_THROUGH_CODEC:
        flat = np.ones(len(luma), bool)
        return bool(_off_their_tint(chroma, bins, flat, np.full(len(luma), TINT_DEVIATION)).mean() < TINTED_SHARE)
    flat = _away_from_edges(rgb)[usable]
    bound = np.where(flat, FLAT_DEVIATION, EDGE_DEVIATION)
    return bool(_off_their_tint(chroma, bins, flat, bound).mean() < CODEC_TINTED_SHARE)


def _away_from_edges(rgb: np.ndarray) -> np.ndarray:
    """bool per sampled pixel (every other row and column): its luma spans at most EDGE_LUMA levels in the
    EDGE_WINDOW square round it, so a lossy codec's 4:2:0 chroma has not smeared a neighbour's tint over it."""
    import cv2

    full = rgb[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    window = np.ones((EDGE_WINDOW, EDGE_WINDOW), np.uint8)
    return ((cv2.dilate(full, window) - cv2.erode(full, window)) <= EDGE_LUMA)[::2, ::2]


def _off_their_tint(chroma: np.ndarray, bins: np.ndarray, flat: np.ndarray, bound: np.ndarray) -> np.ndarray:
    """bool per pixel: its chroma more than its ``bound`` off its lightness bin's tint, the median chroma of the
    bin's ``flat`` pixels (of all of them where fewer than 10 are flat). The pixels are grouped by bin once (a
    stable sort, so each bin's pixels keep their order) rather than every bin picked from all of them."""
    off = np.zeros(len(chroma), bool)
    order = np.argsort(bins.astype(np.int16), kind="stable")   # bins of 0-255 levels: a radix sort
    _, starts = np.unique(bins[order], return_index=True)
    for start, end in zip(starts, [*starts[1:], len(order)]):
        members = order[start:end]
        own, own_flat = chroma[members], flat[members]
        tint = np.median(own[own_flat] if np.count_nonzero(own_flat) >= 10 else own, axis=0)
        apart = np.abs(own - tint)
        off[members] = np.maximum(apart[:, 0], apart[:, 1]) > bound[members]
    return off


def without_tint(rgb: np.ndarray) -> np.ndarray:
    """The frame to analyse: a tinted frame's luma (OpenCV's BT.601 weights) in all three channels, any other frame
    itself."""
    if not is_tinted(rgb):
        return rgb
    import cv2

    return np.repeat(cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2)
