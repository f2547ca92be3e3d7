"""MoveNet SinglePose (TFLite) through ai-edge-litert: the offline CPU default for ``PoseEstimator``.

The crop is padded to a square (centred, black), resized to the model's input and the normalised ``y, x, score``
output is mapped back to the crop's pixels.
"""

from pathlib import Path

import cv2
import numpy as np

from resources.errors import MissingWeightsError
from resources.paths import find_model

MOVENET_CANDIDATES = ("pose/movenet_singlepose_lightning_int8_4.tflite", "movenet_singlepose_lightning_int8_4.tflite")


def square_pad(image: np.ndarray) -> tuple[np.ndarray, int, int]:
    """The image centred on a black square canvas, and the (x, y) offset of the image on it."""
    h, w = image.shape[:2]
    side = max(h, w)
    canvas = np.zeros((side, side, 3), np.uint8)
    ox, oy = (side - w) // 2, (side - h) // 2
    canvas[oy:oy + h, ox:ox + w] = image
    return canvas, ox, oy


class LitertMoveNetPoseEstimator:
    """MoveNet Lightning / Thunder, int8 or float TFLite, one person per crop."""

    name = "movenet"

    def __init__(self, model: str | None = None, threads: int = 2):
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as error:
            raise ImportError("the movenet pose backend needs ai-edge-litert: "
                              "`pip install ai-edge-litert` (listed in install/requirements.txt)") from error
        path = Path(model) if model else find_model(*MOVENET_CANDIDATES)
        if path is None or not path.exists():
            raise MissingWeightsError(
                "movenet", str(model or MOVENET_CANDIDATES[0]),
                "Put movenet_singlepose_lightning_int8_4.tflite under $CASTFORGE_MODELS/pose/ "
                "(../shared/models/pose has it) or set pose_estimator.model")
        self.model = str(path)
        self._interpreter = Interpreter(model_path=self.model, num_threads=threads)
        self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        self.input_size = int(self._input["shape"][1])

    def release(self) -> None:
        """Frees the TFLite interpreter and its tensors."""
        self._interpreter = None

    def estimate(self, image: np.ndarray) -> np.ndarray:
        if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] < 2 or image.shape[1] < 2:
            raise ValueError(f"movenet: expected an RGB image H x W x 3, got shape {image.shape}")
        square, ox, oy = square_pad(image)
        side = square.shape[0]
        resized = cv2.resize(square, (self.input_size, self.input_size), interpolation=cv2.INTER_AREA)
        tensor = resized[None].astype(self._input["dtype"])
        self._interpreter.set_tensor(self._input["index"], tensor)
        self._interpreter.invoke()
        out = self._interpreter.get_tensor(self._output["index"]).reshape(17, 3)
        keypoints = np.empty((17, 3), np.float32)
        keypoints[:, 0] = out[:, 1] * side - ox
        keypoints[:, 1] = out[:, 0] * side - oy
        keypoints[:, 2] = out[:, 2]
        return keypoints
