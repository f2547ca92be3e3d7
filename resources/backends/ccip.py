"""CCIP (Contrastive Anime Character Image Pre-Training, deepghs / 7eu7d7): an anime character identity model, the
one waifuc and anime_screenshot_pipeline cluster characters with (``imgutils.metrics.ccip``). ONNX on onnxruntime.

Weights are read from a local folder, never downloaded: ``<CASTFORGE_MODELS>/ccip/<model>/`` holding the files of
Hugging Face ``deepghs/ccip_onnx`` ``<model>/``:

- ``model_feat.onnx``: input ``input`` (N, 3, 384, 384) float32, RGB resized bilinearly to 384 x 384, scaled to
  [0, 1] and normalised with CLIP's mean / std; output ``output`` (N, 768) float32 features.
- ``model_metrics.onnx`` (optional): input ``input`` (N, 768) features; output ``output`` (N, N) differences
  (0 = same character); two images show the same character when their difference is <= ``threshold``.
- ``metrics.json`` (optional): ``{"threshold": ...}`` for that model.

``embed`` returns L2-normalised features (cosine similarity, what castforge's clustering reads); ``differences``
gives the model's own pairwise metric where the metrics graph is present.
"""

import json
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from resources.errors import MissingWeightsError
from resources.paths import find_model

DEFAULT_MODEL = "ccip-caformer-24-randaug-pruned"
INPUT_SIZE = 384
CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], np.float32)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], np.float32)
HOW = ("download deepghs/ccip_onnx <model>/model_feat.onnx (and model_metrics.onnx, metrics.json) from Hugging Face "
       "into a folder ccip/<model>/ under CASTFORGE_MODELS (or $CASTFORGE_HOME/models), or choose the `drawn` "
       "2D recogniser (faces backend setting drawn_recogniser)")


def ccip_folder(model: str = DEFAULT_MODEL) -> Path:
    """The local folder of a CCIP model; a clear error naming the missing file otherwise."""
    found = find_model(f"ccip/{model}/model_feat.onnx", f"{model}/model_feat.onnx")
    if found is None:
        raise MissingWeightsError("ccip", f"ccip/{model}/model_feat.onnx", HOW)
    return found.parent


def preprocess(images: Sequence[np.ndarray], size: int = INPUT_SIZE) -> np.ndarray:
    """RGB uint8 images -> (N, 3, size, size) float32 as CCIP was trained (bilinear resize, CLIP normalisation)."""
    batch = np.stack([cv2.resize(image, (size, size), interpolation=cv2.INTER_LINEAR) for image in images])
    batch = (batch.astype(np.float32) / 255.0 - CLIP_MEAN) / CLIP_STD
    return np.ascontiguousarray(batch.transpose(0, 3, 1, 2))


class CcipEmbedder:
    """CCIP character features from a local ``ccip/<model>/`` folder."""

    name = "ccip"

    def __init__(self, model: str = DEFAULT_MODEL, providers: list[str] | None = None, batch_size: int = 8):
        import onnxruntime as ort

        folder = ccip_folder(model)
        self.batch_size = batch_size
        providers = providers or ["CPUExecutionProvider"]
        self._feat = ort.InferenceSession(str(folder / "model_feat.onnx"), providers=providers)
        inputs, outputs = self._feat.get_inputs(), self._feat.get_outputs()
        if [i.name for i in inputs] != ["input"] or outputs[0].name != "output":
            raise MissingWeightsError("ccip", f"{folder / 'model_feat.onnx'} is not a CCIP feature graph (inputs "
                                      f"{[i.name for i in inputs]}, output {outputs[0].name}; expected input -> "
                                      "output)", HOW)
        shape = inputs[0].shape
        self.input_size = shape[-1] if isinstance(shape[-1], int) else INPUT_SIZE
        self.embedding_dim = int(outputs[0].shape[-1]) if isinstance(outputs[0].shape[-1], int) else 768
        metrics = folder / "model_metrics.onnx"
        self._metrics = ort.InferenceSession(str(metrics), providers=providers) if metrics.exists() else None
        config = folder / "metrics.json"
        self.threshold = float(json.loads(config.read_text())["threshold"]) if config.exists() else None
        self.model = f"{model}"

    def release(self) -> None:
        """Frees both ONNX Runtime sessions (and the GPU memory they held)."""
        self._feat = None
        self._metrics = None

    def features(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Raw (N, 768) CCIP features of RGB uint8 character images (any size)."""
        if not images:
            return np.zeros((0, self.embedding_dim), np.float32)
        out = [self._feat.run(["output"], {"input": preprocess(images[s:s + self.batch_size], self.input_size)})[0]
               for s in range(0, len(images), self.batch_size)]
        return np.concatenate(out).astype(np.float32)

    def embed(self, images: Sequence[np.ndarray]) -> np.ndarray:
        features = self.features(images)
        return features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)

    def differences(self, features: np.ndarray) -> np.ndarray:
        """(N, N) CCIP differences of raw features through the model's metrics graph (needs model_metrics.onnx)."""
        if self._metrics is None:
            raise MissingWeightsError("ccip", f"ccip/{self.model}/model_metrics.onnx", HOW)
        return self._metrics.run(["output"], {"input": np.asarray(features, np.float32)})[0]
