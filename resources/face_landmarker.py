"""The ``face_landmarker`` resource: dense face landmarks (FaceLandmarker protocol) for expressions in reference sets.

Backend: ``litert`` (offline default and the only one: MediaPipe's 468-point face mesh from
CASTFORGE_MODELS/face/mp_face_landmark.tflite, on ai-edge-litert; the same model serves the gpu profile).
"""

from typing import Literal

from dagster import ConfigurableResource, InitResourceContext
from pydantic import PrivateAttr

from resources.protocols import FaceLandmarker


class FaceLandmarkerResource(ConfigurableResource):
    backend: Literal["litert"] = "litert"
    model: str = "face/mp_face_landmark.tflite"

    _built: dict = PrivateAttr(default_factory=dict)

    def landmarker(self) -> FaceLandmarker:
        if "landmarker" not in self._built:
            from resources.backends.litert_face_mesh import LitertFaceMesh

            self._built["landmarker"] = LitertFaceMesh(self.model)
        return self._built["landmarker"]

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        self._built.clear()


def profile_resources(profile: str) -> dict[str, ConfigurableResource]:
    return {"face_landmarker": FaceLandmarkerResource()}
