"""One decoding pass over a video with PyAV: every frame once, a small copy for shot detection."""

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from resources.errors import BadMediaError

log = logging.getLogger(__name__)


@dataclass
class DecodedFrame:
    index: int  # decode order, 0-based
    timestamp_s: float  # presentation time (correct for variable frame rate)
    small_bgr: np.ndarray  # downscaled copy for shot detection
    frame: Any  # the av.VideoFrame; converted to full-size pixels only when chosen
    reformatter: Any  # shared swscale context (PyAV builds a new one per call of frame.to_ndarray)

    def full_bgr(self) -> np.ndarray:
        return self.reformatter.reformat(self.frame, format="bgr24").to_ndarray()


@dataclass
class DecodeReport:
    frames: int = 0
    error: str | None = None  # set when decoding stopped early (a truncated or damaged file)
    fps: float = 0.0
    width: int = 0
    height: int = 0


def decode(path: Path, detect_width: int, report: DecodeReport) -> Iterator[DecodedFrame]:
    """Yields every frame of the first video stream. A damaged tail stops the iteration and is noted in
    ``report.error``; a file with no decodable frame raises BadMediaError."""
    import av
    from av.video.reformatter import VideoReformatter

    small_reformatter, full_reformatter = VideoReformatter(), VideoReformatter()
    try:
        container = av.open(str(path))
    except av.error.FFmpegError as error:
        raise BadMediaError(path, f"cannot be opened as a video ({error})") from error
    with container:
        if not container.streams.video:
            raise BadMediaError(path, "has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        report.fps = float(stream.average_rate or stream.guessed_rate or 0) or 0.0
        time_base = float(stream.time_base) if stream.time_base else None
        small_size: tuple[int, int] | None = None
        try:
            for frame in container.decode(stream):
                if small_size is None:
                    report.width, report.height = frame.width, frame.height
                    scale = min(1.0, detect_width / frame.width)
                    small_size = (max(2, round(frame.width * scale)), max(2, round(frame.height * scale)))
                if frame.pts is not None and time_base:
                    timestamp = frame.pts * time_base
                else:
                    timestamp = report.frames / report.fps if report.fps else 0.0
                small = small_reformatter.reformat(frame, width=small_size[0], height=small_size[1],
                                                   format="bgr24", interpolation="BILINEAR").to_ndarray()
                yield DecodedFrame(report.frames, float(timestamp), small, frame, full_reformatter)
                report.frames += 1
        except av.error.FFmpegError as error:
            report.error = f"decoding stopped at frame {report.frames}: {error}"
            log.warning("%s: %s", path, report.error)
    if report.frames == 0:
        raise BadMediaError(path, f"no frame could be decoded{': ' + report.error if report.error else ''}")


_END = object()


def decode_ahead(path: Path, detect_width: int, report: DecodeReport, depth: int = 8) -> Iterator[DecodedFrame]:
    """``decode`` run in a background thread, ``depth`` frames ahead of the consumer: FFmpeg's decoding and scaling
    release the GIL, so shot detection overlaps with decoding on a second core."""
    import queue
    import threading

    frames: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for frame in decode(path, detect_width, report):
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
