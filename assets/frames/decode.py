"""One decoding pass over a video with PyAV: every frame once, a small copy for shot detection.

Damaged packets (garbage in the middle of a file) are skipped and decoding goes on, as FFmpeg's own tools do; the
report measures how much of the declared duration was actually decoded, so a damaged or truncated film is seen
(and refused below a tolerance) instead of silently giving a shorter dataset."""

import heapq
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from resources.alpha_video import alpha_decoder, decode_packet
from resources.errors import BadMediaError
from resources.media import film_origin_s, frame_rate, held_picture, main_video_stream

if TYPE_CHECKING:
    from assets.frames.picture import PictureGeometry
    from assets.frames.tone_map import ToneMap

log = logging.getLogger(__name__)


@dataclass
class DecodedFrame:
    index: int  # display order, 0-based, counting frames skipped undecoded
    timestamp_s: float  # presentation time (correct for variable frame rate)
    small_bgr: np.ndarray  # downscaled copy for shot detection (an HDR film's signal as stored: not tone-mapped)
    frame: Any  # the av.VideoFrame; converted to full-size pixels only when chosen
    reformatter: Any  # shared swscale context (PyAV builds a new one per call of frame.to_ndarray)
    skipped_s: tuple[float, ...] = ()  # times of the non-reference frames skipped just before this one
    tone: "ToneMap | None" = None  # an HDR film's tone map, applied to the full-size pixels

    def full_bgr(self) -> np.ndarray:
        from assets.frames.frame_pixels import frame_pixels

        return frame_pixels(self.reformatter, self.frame, self.tone)

    def key_frame(self) -> tuple[np.ndarray, np.ndarray | None]:
        """Full-size BGR and, where the frame's own alpha cuts a figure out, that alpha (frame_pixels.py)."""
        from assets.frames.frame_pixels import key_frame_pixels

        return key_frame_pixels(self.reformatter, self.frame, self.tone)


MAX_REPORTED_GAPS = 20
MAX_FRAME_DURATION_S = 10.0  # a frame's own duration trusted up to this (a still held in a screen recording)
# H.264 and HEVC allow at most 16 consecutive B-frames: a longer run of frames that produced no picture is
# missing (damaged), not skipped
MAX_SKIPPED_RUN = 16
# containers whose every packet carries a presentation time, so skipped frames can still be counted and placed
SKIPPABLE_FORMATS = ("mov", "mp4", "matroska", "webm")


@dataclass
class DecodeReport:
    frames: int = 0  # frames passed over in display order: decoded, or skipped as non-reference
    analysed: int = 0  # frames actually decoded
    error: str | None = None  # set when decoding stopped early or skipped damaged packets
    fps: float = 0.0
    width: int = 0
    height: int = 0
    declared_s: float | None = None  # what the container says the video lasts
    decoded_s: float = 0.0  # time covered by decoded frames (a gap over two frame intervals counts as missing)
    damaged_packets: int = 0
    gaps: list[tuple[float, float]] = field(default_factory=list)  # (from_s, to_s) not decoded, first ones
    skipped_tail_s: list[float] = field(default_factory=list)  # skipped frames after the last decoded one
    every_frame: int = 0  # frames handed to ``on_every_frame`` (0: none, or not every frame was decoded)
    codec: str = ""
    # errors and warnings the decoder logged while decoding every frame for ``on_every_frame``: damage inside a
    # packet it decodes without refusing it (FFmpeg's HEVC decoder refuses none), when it notices it at all
    decoder_errors: int = 0
    _last_s: float | None = None
    _last_duration_s: float | None = None

    def add_frame_time(self, timestamp_s: float, duration_s: float | None = None) -> None:
        """Count the time up to this frame as decoded, as far as the last frame lasted: one frame interval of the
        average rate, or the last frame's own duration where the container gives a longer one (a variable frame
        rate film's slower passages; a gap left by missing data is longer than the frame before it says)."""
        if self._last_s is not None:
            step = timestamp_s - self._last_s
            lasted = self._lasted()
            self.decoded_s += min(max(step, 0.0), lasted)
            if step > 2 * lasted and len(self.gaps) < MAX_REPORTED_GAPS:
                self.gaps.append((round(self._last_s + lasted, 3), round(timestamp_s, 3)))
        self._last_s, self._last_duration_s = timestamp_s, duration_s

    def _lasted(self) -> float:
        frame_s = 1.0 / self.fps if self.fps else 0.04
        return max(frame_s, min(self._last_duration_s or 0.0, MAX_FRAME_DURATION_S))

    def finish(self) -> None:
        """Count the last frame's own duration."""
        if self._last_s is not None:
            self.decoded_s += self._lasted() if self.fps or self._last_duration_s else 0.0
            self._last_s = None

    @property
    def damaged(self) -> bool:
        return bool(self.damaged_packets or self.decoder_errors)

    @property
    def coverage(self) -> float | None:
        """Decoded share of the declared duration (None when the container declares none)."""
        if not self.declared_s:
            return None
        return min(1.0, self.decoded_s / self.declared_s)

    def summary(self) -> dict[str, Any]:
        return {"declared_s": round(self.declared_s, 3) if self.declared_s else None,
                "decoded_s": round(self.decoded_s, 3), "coverage": round(self.coverage, 4) if self.coverage else None,
                "damaged_packets": self.damaged_packets, "gaps": [list(g) for g in self.gaps]}


