"""Face analysis for drawn (2D animation, anime) characters: 2D face detectors in fallback order and an identity
embedding built for drawn faces (``drawn``: resources/backends/drawn_identity.py; or ``ccip``: deepghs' anime
character model, resources/backends/ccip.py).

Detectors: ``animeface`` (AnimeFace 2009 in its isolated environment, face box + eyes, nose, mouth, chin),
``yunet`` (OpenCV's YuNet; on western-cartoon faces it finds more than the anime-specific detectors, at a lower
threshold than for photos), ``anime`` (the LBP anime-face cascade) and ``scrfd``. ``align`` returns the canonical
*context crop* (192 x 192: the face with the hair above it and the clothing below it), which the recogniser reads.
"""

from collections.abc import Sequence

import numpy as np

from resources.analysis_frame import analysis_scale, scaled_frame
from resources.backends.drawn_identity import CROP_SIZE, DrawnIdentityEmbedder, context_crop
from resources.backends.memory import release_model
from resources.protocols import FaceDetection, ImageEmbedder

DRAWN_DETECTORS = ("animeface", "yunet", "anime", "scrfd")
# Part of ``model`` (and so of the faces stage's cache key): bump when the crop changes. Version 2 scaled each
# detector's box to one convention (ratios from the anime grid); it raised Penny & Chip's detected-face AUC only
# from 0.869 to 0.882 and HDBSCAN then found no Penny cluster there, so version 3 crops the detector's box as is.
CROP_VERSION = 3
# Part of ``model`` too: AnimeFace's faces are kept only where the skin colour it read is a drawn face's
# (resources/backends/animeface.has_skin_colour); bump when that rule changes.
ANIMEFACE_SKIN_RULE = 1
# The 2D detectors read a taller image (a 720p / 1080p frame, a large head crop of voice_map's mouth reader) scaled
# to this many rows, boxes and landmarks scaled back (the embedding crop is cut from the full frame): the size their
# drawn-face figures were measured at and the anime preset's ``instances.analysis_max_height``, so the instances
# stage's AnimeFace cue and this detector send the same pixels and share the result cache; the LBP cascade and YuNet
# cost with the pixels (on a 1080p minute of Penny & Chip they took 21 and 9.5 of 41 CPU-s). 480-row frames are
# read as they are.
ANALYSIS_MAX_HEIGHT = 480
# ``detect_around``: the detectors that search a window of the analysis frame (YuNet and the LBP cascade scan every
# pixel at the frame's own scale: their cost grows with the pixels; AnimeFace's answers are cached by the whole
# frame's pixels, shared with the instances stage, and SCRFD resizes whatever it is given to one size)
WINDOWED_DETECTORS = ("yunet", "anime")
WINDOW_ALIGN = 32       # px of the analysis frame: YuNet's largest stride, so a window keeps the frame's anchor grid
WINDOW_MAX_SHARE = 0.8  # a window over more of the frame than this is no saving: the whole frame is searched


