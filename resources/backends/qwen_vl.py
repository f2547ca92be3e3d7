"""Qwen2-VL / Qwen2.5-VL captions through transformers and qwen-vl-utils: the production ``Captioner``.

Weights come from a local folder (``captioner.model``, or ``qwen-vl/`` / ``Qwen2.5-VL-3B-Instruct/`` /
``Qwen2-VL-2B-Instruct/`` under CASTFORGE_MODELS); the hub is used only where HF_HUB_OFFLINE is unset and a hub id
is configured. The prompt asks for what a 3D-animation LoRA caption needs: materials, lighting, camera angle, shot
size, with the pipeline's measured view given as a fact.
"""

import os
from pathlib import Path

import numpy as np

from resources.backends.memory import free_torch_memory
from resources.errors import MissingWeightsError
from resources.paths import find_model
from resources.protocols import CaptionFacts

QWEN_CANDIDATES = ("qwen-vl", "Qwen2.5-VL-3B-Instruct", "Qwen2.5-VL-7B-Instruct", "Qwen2-VL-2B-Instruct")
PROMPT = ("This is a frame crop of {name}, a character from a 3D animated film, seen in {view}. Write one training "
          "caption of at most 35 words as comma-separated phrases: materials and textures, lighting, camera angle, "
          "shot size, clothing and colours. Describe only what is visible; do not name the character; no background.")


def resolve_model(model: str | None) -> str:
    if model and Path(model).expanduser().exists():
        return str(Path(model).expanduser())
    local = find_model(*((model,) if model else ()), *QWEN_CANDIDATES)
    if local is not None:
        return str(local)
    if model and os.environ.get("HF_HUB_OFFLINE", "0") != "1":
        return model  # a hub id, allowed only when the hub is
    raise MissingWeightsError("qwen_vl", model or "a Qwen2-VL / Qwen2.5-VL folder",
                              "Download e.g. Qwen/Qwen2.5-VL-3B-Instruct and put it at $CASTFORGE_MODELS/qwen-vl "
                              "(or set captioner.model to its folder)")


class QwenVLCaptioner:
    """Batched chat-template generation; one caption body per image."""

    name = "qwen_vl"
    prompt_version = "qwen3d-1"

    def __init__(self, model: str | None = None, device: str = "cpu", max_new_tokens: int = 60,
                 batch_size: int = 4, max_pixels: int = 448 * 448):
        from resources.backends import torch_cpu_fixes

        torch_cpu_fixes.apply()
        try:
            import torch
            from qwen_vl_utils import process_vision_info
            from transformers import AutoModelForImageTextToText, AutoProcessor
        except ImportError as error:
            raise ImportError("the qwen_vl captioner needs transformers and qwen-vl-utils: "
                              "`pip install transformers qwen-vl-utils`") from error
        self.model = resolve_model(model)
        self.device = device
        self.max_new_tokens = max_new_tokens
        self.batch_size = max(1, batch_size)
        self.max_pixels = max_pixels
        self._process_vision_info = process_vision_info
        self._torch = torch
        dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
        self._processor = AutoProcessor.from_pretrained(self.model)
        self._processor.tokenizer.padding_side = "left"  # batched generation continues every row at its end
        self._model = AutoModelForImageTextToText.from_pretrained(self.model, dtype=dtype).to(device).eval()

    def release(self) -> None:
        """Frees the vision-language model (and the GPU memory it held)."""
        self._model = self._processor = None
        free_torch_memory(self.device)

    def _messages(self, image: np.ndarray, fact: CaptionFacts) -> list[dict]:
        from PIL import Image

        view = {"three_quarter": "three-quarter view", "unknown": "an unknown view"}.get(fact.get("view") or "unknown",
                                                                                        f"{fact.get('view')} view")
        return [{"role": "user", "content": [
            {"type": "image", "image": Image.fromarray(image), "max_pixels": self.max_pixels},
            {"type": "text", "text": PROMPT.format(name=fact.get("name") or "a character", view=view)}]}]

    def caption(self, images: list[np.ndarray], facts: list[CaptionFacts]) -> list[str]:
        out: list[str] = []
        for start in range(0, len(images), self.batch_size):
            batch = [self._messages(img, fact) for img, fact in
                     zip(images[start:start + self.batch_size], facts[start:start + self.batch_size])]
            texts = [self._processor.apply_chat_template(m, tokenize=False, add_generation_prompt=True) for m in batch]
            image_inputs, video_inputs = self._process_vision_info(batch)
            inputs = self._processor(text=texts, images=image_inputs, videos=video_inputs, padding=True,
                                     return_tensors="pt").to(self.device)
            with self._torch.inference_mode():
                generated = self._model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False)
            trimmed = generated[:, inputs["input_ids"].shape[1]:]
            decoded = self._processor.batch_decode(trimmed, skip_special_tokens=True,
                                                   clean_up_tokenization_spaces=False)
            out += [" ".join(text.split()).strip(" .,") for text in decoded]
        return out
