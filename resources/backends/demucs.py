"""htdemucs vocal separation (demucs): the vocals stem, and every other stem summed as the rest.

Weights: a demucs model package (``.th``, e.g. htdemucs' ``955717e8-8726e21a.th`` from
https://dl.fbaipublicfiles.com/demucs/hybrid_transformer/) at ``demucs/htdemucs.th`` under CASTFORGE_MODELS, or a
demucs model repository folder (``<name>.yaml`` + ``.th`` files) at ``demucs/``; or the ``weights`` setting.
"""

import logging
from pathlib import Path

import numpy as np

from resources.backends.memory import free_torch_memory
from resources.errors import MissingWeightsError
from resources.paths import find_model

log = logging.getLogger(__name__)
CANDIDATES = ("demucs/htdemucs.th", "demucs/955717e8-8726e21a.th", "demucs")
HOW = ("download htdemucs (955717e8-8726e21a.th from https://dl.fbaipublicfiles.com/demucs/hybrid_transformer/) "
       "to $CASTFORGE_MODELS/demucs/htdemucs.th, or set vocal_separator.weights")


class DemucsVocalSeparator:
    """Implements ``resources.protocols.VocalSeparator`` with a demucs model (htdemucs by default)."""

    name = "demucs"

    def __init__(self, weights: str | None = None, model_name: str = "htdemucs", device: str = "cpu",
                 segment_s: float | None = None, overlap: float = 0.25, shifts: int = 0):
        try:
            import torch
            from demucs.apply import apply_model
            from demucs.states import load_model
        except ImportError as error:
            raise MissingWeightsError(self.name, f"python package {error.name}",
                                      "install it: .venv/bin/python -m pip install demucs") from error
        path = Path(weights).expanduser() if weights else find_model(*CANDIDATES)
        if path is None or not path.exists():
            raise MissingWeightsError(self.name, f"demucs model {weights or CANDIDATES[0]}", HOW)
        if path.is_dir():
            from demucs.pretrained import get_model

            model = get_model(model_name, repo=path)
        else:
            model = load_model(str(path))
        if "vocals" not in model.sources:
            raise MissingWeightsError(self.name, f"{path} has no 'vocals' source (it has {model.sources})", HOW)
        self.torch, self.apply_model = torch, apply_model
        self.net = model.to(device).eval()
        self.device, self.segment_s, self.overlap, self.shifts = device, segment_s, overlap, shifts
        self.sample_rate = int(model.samplerate)
        self.vocals_index = list(model.sources).index("vocals")
        self.model = str(path)

    def release(self) -> None:
        """Frees the model (and the GPU memory it held)."""
        self.net = None
        free_torch_memory(self.device)

    def separate(self, audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
        if sample_rate != self.sample_rate:
            raise ValueError(f"{self.name}: expects {self.sample_rate} Hz audio, got {sample_rate} Hz")
        audio = np.atleast_2d(np.asarray(audio, dtype=np.float32))
        channels = audio.shape[0]
        wanted = int(self.net.audio_channels)
        mix = np.repeat(audio[:1], wanted, axis=0) if channels < wanted else audio[:wanted]
        torch = self.torch
        wav = torch.from_numpy(mix)
        reference = wav.mean(0)
        mean, std = reference.mean(), reference.std().clamp(min=1e-8)
        with torch.inference_mode():
            stems = self.apply_model(self.net, ((wav - mean) / std)[None], shifts=self.shifts, split=True,
                                     overlap=self.overlap, segment=self.segment_s, device=self.device,
                                     progress=False)[0]
        vocals = (stems[self.vocals_index] * std).cpu().numpy()  # the mean is a DC offset: it belongs to the rest
        if channels < wanted:
            vocals = vocals.mean(axis=0, keepdims=True)
        vocals = vocals.astype(np.float32)
        return vocals, (audio - vocals).astype(np.float32)
