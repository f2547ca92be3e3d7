"""HDR video (PQ / HLG, usually BT.2020) shown as an SDR BT.709 picture: pure numpy and OpenCV, on the 16-bit RGB
swscale gives of a decoded frame (assets/frames/frame_pixels.py).

The curve is the one of FFmpeg's widely used HDR -> SDR chain (``zscale=t=linear:npl=100, zscale=p=bt709,
tonemap=hable:desat=0, zscale=t=bt709``), which PyAV's FFmpeg cannot run (it has no zscale): linear light with
100 nits as 1.0, BT.2020 primaries to BT.709, Hable's filmic curve on each pixel's brightest component (the pixel
scaled by it, so hues keep), normalised by the film's signal peak, then the BT.709 signal of an SDR display (BT.1886's gamma 2.4, as zscale's display-referred default). The peak is the film's
MaxCLL, else its mastering display's maximum, else 1000 nits (HDR10's usual grade; HLG's nominal peak)."""

from dataclasses import dataclass

import functools
import struct

import cv2
import numpy as np

REFERENCE_WHITE_NITS = 100.0  # linear 1.0 (zscale's npl=100)
DEFAULT_PEAK_NITS = 1000.0
MIN_PEAK_NITS = 100.0  # a peak below SDR white (a broken tag) is taken as no peak
MAX_PEAK_NITS = 10000.0  # PQ's ceiling
PQ_M1, PQ_M2 = 2610 / 16384, 2523 / 4096 * 128
PQ_C1, PQ_C2, PQ_C3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
HLG_A = 0.17883277
HLG_B = 1 - 4 * HLG_A
HLG_C = 0.5 - HLG_A * np.log(4 * HLG_A)
BT2020_LUMA = np.array([0.2627, 0.6780, 0.0593])
# linear BT.2020 RGB -> linear BT.709 RGB (ITU-R BT.2087)
BT2020_TO_BT709 = np.array([[1.6605, -0.5876, -0.0728],
                            [-0.1246, 1.1329, -0.0083],
                            [-0.0182, -0.1006, 1.1187]])
DISPLAY_STEPS = 65536  # the display transfer read from a table this fine (a step is under 0.03 levels above 1% light)
TRANSFERS = ("pq", "hlg")


@dataclass(frozen=True)
class ToneMap:
    """How one film's HDR pictures become SDR: its transfer, whether its primaries are BT.2020, its peak."""
    transfer: str  # "pq" | "hlg"
    bt2020: bool = True
    peak_nits: float = DEFAULT_PEAK_NITS

    def __post_init__(self) -> None:
        if self.transfer not in TRANSFERS:
            raise ValueError(f"tone map transfer must be one of {TRANSFERS}, not {self.transfer!r}")


def signal_peak_nits(max_cll: float | None, mastering_max: float | None) -> float:
    """The peak the curve is normalised by: MaxCLL, else the mastering display's maximum luminance, else
    DEFAULT_PEAK_NITS; a value outside [MIN_PEAK_NITS, MAX_PEAK_NITS] is no information."""
    for nits in (max_cll, mastering_max):
        if nits and MIN_PEAK_NITS <= nits <= MAX_PEAK_NITS:
            return float(nits)
    return DEFAULT_PEAK_NITS


def content_light_max(raw: bytes) -> float | None:
    """MaxCLL in nits from FFmpeg's AVContentLightMetadata (two unsigned ints: MaxCLL, MaxFALL); None if absent."""
    if len(raw) < 8:
        return None
    max_cll, _ = struct.unpack_from("<II", raw)
    return float(max_cll) or None


def mastering_max(raw: bytes) -> float | None:
    """The mastering display's maximum luminance in nits from FFmpeg's AVMasteringDisplayMetadata (ten rationals:
    three primaries and the white point as x, y, then the minimum and maximum luminance; then has_primaries,
    has_luminance); None if absent."""
    if len(raw) < 88:
        return None
    values = struct.unpack_from("<20i2i", raw)
    numerator, denominator, has_luminance = values[18], values[19], values[21]
    return numerator / denominator if has_luminance and denominator else None


