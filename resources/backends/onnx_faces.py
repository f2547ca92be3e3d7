"""Offline face analysis from small real weights: SCRFD-500MF and YuNet detection (fallback order), the LBP anime
cascade for 2D faces (``OnnxFaceDetectors``, also used by the drawn-face analyzer), 5-point alignment and the 128-d
MobileFaceNet recogniser, all on onnxruntime / OpenCV CPU.

Weights are looked up under CASTFORGE_MODELS (``face/det_500m.onnx``, ``face/face_detection_yunet_2023mar.onnx``,
``face/lbpcascade_animeface.xml``, ``facerec/mobilefacenet_128d_paddlex.onnx``).
"""

import logging
import warnings
from pathlib import Path

import cv2
import numpy as np

from resources.cores import model_threads
from resources.errors import MissingWeightsError
from resources.paths import find_model
from resources.protocols import FaceDetection

log = logging.getLogger(__name__)

WEIGHTS = {
    "scrfd": ("face/det_500m.onnx", "det_500m.onnx"),
    "scrfd_2.5g": ("face/det_2.5g.onnx", "det_2.5g.onnx"),
    "yunet": ("face/face_detection_yunet_2023mar.onnx", "face_detection_yunet_2023mar.onnx"),
    "anime": ("face/lbpcascade_animeface.xml", "lbpcascade_animeface.xml"),
    "mobilefacenet": ("facerec/mobilefacenet_128d_paddlex.onnx", "mobilefacenet_128d_paddlex.onnx"),
}
HOW = ("Put the file under a folder listed in CASTFORGE_MODELS (or $CASTFORGE_HOME/models); "
       "the shared model folder ../shared/models holds all of them")


def weight_path(key: str) -> Path:
    path = find_model(*WEIGHTS[key])
    if path is None:
        raise MissingWeightsError("onnx_faces", f"{WEIGHTS[key][0]} ({key})", HOW)
    return path


