"""pyannote.audio 4 speaker diarization (``SpeakerDiarization``: segmentation + embeddings + VBx clustering).

Weights, all local (HF_HUB_OFFLINE): either a pipeline folder as published on the hub
(``pyannote/speaker-diarization-community-1``: config.yaml, segmentation/, embedding/, plda/) under CASTFORGE_MODELS
or given as ``pipeline``; or the parts given one by one (``segmentation`` and ``embedding`` checkpoints, ``plda``
folder with xvec_transform.npz and plda.npz). With network and a token, `huggingface-cli download` the pipeline
into $CASTFORGE_MODELS/pyannote/ first.
"""

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np

from resources.backends.memory import free_torch_memory
from resources.errors import MissingWeightsError
from resources.paths import find_model
from resources.protocols import SpeakerTurn

log = logging.getLogger(__name__)
CANDIDATES = ("pyannote/speaker-diarization-community-1", "pyannote/speaker-diarization-3.1")
HOW = ("download the pipeline (huggingface-cli download pyannote/speaker-diarization-community-1 --local-dir "
       "$CASTFORGE_MODELS/pyannote/speaker-diarization-community-1, accepting its conditions on hf.co) or set "
       "diarizer.pipeline to a local pipeline folder")


class PyannoteDiarizer:
    """Implements ``resources.protocols.Diarizer`` with a pyannote.audio pipeline built from local files."""

    name = "pyannote"

    def __init__(self, pipeline: str | None = None, device: str = "cpu", max_speakers: int | None = None,
                 segmentation: str | None = None, embedding: str | None = None, plda: str | None = None,
                 clustering: str = "VBxClustering", params: dict[str, Any] | None = None,
                 segmentation_step: float = 0.1):
        from resources.backends import torch_cpu_fixes

        torch_cpu_fixes.apply()
        try:
            import torch
            from pyannote.audio import Pipeline
            from pyannote.audio.pipelines import SpeakerDiarization
        except ImportError as error:
            raise MissingWeightsError(self.name, f"python package {error.name}",
                                      "install it: .venv/bin/python -m pip install pyannote.audio") from error
        self.torch = torch
        if segmentation or embedding:
            missing = [str(p) for p in (segmentation, embedding, plda) if not p or not Path(p).exists()]
            if missing or clustering == "VBxClustering" and not plda:
                raise MissingWeightsError(self.name, f"pipeline parts {missing or ['plda']}",
                                          "give segmentation and embedding checkpoints and a plda folder")
            built = SpeakerDiarization(segmentation=str(segmentation), embedding=str(embedding),
                                       plda=str(plda), clustering=clustering, segmentation_step=segmentation_step)
            built.instantiate(params or built.default_parameters())
            self.model = f"segmentation={segmentation}, embedding={embedding}, plda={plda}"
        else:
            path = Path(pipeline).expanduser() if pipeline else find_model(*CANDIDATES)
            if path is None or not path.exists():
                raise MissingWeightsError(self.name, f"pipeline folder {pipeline or CANDIDATES[0]}", HOW)
            built = Pipeline.from_pretrained(str(path))
            if built is None:
                raise MissingWeightsError(self.name, f"a loadable pipeline in {path}", HOW)
            if params:
                built.instantiate(params)
            self.model = str(path)
        self.pipeline = built.to(torch.device(device))
        self.max_speakers = max_speakers
        self.device = device

    def release(self) -> None:
        """Frees the pipeline's models (and the GPU memory they held)."""
        self.pipeline = None
        free_torch_memory(self.device)

    def diarize(self, waveform: np.ndarray, sample_rate: int) -> list[SpeakerTurn]:
        audio = {"waveform": self.torch.from_numpy(np.asarray(waveform, dtype=np.float32).reshape(1, -1)),
                 "sample_rate": sample_rate}
        output = self.pipeline(audio, max_speakers=self.max_speakers)
        annotation = getattr(output, "speaker_diarization", output)
        labels = {label: f"SPEAKER_{i:02d}" for i, label in enumerate(sorted(annotation.labels()))}
        # the pipeline reports no per-turn score: confidence is NaN rather than an invented number
        turns = [SpeakerTurn(round(seg.start, 3), round(seg.end, 3), labels[label], math.nan)
                 for seg, _, label in annotation.itertracks(yield_label=True)]
        return sorted(turns, key=lambda t: (t.start_s, t.speaker))
