"""InsightFace model packs (buffalo_l: SCRFD det_10g + ArcFace w600k_r50, 512-d) through ``insightface.model_zoo``.

A pack is a folder of ONNX files; every layout ``model_zoo.get_model`` understands works (SCRFD / RetinaFace
detectors, 112 x 112 ArcFace recognisers). Packs are found under CASTFORGE_MODELS as ``insightface/<pack>/`` or
``<pack>/`` (the layout of ``~/.insightface/models/<pack>``).
"""

import logging
from pathlib import Path

import cv2
import numpy as np

from resources.backends.onnx_faces import align_face, session_options
from resources.errors import MissingWeightsError
from resources.paths import find_model
from resources.protocols import FaceDetection

log = logging.getLogger(__name__)


def find_pack(pack: str) -> Path:
    path = Path(pack).expanduser()
    if path.is_dir():
        return path
    found = find_model(f"insightface/{pack}", f"insightface/models/{pack}", pack)
    if found is None or not found.is_dir():
        raise MissingWeightsError(
            "insightface", f"model pack '{pack}' (a folder of .onnx files, e.g. det_10g.onnx + w600k_r50.onnx)",
            f"unzip {pack}.zip from the InsightFace model releases into <CASTFORGE_MODELS>/insightface/{pack}/ "
            "or set face_analyzer.model to the pack's folder")
    return found


class InsightFaceAnalyzer:
    """The production face backend: a pack's detector and recogniser, CUDA or CPU providers, batched recognition."""

    name = "insightface"

    def __init__(self, pack: str = "buffalo_l", device: str = "cpu", det_threshold: float = 0.5,
                 det_size: int = 640):
        from insightface.model_zoo import get_model

        folder = find_pack(pack)
        self.providers = (["CUDAExecutionProvider", "CPUExecutionProvider"] if device.startswith("cuda")
                          else ["CPUExecutionProvider"])
        self.detector_model = self.recognizer = None
        for onnx in sorted(folder.glob("*.onnx")):
            try:
                model = get_model(str(onnx), providers=self.providers, sess_options=session_options())
            except Exception as error:  # a pack may hold models model_zoo cannot route; skip those
                log.info("insightface: %s not loadable by model_zoo (%s)", onnx.name, error)
                continue
            task = getattr(model, "taskname", None)
            if task == "detection" and self.detector_model is None:
                self.detector_model = model
            elif task == "recognition" and self.recognizer is None:
                self.recognizer = model
        if self.detector_model is None or self.recognizer is None:
            missing = "a detector (SCRFD/RetinaFace)" if self.detector_model is None else "a recogniser (ArcFace)"
            raise MissingWeightsError("insightface", f"{folder} has no {missing} model_zoo can load",
                                      "use a complete pack such as buffalo_l")
        self.detector_model.prepare(ctx_id=0 if device.startswith("cuda") else -1,
                                    input_size=(det_size, det_size), det_thresh=det_threshold)
        self.detectors = ("insightface",)
        self.input_size = int(self.recognizer.input_size[0])
        probe = self.recognizer.get_feat([np.zeros((self.input_size, self.input_size, 3), np.uint8)])
        self.embedding_dim = int(probe.shape[-1])
        self.model = f"{folder.name}:{Path(self.detector_model.model_file).name}+{Path(self.recognizer.model_file).name}"

    def release(self) -> None:
        """Frees the detector's and recogniser's ONNX Runtime sessions (and the GPU memory they held)."""
        self.detector_model = self.recognizer = None

    def detect(self, image: np.ndarray, detector: str | None = None) -> list[FaceDetection]:
        boxes, kps = self.detector_model.detect(cv2.cvtColor(image, cv2.COLOR_RGB2BGR), max_num=0)
        return [FaceDetection(tuple(float(v) for v in b[:4]), float(b[4]), "insightface",
                              None if kps is None else kps[i].astype(np.float32)) for i, b in enumerate(boxes)]

    def align(self, image: np.ndarray, face: FaceDetection) -> np.ndarray:
        return align_face(image, face, self.input_size)

    def embed(self, crops: list[np.ndarray], batch_size: int = 64) -> np.ndarray:
        if not crops:
            return np.zeros((0, self.embedding_dim), dtype=np.float32)
        out = [self.recognizer.get_feat([c[:, :, ::-1] for c in crops[s:s + batch_size]])  # model_zoo wants BGR
               for s in range(0, len(crops), batch_size)]
        vectors = np.concatenate(out).astype(np.float32).reshape(len(crops), -1)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
