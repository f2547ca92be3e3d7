"""A decoded frame's pixels as 8-bit BGR or RGB, tone-mapped to SDR where the film is HDR (assets/frames/tone_map.py):
the one conversion every reader of a film's pictures (key frames, lip sync) goes through."""

from typing import Any

import numpy as np

from assets.frames.tone_map import ToneMap, to_sdr

FORMATS = ("bgr24", "rgb24")


def frame_pixels(reformatter: Any, frame: Any, tone: ToneMap | None, format: str = "bgr24",
                 width: int | None = None, height: int | None = None, interpolation: str | None = None) -> np.ndarray:
    """``frame`` (av.VideoFrame) through ``reformatter`` (a reused swscale context) at ``width`` x ``height`` (None:
    its own) as ``format``; with ``tone`` its 16-bit RGB is tone-mapped instead of swscale's 8-bit conversion of the
    HDR signal (which looks flat and grey)."""
    if format not in FORMATS:
        raise ValueError(f"frame_pixels gives {FORMATS}, not {format!r}")
    if tone is None:
        return reformatter.reformat(frame, width=width, height=height, format=format,
                                    interpolation=interpolation).to_ndarray()
    rgb16 = reformatter.reformat(frame, width=width, height=height, format="rgb48le",
                                 interpolation=interpolation).to_ndarray()
    rgb = to_sdr(rgb16, tone)
    return np.ascontiguousarray(rgb[..., ::-1]) if format == "bgr24" else rgb
