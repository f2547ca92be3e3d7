"""Identity embedding for drawn (2D) characters: what tells two cartoon or anime characters apart is the design
(hair or headwear shape and colour, eye colour, skin, main clothing), not the fine facial geometry that photo
face recognisers (ArcFace, MobileFaceNet) are trained on and fail on for drawn faces.

A face is first turned into a canonical *context crop* (``context_crop``): a square of ``CONTEXT_SIDE`` face sizes,
rotated upright by the eye line when landmarks exist, with the face at a fixed place (``FACE_BOX``), so that hair
lies above it and clothing below it. ``DrawnIdentityEmbedder.embed`` reads three blocks from that crop, each
L2-normalised and weighted:

- ``face``: a general-vision embedding (any ``ImageEmbedder``: the offline MobileNet, CLIP, DINOv2) of the face;
- ``head``: the same embedding of the head with hair / headwear;
- ``colour``: colour histograms (hue x saturation x value, Hellinger-normalised) of the hair band above the face,
  the skin at its centre and the clothing below the chin.

The concatenation is L2-normalised (block k scaled by sqrt(w_k)), so the cosine of two vectors is the mean of the
blocks' cosines weighted by w_k. The weights are calibrated on 2D data (``bench/faces_2d.py --calibrate``:
composites of the CC0 characters in ../shared/media/characters_rgba, reported on Penny & Chip frames, not tuned on).
"""

from collections.abc import Sequence

import cv2
import numpy as np

from resources.backends.memory import release_model
from resources.protocols import FaceDetection, ImageEmbedder

CROP_SIZE = 192          # px side of the context crop
CONTEXT_SIDE = 3.0       # ... in face sizes: half a face of hair above the face box, 1.5 faces of body below it
UNIT = CROP_SIZE / CONTEXT_SIDE
# regions of the context crop, (x0, y0, x1, y1) in face-size units; the face's centre sits at (1.5, 1.0)
FACE_BOX = (1.0, 0.5, 2.0, 1.5)
REGIONS = {
    "face": (0.85, 0.35, 2.15, 1.65),
    "head": (0.5, 0.0, 2.5, 1.75),
    "hair": (1.0, 0.2, 2.0, 0.55),      # above the brow: hair, cap, hat
    "skin": (1.25, 0.85, 1.75, 1.35),   # cheeks and nose
    "clothing": (1.1, 1.75, 1.9, 2.5),   # chest below the chin: narrow, drawn bodies are slimmer than heads
}
COLOUR_REGIONS = ("hair", "skin", "clothing")
HUE_BINS, SAT_BINS, VAL_BINS, GREY_BINS = 12, 2, 2, 4
# calibrated on 2D composites (bench/faces_2d.py --calibrate); see README "2D animation and anime"
DEFAULT_WEIGHTS = {"face": 1.0, "head": 0.5, "colour": 0.5}


def region_pixels(crop: np.ndarray, region: str) -> np.ndarray:
    """The crop's pixels of one named region (rows x cols x 3)."""
    x0, y0, x1, y1 = (int(round(v * crop.shape[0] / CONTEXT_SIDE)) for v in REGIONS[region])
    return crop[y0:y1, x0:x1]


