"""The ``captioner`` resource: captions from measurements (offline default) or Qwen2-VL / Qwen2.5-VL."""

from typing import Literal

from dagster import ConfigurableResource

from resources.lazy_backend import LazyBackendResource
from resources.protocols import Captioner


class CaptionerResource(LazyBackendResource):
    """``measured`` needs no weights; ``qwen_vl`` loads ``model`` (a local folder; empty: ``qwen-vl/`` and the
    usual Qwen-VL folder names under CASTFORGE_MODELS)."""

    backend: Literal["measured", "qwen_vl"] = "measured"
    model: str | None = None
    device: str = "cpu"
    max_new_tokens: int = 60
    batch_size: int = 4

    def get(self) -> Captioner:
        return self.built("captioner", self._build)

    def _build(self) -> Captioner:
        if self.backend == "measured":
            from resources.backends.measured_captions import MeasuredCaptioner

            return MeasuredCaptioner()
        from resources.backends.qwen_vl import QwenVLCaptioner

        return QwenVLCaptioner(self.model, self.device, self.max_new_tokens, self.batch_size)

    def describe(self) -> dict[str, str]:
        """Qwen-VL is named by the folder it would load, without loading it: a cached captions stage stays cheap."""
        if self.backend == "qwen_vl" and "captioner" not in self._built:
            from resources.backends.qwen_vl import resolve_model

            return {"backend": "qwen_vl", "model": resolve_model(self.model)}
        return super().describe()


def profile_resources(profile: str) -> dict[str, ConfigurableResource]:
    if profile == "gpu":
        # batch 32: on an H200 a Qwen2.5-VL-3B caption takes 0.11 s against 0.32 s at batch 8, 9.1 GiB at peak
        # (bench/gpu_stages.py, session 29)
        return {"captioner": CaptionerResource(backend="qwen_vl", device="cuda", batch_size=32)}
    return {"captioner": CaptionerResource(backend="measured")}