class DrawnFaceAnalyzer:
    """FaceAnalyzer for 2D characters. ``recogniser`` embeds context crops: a ``DrawnIdentityEmbedder`` or a
    ``CcipEmbedder`` (anything with ``name``, ``model``, ``embedding_dim`` and ``embed(crops)``)."""

    name = "drawn_faces"

    def __init__(self, detectors: Sequence[str], recogniser: ImageEmbedder, det_threshold: float = 0.5,
                 thresholds: dict[str, float] | None = None, animeface_max_side: int | None = 1280,
                 analysis_max_height: int | None = ANALYSIS_MAX_HEIGHT):
        unknown = [d for d in detectors if d not in DRAWN_DETECTORS]
        if unknown or not detectors:
            raise ValueError(f"faces: unknown 2D detectors {unknown}; choose from {', '.join(DRAWN_DETECTORS)}")
        self.detectors = tuple(detectors)
        thresholds = dict(thresholds or {})
        self._animeface = None
        if "animeface" in self.detectors:
            from resources.backends.animeface import AnimeFaceDetector

            self._animeface = AnimeFaceDetector(min_score=thresholds.get("animeface", det_threshold),
                                                max_side=animeface_max_side, require_skin=True)
        others = tuple(d for d in self.detectors if d != "animeface")
        self._onnx = None
        if others:
            from resources.backends.onnx_faces import OnnxFaceDetectors

            self._onnx = OnnxFaceDetectors(others, det_threshold, thresholds=thresholds)
        self.analysis_max_height = analysis_max_height
        self._last_scaled: tuple[np.ndarray, np.ndarray] | None = None
        self.recogniser = recogniser
        self.embedding_dim = recogniser.embedding_dim
        skin = f":skin{ANIMEFACE_SKIN_RULE}" if self._animeface is not None else ""
        self.model = (f"{'+'.join(self.detectors)}{skin}:crop{CROP_VERSION}:{recogniser.name}:"
                      f"{recogniser.model.rsplit('/', 1)[-1]}")

    def detect(self, image: np.ndarray, detector: str | None = None) -> list[FaceDetection]:
        """Faces in ``image`` (searched at most ``analysis_max_height`` rows high), in its pixels."""
        scale = analysis_scale(image.shape[0], self.analysis_max_height)
        found = self.detect_as_is(self._analysis_frame(image, scale), detector)
        return found if scale >= 1.0 else [scaled_back(face, scale) for face in found]

    def _analysis_frame(self, image: np.ndarray, scale: float) -> np.ndarray:
        """``image`` scaled by ``scale``, once for every detector of the fallback order: the faces stage asks each
        detector in turn about the same frame (on a 6-minute 1080p film 434 scalings for 174 frames). The last
        frame and its scaled copy are kept together in one tuple (threads sharing the analyzer see a matching
        pair); a frame is read, never written, while its faces are found."""
        if scale >= 1.0:
            return image
        last = self._last_scaled
        if last is not None and last[0] is image:
            return last[1]
        scaled = scaled_frame(image, scale)
        self._last_scaled = (image, scaled)
        return scaled

    def detect_around(self, image: np.ndarray, detector: str | None, boxes: Sequence[tuple[float, ...]],
                      margin: float) -> list[FaceDetection]:
        """``detect``, YuNet and the anime cascade searching only the window of the analysis frame that holds
        ``boxes`` (``image`` pixels; ``search_window``); the other detectors, and a window of most of the frame,
        search the whole frame. Not the same faces to the pixel: the network's borders and the cascade's scan grid
        move with the window (on a 6-minute 1080p film 202 of 240 faces identical, 36 within a few pixels)."""
        name = detector or self.detectors[0]
        if name not in WINDOWED_DETECTORS or not boxes:
            return self.detect(image, detector)
        scale = analysis_scale(image.shape[0], self.analysis_max_height)
        frame = self._analysis_frame(image, scale)
        window = search_window(boxes, min(scale, 1.0), frame.shape[1], frame.shape[0], margin)
        if window is None:
            return self.detect(image, detector)
        x0, y0, x1, y1 = window
        found = [shifted(face, x0, y0) for face in self.detect_as_is(np.ascontiguousarray(frame[y0:y1, x0:x1]), name)]
        return found if scale >= 1.0 else [scaled_back(face, scale) for face in found]

    def detect_as_is(self, image: np.ndarray, detector: str | None = None) -> list[FaceDetection]:
        """``detect`` on the image at its own size: one already sized for the detectors (the faces stage's upscaled
        pass, assets/faces/core.py, whose enlarged regions the height cap would shrink back)."""
        name = detector or self.detectors[0]
        if name == "animeface":
            return [face.to_detection() for face in self._animeface.detect(image)]
        if name not in self.detectors:
            raise ValueError(f"faces: detector {name!r} is not among {self.detectors}")
        return self._onnx.detect(image, name)

    def align(self, image: np.ndarray, face: FaceDetection) -> np.ndarray:
        return context_crop(image, face, CROP_SIZE)

    def embed(self, crops: list[np.ndarray]) -> np.ndarray:
        if not crops:
            return np.zeros((0, self.embedding_dim), np.float32)
        return np.asarray(self.recogniser.embed(crops), np.float32)

    def close(self) -> None:
        if self._animeface is not None:
            self._animeface.close()

    def release(self) -> None:
        """Stops the AnimeFace worker and frees the detectors' sessions and the recogniser's model."""
        self.close()
        self._last_scaled = None
        for held in (self._onnx, self.recogniser):
            if held is not None:
                release_model(held)


