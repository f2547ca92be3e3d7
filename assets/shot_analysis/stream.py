"""One pass over a downscaled copy of every frame of the film: per-frame signals, background motion, per-shot
appearance, and the picture's change that av_sync reads (``picture_change``).

The measures need every frame (flashes last two frames, camera motion is taken every second one). On a video of 720
rows or more in H.264 or HEVC the frames stage decodes every frame anyway and hands over what is measured here
(assets/frames/handoff.py): the scan reads that instead of decoding (``handed_off_frames``), with the same tables.
Otherwise (no handoff, a stale one, another ``analysis_width``) it decodes the film itself (``decoded_frames``).
Its cost is measured with bench/stage_cost.py (README, "Temporal analysis").
"""

import bisect
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import polars as pl

from assets.frames.decode import DecodeReport, decode_ahead
from assets.frames.picture import PictureGeometry
from assets.frames.handoff import HIST_BINS, THUMB_SIZE, ChangeGrey, Handoff, appearance_sample, frame_signals
from assets.shot_analysis.camera import PairMotion, background_mask, pair_motion
from assets.shot_analysis.params import ShotAnalysisParams
from assets.shot_analysis.picture_change import PictureChangeSampler

SIGNAL_SCHEMA = {
    "frame_index": pl.Int64, "timestamp_s": pl.Float64, "shot": pl.Int32, "luma": pl.Float32,
    "bright_share": pl.Float32, "lab_a": pl.Float32, "lab_b": pl.Float32, "lab_spread": pl.Float32,
    "saturation": pl.Float32,
    "dx": pl.Float32, "dy": pl.Float32, "log_scale": pl.Float32, "rotation_deg": pl.Float32, "inliers": pl.Int32,
}
MAX_PENDING_PAIRS = 32  # frame pairs queued for the motion tracker at most (their grey frames stay in memory)


@dataclass
class ShotAppearance:
    """Sums over a shot's sampled frames; normalised when read."""

    histogram: np.ndarray = field(default_factory=lambda: np.zeros(int(np.prod(HIST_BINS)), np.float64))
    thumbnail: np.ndarray = field(default_factory=lambda: np.zeros(THUMB_SIZE[::-1], np.float64))
    samples: int = 0

    def add(self, bgr: np.ndarray) -> None:
        self.add_sample(*appearance_sample(bgr))

    def add_sample(self, hist: np.ndarray, thumbnail: np.ndarray) -> None:
        """One frame's ``appearance_sample``: HSV histogram counts (float32) and grey thumbnail."""
        self.histogram += hist / max(hist.sum(), 1.0)
        self.thumbnail += thumbnail
        self.samples += 1

    def normalised(self) -> tuple[np.ndarray, np.ndarray]:
        count = max(self.samples, 1)
        return self.histogram / count, self.thumbnail / count


@dataclass
class StreamScan:
    signals: pl.DataFrame
    pairs: dict[int, list[PairMotion]]  # per shot, consecutive-frame background motions
    appearance: dict[int, ShotAppearance]
    width: int  # analysed frame size
    height: int
    fps: float
    decoded_frames: int
    decode_error: str | None
    picture_change: pl.DataFrame  # relation picture_change (av_sync reads it instead of decoding the film again)
    cameras: dict[int, dict] = field(default_factory=dict)  # shot -> camera row taken from the last run (shot_reuse.py)


class ShotLookup:
    """frame index -> shot number, and each shot's characters' boxes at its analysed key frames."""

    def __init__(self, shots: pl.DataFrame, boxes: dict[int, list[tuple[int, list[tuple[float, ...]]]]]):
        ordered = shots.sort("start_frame")
        self.starts = ordered["start_frame"].to_list()
        self.numbers = ordered["shot"].to_list()
        self.boxes = {shot: sorted(entries) for shot, entries in boxes.items()}

    def shot_of(self, frame_index: int) -> int:
        position = bisect.bisect_right(self.starts, frame_index) - 1
        return self.numbers[max(position, 0)] if self.numbers else 0

    def boxes_near(self, shot: int, frame_index: int, scale: float) -> list[tuple[float, float, float, float]]:
        entries = self.boxes.get(shot)
        if not entries:
            return []
        nearest = min(entries, key=lambda entry: abs(entry[0] - frame_index))[1]
        return [tuple(v * scale for v in box) for box in nearest]