def session_options() -> "onnxruntime.SessionOptions":  # noqa: F821 - imported lazily
    """ONNX Runtime options for the face models: ``model_threads()`` intra-op threads that sleep between ops.
    By default idle threads spin for work, which on cores shared with other steps and workers only burns CPU:
    measured under load, SCRFD-500MF 68 -> 29 CPU-ms a 480p frame and MobileFaceNet 27 -> 19 CPU-ms a crop, with
    the same boxes and embeddings."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = model_threads()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def landmark_box_crop(image: np.ndarray, box: tuple[float, float, float, float], size: int = 112,
                      margin: float = 0.15) -> np.ndarray:
    """A square crop around a box (for faces without landmarks), resized to ``size``."""
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0) * (1 + 2 * margin)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    scale = size / max(side, 1.0)
    matrix = np.array([[scale, 0, size / 2 - scale * cx], [0, scale, size / 2 - scale * cy]], dtype=np.float32)
    return cv2.warpAffine(image, matrix, (size, size), borderMode=cv2.BORDER_REPLICATE)


def align_face(image_rgb: np.ndarray, face: FaceDetection, size: int = 112) -> np.ndarray:
    """ArcFace 5-point similarity alignment (insightface's norm_crop), or a square box crop without landmarks."""
    if face.landmarks is None:
        return landmark_box_crop(image_rgb, face.box, size)
    from insightface.utils.face_align import norm_crop

    with warnings.catch_warnings():  # skimage's SimilarityTransform.estimate deprecation, harmless
        warnings.simplefilter("ignore", FutureWarning)
        return norm_crop(image_rgb, np.asarray(face.landmarks, dtype=np.float32), size)


DETECTORS = ("scrfd", "scrfd_2.5g", "yunet", "anime")


class OnnxFaceDetectors:
    """SCRFD / YuNet / anime-cascade face detection on onnxruntime / OpenCV (CPU, offline). ``thresholds`` gives a
    detector its own score threshold (e.g. a lower YuNet threshold for drawn faces) instead of ``det_threshold``."""

    def __init__(self, detectors: tuple[str, ...] = ("scrfd", "yunet"), det_threshold: float = 0.5,
                 det_size: int = 640, providers: list[str] | None = None,
                 thresholds: dict[str, float] | None = None):
        unknown = [d for d in detectors if d not in DETECTORS]
        if unknown or not detectors:
            raise ValueError(f"faces.detectors: unknown {unknown}; choose from {', '.join(DETECTORS)}")
        self.detectors = tuple(detectors)
        self.det_threshold = det_threshold
        self.thresholds = dict(thresholds or {})
        self.det_size = det_size
        self.providers = providers or ["CPUExecutionProvider"]
        self._detectors: dict[str, object] = {}
        for detector in self.detectors:  # fail early, naming the missing file
            weight_path(detector)

    def threshold(self, name: str) -> float:
        return self.thresholds.get(name, self.det_threshold)

    # -- detection ----------------------------------------------------------------------------------------------
    def _detector(self, name: str):
        if name not in self._detectors:
            path = str(weight_path(name))
            if name.startswith("scrfd"):
                from insightface.model_zoo import get_model

                model = get_model(path, providers=self.providers, sess_options=session_options())
                model.prepare(ctx_id=-1, input_size=(self.det_size, self.det_size), det_thresh=self.threshold(name))
            elif name == "yunet":   # reads the instances cue's answers on the same pixels
                from resources.backends.yunet_answers import CachedYunet

                model = CachedYunet(path, self.threshold(name))
            else:
                model = cv2.CascadeClassifier(path)
                if model.empty():
                    raise MissingWeightsError("onnx_faces", f"{path} is not a readable cascade", HOW)
            self._detectors[name] = model
        return self._detectors[name]

    def detect(self, image: np.ndarray, detector: str | None = None) -> list[FaceDetection]:
        name = detector or self.detectors[0]
        model = self._detector(name)
        if name == "yunet":
            faces = []
            for row in model.rows(image):
                x, y, w, h = (float(v) for v in row[:4])
                faces.append(FaceDetection((x, y, x + w, y + h), float(row[14]), name,
                                           row[4:14].reshape(5, 2).astype(np.float32)))
            return faces
        bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        if name.startswith("scrfd"):
            boxes, kps = model.detect(bgr, max_num=0)
            return [FaceDetection(tuple(float(v) for v in b[:4]), float(b[4]), name, k.astype(np.float32))
                    for b, k in zip(boxes, kps if kps is not None else [None] * len(boxes))]
        grey = cv2.equalizeHist(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
        hits = model.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(24, 24))
        # the cascade has no score; 1.0 marks "accepted by the cascade's stages"
        return [FaceDetection((float(x), float(y), float(x + w), float(y + h)), 1.0, name)
                for x, y, w, h in (hits if len(hits) else [])]


class OnnxFaceAnalyzer(OnnxFaceDetectors):
    """SCRFD / YuNet / anime-cascade detection + MobileFaceNet 128-d embeddings (CPU, offline)."""

    name = "onnx_faces"

    def __init__(self, detectors: tuple[str, ...] = ("scrfd", "yunet"), det_threshold: float = 0.5,
                 det_size: int = 640, providers: list[str] | None = None):
        import onnxruntime as ort

        super().__init__(detectors, det_threshold, det_size, providers)
        rec_path = weight_path("mobilefacenet")
        self._rec = ort.InferenceSession(str(rec_path), session_options(), providers=self.providers)
        self._rec_input = self._rec.get_inputs()[0].name
        self.embedding_dim = int(self._rec.get_outputs()[0].shape[-1])
        self.model = f"{'+'.join(self.detectors)}:{rec_path.name}"

    # -- recognition --------------------------------------------------------------------------------------------
    def release(self) -> None:
        """Frees the detectors' and the recogniser's sessions (and the GPU memory they held)."""
        self._detectors.clear()
        self._rec = None

    def align(self, image: np.ndarray, face: FaceDetection) -> np.ndarray:
        return align_face(image, face, 112)

    def embed(self, crops: list[np.ndarray], batch_size: int = 32) -> np.ndarray:
        if not crops:
            return np.zeros((0, self.embedding_dim), dtype=np.float32)
        out = []
        for start in range(0, len(crops), batch_size):
            # PaddleX face_feature reads OpenCV BGR, scaled to [-1, 1]
            batch = np.stack([c[:, :, ::-1] for c in crops[start:start + batch_size]]).astype(np.float32)
            batch = ((batch - 127.5) / 127.5).transpose(0, 3, 1, 2)
            out.append(self._rec.run(None, {self._rec_input: np.ascontiguousarray(batch)})[0])
        vectors = np.concatenate(out).astype(np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
