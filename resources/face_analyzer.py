"""The ``face_analyzer`` resource: face detection + alignment + identity embedding (FaceAnalyzer protocol).

Backends: ``onnx`` (offline default: SCRFD-500MF / YuNet + MobileFaceNet 128-d) and ``insightface`` (model packs
such as buffalo_l: SCRFD-10G + ArcFace 512-d; CUDA or CPU). Photo recognisers fail on drawn faces, so drawn
films (``faces.anime_detector``, set by the anime preset) get the drawn-face analyzer whatever the backend:
``drawn_detectors`` in fallback order (AnimeFace, the LBP anime cascade, YuNet at a lower threshold) and the
2D recogniser ``drawn_recogniser``: ``drawn`` (general-vision embedding of face and head + design colours, offline)
or ``ccip`` (deepghs' anime character model from a local ``ccip/<ccip_model>/`` folder).
"""

from typing import Literal

from dagster import ConfigurableResource

from resources.lazy_backend import LazyBackendResource
from resources.protocols import FaceAnalyzer


class FaceAnalyzerResource(LazyBackendResource):
    """Builds its backend lazily on first use; one instance per detector set serves the whole run."""

    backend: Literal["onnx", "insightface"] = "onnx"
    model: str = "buffalo_l"          # insightface: pack name or folder
    detectors: list[str] = ["scrfd", "yunet"]   # onnx: fallback order
    device: str = "cpu"
    det_threshold: float = 0.5
    det_size: int = 640
    drawn_detectors: list[str] = ["animeface", "anime", "yunet"]   # 2D faces: fallback order
    drawn_thresholds: dict[str, float] = {"yunet": 0.35}            # drawn faces score lower on photo detectors
    drawn_recogniser: Literal["drawn", "ccip"] = "drawn"
    ccip_model: str = "ccip-caformer-24-randaug-pruned"

    def _providers(self) -> list[str]:
        return (["CUDAExecutionProvider", "CPUExecutionProvider"] if self.device.startswith("cuda")
                else ["CPUExecutionProvider"])

    def get(self, anime: bool = False, also: tuple[str, ...] = ()) -> FaceAnalyzer:
        """The backend; ``anime`` (drawn films) selects the 2D detectors and the 2D identity recogniser; ``also``
        adds detectors to the drawn set (a film mixing drawn and rendered shots: the photo detectors)."""
        if not anime:
            return self.built("photo", self._build_photo)
        detectors = tuple(self.drawn_detectors) + tuple(d for d in also if d not in self.drawn_detectors)
        return self.built("drawn:" + "+".join(detectors), lambda: self._build_drawn(detectors))

    def _build_drawn(self, detectors: tuple[str, ...]) -> FaceAnalyzer:
        from resources.backends.drawn_faces import DrawnFaceAnalyzer, drawn_recogniser

        recogniser = drawn_recogniser(self.drawn_recogniser, ccip_model=self.ccip_model, providers=self._providers())
        return DrawnFaceAnalyzer(detectors, recogniser, self.det_threshold, self.drawn_thresholds)

    def _build_photo(self) -> FaceAnalyzer:
        if self.backend == "insightface":
            from resources.backends.insightface import InsightFaceAnalyzer

            return InsightFaceAnalyzer(self.model, self.device, self.det_threshold, self.det_size)
        from resources.backends.onnx_faces import OnnxFaceAnalyzer

        return OnnxFaceAnalyzer(tuple(self.detectors), self.det_threshold, self.det_size, self._providers())


def profile_resources(profile: str) -> dict[str, ConfigurableResource]:
    if profile == "gpu":
        return {"face_analyzer": FaceAnalyzerResource(backend="insightface", model="buffalo_l", device="cuda")}
    return {"face_analyzer": FaceAnalyzerResource()}