@dataclass
class MeasuredFrame:
    """One frame as the scan reads it, decoded here or handed off by the frames stage (assets/frames/handoff.py)."""

    index: int
    timestamp_s: float
    grey: np.ndarray  # the analysed width's grey picture
    signals: dict[str, float]  # frame_signals
    appearance: Callable[[], tuple[np.ndarray, np.ndarray]]  # appearance_sample, taken when the scan samples it
    change_grey: Callable[[], np.ndarray]  # the picture change's grey, taken when sampled


def decoded_frames(video: Path, width: int, report: DecodeReport,
                   picture: PictureGeometry | None = None) -> Iterator[MeasuredFrame]:
    """Every frame of ``video`` decoded (a thread ahead), as the frames stage's ``picture`` shows it, and shrunk to
    ``width`` px by swscale's area filter."""
    change = ChangeGrey()
    for frame in decode_ahead(video, width, report, picture=picture):
        yield measured_frame(frame.index, frame.timestamp_s, frame.small_bgr, frame.frame, change)


def measured_frame(index: int, timestamp_s: float, small: np.ndarray, decoded, change: ChangeGrey) -> MeasuredFrame:
    """A decoded frame (``small``: its BGR copy at the analysed width; ``decoded``: the av.VideoFrame) as measured."""
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    return MeasuredFrame(index, timestamp_s, cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), frame_signals(small, hsv),
                         lambda: appearance_sample(small, hsv), lambda: change(decoded))


def handed_off_frames(handoff: Handoff, report: DecodeReport) -> Iterator[MeasuredFrame]:
    """The frames stage's handoff read back, ``report`` filled as a decode of the film would fill it."""
    manifest = handoff.manifest
    report.fps, report.width, report.height = manifest["fps"], manifest["source_width"], manifest["source_height"]
    report.frames, report.error = manifest["frames"], manifest["decode_error"]
    for frame in handoff.frames():
        yield MeasuredFrame(frame.index, frame.timestamp_s, frame.grey, frame.signals,
                            lambda frame=frame: (frame.histogram, frame.thumbnail),
                            lambda frame=frame: frame.change_grey)


