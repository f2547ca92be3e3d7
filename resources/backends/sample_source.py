"""A mono 16 kHz signal read by sample range, from memory or from a file, so a diarizer can stream a film's audio
a block at a time (resources/backends/pyannote_onnx.py)."""

from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000


class ArraySamples:
    """A mono 16 kHz signal in memory, read by sample range (zero past its end)."""

    def __init__(self, waveform: np.ndarray):
        self.waveform, self.n = waveform, len(waveform)

    def read(self, start: int, stop: int) -> np.ndarray:
        part = self.waveform[max(start, 0):max(stop, 0)]
        return np.pad(part, (0, stop - start - len(part))) if len(part) < stop - start else part


class FileSamples(ArraySamples):
    """A mono (or downmixed) 16 kHz audio file read by sample range; a clear error naming a file at another rate."""

    def __init__(self, path: Path):
        import soundfile as sf

        try:
            self.file = sf.SoundFile(str(path))
        except (sf.LibsndfileError, RuntimeError) as error:
            raise ValueError(f"cannot read audio file {path}: {error}") from error
        if self.file.samplerate != SAMPLE_RATE:
            self.file.close()
            raise ValueError(f"{path} is {self.file.samplerate} Hz audio; {SAMPLE_RATE} Hz expected")
        self.path, self.n = path, self.file.frames

    def read(self, start: int, stop: int) -> np.ndarray:
        self.file.seek(min(max(start, 0), self.n))
        data = self.file.read(max(min(stop, self.n) - max(start, 0), 0), dtype="float32", always_2d=True).mean(axis=1)
        return np.pad(data, (max(-start, 0), max(stop - max(start, 0) - len(data), 0)))

    def __enter__(self) -> "FileSamples":
        return self

    def __exit__(self, *exc) -> None:
        self.file.close()


Samples = ArraySamples  # the interface: ``n`` (samples) and ``read(start, stop)``
