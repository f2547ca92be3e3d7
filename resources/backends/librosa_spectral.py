"""Offline vocal separation with no learned weights (numpy + librosa): centre-channel extraction.

Film mixes pan dialogue to the centre; music and effects are spread across the stereo field. For stereo input the
vocals mask is Avendano & Jot's inter-channel similarity per time-frequency bin (2|L R*| / (|L|^2 + |R|^2): 1 where
both channels agree, less where they differ) raised to ``centre_sharpness``, which narrows the kept panning range
(similarity^8 keeps about half of a bin whose channels differ by 30%). A mono film has no panning cue: there the
mask only removes the stationary background (each frequency's median over the segment, librosa soft mask), which
leaves speech nearly untouched. Measured SI-SDR figures are in bench/audio.py's output.
"""

import numpy as np

N_FFT = 2048
HOP = 512


class SpectralVocalSeparator:
    """Implements ``resources.protocols.VocalSeparator``; deterministic, CPU, no weights."""

    name = "spectral"
    model = "centre-channel similarity mask (librosa STFT), no weights"
    sample_rate = 44100

    def __init__(self, centre_sharpness: float = 8.0, mono_margin: float = 1.0):
        import librosa  # noqa: F401 - fail here, with the import error, rather than on first use

        self.centre_sharpness = centre_sharpness
        self.mono_margin = mono_margin

    def separate(self, audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
        import librosa

        audio = np.atleast_2d(np.asarray(audio, dtype=np.float32))
        n = audio.shape[1]
        if n < N_FFT:
            return np.zeros_like(audio), audio.copy()
        spectra = np.stack([librosa.stft(ch, n_fft=N_FFT, hop_length=HOP) for ch in audio])  # C x F x T
        mask = self.mask(spectra)
        vocals = np.stack([librosa.istft(spec * mask, hop_length=HOP, n_fft=N_FFT, length=n) for spec in spectra])
        vocals = vocals.astype(np.float32)
        return vocals, (audio - vocals).astype(np.float32)

    def mask(self, spectra: np.ndarray) -> np.ndarray:
        """The vocals soft mask (F x T, in [0, 1]) for ``C x F x T`` complex spectra."""
        import librosa

        if spectra.shape[0] >= 2:
            left, right = spectra[0], spectra[1]
            similarity = 2 * np.abs(left * np.conj(right)) / (np.abs(left) ** 2 + np.abs(right) ** 2 + 1e-10)
            return np.clip(similarity, 0.0, 1.0).astype(np.float32) ** self.centre_sharpness
        magnitude = np.abs(spectra[0])
        background = np.minimum(magnitude, np.median(magnitude, axis=1, keepdims=True))
        return librosa.util.softmask(magnitude - background, self.mono_margin * background, power=2).astype(
            np.float32)
