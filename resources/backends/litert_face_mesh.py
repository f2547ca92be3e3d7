"""MediaPipe face mesh (468 points, lips and eyes) on the TFLite runtime (ai-edge-litert): landmarks for the
expression of photos and 3D-animated faces. It does not fit drawn 2D faces (its mouth lands on the chin there)."""

import cv2
import numpy as np

from resources.errors import MissingWeightsError
from resources.paths import find_model

DEFAULT_MODEL = "face/mp_face_landmark.tflite"
INPUT = 192
MARGIN = 0.25  # the mesh was trained on face crops with this much context on each side of the face box


class LitertFaceMesh:
    name = "litert_face_mesh"
    topology = "mediapipe_468"

    def __init__(self, model: str = DEFAULT_MODEL, threads: int = 1):
        from ai_edge_litert.interpreter import Interpreter

        path = find_model(model, model.split("/")[-1])
        if path is None:
            raise MissingWeightsError(self.name, model, "put mp_face_landmark.tflite under CASTFORGE_MODELS/face "
                                      "(../shared/models has it) or set face_landmarker.model")
        self.model = str(path)
        self._interpreter = Interpreter(model_path=str(path), num_threads=threads)
        self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]
        outputs = self._interpreter.get_output_details()
        self._points = next(o for o in outputs if int(np.prod(o["shape"])) == 468 * 3)
        self._score = next(o for o in outputs if int(np.prod(o["shape"])) == 1)

    def release(self) -> None:
        """Frees the TFLite interpreter and its tensors."""
        self._interpreter = None

    def landmarks(self, image: np.ndarray, box: tuple[float, float, float, float]) -> tuple[np.ndarray, float]:
        x0, y0, x1, y1 = box
        side = max(x1 - x0, y1 - y0) * (1 + 2 * MARGIN)
        if side <= 1:
            raise ValueError(f"face box {box} is empty")
        scale = INPUT / side
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        warp = np.array([[scale, 0, INPUT / 2 - cx * scale], [0, scale, INPUT / 2 - cy * scale]], np.float32)
        crop = cv2.warpAffine(image, warp, (INPUT, INPUT), borderMode=cv2.BORDER_REPLICATE)
        self._interpreter.set_tensor(self._input["index"], crop[None].astype(np.float32) / 255.0)
        self._interpreter.invoke()
        points = self._interpreter.get_tensor(self._points["index"]).reshape(468, 3).astype(np.float32)
        score = float(self._interpreter.get_tensor(self._score["index"]).reshape(-1)[0])
        points[:, 0] = (points[:, 0] - warp[0, 2]) / scale  # back to image pixels
        points[:, 1] = (points[:, 1] - warp[1, 2]) / scale
        points[:, 2] /= scale
        return points, score
