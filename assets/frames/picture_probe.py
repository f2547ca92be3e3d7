"""Samples a film with PyAV to find its picture geometry (assets/frames/picture.py) and applies it to decoded frames
through an FFmpeg filter graph (fieldmatch or bwdif, crop, scale to square pixels, transpose), so every reader of the
film's frames (key frames, shot detection, the shot_analysis handoff) sees the same picture. An HDR film's light levels
(MaxCLL, the mastering display) are read here for its tone map."""

import logging
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assets.frames.frame_pixels import has_alpha, on_white
from assets.frames.picture import (BT2020_PRIMARIES, COMBED_FILM_SHARE, COMBED_SHARE, HDR_TRANSFERS,
                                   MIN_COMBED_SAMPLES, PictureGeometry, bar_sizes, clean_sar, combed_share, combing,
                                   display_turn, film_crop, is_pulldown)
from assets.frames.tone_map import content_light_max, mastering_max, signal_peak_nits
from resources.media import decoded_frames

log = logging.getLogger(__name__)
SAMPLES = 24  # seek points spread over the film
# reference frames decoded after a seek to reach its time (the decoder skips the others while sampling): about a
# second of a long GOP
FRAMES_AFTER_SEEK = 10
GOLDEN = 0.6180339887498949
SEQUENTIAL_MAX_S = 600.0  # a film this short that seeking samples poorly is sampled in one decoding pass
RUN_FRAMES = 15  # consecutive frames (three pulldown cycles) decoded at a combed sample to tell telecine from video
MAX_RUNS = 6
PRE_ROLL = 2
MAX_FRAMES_TO_START = 300  # frames decoded from the seek's key frame towards a run's start before the run begins
# ffmpeg's documented inverse telecine without its decimate (the frame count and times every stage numbers frames by
# stay the stream's; the pulldown's repeated picture is one more near-duplicate the key frames' dedup drops): fields
# matched to rebuild each drawn picture, the frames it still finds combed (video inserts, a broken cadence) bwdif'ed
FIELD_MATCH = (("fieldmatch", "order=auto:combmatch=full"), ("bwdif", "mode=send_frame:parity=auto:deint=interlaced"))
BWDIF = (("bwdif", "mode=send_frame:parity=auto:deint=all"),)


@dataclass(frozen=True)
class PictureSettings:
    """What the frames stage corrects (frames.square_pixels, frames.deinterlace, frames.rotate, frames.crop_bars)."""
    square_pixels: bool = True
    deinterlace: str = "auto"  # auto | always (bwdif) | field_match | never
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
        for frame in decoded_frames(container, stream):
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
            for n, frame in enumerate(decoded_frames(container, stream)):
                if frame.pts is None or frame.pts >= target or n + 1 >= FRAMES_AFTER_SEEK:
                    break
        except (av.error.FFmpegError, StopIteration):
            continue
        if frame is not None and frame.pts not in seen:
            seen.add(frame.pts)
            frames.append(frame)
    if len(frames) < SAMPLES // 2 and duration <= SEQUENTIAL_MAX_S:
        return _sequential_samples(container, stream, start, duration, time_base)
    return frames


def _sequential_samples(container: Any, stream: Any, start: int, duration: float, time_base: float) -> list[Any]:
    """The reference frame at or after each of SAMPLES times, decoded in one pass from the start: a short film whose
    key frames are further apart than the samples (x264's default: 10 s) gives the same few frames to every seek.
    Each time lies at a golden-ratio fraction of its slot, so that the samples do not all fall on one phase of a
    cadence (a 40 s telecined clip's slots are 50 frames: ten pulldown cycles, every sample clean or every one
    combed)."""
    import av

    frames, i = [], 0
    try:
        container.seek(start, stream=stream, backward=True)
        for frame in decoded_frames(container, stream):
            if frame.pts is None:
                continue
            while i < SAMPLES and frame.pts >= start + int(duration * (i + GOLDEN * i % 1.0) / SAMPLES / time_base):
                if not frames or frames[-1] is not frame:
                    frames.append(frame)
                i += 1
            if i >= SAMPLES:
                break
    except av.error.FFmpegError:
        pass
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


def _combed_runs(container: Any, stream: Any, starts: list[int]) -> tuple[int, int]:
    """Combed frames in runs of RUN_FRAMES consecutive frames from each of ``starts`` (presentation times), as
    decoded and once fieldmatch has matched their fields: pulldown's combs go, video interlacing's stay. PRE_ROLL
    frames before a run and one after it are matched with it, not counted: a run's ends have fields to match."""
    import av

    stream.codec_context.skip_frame = "DEFAULT"
    before = after = 0
    for start in starts:
        lead: deque = deque(maxlen=PRE_ROLL)  # the frames just before the run
        run: list[Any] = []
        try:
            container.seek(start, stream=stream, backward=True)
            for n, frame in enumerate(decoded_frames(container, stream)):
                if run or frame.pts is None or frame.pts >= start or n >= MAX_FRAMES_TO_START:
                    run.append(frame)
                else:
                    lead.append(frame)
                if len(run) > RUN_FRAMES:
                    break
        except (av.error.FFmpegError, StopIteration):
            continue
        if len(run) < 3:
            continue
        matched = list(filtered([*lead, *run], FIELD_MATCH[:1], stream.time_base))[len(lead):]
        before += _combed_frames(run[:-1])
        after += _combed_frames(matched[:-1])
    return before, after


