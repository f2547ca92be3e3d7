"""The ``image_embedder`` resource: general-vision appearance embeddings (ImageEmbedder protocol).

Backends: ``tflite`` (offline default: MobileNetV1 1024-d from ../shared/models/embed) and ``transformers``
(CLIP / SigLIP / DINOv2 from a local save_pretrained folder named by ``model``).
"""

from typing import Literal

from dagster import ConfigurableResource, InitResourceContext
from pydantic import PrivateAttr

from resources.protocols import ImageEmbedder


class ImageEmbedderResource(ConfigurableResource):
    backend: Literal["tflite", "transformers"] = "tflite"
    model: str = "embed/mobilenet_v1_1.0_224_quant_embedding_extractor.tflite"
    device: str = "cpu"

    _built: dict = PrivateAttr(default_factory=dict)

    def embedder(self) -> ImageEmbedder:
        if "embedder" not in self._built:
            if self.backend == "transformers":
                from resources.backends.transformers_embedder import TransformersImageEmbedder

                self._built["embedder"] = TransformersImageEmbedder(self.model, self.device)
            else:
                from resources.backends.tflite_embedder import TfliteImageEmbedder

                self._built["embedder"] = TfliteImageEmbedder(self.model)
        return self._built["embedder"]

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        self._built.clear()


def profile_resources(profile: str) -> dict[str, ConfigurableResource]:
    if profile == "gpu":
        return {"image_embedder": ImageEmbedderResource(backend="transformers", model="embed/dinov2-base",
                                                        device="cuda")}
    return {"image_embedder": ImageEmbedderResource()}
