"""Samples a film with PyAV to find its picture geometry (assets/frames/picture.py) and applies it to decoded frames
through an FFmpeg filter graph (bwdif, crop, scale to square pixels, transpose), so every reader of the film's
frames (key frames, shot detection, the shot_analysis handoff) sees the same picture. An HDR film's light levels
(MaxCLL, the mastering display) are read here for its tone map."""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assets.frames.picture import (BT2020_PRIMARIES, COMBED_FILM_SHARE, HDR_TRANSFERS, MIN_COMBED_SAMPLES,
                                   PictureGeometry, bar_sizes, clean_sar, combed_share, combing, display_turn,
                                   film_crop)
from assets.frames.tone_map import content_light_max, mastering_max, signal_peak_nits

log = logging.getLogger(__name__)
SAMPLES = 24  # seek points spread over the film
# reference frames decoded after a seek to reach its time (the decoder skips the others while sampling): about a
# second of a long GOP
FRAMES_AFTER_SEEK = 10


@dataclass(frozen=True)
class PictureSettings:
    """What the frames stage corrects (frames.square_pixels, frames.deinterlace, frames.rotate, frames.crop_bars)."""
    square_pixels: bool = True
    deinterlace: str = "auto"  # auto | always | never
    rotate: bool = True
    crop_bars: str = "auto"  # auto | false
    tone_map: bool = True  # an HDR film's pictures shown as SDR (frames.tone_map)


def _sample_frames(container: Any, stream: Any) -> list[Any]:
    """Up to SAMPLES decoded frames spread over the film (the first frames when it declares no duration)."""
    import av

    time_base = float(stream.time_base) if stream.time_base else None
    duration = float(stream.duration * stream.time_base) if stream.duration and time_base else \
        container.duration / 1_000_000 if container.duration else None
    start = stream.start_time or 0
    if not duration or not time_base:
        frames = []
        for frame in container.decode(stream):
            frames.append(frame)
            if len(frames) >= SAMPLES:
                break
        return frames
    frames, seen = [], set()
    stream.codec_context.skip_frame = "NONREF"
    for i in range(SAMPLES):
        target = start + int(duration * (i + 0.5) / SAMPLES / time_base)
        if frames and frames[-1].pts is not None and frames[-1].pts >= target:
            continue  # the last sample already lies past this time: a seek would give it again
        frame = None
        try:
            container.seek(target, stream=stream, backward=True)
            for n, frame in enumerate(container.decode(stream)):
                if frame.pts is None or frame.pts >= target or n + 1 >= FRAMES_AFTER_SEEK:
                    break
        except (av.error.FFmpegError, StopIteration):
            continue
        if frame is not None and frame.pts not in seen:
            seen.add(frame.pts)
            frames.append(frame)
    return frames


def light_levels(frames: list[Any]) -> tuple[float | None, float | None]:
    """(MaxCLL, the mastering display's maximum luminance) in nits from the first sampled frame that carries them
    (HEVC / AV1 SEI or the container's boxes, as PyAV gives them to each frame); None where none does."""
    max_cll = mastering = None
    for frame in frames:
        for data in frame.side_data:
            name = getattr(data.type, "name", str(data.type))
            if name == "CONTENT_LIGHT_LEVEL" and max_cll is None:
                max_cll = content_light_max(bytes(data))
            elif name == "MASTERING_DISPLAY_METADATA" and mastering is None:
                mastering = mastering_max(bytes(data))
        if max_cll is not None or mastering is not None:
            break
    return max_cll, mastering


