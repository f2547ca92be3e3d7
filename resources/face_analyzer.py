"""The ``face_analyzer`` resource: face detection + alignment + identity embedding (FaceAnalyzer protocol).

Backends: ``onnx`` (offline default: SCRFD-500MF / YuNet / anime cascade + MobileFaceNet 128-d) and ``insightface``
(model packs such as buffalo_l: SCRFD-10G + ArcFace 512-d; CUDA or CPU).
"""

from typing import Literal

from dagster import ConfigurableResource, InitResourceContext
from pydantic import PrivateAttr

from resources.protocols import FaceAnalyzer


class FaceAnalyzerResource(ConfigurableResource):
    """Builds its backend lazily on first use; one instance per detector set serves the whole run."""

    backend: Literal["onnx", "insightface"] = "onnx"
    model: str = "buffalo_l"          # insightface: pack name or folder
    detectors: list[str] = ["scrfd", "yunet"]   # onnx: fallback order
    device: str = "cpu"
    det_threshold: float = 0.5
    det_size: int = 640

    _built: dict = PrivateAttr(default_factory=dict)

    def analyzer(self, anime: bool = False) -> FaceAnalyzer:
        """The backend; ``anime`` adds the LBP anime-face cascade to the onnx fallback order (first)."""
        detectors = tuple(self.detectors)
        if anime and self.backend == "onnx" and "anime" not in detectors:
            detectors = ("anime", *detectors)
        key = (self.backend, detectors)
        if key not in self._built:
            if self.backend == "insightface":
                from resources.backends.insightface import InsightFaceAnalyzer

                self._built[key] = InsightFaceAnalyzer(self.model, self.device, self.det_threshold, self.det_size)
            else:
                from resources.backends.onnx_faces import OnnxFaceAnalyzer

                providers = (["CUDAExecutionProvider", "CPUExecutionProvider"] if self.device.startswith("cuda")
                             else ["CPUExecutionProvider"])
                self._built[key] = OnnxFaceAnalyzer(detectors, self.det_threshold, self.det_size, providers)
        return self._built[key]

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        self._built.clear()


def profile_resources(profile: str) -> dict[str, ConfigurableResource]:
    if profile == "gpu":
        return {"face_analyzer": FaceAnalyzerResource(backend="insightface", model="buffalo_l", device="cuda")}
    return {"face_analyzer": FaceAnalyzerResource()}