def context_crop(image: np.ndarray, face: FaceDetection, size: int = CROP_SIZE) -> np.ndarray:
    """The canonical context crop of a face (RGB uint8, ``size`` square): upright by the eye line when the face has
    landmarks, the face box mapped onto ``FACE_BOX``; outside the frame is filled by replicating its border."""
    x0, y0, x1, y1 = face.box
    side = max(x1 - x0, y1 - y0, 1.0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    angle = 0.0
    if face.landmarks is not None:
        left, right = np.asarray(face.landmarks[0], float), np.asarray(face.landmarks[1], float)
        angle = float(np.degrees(np.arctan2(right[1] - left[1], right[0] - left[0])))
        if abs(angle) > 45:  # a mislabelled eye pair, not a rolled head
            angle = 0.0
    unit = size / CONTEXT_SIDE
    scale = unit / side
    # rotate about the face centre, scale to face-size units, put the centre at (1.5, 1.0) units
    matrix = cv2.getRotationMatrix2D((cx, cy), angle, scale)
    matrix[0, 2] += 1.5 * unit - cx
    matrix[1, 2] += 1.0 * unit - cy
    return cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def colour_histogram(pixels: np.ndarray) -> np.ndarray:
    """Hue x saturation x value bins for coloured pixels plus grey-level bins for unsaturated ones, as a unit
    vector of square-rooted frequencies (Hellinger): robust to a few stray pixels, comparable by cosine."""
    bins = HUE_BINS * SAT_BINS * VAL_BINS + GREY_BINS
    if pixels.size == 0:
        return np.zeros(bins, np.float32)
    hsv = cv2.cvtColor(pixels.reshape(-1, 1, 3).astype(np.uint8), cv2.COLOR_RGB2HSV).reshape(-1, 3).astype(np.int32)
    hue, sat, val = hsv[:, 0], hsv[:, 1], hsv[:, 2]
    grey = (sat < 40) | (val < 40)
    coloured = ((hue * HUE_BINS // 180) * SAT_BINS + np.minimum(sat * SAT_BINS // 256, SAT_BINS - 1)) * VAL_BINS \
        + np.minimum(val * VAL_BINS // 256, VAL_BINS - 1)
    index = np.where(grey, HUE_BINS * SAT_BINS * VAL_BINS + np.minimum(val * GREY_BINS // 256, GREY_BINS - 1),
                     coloured)
    histogram = np.sqrt(np.bincount(index, minlength=bins).astype(np.float32) / len(index))
    return histogram / max(float(np.linalg.norm(histogram)), 1e-12)


def colour_signature(crop: np.ndarray) -> np.ndarray:
    """The hair, skin and clothing histograms of a context crop, concatenated and L2-normalised."""
    parts = np.concatenate([colour_histogram(region_pixels(crop, r)) for r in COLOUR_REGIONS])
    return parts / max(float(np.linalg.norm(parts)), 1e-12)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


class DrawnIdentityEmbedder:
    """Face + head general-vision embeddings and design colours of context crops, weighted and L2-normalised."""

    name = "drawn_identity"

    def __init__(self, image_embedder: ImageEmbedder, weights: dict[str, float] | None = None):
        self.image_embedder = image_embedder
        self.weights = {**DEFAULT_WEIGHTS, **(weights or {})}
        unknown = set(self.weights) - set(DEFAULT_WEIGHTS)
        if unknown or any(w < 0 for w in self.weights.values()) or not any(self.weights.values()):
            raise ValueError(f"drawn identity weights: expected non-negative {sorted(DEFAULT_WEIGHTS)}, "
                             f"not all zero; got {self.weights}")
        colour_dim = len(COLOUR_REGIONS) * (HUE_BINS * SAT_BINS * VAL_BINS + GREY_BINS)
        self.embedding_dim = 2 * image_embedder.embedding_dim + colour_dim
        described = ",".join(f"{k}={v:g}" for k, v in self.weights.items())
        self.model = f"{image_embedder.name}:{image_embedder.model.rsplit('/', 1)[-1]}+colour[{described}]"

    def release(self) -> None:
        """Frees the general-vision embedder's model."""
        release_model(self.image_embedder)

    def blocks(self, crops: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
        """The unweighted unit blocks (face, head, colour) of context crops, for calibration and inspection."""
        if not crops:
            dim = self.image_embedder.embedding_dim
            return {"face": np.zeros((0, dim), np.float32), "head": np.zeros((0, dim), np.float32),
                    "colour": np.zeros((0, self.embedding_dim - 2 * dim), np.float32)}
        return {
            "face": _unit(self.image_embedder.embed([region_pixels(c, "face") for c in crops])),
            "head": _unit(self.image_embedder.embed([region_pixels(c, "head") for c in crops])),
            "colour": np.stack([colour_signature(c) for c in crops]).astype(np.float32),
        }

    def combine(self, blocks: dict[str, np.ndarray]) -> np.ndarray:
        parts = [np.sqrt(self.weights[k]) * blocks[k] for k in DEFAULT_WEIGHTS]
        return _unit(np.concatenate(parts, axis=1)).astype(np.float32)

    def embed(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """(N, embedding_dim) float32 unit vectors for context crops (``context_crop``)."""
        return self.combine(self.blocks(crops))
