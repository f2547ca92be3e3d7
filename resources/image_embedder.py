"""The ``image_embedder`` resource: general-vision appearance embeddings (ImageEmbedder protocol).

Backends: ``tflite`` (offline default: MobileNetV1 1024-d from ../shared/models/embed) and ``transformers``
(CLIP / SigLIP / DINOv2 from a local save_pretrained folder named by ``model``).
"""

from typing import Literal

from dagster import ConfigurableResource

from resources.lazy_backend import LazyBackendResource
from resources.protocols import ImageEmbedder


class ImageEmbedderResource(LazyBackendResource):
    backend: Literal["tflite", "transformers"] = "tflite"
    model: str = "embed/mobilenet_v1_1.0_224_quant_embedding_extractor.tflite"
    device: str = "cpu"

    def get(self) -> ImageEmbedder:
        return self.built("embedder", self._build)

    def _build(self) -> ImageEmbedder:
        if self.backend == "transformers":
            from resources.backends.transformers_embedder import TransformersImageEmbedder

            return TransformersImageEmbedder(self.model, self.device)
        from resources.backends.tflite_embedder import TfliteImageEmbedder

        return TfliteImageEmbedder(self.model)


def profile_resources(profile: str) -> dict[str, ConfigurableResource]:
    if profile == "gpu":
        return {"image_embedder": ImageEmbedderResource(backend="transformers", model="embed/dinov2-base",
                                                        device="cuda")}
    return {"image_embedder": ImageEmbedderResource()}