def search_window(boxes: Sequence[tuple[float, ...]], scale: float, width: int, height: int,
                  margin: float) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) of a ``width`` x ``height`` analysis frame holding ``boxes`` (source pixels, times
    ``scale``), each widened by ``margin`` x its longer side, the window's edges moved out to WINDOW_ALIGN px and
    clipped to the frame; None when it covers more than WINDOW_MAX_SHARE of the frame. A face belongs to a box
    holding 0.6 of it (``FaceParams.min_containment``), so it can reach past the box by up to half the box's side."""
    box = np.asarray(boxes, np.float64).reshape(-1, 4) * scale
    widen = np.maximum(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1]) * margin
    x0 = int(max(0.0, (box[:, 0] - widen).min()) // WINDOW_ALIGN * WINDOW_ALIGN)
    y0 = int(max(0.0, (box[:, 1] - widen).min()) // WINDOW_ALIGN * WINDOW_ALIGN)
    x1 = min(width, int(np.ceil((box[:, 2] + widen).max() / WINDOW_ALIGN)) * WINDOW_ALIGN)
    y1 = min(height, int(np.ceil((box[:, 3] + widen).max() / WINDOW_ALIGN)) * WINDOW_ALIGN)
    if x1 <= x0 or y1 <= y0 or (x1 - x0) * (y1 - y0) > WINDOW_MAX_SHARE * width * height:
        return None
    return x0, y0, x1, y1


def shifted(face: FaceDetection, dx: float, dy: float) -> FaceDetection:
    """A detection in a window whose top-left corner is at (dx, dy), in the frame's pixels."""
    landmarks = None if face.landmarks is None else np.asarray(face.landmarks, np.float32) + np.float32([dx, dy])
    return FaceDetection((face.box[0] + dx, face.box[1] + dy, face.box[2] + dx, face.box[3] + dy), face.score,
                         face.detector, landmarks)


def scaled_back(face: FaceDetection, scale: float) -> FaceDetection:
    """A detection on an image scaled by ``scale`` in the source image's pixels (box and landmarks)."""
    landmarks = None if face.landmarks is None else np.asarray(face.landmarks, np.float32) / scale
    return FaceDetection(tuple(float(v / scale) for v in face.box), face.score, face.detector, landmarks)


def drawn_recogniser(kind: str, image_embedder: ImageEmbedder | None = None, ccip_model: str | None = None,
                     providers: list[str] | None = None, weights: dict[str, float] | None = None):
    """The 2D recogniser by name: ``drawn`` (general-vision + colour, needs an image embedder) or ``ccip``."""
    if kind == "ccip":
        from resources.backends.ccip import DEFAULT_MODEL, CcipEmbedder

        return CcipEmbedder(ccip_model or DEFAULT_MODEL, providers)
    if kind == "drawn":
        if image_embedder is None:
            from resources.backends.tflite_embedder import TfliteImageEmbedder

            image_embedder = TfliteImageEmbedder()
        return DrawnIdentityEmbedder(image_embedder, weights)
    raise ValueError(f"faces: unknown 2D recogniser {kind!r}; choose drawn or ccip")
