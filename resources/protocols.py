"""One Protocol per model capability. Adapters in resources/backends/<library>.py implement them.

Conventions for every capability: images are numpy ``uint8`` arrays, ``H x W x 3`` in **RGB** order unless a
docstring says otherwise; boxes are ``(x0, y0, x1, y1)`` floats in pixels of the image given; masks are ``bool``
arrays ``H x W``; audio is ``float32`` mono (or ``channels x samples``) with its sample rate given alongside;
times are seconds. Each adapter exposes ``name`` (backend id, recorded with every row it produces) and ``model``
(the weights it loaded: a path or hub id).
"""

from typing import TYPE_CHECKING, NotRequired, Protocol, TypedDict, runtime_checkable

import numpy as np

if TYPE_CHECKING:  # the cue models are a backend module: imported for the annotation only
    from resources.backends.character_cues import Cues


@runtime_checkable
class ModelBackend(Protocol):
    name: str
    model: str


# -- faces and identities (issue 4) ----------------------------------------------------------------------------------
from dataclasses import dataclass, field  # noqa: E402


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


# -- audio (issue 6) ---------------------------------------------------------------------------------------------
from typing import NamedTuple  # noqa: E402


class SpeakerTurn(NamedTuple):
    """One stretch of one speaker's speech: seconds from the start of the audio given; ``confidence`` in [0, 1]."""

    start_s: float
    end_s: float
    speaker: str
    confidence: float


@runtime_checkable
class VocalSeparator(Protocol):
    """Dialogue separated from music and effects.

    ``separate(audio, sample_rate)`` takes ``float32`` audio shaped ``channels x samples`` (1 or 2 channels, values
    in [-1, 1]) and returns ``(vocals, rest)``, both ``float32`` with the input's shape and sample rate, such that
    ``vocals + rest`` approximates the input. ``sample_rate`` is the backend's preferred rate (44100 for both
    shipped backends); callers feed long films in segments, so ``separate`` is called on a few tens of seconds.
    """

    name: str
    model: str
    sample_rate: int

    def separate(self, audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]: ...


@runtime_checkable
class Diarizer(Protocol):
    """Who speaks when.

    ``diarize(waveform, sample_rate)`` takes ``float32`` mono audio (1-D, 16 kHz expected) and returns
    ``SpeakerTurn``s sorted by start, with speaker labels local to this call (``SPEAKER_00``, ``SPEAKER_01``, ...).
    Turns of different speakers may overlap where the backend detects overlapped speech.
    """

    name: str
    model: str

    def diarize(self, waveform: np.ndarray, sample_rate: int) -> list[SpeakerTurn]: ...


@runtime_checkable
class PoseEstimator(Protocol):
    """Single-person 2D pose on a crop holding one character.

    ``estimate(image, margin)`` takes one RGB ``uint8`` image ``H x W x 3`` (an instance crop) and returns a
    ``float32`` array ``17 x 3``: COCO-17 keypoints (nose, left/right eye, ear, shoulder, elbow, wrist, hip, knee,
    ankle) as ``x, y`` in pixels of the image given and a confidence in [0, 1]. ``margin``: the model sees the image
    surrounded by that many black pixels on each side (the context single-person models expect around a tight
    crop); the keypoints stay in the image's pixels.
    """

    name: str
    model: str

    def estimate(self, image: np.ndarray, margin: int = 0) -> np.ndarray: ...


class CaptionFacts(TypedDict, total=False):
    """What the pipeline measured about one crop, given to ``Captioner.caption`` (every key optional)."""

    name: str                 # the trigger word (the caller adds it; a captioner may use it as the subject)
    view: str | None          # front, three_quarter, profile, back, unknown
    pose: list[str]           # pose phrases, e.g. "arms raised"
    shot: str | None          # shot size phrase, e.g. "close-up"
    pose_bucket: str | None   # the coarse pose group used to balance the dataset
    alpha: np.ndarray         # H x W bool: the character's pixels in the image
    light_reference: tuple[float, float]  # the character's usual luminance mean and spread (its identity's median)
    usual_colours: list[str]  # the colour names most of the character's cut-outs show (its own colours)
    measures: tuple           # (luminance (mean, spread) or None, colour names) of the character's pixels


