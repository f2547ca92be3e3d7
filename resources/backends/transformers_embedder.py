"""CLIP / SigLIP / DINOv2 image embeddings through transformers, from a local model folder (no hub at run time).

The folder is a ``save_pretrained`` layout (config.json, weights, preprocessor_config.json) found under
CASTFORGE_MODELS, e.g. ``embed/clip-vit-base-patch32``, ``embed/siglip-base-patch16-224``, ``embed/dinov2-small``.
CLIP and SigLIP give their projected image features; DINOv2 its CLS token concatenated with the mean patch token.
"""

from pathlib import Path

import numpy as np

from resources.backends.memory import free_torch_memory
from resources.errors import MissingWeightsError
from resources.paths import find_model


def find_folder(model: str) -> Path:
    path = Path(model).expanduser()
    if path.is_dir():
        return path
    found = find_model(model, f"embed/{model}")
    if found is None or not found.is_dir():
        raise MissingWeightsError(
            "transformers", f"image-embedding model folder '{model}'",
            "save a CLIP / SigLIP / DINOv2 checkpoint with save_pretrained() into <CASTFORGE_MODELS>/embed/<name>/ "
            "and set image_embedder.model to <name>")
    return found


class TransformersImageEmbedder:
    name = "transformers"

    def __init__(self, model: str, device: str = "cpu", batch_size: int = 32):
        from resources.backends import torch_cpu_fixes

        torch_cpu_fixes.apply()
        import torch
        from transformers import AutoConfig, AutoImageProcessor, AutoModel

        folder = find_folder(model)
        self.model = str(folder)
        self._torch = torch
        self.device = device
        self.batch_size = batch_size
        config = AutoConfig.from_pretrained(folder, local_files_only=True)
        self.kind = config.model_type  # clip | clip_vision_model | siglip | siglip_vision_model | dinov2
        self._processor = AutoImageProcessor.from_pretrained(folder, local_files_only=True)
        self._model = AutoModel.from_pretrained(folder, local_files_only=True).to(device).eval()
        self.embedding_dim = int(self.embed([np.zeros((32, 32, 3), np.uint8)]).shape[1])

    def release(self) -> None:
        """Frees the model (and the GPU memory it held)."""
        self._model = self._processor = None
        free_torch_memory(self.device)

    def _features(self, pixel_values):
        model = self._model
        if hasattr(model, "get_image_features"):  # CLIPModel, SiglipModel
            features = model.get_image_features(pixel_values=pixel_values)
            return getattr(features, "pooler_output", features)
        out = model(pixel_values=pixel_values)
        if self.kind.startswith("dinov2"):
            hidden = out.last_hidden_state
            return self._torch.cat([hidden[:, 0], hidden[:, 1:].mean(dim=1)], dim=1)
        pooled = getattr(out, "image_embeds", None)
        if pooled is None:
            pooled = out.pooler_output if getattr(out, "pooler_output", None) is not None else out.last_hidden_state[:, 0]
        return pooled

    def embed(self, images: list[np.ndarray]) -> np.ndarray:
        chunks = []
        with self._torch.inference_mode():
            for start in range(0, len(images), self.batch_size):
                batch = self._processor(images=list(images[start:start + self.batch_size]), return_tensors="pt")
                chunks.append(self._features(batch["pixel_values"].to(self.device)).float().cpu().numpy())
        if not chunks:
            return np.zeros((0, getattr(self, "embedding_dim", 0)), dtype=np.float32)
        vectors = np.concatenate(chunks).astype(np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