def pq_to_nits(signal: np.ndarray) -> np.ndarray:
    """SMPTE ST 2084 (PQ) signal in [0, 1] -> display light in nits."""
    power = np.power(np.clip(signal, 0.0, 1.0), 1.0 / PQ_M2)
    return 10000.0 * np.power(np.maximum(power - PQ_C1, 0.0) / (PQ_C2 - PQ_C3 * power), 1.0 / PQ_M1)


def hlg_to_scene(signal: np.ndarray) -> np.ndarray:
    """ARIB STD-B67 (HLG) signal in [0, 1] -> scene light in [0, 1] (the inverse OETF)."""
    signal = np.clip(signal, 0.0, 1.0)
    low = signal * signal / 3.0
    high = (np.exp((signal - HLG_C) / HLG_A) + HLG_B) / 12.0
    return np.where(signal <= 0.5, low, high)


def hable(x: np.ndarray | float) -> np.ndarray | float:
    """Hable's (Uncharted 2) filmic curve, FFmpeg's ``tonemap=hable``."""
    a, b, c, d, e, f = 0.15, 0.50, 0.10, 0.20, 0.02, 0.30
    return (x * (x * a + b * c) + d * e) / (x * (x * a + b) + d * f) - e / f


def bt1886_signal(linear: np.ndarray) -> np.ndarray:
    """Display light in [0, 1] -> the BT.709 signal an SDR display (BT.1886, gamma 2.4) shows as that light: the
    display-referred transfer zscale's ``t=bt709`` applies to display light."""
    return np.power(np.clip(linear, 0.0, 1.0), 1.0 / 2.4)


def _signal_table(transfer: str) -> np.ndarray:
    """Every 16-bit signal value's light: PQ's display light (1.0 = REFERENCE_WHITE_NITS), HLG's scene light."""
    signal = np.arange(65536, dtype=np.float64) / 65535.0
    light = pq_to_nits(signal) / REFERENCE_WHITE_NITS if transfer == "pq" else hlg_to_scene(signal)
    return light.astype(np.float32)


def _display_table() -> np.ndarray:
    return np.round(bt1886_signal(np.arange(DISPLAY_STEPS, dtype=np.float64) / (DISPLAY_STEPS - 1))
                    * 255.0).astype(np.uint8)


@functools.cache
def _table(name: str) -> np.ndarray:
    """The 65,536-entry table ``name`` ("pq", "hlg" or "display"), made once a process."""
    return _display_table() if name == "display" else _signal_table(name)


def linear_light(rgb16: np.ndarray, tone: ToneMap) -> np.ndarray:
    """16-bit full-scale RGB signal (H, W, 3) -> linear BT.709 light, 1.0 = REFERENCE_WHITE_NITS (float32)."""
    light = _table(tone.transfer)[rgb16]
    if tone.transfer == "hlg":  # BT.2100's OOTF on the scene light: display light on a ``peak_nits`` display
        gamma = 1.2 + 0.42 * np.log10(tone.peak_nits / 1000.0)
        luminance = cv2.transform(light, BT2020_LUMA[None].astype(np.float32))
        gain = np.power(np.maximum(luminance, np.float32(1e-9)), np.float32(gamma - 1.0))
        gain *= np.float32(tone.peak_nits / REFERENCE_WHITE_NITS)
        light *= gain[..., None]
    if tone.bt2020:
        light = cv2.transform(light, BT2020_TO_BT709.astype(np.float32))
    return light


def to_sdr(rgb16: np.ndarray, tone: ToneMap) -> np.ndarray:
    """A decoded HDR frame's 16-bit RGB (H, W, 3, uint16, as swscale's rgb48 gives it) as 8-bit SDR BT.709 RGB
    (about 0.1 CPU-s a 1080p frame)."""
    light = np.maximum(linear_light(rgb16, tone), np.float32(0.0))
    brightest = np.maximum(np.maximum(light[..., 0], light[..., 1]), light[..., 2])
    np.maximum(brightest, np.float32(1e-6), out=brightest)
    peak = tone.peak_nits / REFERENCE_WHITE_NITS
    factor = hable(brightest)
    factor *= np.float32((DISPLAY_STEPS - 1) / hable(peak))
    factor /= brightest
    light *= factor[..., None]
    light += np.float32(0.5)
    np.clip(light, 0, DISPLAY_STEPS - 1, out=light)
    return _table("display")[light.astype(np.uint16)]
