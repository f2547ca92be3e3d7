"""The ``captioner`` resource: captions from measurements (offline default) or Qwen2-VL / Qwen2.5-VL."""

from typing import Literal

from dagster import ConfigurableResource, InitResourceContext
from pydantic import PrivateAttr


class CaptionerResource(ConfigurableResource):
    """``measured`` needs no weights; ``qwen_vl`` loads ``model`` (a local folder; empty: ``qwen-vl/`` and the
    usual Qwen-VL folder names under CASTFORGE_MODELS)."""

    backend: Literal["measured", "qwen_vl"] = "measured"
    model: str | None = None
    device: str = "cpu"
    max_new_tokens: int = 60
    batch_size: int = 4

    _captioner: object | None = PrivateAttr(default=None)

    def captioner(self):
        if self._captioner is None:
            if self.backend == "measured":
                from resources.backends.measured_captions import MeasuredCaptioner
                self._captioner = MeasuredCaptioner()
            else:
                from resources.backends.qwen_vl import QwenVLCaptioner
                self._captioner = QwenVLCaptioner(self.model, self.device, self.max_new_tokens, self.batch_size)
        return self._captioner

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        self._captioner = None


def profile_resources(profile: str) -> dict[str, ConfigurableResource]:
    if profile == "gpu":
        return {"captioner": CaptionerResource(backend="qwen_vl", device="cuda", batch_size=8)}
    return {"captioner": CaptionerResource(backend="measured")}
