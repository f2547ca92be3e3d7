"""The ``vocal_separator`` resource: dialogue separated from music and effects (``protocols.VocalSeparator``).

Backends: ``spectral`` (default, offline, no weights: centre-channel mask, resources/backends/librosa_spectral.py)
and ``demucs`` (htdemucs from a local model file, resources/backends/demucs.py). Built on first use, freed after
the run.
"""

from typing import Literal

from dagster import ConfigurableResource

from resources.lazy_backend import LazyBackendResource
from resources.protocols import VocalSeparator


class VocalSeparatorResource(LazyBackendResource):
    """Which separator the ``vocals`` asset uses. ``weights``: a demucs ``.th`` file or model-repo folder (default:
    ``demucs/htdemucs.th`` under CASTFORGE_MODELS). ``segment_s``: demucs' inner window (None: the model's own)."""

    backend: Literal["spectral", "demucs"] = "spectral"
    device: str = "cpu"
    weights: str | None = None
    segment_s: float | None = None
    centre_sharpness: float = 8.0

    def get(self) -> VocalSeparator:
        return self.built("separator", lambda: build_separator(self.backend, self.device, self.weights,
                                                               self.segment_s, self.centre_sharpness))


def build_separator(backend: str, device: str = "cpu", weights: str | None = None, segment_s: float | None = None,
                    centre_sharpness: float = 8.0) -> VocalSeparator:
    if backend == "spectral":
        from resources.backends.librosa_spectral import SpectralVocalSeparator

        return SpectralVocalSeparator(centre_sharpness=centre_sharpness)
    if backend == "demucs":
        from resources.backends.demucs import DemucsVocalSeparator

        return DemucsVocalSeparator(weights=weights, device=device, segment_s=segment_s)
    raise ValueError(f"vocal_separator.backend must be 'spectral' or 'demucs', not {backend!r}")


def profile_resources(profile: str) -> dict[str, ConfigurableResource]:
    if profile == "gpu":
        return {"vocal_separator": VocalSeparatorResource(backend="demucs", device="cuda")}
    return {"vocal_separator": VocalSeparatorResource()}