def _declared_seconds(container, stream) -> float | None:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return container.duration / 1_000_000 if container.duration else None


def nal_length_size(stream) -> int | None:
    """Bytes of each NAL unit's length prefix of an H.264 or HEVC stream stored as MP4 / Matroska store them
    (avcC / hvcC extradata, configuration version 1); None for another codec or Annex B."""
    extradata, name = stream.codec_context.extradata, stream.codec_context.name
    if not extradata or extradata[0] != 1:
        return None
    if name == "h264" and len(extradata) >= 5:
        return (extradata[4] & 3) + 1
    if name == "hevc" and len(extradata) >= 23:  # hvcC byte 21: ..., lengthSizeMinusOne in its two low bits
        return (extradata[21] & 3) + 1
    return None


# HEVC NAL unit types FFmpeg's skip_frame=NONREF drops (ff_hevc_nal_is_nonref): the sub-layer non-reference
# pictures TRAIL_N, TSA_N, STSA_N, RADL_N, RASL_N and the reserved RSV_VCL_N10 / N12 / N14
HEVC_NON_REFERENCE = frozenset((0, 2, 4, 6, 8, 10, 12, 14))


def _slice_references(header: int, codec: str) -> bool | None:
    """Whether a NAL unit is a coded slice of a picture others may refer to (True), of a non-reference picture
    (False), or no slice (None), from the first byte of its header."""
    if codec == "h264":
        return bool(header >> 5 & 3) if header & 31 in (1, 5) else None
    nal_type = header >> 1 & 63  # HEVC: forbidden bit, six bits of type, then the layer id (second byte)
    return nal_type not in HEVC_NON_REFERENCE if nal_type < 32 else None


def is_non_reference(packet: Any, length_size: int, codec: str = "h264") -> bool:
    """Whether a packet holds coded slices and each is of a non-reference picture: exactly a frame
    ``skip_frame=NONREF`` drops. H.264: ``nal_ref_idc`` 0 (bench/frames_scale.py ``--measure nonref_prediction``:
    the same frames on four films, 4,993 frames). HEVC (``codec`` "hevc"): a NAL unit type of
    ``HEVC_NON_REFERENCE``, as FFmpeg drops each such NAL unit before it is parsed (tests/unit/test_frames_hevc.py)."""
    data, at, references = bytes(packet), 0, []
    while at + length_size < len(data):
        size = int.from_bytes(data[at:at + length_size], "big")
        referenced = _slice_references(data[at + length_size], codec)
        if referenced is not None:
            references.append(referenced)
        at += length_size + size
    return bool(references) and not any(references)


