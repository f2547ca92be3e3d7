"""MobileNetV1 (224, quantised) image embedding, 1024-d, on the TFLite runtime (ai-edge-litert): the offline
general-vision embedder. A weak stand-in for CLIP / DINOv2 / SigLIP, used only to place faceless instances."""

import cv2
import numpy as np

from resources.errors import MissingWeightsError
from resources.paths import find_model

DEFAULT_MODEL = "embed/mobilenet_v1_1.0_224_quant_embedding_extractor.tflite"


class TfliteImageEmbedder:
    name = "tflite"
    batch_invariant = True   # one image per invoke: a cut-out's vector does not depend on the rest of its batch

    def __init__(self, model: str = DEFAULT_MODEL, threads: int = 2):
        from ai_edge_litert.interpreter import Interpreter

        path = find_model(model, model.split("/")[-1])
        if path is None:
            raise MissingWeightsError("tflite", model, "put it under CASTFORGE_MODELS (../shared/models has it) or set "
                                      "image_embedder.model")
        self.model = str(path)
        self._interpreter = Interpreter(model_path=str(path), num_threads=threads)
        self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        self._size = tuple(int(v) for v in self._input["shape"][1:3])
        self.embedding_dim = int(np.prod(self._output["shape"][1:]))

    def release(self) -> None:
        """Frees the TFLite interpreter and its tensors."""
        self._interpreter = None

    def _prepare(self, image: np.ndarray) -> np.ndarray:
        resized = cv2.resize(image, (self._size[1], self._size[0]), interpolation=cv2.INTER_AREA)
        if self._input["dtype"] == np.uint8:
            return resized[None].astype(np.uint8)
        scale, zero = self._input["quantization"]
        return ((resized.astype(np.float32) / 127.5 - 1.0) if not scale else
                (resized.astype(np.float32) - zero) * scale)[None].astype(self._input["dtype"])

    def embed(self, images: list[np.ndarray]) -> np.ndarray:
        out = np.zeros((len(images), self.embedding_dim), dtype=np.float32)
        scale, zero = self._output["quantization"]
        for i, image in enumerate(images):
            self._interpreter.set_tensor(self._input["index"], self._prepare(image))
            self._interpreter.invoke()
            raw = self._interpreter.get_tensor(self._output["index"]).reshape(-1).astype(np.float32)
            out[i] = (raw - zero) * scale if scale else raw
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
