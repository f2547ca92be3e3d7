"""The ``face_landmarker`` resource: dense face landmarks (FaceLandmarker protocol) for expressions in reference sets.

Backend: ``litert`` (offline default and the only one: MediaPipe's 468-point face mesh from
CASTFORGE_MODELS/face/mp_face_landmark.tflite, on ai-edge-litert; the same model serves the gpu profile).
"""

from typing import Literal

from dagster import ConfigurableResource

from resources.lazy_backend import LazyBackendResource
from resources.protocols import FaceLandmarker


class FaceLandmarkerResource(LazyBackendResource):
    backend: Literal["litert"] = "litert"
    model: str = "face/mp_face_landmark.tflite"

    def get(self) -> FaceLandmarker:
        def build() -> FaceLandmarker:
            from resources.backends.litert_face_mesh import LitertFaceMesh

            return LitertFaceMesh(self.model)

        return self.built("landmarker", build)


def profile_resources(profile: str) -> dict[str, ConfigurableResource]:
    return {"face_landmarker": FaceLandmarkerResource()}