class _FrameClock:
    """Display-order frame numbers when the decoder skips frames: every demuxed packet's presentation time is
    held until a decoded frame passes it, so a frame's number counts the skipped frames before it (the decoder
    returns frames in presentation order, after every packet that precedes them)."""

    def __init__(self) -> None:
        self._pending: list[int] = []

    def packet(self, pts: int | None) -> None:
        if pts is not None:
            heapq.heappush(self._pending, pts)

    def skipped_before(self, pts: int) -> list[int]:
        """Presentation times of frames skipped before the decoded frame at ``pts`` (which is then consumed)."""
        skipped = []
        while self._pending and self._pending[0] < pts:
            skipped.append(heapq.heappop(self._pending))
        if self._pending and self._pending[0] == pts:
            heapq.heappop(self._pending)
        return skipped

    def rest(self) -> list[int]:
        return sorted(self._pending)


def _packet_frames(container, stream, report: DecodeReport, path: Path,
                   on_packet: Callable[[Any], None] | None = None,
                   on_held: Callable[[Any], None] | None = None) -> Iterator[Any]:
    """Frames of ``stream``, packet by packet: a packet the decoder refuses is skipped and counted; an empty packet
    holding the previous picture (resources.media.held_picture) is told to ``on_held`` and not decoded."""
    import av

    decoder = alpha_decoder(stream)  # a transparent WebM's alpha layer decoded too
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.error.FFmpegError as error:  # the container itself is broken from here on
            report.error = f"demuxing stopped at frame {report.frames}: {error}"
            log.warning("%s: %s", path, report.error)
            return
        if held_picture(packet):
            if on_held is not None:
                on_held(packet)
            continue
        if on_packet is not None and packet.size:
            on_packet(packet)
        try:
            frames = decode_packet(packet, decoder)
        except av.error.FFmpegError as error:
            report.damaged_packets += 1
            if report.damaged_packets == 1:
                log.warning("%s: skipping damaged data near frame %d (%s)", path, report.frames, error)
            continue
        yield from frames


_LOG_LOCK = threading.Lock()
_log_captures: list[Any] = [0, None, True]  # captures open; PyAV's log level and skip_repeated before


@contextmanager
def decoder_messages(codec: str) -> Iterator[list[str]]:
    """The errors and warnings ``codec``'s decoders log meanwhile (FFmpeg's log, through PyAV's capture; it is
    process-wide, so another decode of the same codec at the same time adds its own). PyAV's log level is raised
    to WARNING for the while if it was lower (by default it forwards nothing) and restored after the last."""
    import av.logging

    with _LOG_LOCK:
        if _log_captures[0] == 0:
            _log_captures[1:] = av.logging.get_level(), av.logging.get_skip_repeated()
            if _log_captures[1] is None or _log_captures[1] < av.logging.WARNING:
                av.logging.set_level(av.logging.WARNING)
            av.logging.set_skip_repeated(False)  # else a message the last film ended on is not told again
        _log_captures[0] += 1
    found: list[str] = []
    try:
        with av.logging.Capture(local=False) as logs:
            yield found
            found.extend(message.strip() for level, name, message in logs
                         if name == codec and level <= av.logging.WARNING)
    finally:
        with _LOG_LOCK:
            _log_captures[0] -= 1
            if _log_captures[0] == 0:
                av.logging.set_level(_log_captures[1])
                av.logging.set_skip_repeated(_log_captures[2])


@contextmanager
def open_video_stream(path: Path) -> Iterator[tuple[Any, Any]]:
    """``(container, the film's video stream: resources.media.main_video_stream)`` of a PyAV-opened file, closed on
    exit; a file that cannot be opened or has no video stream but a cover picture raises BadMediaError naming it."""
    import av

    try:
        container = av.open(str(path))
    except av.error.FFmpegError as error:
        raise BadMediaError(path, f"cannot be opened as a video ({error})") from error
    with container:
        stream = main_video_stream(container)
        if stream is None:
            raise BadMediaError(path, "has no video stream" + (" (only a cover picture)" if container.streams.video
                                                                else ""))
        yield container, stream


