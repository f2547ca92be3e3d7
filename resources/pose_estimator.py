"""The ``pose_estimator`` resource: MoveNet (TFLite, offline CPU default) or RTMPose (ONNX through rtmlib)."""

from typing import Literal

from dagster import ConfigurableResource, InitResourceContext
from pydantic import PrivateAttr


class PoseEstimatorResource(ConfigurableResource):
    """COCO-17 keypoints per character crop. ``model`` is a local file; empty means the default file name looked up
    under CASTFORGE_MODELS (``pose/movenet_singlepose_lightning_int8_4.tflite`` or ``pose/rtmpose-<variant>.onnx``)."""

    backend: Literal["movenet", "rtmpose"] = "movenet"
    model: str | None = None
    variant: Literal["s", "m", "l"] = "m"
    device: str = "cpu"

    _estimator: object | None = PrivateAttr(default=None)

    def estimator(self):
        if self._estimator is None:
            if self.backend == "movenet":
                from resources.backends.litert_pose import LitertMoveNetPoseEstimator
                self._estimator = LitertMoveNetPoseEstimator(self.model)
            else:
                from resources.backends.rtmlib import RtmlibPoseEstimator
                self._estimator = RtmlibPoseEstimator(self.model, self.variant, self.device)
        return self._estimator

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        self._estimator = None


def profile_resources(profile: str) -> dict[str, ConfigurableResource]:
    if profile == "gpu":
        return {"pose_estimator": PoseEstimatorResource(backend="rtmpose", variant="m", device="cuda")}
    return {"pose_estimator": PoseEstimatorResource(backend="movenet")}
