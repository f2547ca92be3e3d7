"""Speech recognition with Whisper through transformers, from a local ``save_pretrained`` folder (no hub access).

``WhisperTranscriber(folder).transcribe(waveform, rate)`` -> text. The folder holds the model (config.json +
weights), the tokenizer and the feature extractor, as ``WhisperForConditionalGeneration.save_pretrained`` and
``WhisperProcessor.save_pretrained`` write them (e.g. openai/whisper-small downloaded where the network allows:
``huggingface-cli download openai/whisper-small --local-dir $CASTFORGE_MODELS/asr/whisper-small``).
"""

from pathlib import Path

import numpy as np

from resources.backends.memory import free_torch_memory
from resources.errors import MissingWeightsError
from resources.paths import find_model

DEFAULT_FOLDERS = ("asr/whisper-small", "asr/whisper-base", "asr/whisper-tiny", "asr/whisper")
SAMPLE_RATE = 16000


def find_whisper(folder: str | None = None) -> Path | None:
    """The local Whisper folder: ``folder`` when given, else the first default under CASTFORGE_MODELS."""
    if folder:
        path = Path(folder)
        return path if (path / "config.json").exists() else find_model(folder)
    for candidate in DEFAULT_FOLDERS:
        path = find_model(candidate)
        if path is not None and (path / "config.json").exists():
            return path
    return None


class WhisperTranscriber:
    name = "whisper_transformers"

    def __init__(self, folder: str | Path | None = None, device: str = "cpu", language: str | None = None,
                 max_new_tokens: int = 128):
        path = find_whisper(str(folder) if folder else None)
        if path is None:
            raise MissingWeightsError(self.name, f"Whisper folder ({folder or ' or '.join(DEFAULT_FOLDERS)})",
                                      "save openai/whisper-small (model + processor) under "
                                      "$CASTFORGE_MODELS/asr/whisper-small, or set multimodal_datasets.asr_model")
        from resources.backends import torch_cpu_fixes

        torch_cpu_fixes.apply()  # transformers imports torchvision, whose CUDA wheel needs a CPU nms here
        from transformers import WhisperForConditionalGeneration, WhisperProcessor

        self.processor = WhisperProcessor.from_pretrained(str(path), local_files_only=True)
        self.model = WhisperForConditionalGeneration.from_pretrained(str(path), local_files_only=True).to(device).eval()
        self.device, self.language, self.max_new_tokens = device, language, max_new_tokens
        self.model_path = str(path)

    def release(self) -> None:
        """Frees the model (and the GPU memory it held)."""
        self.model = self.processor = None
        free_torch_memory(self.device)

    def transcribe(self, waveform: np.ndarray, sample_rate: int) -> str:
        import torch

        audio = np.asarray(waveform, dtype=np.float32).reshape(-1)
        if sample_rate != SAMPLE_RATE:
            import librosa

            audio = librosa.resample(audio, orig_sr=sample_rate, target_sr=SAMPLE_RATE)
        features = self.processor(audio, sampling_rate=SAMPLE_RATE, return_tensors="pt").input_features.to(self.device)
        options = {"max_new_tokens": self.max_new_tokens}
        if self.language:
            options.update(language=self.language, task="transcribe")
        with torch.inference_mode():
            tokens = self.model.generate(features, **options)
        return self.processor.batch_decode(tokens, skip_special_tokens=True)[0].strip()

    def transcribe_file(self, path: Path) -> str:
        import soundfile as sf

        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
        return self.transcribe(data.mean(axis=1), rate)