def decode(path: Path, detect_width: int, report: DecodeReport, interpolation: str = "AREA",
           skip_non_reference: bool = False,
           on_every_frame: Callable[[int, float, Any], None] | None = None,
           picture: "PictureGeometry | None" = None) -> Iterator[DecodedFrame]:
    """Yields every decodable frame of the first video stream, skipping damaged packets; ``report`` says how much
    of the declared duration was decoded. A file with no decodable frame raises BadMediaError. ``interpolation``:
    swscale's filter for the small copy (``AREA``, anti-aliased, is 2-4x cheaper than ``BILINEAR`` from 720p or
    1080p to 256 px). ``skip_non_reference``: the decoder skips frames no other frame is predicted from (most
    B-frames: about 40% of an H.264 film's frames), in MP4 / Matroska where packets carry presentation times;
    the frames it yields are decoded exactly and numbered in display order counting the skipped ones.
    ``on_every_frame(index, timestamp_s, av_frame)`` is told of every frame, numbered and timed as a decode
    without skipping numbers them: with ``skip_non_reference`` on H.264 or HEVC (avcC / hvcC) every frame is
    then decoded and the non-reference ones (``is_non_reference``) are withheld from the frames yielded, so these
    stay exactly those of a skipping decode; on another codec the decoder skips and ``on_every_frame`` is never called
    (``report.every_frame`` stays 0). ``picture``: the film's picture geometry (assets/frames/picture.py), applied
    to every decoded frame before anything sees it (the report's size is then the corrected picture's); its tone
    map (an HDR film) to the full-size pixels ``full_bgr`` gives."""
    from av.video.reformatter import VideoReformatter

    from assets.frames.picture_probe import corrected

    small_reformatter, full_reformatter = VideoReformatter(), VideoReformatter()
    tone = picture.tone if picture is not None else None
    with open_video_stream(path) as (container, stream):
        stream.thread_type = "AUTO"
        report.fps = frame_rate(stream) or 0.0
        report.declared_s = _declared_seconds(container, stream)
        time_base = float(stream.time_base) if stream.time_base else None
        origin = film_origin_s(container)  # timestamps on the film's clock (0:00 at its start), as players show
        clock, length_size, non_reference, codec = None, None, set(), stream.codec_context.name
        if skip_non_reference and time_base and any(f in container.format.name for f in SKIPPABLE_FORMATS):
            clock = _FrameClock()
            length_size = nal_length_size(stream) if on_every_frame is not None else None
            if length_size is None:  # the decoder skips; nothing sees every frame
                stream.codec_context.skip_frame = "NONREF"
                on_every_frame = None

        def on_packet(packet: Any) -> None:
            if clock is not None:
                clock.packet(packet.pts)
            if length_size is not None and is_non_reference(packet, length_size, codec):
                non_reference.add(packet.pts)

        # the times of pictures held on by empty packets (Ogg Theora, AVI): shown, so covered, though not decoded
        held: deque[Any] = deque()

        def add_held_before(pts: float) -> None:
            while held and (held[0].pts < pts):
                packet = held.popleft()
                report.add_frame_time(packet.pts * time_base - origin, _duration_s(packet, time_base))

        small_size: tuple[int, int] | None = None
        every = 0
        messages: list[str] = []
        with ExitStack() as capturing:
            if on_every_frame is not None:  # every frame decoded: damage may show only in the decoder's log
                messages = capturing.enter_context(decoder_messages(codec))
            for frame in corrected(_packet_frames(container, stream, report, path, on_packet, held.append),
                                   picture, stream.time_base):
                if small_size is None:
                    report.width, report.height = frame.width, frame.height
                    scale = min(1.0, detect_width / frame.width)
                    small_size = (max(2, round(frame.width * scale)), max(2, round(frame.height * scale)))
                if on_every_frame is not None:
                    on_every_frame(every, float(frame.pts * time_base - origin) if frame.pts is not None and time_base
                                   else every / report.fps if report.fps else 0.0, frame)
                    every += 1
                    if frame.pts in non_reference:  # a frame the skipping decoder would not have produced
                        non_reference.discard(frame.pts)
                        continue
                skipped: tuple[float, ...] = ()
                if frame.pts is not None and time_base:
                    timestamp = frame.pts * time_base - origin
                    if clock is not None:
                        skipped = tuple(pts * time_base - origin for pts in clock.skipped_before(frame.pts))
                else:
                    timestamp = report.frames / report.fps if report.fps else 0.0
                if len(skipped) > MAX_SKIPPED_RUN:  # more than B-frames can be: damaged, counted as a gap
                    skipped = ()
                for skipped_s in skipped:
                    report.add_frame_time(skipped_s)
                report.frames += len(skipped)
                small = small_reformatter.reformat(frame, width=small_size[0], height=small_size[1],
                                                   format="bgr24", interpolation=interpolation).to_ndarray()
                if held and frame.pts is not None and time_base:
                    add_held_before(frame.pts)
                report.add_frame_time(float(timestamp), _duration_s(frame, time_base))
                yield DecodedFrame(report.frames, float(timestamp), small, frame, full_reformatter, skipped, tone)
                report.frames += 1
                report.analysed += 1
        report.codec, report.decoder_errors = codec, len(messages)
        if messages:
            log.warning("%s: the %s decoder logged %d error(s) or warning(s), first: %s", path, codec, len(messages),
                        messages[0])
        if clock is not None and report.analysed:
            tail = [pts * time_base - origin for pts in clock.rest() if pts * time_base - origin > report._last_s]
            report.skipped_tail_s = tail[:MAX_SKIPPED_RUN]
            for skipped_s in report.skipped_tail_s:
                report.add_frame_time(skipped_s)
            report.frames += len(report.skipped_tail_s)
        if held and time_base and report.analysed:  # pictures held on after the last decoded one
            add_held_before(float("inf"))
        report.finish()
        report.every_frame = every
        if report.damaged_packets and not report.error:
            report.error = f"skipped {report.damaged_packets} damaged packet(s)"
    if report.analysed == 0:
        raise BadMediaError(path, f"no frame could be decoded{': ' + report.error if report.error else ''}")