@runtime_checkable
class Captioner(Protocol):
    """Training captions for character crops.

    ``caption(images, facts)`` takes RGB ``uint8`` images (``H x W x 3``; a cut-out composited on a flat
    background) and, for each, a dict of what the pipeline measured (``name``: trigger word, ``view``,
    ``pose``: list of pose phrases, ``shot``: shot size phrase, ``alpha``: optional ``H x W`` bool mask of the
    character) and returns one caption body per image (no prefix, no trigger word: the caller adds those).
    ``prompt_version`` names the prompt or template, recorded with every caption. A captioner whose class sets
    ``uses_usual_look = True`` also gets ``light_reference`` and ``usual_colours`` (its identity's usual luminance
    and colours) in each fact; the caller measures them only for such a captioner. One that also sets
    ``reads_measures = True`` reads from an image only what those measures read (each fact's ``measures``:
    resources/backends/measured_captions.py ``pixel_measures``): it gets them, and None for the image, which the
    caller then does not decode again.
    """

    name: str
    model: str
    prompt_version: str

    def caption(self, images: list[np.ndarray], facts: list[CaptionFacts]) -> list[str]: ...


class SegmentedInstance(TypedDict):
    """One instance found by ``Segmenter.segment``."""

    mask: np.ndarray              # bool H x W, frame pixels
    score: float                  # in [0, 1]: the detector's or SAM2's predicted-IoU confidence
    seed: str                     # what found it, e.g. "face+person", "sam2", "sam2+face+person"
    stability: NotRequired[float]  # sam2: the mask's stability score
    parts: NotRequired[int]        # sam2 merged into characters: how many part masks it joined
    person_score: NotRequired[float]  # characters: BlazePose's pose flag on its seed's box (0: not run)


@runtime_checkable
class Segmenter(ModelBackend, Protocol):
    """Splits an RGB ``H x W x 3`` uint8 frame into instances.

    ``segment(image, cues=None)`` returns ``SegmentedInstance``s. ``cues`` are the frame's character cues
    (resources/backends/character_cues.py ``Cues``) when the caller already has them.
    """

    def segment(self, image: np.ndarray, cues: "Cues | None" = None) -> list[SegmentedInstance]: ...


@runtime_checkable
class ImageUpscaler(Protocol):
    """Super-resolution of small crops before export (``datasets.upscale: sr``).

    ``upscale(rgb)`` takes an RGB ``uint8`` image ``H x W x 3`` and returns it ``scale`` times larger in both sides
    (``scale*H x scale*W x 3``, ``uint8``, same colours, no flips). ``name`` is recorded with every upscaled item.
    """

    name: str
    scale: int

    def upscale(self, rgb: np.ndarray) -> np.ndarray: ...


@runtime_checkable
class FaceLandmarker(Protocol):
    """Dense face landmarks for expression (reference sets).

    ``landmarks(image, box)`` takes an RGB ``H x W x 3`` uint8 image and a face box (x0, y0, x1, y1) in its pixels and
    returns ``(points, score)``: ``points`` a float32 ``N x 3`` array (x, y in image pixels, z relative depth in the
    same scale) in the backend's topology (``topology``, e.g. ``mediapipe_468``), ``score`` the backend's face
    presence logit (> 0: the mesh fits a face). ``model`` names the weights.
    """

    name: str
    model: str
    topology: str

    def landmarks(self, image: np.ndarray, box: tuple[float, float, float, float]) -> tuple[np.ndarray, float]: ...


@runtime_checkable
class NeighbourIndex(Protocol):
    """k-nearest-neighbour search over the rows of one float32 ``n x d`` array by inner product (cosine when the rows
    are unit vectors), for identity clustering at film scale (assets/identities/scale.py).

    ``neighbours(data, k)`` returns ``(indices, sims)``: int64 and float32 ``n x k``, each row's ``k`` most similar
    other rows, most similar first, never the row itself; where fewer than ``k`` were found the index is -1 and the
    similarity -inf. ``describe()`` names the search and its settings (exact or approximate).
    """

    name: str
    model: str

    def neighbours(self, data: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...

    def describe(self) -> str: ...