def scan_video(video: Path, lookup: ShotLookup, width: int = 192, appearance_every: int = 4,
               params: ShotAnalysisParams = ShotAnalysisParams(), handoff: Handoff | None = None,
               motion_shots: set[int] | None = None, stop_at: int | None = None,
               source: Callable[[DecodeReport], Iterable[MeasuredFrame]] | None = None,
               picture: PictureGeometry | None = None) -> StreamScan:
    """Decode ``video`` once at ``width`` px and measure every frame (see module docstring); with ``handoff``
    (taken at ``width`` by the frames stage's decode) read that instead of decoding: the same tables.
    ``motion_shots``: measure the camera motion of these shots only (the rest have none); ``stop_at``: stop
    decoding at this frame index; ``source``: the frames to measure instead (shot_reuse.py decodes a few shots; their
    rows are a full scan's); ``picture``: the frames stage's picture geometry (a decode here shows the same picture).

    Three threads share the work: one decodes and scales (``decode_ahead``), this one measures the frames' light
    and colour, one tracks the background between frame pairs (``pair_motion``); FFmpeg and OpenCV release the
    GIL, so they run at once. Each pair's motion is folded in in film order, so the tables are those of one thread."""
    report = DecodeReport()
    rows: list[dict] = []
    pairs: dict[int, list[PairMotion]] = {}
    appearance: dict[int, ShotAppearance] = {}
    previous_shot = None
    anchor: tuple[np.ndarray, int] | None = None  # the last frame motion was measured from, in this shot
    size = (0, 0)
    pending: deque[tuple[Future, int, int, list[dict]]] = deque()  # (motion, shot, gap, rows it fills), film order
    change = PictureChangeSampler(params.change_rate)

    def settle(keep: int) -> None:
        """Fold in the finished motions in order, waiting for the oldest while more than ``keep`` are pending."""
        while pending and (len(pending) > keep or pending[0][0].done()):
            future, shot, gap, filled = pending.popleft()
            motion = per_frame(future.result(), gap)
            pairs.setdefault(shot, []).extend([motion] * gap)  # one step per frame: paths and medians stay per frame
            for row in filled:  # the frame measured and the frames skipped in between
                row.update(_motion_columns(motion, size[0]))

    with ThreadPoolExecutor(1, thread_name_prefix="camera_motion") as tracker:
        frames = source(report) if source else handed_off_frames(handoff, report) if handoff else \
            decoded_frames(video, width, report, picture)
        for frame in frames:
            if stop_at is not None and frame.index >= stop_at:
                break
            grey = frame.grey
            change.add_grey(frame.index, frame.timestamp_s, frame.change_grey)
            size = (grey.shape[1], grey.shape[0])
            shot = lookup.shot_of(frame.index)
            row = {"frame_index": frame.index, "timestamp_s": round(frame.timestamp_s, 4), "shot": shot,
                   **frame.signals, **_motion_columns(None, grey.shape[1])}
            if shot != previous_shot:
                anchor = (grey, frame.index)
            elif frame.index - anchor[1] >= params.motion_every and (motion_shots is None or shot in motion_shots):
                gap = frame.index - anchor[1]
                scale = grey.shape[1] / report.width if report.width else 1.0
                mask = background_mask(grey.shape, lookup.boxes_near(shot, frame.index, scale))
                skipped = rows[len(rows) - (gap - 1):] if gap > 1 else []
                pending.append((tracker.submit(pair_motion, anchor[0], grey, mask, params), shot, gap,
                                [*skipped, row]))
                anchor = (grey, frame.index)
            if frame.index % appearance_every == 0 or shot != previous_shot:
                appearance.setdefault(shot, ShotAppearance()).add_sample(*frame.appearance())
            rows.append(row)
            previous_shot = shot
            settle(MAX_PENDING_PAIRS)
        settle(0)
    signals = pl.DataFrame(rows, schema=SIGNAL_SCHEMA, strict=False) if rows else pl.DataFrame(schema=SIGNAL_SCHEMA)
    return StreamScan(signals, pairs, appearance, size[0], size[1], report.fps, report.frames, report.error,
                      change.table())


def per_frame(motion: PairMotion, gap: int) -> PairMotion:
    """A motion measured across ``gap`` frames as the motion of each of them (constant over so short a span)."""
    if gap == 1 or not motion.valid:
        return motion
    return PairMotion(motion.dx / gap, motion.dy / gap, motion.log_scale / gap, motion.rotation_deg / gap,
                      motion.inliers, motion.tracked)


def _motion_columns(motion: PairMotion | None, width: int) -> dict[str, float | int | None]:
    """Background motion from the previous frame in frame widths (resolution-free); null at a shot's first frame
    and where it could not be estimated."""
    if motion is None or not motion.valid:
        return {"dx": None, "dy": None, "log_scale": None, "rotation_deg": None, "inliers": 0}
    return {"dx": motion.dx / width, "dy": motion.dy / width, "log_scale": motion.log_scale,
            "rotation_deg": motion.rotation_deg, "inliers": motion.inliers}


def scan_images(images: Iterable[tuple[int, np.ndarray | None]], width: int = 192) -> dict[int, ShotAppearance]:
    """An image-folder film: each image is its own shot; only its appearance is measured (no motion)."""
    appearance: dict[int, ShotAppearance] = {}
    for shot, bgr in images:
        if bgr is None:
            continue
        scale = min(1.0, width / bgr.shape[1])
        small = cv2.resize(bgr, (max(2, round(bgr.shape[1] * scale)), max(2, round(bgr.shape[0] * scale))),
                           interpolation=cv2.INTER_AREA)
        appearance.setdefault(shot, ShotAppearance()).add(small)
    return appearance
