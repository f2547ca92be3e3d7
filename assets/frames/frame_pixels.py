"""A decoded frame's pixels as 8-bit BGR or RGB, tone-mapped to SDR where the film is HDR (assets/frames/tone_map.py):
the one conversion every reader of a film's pictures (key frames, lip sync) goes through. A frame whose pixel format
carries alpha (an animated GIF's or APNG's transparency, ProRes 4444, QuickTime Animation or PNG in MOV: characters
exported over nothing) is laid on white where it is a cut-out, as an RGBA image is (resources/media.opaque_rgb), and
its alpha is the key frame's own cut-out (``key_frame_pixels``; assets/instances/image_alpha.py)."""

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


def has_alpha(frame: Any) -> bool:
    """Whether a decoded frame's pixel format carries an alpha channel."""
    return any(component.is_alpha for component in frame.format.components)


def key_frame_pixels(reformatter: Any, frame: Any, tone: ToneMap | None) -> tuple[np.ndarray, np.ndarray | None]:
    """(BGR, alpha): ``frame_pixels``, unless the frame has alpha that cuts a figure out (image_alpha.has_cutout);
    then its colours laid on white where it is transparent, and the alpha (uint8) with them."""
    from assets.instances.image_alpha import has_cutout

    if tone is not None or not has_alpha(frame):
        return frame_pixels(reformatter, frame, tone), None
    bgra = reformatter.reformat(frame, format="bgra").to_ndarray()
    alpha = np.ascontiguousarray(bgra[..., 3])
    if not has_cutout(alpha):
        return frame_pixels(reformatter, frame, tone), None
    return on_white(bgra), alpha


def on_white(bgra: np.ndarray) -> np.ndarray:
    """A BGRA picture's colours laid on white where it is transparent (BGR uint8), as key frames show it."""
    weight = bgra[..., 3:].astype(np.float32) / 255.0
    return np.rint(bgra[..., :3] * weight + 255.0 * (1.0 - weight)).astype(np.uint8)