def grey_as_shown(frame: Any) -> Any:
    """A sampled frame in 8-bit grey as castforge's key frames show it: a frame with alpha laid on white (the
    transparent margins of a sticker or a ProRes 4444 export, often stored black, are no letterbox bars)."""
    if not has_alpha(frame):
        return frame.reformat(format="gray").to_ndarray()
    import cv2

    return cv2.cvtColor(on_white(frame.reformat(format="bgra").to_ndarray()), cv2.COLOR_BGR2GRAY)


def _combed_frames(frames: list[Any]) -> int:
    return sum(combing(frame.reformat(format="gray").to_ndarray()) > COMBED_SHARE for frame in frames)


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
            greys = [grey_as_shown(frame) for frame in frames]
            levels = light_levels(frames)
            scores = [combing(grey) for grey in greys]
            combed = combed_share(scores)
            enough = combed >= COMBED_FILM_SHARE and round(combed * len(frames)) >= MIN_COMBED_SAMPLES
            runs = (0, 0)
            if settings.deinterlace == "auto" and enough:
                starts = [frame.pts for frame, score in zip(frames, scores) if score > COMBED_SHARE]
                runs = _combed_runs(container, stream, starts[:: max(1, len(starts) // MAX_RUNS)][:MAX_RUNS])
    except Exception as error:  # noqa: BLE001 - a film the probe cannot read is decoded as stored
        log.warning("%s: picture probe failed (%s); decoding the frames as stored", path, error)
        return None
    width, height = first.width, first.height
    deinterlace = settings.deinterlace in ("always", "field_match") or (settings.deinterlace == "auto" and enough)
    field_match = settings.deinterlace == "field_match" or (settings.deinterlace == "auto" and is_pulldown(*runs))
    trc, primaries = int(first.color_trc or 0), int(first.color_primaries or 0)
    transfer = HDR_TRANSFERS.get(trc, "")
    geometry = PictureGeometry(
        width, height, sar=sar if settings.square_pixels else clean_sar(0, 0),
        rotation=display_turn(first.rotation) if settings.rotate else 0,
        crop=film_crop([bar_sizes(grey) for grey in greys], width, height) if settings.crop_bars == "auto" else None,
        deinterlace=deinterlace, field_match=deinterlace and field_match, run_combed=runs,
        combed_share=round(combed, 3),
        interlaced_flag_share=round(sum(bool(f.interlaced_frame) for f in frames) / len(frames), 3),
        samples=len(frames), pix_fmt=first.format.name, transfer=transfer,
        bt2020=primaries == BT2020_PRIMARIES, peak_nits=signal_peak_nits(*levels) if transfer else 0.0,
        tone_map=bool(transfer) and settings.tone_map)
    if deinterlace:
        log.info("%s: %d%% of the sampled frames combed; %s", path, round(100 * combed),
                 f"telecine: fields matched (combed frames in runs {runs[0]} -> {runs[1]})" if geometry.field_match
                 else f"deinterlaced with bwdif (combed frames in runs {runs[0]} -> {runs[1]} matched)")
    if geometry.transfer:
        log.info("%s: HDR video (%s%s, peak %.0f nits): %s", path, geometry.transfer,
                 ", BT.2020" if geometry.bt2020 else "", geometry.peak_nits,
                 "tone-mapped to SDR" if geometry.tone else "not tone-mapped (frames.tone_map false)")
    return geometry


def _chain(geometry: PictureGeometry) -> list[tuple[str, str]]:
    """The filters, in order, that turn a stored frame into the picture ``geometry`` describes."""
    chain: list[tuple[str, str]] = []
    if geometry.deinterlace:
        chain.extend(FIELD_MATCH if geometry.field_match else BWDIF)
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
    nothing."""
    if geometry is None or geometry.identity:
        yield from frames
        return
    yield from filtered(frames, _chain(geometry), time_base)


def filtered(frames: Iterable[Any], chain: Sequence[tuple[str, str]], time_base: Any) -> Iterator[Any]:
    """``frames`` through the FFmpeg filters ``chain`` ((name, arguments) in order). The graph is built at the first
    frame (its pixel format) and flushed at the end (bwdif and fieldmatch hold frames)."""
    import av

    graph = None
    for frame in frames:
        if graph is None:
            graph = av.filter.Graph()
            nodes = [graph.add_buffer(width=frame.width, height=frame.height, format=frame.format.name,
                                      time_base=time_base)]
            nodes += [graph.add(name, args) if args else graph.add(name) for name, args in chain]
            nodes.append(graph.add("buffersink"))
            graph.link_nodes(*nodes).configure()
        graph.vpush(frame)
        yield from _drain(graph, time_base)
    if graph is not None:
        graph.vpush(None)
        yield from _drain(graph, time_base)


def _drain(graph: Any, time_base: Any) -> Iterator[Any]:
    """The frames the graph has ready, their times and durations back in the stream's ``time_base`` (bwdif halves
    it: it may make a frame of each field)."""
    import av

    while True:
        try:
            frame = graph.vpull()
            if frame.pts is not None and frame.time_base is not None and frame.time_base != time_base:
                frame.pts = round(frame.pts * frame.time_base / time_base)
                if frame.duration:
                    frame.duration = round(frame.duration * frame.time_base / time_base)
                frame.time_base = time_base
            yield frame
        except (BlockingIOError, av.error.EOFError):
            return
        except av.error.FFmpegError as error:
            if getattr(error, "errno", None) in (11, 35):  # EAGAIN
                return
            raise