def probe_picture(path: Path, settings: PictureSettings = PictureSettings()) -> PictureGeometry | None:
    """The film's picture geometry from SAMPLES frames spread over it; None when it cannot be sampled (decoding
    then goes on as before and meets the damage itself)."""
    from assets.frames.decode import open_video_stream

    try:
        with open_video_stream(path) as (container, stream):
            frames = _sample_frames(container, stream)
            if not frames:
                return None
            codec = stream.codec_context
            declared = stream.sample_aspect_ratio or codec.sample_aspect_ratio
            sar = clean_sar(declared.numerator, declared.denominator) if declared else clean_sar(0, 0)
            first = frames[0]
            greys = [frame.reformat(format="gray").to_ndarray() for frame in frames]
            levels = light_levels(frames)
    except Exception as error:  # noqa: BLE001 - a film the probe cannot read is decoded as stored
        log.warning("%s: picture probe failed (%s); decoding the frames as stored", path, error)
        return None
    width, height = first.width, first.height
    scores = [combing(grey) for grey in greys]
    combed = combed_share(scores)
    enough = combed >= COMBED_FILM_SHARE and round(combed * len(frames)) >= MIN_COMBED_SAMPLES
    deinterlace = settings.deinterlace == "always" or (settings.deinterlace == "auto" and enough)
    trc, primaries = int(first.color_trc or 0), int(first.color_primaries or 0)
    transfer = HDR_TRANSFERS.get(trc, "")
    geometry = PictureGeometry(
        width, height, sar=sar if settings.square_pixels else clean_sar(0, 0),
        rotation=display_turn(first.rotation) if settings.rotate else 0,
        crop=film_crop([bar_sizes(grey) for grey in greys], width, height) if settings.crop_bars == "auto" else None,
        deinterlace=deinterlace, combed_share=round(combed, 3),
        interlaced_flag_share=round(sum(bool(f.interlaced_frame) for f in frames) / len(frames), 3),
        samples=len(frames), pix_fmt=first.format.name, transfer=transfer,
        bt2020=primaries == BT2020_PRIMARIES, peak_nits=signal_peak_nits(*levels) if transfer else 0.0,
        tone_map=bool(transfer) and settings.tone_map)
    if geometry.transfer:
        log.info("%s: HDR video (%s%s, peak %.0f nits): %s", path, geometry.transfer,
                 ", BT.2020" if geometry.bt2020 else "", geometry.peak_nits,
                 "tone-mapped to SDR" if geometry.tone else "not tone-mapped (frames.tone_map false)")
    return geometry


def _chain(geometry: PictureGeometry) -> list[tuple[str, str]]:
    """The filters, in order, that turn a stored frame into the picture ``geometry`` describes."""
    chain = []
    if geometry.deinterlace:
        chain.append(("bwdif", "mode=send_frame:parity=auto:deint=all"))
    if geometry.crop is not None:
        c = geometry.crop
        chain.append(("crop", f"{c.width}:{c.height}:{c.x}:{c.y}:exact=1"))
    if geometry.sar != 1:
        width = geometry.output_size[1] if geometry.rotation in (90, 270) else geometry.output_size[0]
        chain.append(("scale", f"{width}:ih:flags=lanczos"))
        chain.append(("setsar", "1"))
    if geometry.rotation == 90:
        chain.append(("transpose", "clock"))
    elif geometry.rotation == 270:
        chain.append(("transpose", "cclock"))
    elif geometry.rotation == 180:
        chain.extend((("hflip", ""), ("vflip", "")))
    return chain


def corrected(frames: Iterator[Any], geometry: PictureGeometry | None, time_base: Any) -> Iterator[Any]:
    """``frames`` (av.VideoFrame, display order) as ``geometry`` shows them; unchanged when it is None or asks
    nothing. The graph is built at the first frame (its pixel format) and flushed at the end (bwdif holds one)."""
    import av

    if geometry is None or geometry.identity:
        yield from frames
        return
    graph = None
    for frame in frames:
        if graph is None:
            graph = av.filter.Graph()
            nodes = [graph.add_buffer(width=frame.width, height=frame.height, format=frame.format.name,
                                      time_base=time_base)]
            nodes += [graph.add(name, args) if args else graph.add(name) for name, args in _chain(geometry)]
            nodes.append(graph.add("buffersink"))
            graph.link_nodes(*nodes).configure()
        graph.vpush(frame)
        yield from _drain(graph, time_base)
    if graph is not None:
        graph.vpush(None)
        yield from _drain(graph, time_base)


def _drain(graph: Any, time_base: Any) -> Iterator[Any]:
    """The frames the graph has ready, their times back in the stream's ``time_base`` (bwdif halves it: it may
    make a frame of each field)."""
    import av

    while True:
        try:
            frame = graph.vpull()
            if frame.pts is not None and frame.time_base is not None and frame.time_base != time_base:
                frame.pts = round(frame.pts * frame.time_base / time_base)
                frame.time_base = time_base
            yield frame
        except (BlockingIOError, av.error.EOFError):
            return
        except av.error.FFmpegError as error:
            if getattr(error, "errno", None) in (11, 35):  # EAGAIN
                return
            raise
