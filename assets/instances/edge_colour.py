"""The character's own colour in a cut-out's soft edge (issue #13). numpy / OpenCV only.

Where a cut-out's alpha is between 0 and 1 (hair, anti-aliased outlines, the matting's soft band) the frame's pixel
is a mix of the character and the background behind it: ``I = a F + (1 - a) B``. Written as is, the background's
colour bleeds into the edge, a halo once a trainer lays the cut-out on another background or trains on RGBA. This
estimates the foreground colour F there by blur fusion (Forte and Pitie, "Approximate Fast Foreground Colour
Estimation", ICIP 2021): F and B are first taken as the alpha-weighted local means of the character's and the
background's pixels (a box blur), then corrected by the pixel's residual; done twice, with a large and a small box.
Only the soft pixels (0 < alpha < 255) change: opaque and transparent pixels keep the frame's bytes, and alpha is
never touched.

Where the background is known the blurred background estimate is that colour: a transparent image's key frame is
the image laid on white (resources/media.py ``opaque_rgb``) and its cut-out's alpha is the file's own
(assets/instances/image_alpha.py), so its soft edge held a white fringe. On segmented cut-outs (video frames) the
alpha is the matting's estimate, soft over a band several pixels wide where the character is often opaque (a dark
outline): there the estimate is a trade, better on Kenney's characters and worse on Sita and Saha (bench/edge_colour.py,
docs/instances.md session 19), so ``instances.edge_colour`` applies it to them only when set to ``blur_fusion``.
"""

import cv2
import numpy as np

# none: every cut-out keeps the frame's pixels | known_background: the cut-outs of transparent images (laid on white)
# get their own colour back | blur_fusion: those, and every segmented cut-out with the background estimated too
METHODS = ("known_background", "blur_fusion", "none")
LAID_ON = (255, 255, 255)  # the colour a transparent image's key frame is laid on (resources/media.py opaque_rgb)
# box sizes of the two passes, as a share of the cut-out's longer side (at least the minimum): Forte and Pitie use
# 90 and 6 px on 1-2 Mpx images. Chosen on the tune composites (bench/edge_colour.py, session 19)
LARGE_BOX_FRAC, LARGE_BOX_MIN = 0.1, 9
SMALL_BOX_FRAC, SMALL_BOX_MIN = 0.01, 3
_EPS = 1e-5


def _means(values: np.ndarray, weight: np.ndarray, box: int) -> tuple[np.ndarray, np.ndarray]:
    """(box mean of ``values * weight``, box mean of ``weight``) as cv2.blur gives them (float32)."""
    size = (box, box)
    return cv2.blur(values * weight[..., None], size), cv2.blur(weight, size)


def _estimate(image: np.ndarray, alpha: np.ndarray, fore: np.ndarray, mean_alpha: np.ndarray,
              back: np.ndarray) -> np.ndarray:
    """Blur fusion's correction on gathered pixels (N x 3, N): F = F' + a (I - a F' - (1 - a) B'), clipped."""
    a = alpha[:, None]
    fore = fore / (mean_alpha[:, None] + _EPS)
    return np.clip(fore + a * (image - a * fore - (1.0 - a) * back), 0.0, 1.0)


def box_sizes(shape: tuple[int, int]) -> tuple[int, int]:
    """(large, small) box of the two passes for a cut-out of ``shape`` (rows, cols)."""
    side = max(shape)
    return max(LARGE_BOX_MIN, round(LARGE_BOX_FRAC * side)), max(SMALL_BOX_MIN, round(SMALL_BOX_FRAC * side))


def foreground_colour(rgb: np.ndarray, alpha: np.ndarray, boxes: tuple[int, int] | None = None,
                      background: tuple[int, int, int] | None = None) -> np.ndarray:
    """uint8 H x W x 3: ``rgb`` (a cut-out's pixels, the frame's colour) with the soft pixels (0 < ``alpha`` < 255)
    replaced by their estimated foreground colour; every other pixel is ``rgb``'s own byte. ``boxes``: the two
    passes' box sizes (default ``box_sizes``); ``background``: the RGB behind the character where it is known (a
    transparent image laid on white), else estimated from the pixels around."""
    soft = (alpha > 0) & (alpha < 255)
    if not soft.any():
        return rgb
    large, small = boxes or box_sizes(alpha.shape)
    image = rgb.astype(np.float32) * np.float32(1 / 255)
    weight = alpha.astype(np.float32) * np.float32(1 / 255)
    where = np.flatnonzero(soft)   # flat indices: gathers on N x 3 rows, not on 2-D index pairs
    pixels, alphas = image.reshape(-1, 3)[where], weight.reshape(-1)[where]
    # pass 1 (large box): F' and B' the alpha-weighted means of the character's and the background's pixels; F is
    # needed on the soft pixels only (an opaque pixel's is its own colour, a transparent one's carries no weight)
    fore, mean_alpha = _means(image, weight, large)
    if background is None:
        behind = cv2.blur(image - image * weight[..., None], (large, large))
        behind /= (1.0 - mean_alpha)[..., None] + _EPS
        behind_soft = behind.reshape(-1, 3)[where]
    else:
        behind_soft = np.broadcast_to(np.asarray(background, np.float32) / 255, pixels.shape)
    first = image.copy()
    first.reshape(-1, 3)[where] = _estimate(pixels, alphas, fore.reshape(-1, 3)[where],
                                            mean_alpha.reshape(-1)[where], behind_soft)
    # pass 2 (small box): the same from pass 1's F and B
    fore, mean_alpha = _means(first, weight, small)
    mean_alpha = mean_alpha.reshape(-1)[where]
    if background is not None:
        behind_soft = np.broadcast_to(np.asarray(background, np.float32) / 255, pixels.shape)
    else:
        behind_soft = cv2.blur(behind * (1.0 - weight)[..., None], (small, small)).reshape(-1, 3)[where] / \
            ((1.0 - mean_alpha)[:, None] + _EPS)
    estimate = _estimate(pixels, alphas, fore.reshape(-1, 3)[where], mean_alpha, behind_soft)
    out = rgb.copy()
    out.reshape(-1, 3)[where] = np.round(estimate * 255).astype(np.uint8)
    return out


def cutout_colour(rgb: np.ndarray, alpha: np.ndarray, method: str, own_alpha: bool) -> tuple[np.ndarray, str]:
    """(the cut-out's RGB, the edge colour applied: ``known_background``, ``blur_fusion`` or ``none``) for ``method``
    (``instances.edge_colour``); ``own_alpha``: the cut-out is a transparent image's, laid on LAID_ON."""
    if own_alpha and method != "none":
        return foreground_colour(rgb, alpha, background=LAID_ON), "known_background"
    if method == "blur_fusion" and not own_alpha:
        return foreground_colour(rgb, alpha), "blur_fusion"
    return rgb, "none"
