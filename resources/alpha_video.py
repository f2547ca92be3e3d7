"""Transparent WebM video (VP8 / VP9 with an alpha layer: Telegram's video stickers, animated emotes, exports with
transparency). The alpha is a second VP8 / VP9 picture in each block's BlockAdditional, which FFmpeg's own vp8 / vp9
decoders ignore: such a film decoded without it shows its transparent pixels as stored (mostly black). libvpx's
decoders read it (yuva420p), as ``ffmpeg -c:v libvpx-vp9 -i sticker.webm`` does; castforge decodes such a stream
with them, so its frames are laid on white and cut by their own alpha as any clip with alpha is
(assets/frames/frame_pixels.py). No Dagster."""

import logging
from typing import Any

log = logging.getLogger(__name__)

LIBVPX_DECODERS = {"vp8": "libvpx", "vp9": "libvpx-vp9"}


def carries_alpha(stream: Any) -> bool:
    """Whether a VP8 / VP9 stream's Matroska track says it carries an alpha layer (``alpha_mode`` 1)."""
    return stream.codec_context.name in LIBVPX_DECODERS and str(stream.metadata.get("alpha_mode", "")).strip() == "1"


def alpha_decoder(stream: Any) -> Any | None:
    """A fresh libvpx decoder for ``stream`` when it carries alpha, else None (the stream's own decoder serves).
    Fresh per pass, so a pass that starts after a seek needs no flush. Where FFmpeg was built without libvpx the
    picture decodes without its alpha, as before, and the log says so."""
    if not carries_alpha(stream):
        return None
    import av

    name = LIBVPX_DECODERS[stream.codec_context.name]
    try:
        decoder = av.CodecContext.create(name, "r")
    except (av.error.FFmpegError, ValueError) as error:  # ValueError: PyAV's unknown codec
        log.warning("this FFmpeg has no %s decoder (%s): a transparent WebM decodes without its alpha", name, error)
        return None
    decoder.width, decoder.height = stream.codec_context.width, stream.codec_context.height
    if stream.codec_context.extradata:
        decoder.extradata = stream.codec_context.extradata
    decoder.thread_type = "AUTO"
    return decoder


def decode_packet(packet: Any, decoder: Any | None) -> list[Any]:
    """``packet``'s frames from ``decoder`` (alpha_decoder's), else from its stream's own decoder."""
    return decoder.decode(packet) if decoder is not None else packet.decode()
