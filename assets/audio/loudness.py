"""Integrated loudness (ITU-R BS.1770-4) of a soundtrack measured while it is decoded, with flat memory. No Dagster.

pyloudnorm's ``Meter`` supplies the K-weighting filters; ``integrated_loudness`` is its arithmetic with the filters
run as one second-order-section cascade and the gating blocks summed from a running sum instead of a Python loop
over every 100 ms step of every channel: 0.04 against 0.14-0.2 CPU-s per minute of 44.1 kHz stereo.
"""

import math

import numpy as np

LOUDNESS_BLOCK_S = 60.0
ABSOLUTE_GATE_LUFS = -70.0
CHANNEL_GAINS = (1.0, 1.0, 1.0, 1.41, 1.41)  # BS.1770: L, R, C, Ls, Rs


def integrated_loudness(meter, data: np.ndarray) -> float:
    """LUFS of ``data`` (``samples x channels``, float) as ``pyloudnorm.Meter.integrated_loudness`` computes it
    (same filters, block bounds and gates; block energies from a running sum): -inf when no block passes the gates."""
    rate, block_s, step = meter.rate, meter.block_size, 1.0 - meter.overlap
    from scipy.signal import sosfilt

    samples = np.ascontiguousarray(np.asarray(data).reshape(len(data), -1).T, dtype=np.float64)  # channels x samples
    # the K-weighting stages as one cascade of biquads: sosfilt runs both in one pass, 4x faster than two lfilter
    # calls (within 1e-12 of them)
    stages = np.array([np.concatenate([stage.b * stage.passband_gain, stage.a]) for stage in meter._filters.values()])
    filtered = sosfilt(stages, samples, axis=-1)
    n = filtered.shape[1]
    blocks = int(np.round((n / rate - block_s) / (block_s * step))) + 1
    j = np.arange(blocks)
    lower = (block_s * (j * step) * rate).astype(np.int64)
    upper = np.minimum((block_s * (j * step + 1) * rate).astype(np.int64), n)
    np.square(filtered, out=filtered)
    running = np.zeros((filtered.shape[0], n + 1))
    np.cumsum(filtered, axis=-1, out=running[:, 1:])
    energy = (running[:, upper] - running[:, lower]) / (block_s * rate)  # channels x blocks
    weighted = np.array(CHANNEL_GAINS[:filtered.shape[0]]) @ energy
    with np.errstate(divide="ignore"):
        block_lufs = -0.691 + 10.0 * np.log10(weighted)
    above = block_lufs >= ABSOLUTE_GATE_LUFS
    if not above.any():
        return -math.inf
    relative_gate = -0.691 + 10.0 * math.log10(float(weighted[above].mean())) - 10.0
    kept = (block_lufs > relative_gate) & (block_lufs > ABSOLUTE_GATE_LUFS)
    if not kept.any():
        return -math.inf
    return float(-0.691 + 10.0 * np.log10(weighted[kept].mean()))


class BlockLoudness:
    """Integrated loudness over minute-long blocks (cut at exact multiples of ``LOUDNESS_BLOCK_S``, whatever size
    the pieces come in), combined by mean energy, and the sample peak.

    A film is measured per block so memory stays flat. Blocks below the absolute gate (silent ones) are left out,
    as BS.1770's gating would leave them out."""

    def __init__(self, rate: int):
        import pyloudnorm

        self.rate = rate
        self.block = int(LOUDNESS_BLOCK_S * rate)
        self.meter = pyloudnorm.Meter(rate)
        self.pending: list[np.ndarray] = []
        self.pending_len = 0
        self.energies: list[tuple[float, int]] = []
        self.peak = 0.0

    def add(self, samples: np.ndarray) -> None:
        """``samples x channels`` float audio, in order."""
        self.peak = max(self.peak, float(np.abs(samples).max(initial=0.0)))
        while self.pending_len + samples.shape[0] >= self.block:
            take = self.block - self.pending_len
            self.pending.append(samples[:take])
            self._flush()
            samples = samples[take:]
        if samples.shape[0]:
            self.pending.append(samples)
            self.pending_len += samples.shape[0]

    def _flush(self) -> None:
        if not self.pending:
            return
        data = np.concatenate(self.pending)
        self.pending, self.pending_len = [], 0
        if data.shape[0] < 0.4 * self.rate:  # shorter than one BS.1770 gating block
            return
        lufs = integrated_loudness(self.meter, data)
        if math.isfinite(lufs) and lufs > ABSOLUTE_GATE_LUFS:
            self.energies.append((10 ** (lufs / 10), data.shape[0]))

    def result(self) -> tuple[float | None, float | None]:
        """(integrated LUFS rounded to 0.01, None when silent; peak dBFS, None for digital silence)."""
        self._flush()
        peak = round(20 * math.log10(self.peak), 2) if self.peak > 0 else None
        if not self.energies:
            return None, peak
        total = sum(n for _, n in self.energies)
        mean_energy = sum(e * n for e, n in self.energies) / total
        return round(10 * math.log10(mean_energy), 2), peak
