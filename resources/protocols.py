"""One Protocol per model capability. Adapters in resources/backends/<library>.py implement them.

Conventions for every capability: images are numpy ``uint8`` arrays, ``H x W x 3`` in **RGB** order unless a
docstring says otherwise; boxes are ``(x0, y0, x1, y1)`` floats in pixels of the image given; masks are ``bool``
arrays ``H x W``; audio is ``float32`` mono (or ``channels x samples``) with its sample rate given alongside;
times are seconds. Each adapter exposes ``name`` (backend id, recorded with every row it produces) and ``model``
(the weights it loaded: a path or hub id).
"""

from typing import Protocol, runtime_checkable


@runtime_checkable
class ModelBackend(Protocol):
    name: str
    model: str


# -- faces and identities (issue 4) ----------------------------------------------------------------------------------
from dataclasses import dataclass, field  # noqa: E402

import numpy as np  # noqa: E402


@dataclass
class FaceDetection:
    """One detected face in the image given to ``FaceAnalyzer.detect``: ``box`` (x0, y0, x1, y1) pixels,
    ``landmarks`` (5 x 2 float32: left eye, right eye, nose, left and right mouth corners; None when the detector
    gives none, e.g. the anime cascade), ``score`` in [0, 1], ``detector`` the detector that found it."""

    box: tuple[float, float, float, float]
    score: float
    detector: str
    landmarks: np.ndarray | None = field(default=None, repr=False)


@runtime_checkable
class FaceAnalyzer(Protocol):
    """Face detection, alignment and identity embedding.

    ``detectors`` lists detector names in fallback order. ``detect(image, detector)`` runs one detector (the first
    when None) on an RGB uint8 image. ``align(image, face)`` returns the 112 x 112 x 3 RGB uint8 crop the
    recogniser reads (5-point similarity alignment when landmarks exist). ``embed(crops)`` returns
    ``(N, embedding_dim)`` float32 L2-normalised identity embeddings (cosine similarity = dot product), batched.
    """

    name: str
    model: str
    detectors: tuple[str, ...]
    embedding_dim: int

    def detect(self, image: np.ndarray, detector: str | None = None) -> list[FaceDetection]: ...

    def align(self, image: np.ndarray, face: FaceDetection) -> np.ndarray: ...

    def embed(self, crops: list[np.ndarray]) -> np.ndarray: ...


@runtime_checkable
class ImageEmbedder(Protocol):
    """General-vision appearance embedding: ``embed(images)`` takes RGB uint8 images of any size and returns
    ``(N, embedding_dim)`` float32 L2-normalised vectors (cosine similarity = dot product)."""

    name: str
    model: str
    embedding_dim: int

    def embed(self, images: list[np.ndarray]) -> np.ndarray: ...
