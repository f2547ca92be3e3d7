"""The ``pose_estimator`` resource: MoveNet (TFLite, offline CPU default) or RTMPose (ONNX through rtmlib)."""

from typing import Literal

from dagster import ConfigurableResource

from resources.lazy_backend import LazyBackendResource
from resources.protocols import PoseEstimator


class PoseEstimatorResource(LazyBackendResource):
    """COCO-17 keypoints per character crop. ``model`` is a local file; empty means the default file name looked up
    under CASTFORGE_MODELS (``pose/movenet_singlepose_lightning_int8_4.tflite`` or ``pose/rtmpose-<variant>.onnx``)."""

    backend: Literal["movenet", "rtmpose"] = "movenet"
    model: str | None = None
    variant: Literal["s", "m", "l"] = "m"
    device: str = "cpu"

    def get(self) -> PoseEstimator:
        return self.built("estimator", self._build)

    def _build(self) -> PoseEstimator:
        if self.backend == "movenet":
            from resources.backends.litert_pose import LitertMoveNetPoseEstimator

            return LitertMoveNetPoseEstimator(self.model)
        from resources.backends.rtmlib import RtmlibPoseEstimator

        return RtmlibPoseEstimator(self.model, self.variant, self.device)


def profile_resources(profile: str) -> dict[str, ConfigurableResource]:
    if profile == "gpu":
        return {"pose_estimator": PoseEstimatorResource(backend="rtmpose", variant="m", device="cuda")}
    return {"pose_estimator": PoseEstimatorResource(backend="movenet")}
