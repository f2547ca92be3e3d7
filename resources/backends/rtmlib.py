"""RTMPose (SimCC) ONNX models through rtmlib on onnxruntime: the production ``PoseEstimator``.

rtmlib does RTMPose's real pre- and post-processing (bbox -> centre/scale with 1.25 padding, affine warp to the
model input, SimCC arg-max decoding). Weights are local ONNX exports (no download at run time): put
``rtmpose-{s,m,l}.onnx`` (COCO-17 body, 256x192) under ``$CASTFORGE_MODELS/pose/`` or set ``pose_estimator.model``.
mmpose is not needed; where it is installed it can export these files.
"""

from pathlib import Path

import cv2
import numpy as np

from resources.errors import MissingWeightsError
from resources.paths import find_model


def rtmpose_candidates(variant: str) -> tuple[str, ...]:
    return (f"pose/rtmpose-{variant}.onnx", f"pose/rtmpose-{variant}-body7-256x192.onnx",
            f"pose/rtmpose_{variant}.onnx", f"rtmpose-{variant}.onnx")


class RtmlibPoseEstimator:
    """One RTMPose top-down model; the whole crop is the person's box."""

    name = "rtmpose"

    def __init__(self, model: str | None = None, variant: str = "m", device: str = "cpu",
                 input_size: tuple[int, int] = (192, 256)):
        try:
            from rtmlib import RTMPose
        except ImportError as error:
            raise ImportError("the rtmpose backend needs rtmlib and onnxruntime: `pip install rtmlib onnxruntime` "
                              "(onnxruntime-gpu on CUDA machines)") from error
        path = Path(model) if model else find_model(*rtmpose_candidates(variant))
        if path is None or not path.exists():
            raise MissingWeightsError(
                "rtmpose", str(model or rtmpose_candidates(variant)[0]),
                f"Export RTMPose-{variant} (COCO-17, 256x192) to ONNX (mmdeploy, or the rtmlib/OpenMMLab release "
                f"zip) and put it at $CASTFORGE_MODELS/pose/rtmpose-{variant}.onnx, or set pose_estimator.model")
        self.model = str(path)
        self.device = "cuda" if device.startswith("cuda") else "cpu"
        self._model = RTMPose(self.model, model_input_size=tuple(input_size), backend="onnxruntime",
                              device=self.device)

    def release(self) -> None:
        """Frees the ONNX Runtime session (and the GPU memory it held)."""
        self._model = None

    def estimate(self, image: np.ndarray, margin: int = 0) -> np.ndarray:
        if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] < 2 or image.shape[1] < 2:
            raise ValueError(f"rtmpose: expected an RGB image H x W x 3, got shape {image.shape}")
        if margin:
            padded = cv2.copyMakeBorder(image, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=(0, 0, 0))
            keypoints = self.estimate(padded)
            keypoints[:, :2] -= margin
            return keypoints
        # rtmlib follows OpenMMLab: images are BGR
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        h, w = image.shape[:2]
        keypoints, scores = self._model(bgr, bboxes=[[0, 0, w, h]])
        out = np.empty((17, 3), np.float32)
        out[:, :2] = keypoints[0][:17]
        # SimCC maxima are not probabilities: RTMPose's own demos threshold them around 0.3
        out[:, 2] = np.clip(scores[0][:17], 0.0, 1.0)
        return out