def _duration_s(frame: Any, time_base: float | None) -> float | None:
    """How long the container says ``frame`` shows (variable frame rate films say it frame by frame); None unknown."""
    duration = getattr(frame, "duration", None)
    return float(duration * time_base) if duration and time_base and duration > 0 else None


_END = object()


def decode_ahead(path: Path, detect_width: int, report: DecodeReport, depth: int = 8,
                 skip_non_reference: bool = False,
                 on_every_frame: Callable[[int, float, Any], None] | None = None,
                 picture: "PictureGeometry | None" = None) -> Iterator[DecodedFrame]:
    """``decode`` run in a background thread, ``depth`` frames ahead of the consumer: FFmpeg's decoding and scaling
    release the GIL, so shot detection overlaps with decoding on a second core (``on_every_frame`` runs there)."""
    import queue
    import threading

    frames: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for frame in decode(path, detect_width, report, skip_non_reference=skip_non_reference,
                                on_every_frame=on_every_frame, picture=picture):
                while not stop.is_set():
                    try:
                        frames.put(frame, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            frames.put(_END)
        except BaseException as error:  # handed to the consumer, raised there
            frames.put(error)

    worker = threading.Thread(target=produce, name=f"decode:{Path(path).name}", daemon=True)
    worker.start()
    try:
        while True:
            item = frames.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)
