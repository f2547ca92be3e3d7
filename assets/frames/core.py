"""Shot-aware key frames from a video or an image folder. No Dagster, no models.

``extract_video_frames`` decodes the film once: every frame goes downscaled through PySceneDetect's content
detector, while a per-shot reservoir holds an evenly strided subset of full-size frames; when a shot ends its
chosen frames are measured, filtered and written. Near-duplicates across the film are removed at the end.
"""

import logging
import shutil
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import polars as pl

from assets.frames.canvas_match import Canvas, canvas
from assets.frames.decode import DecodedFrame, DecodeReport, decode_ahead
from assets.frames.picture_probe import PictureSettings, probe_picture
from assets.frames.quality import (COLOUR_CHROMA, Figure, FrameQuality, figure, measure, near_duplicates,
                                   quality_drop_reason)
from assets.frames.sampling import ShotReservoir
from assets.frames.shots import Shot, ShotDetector
from assets.instances.image_alpha import alpha_path, image_alpha, write_frame_alpha
from resources.background_writer import BackgroundWriter
from resources.disk_space import write_image
from resources.errors import BadMediaError
from resources.media import image_files, read_image_rgb

log = logging.getLogger(__name__)
MODES = ("scene", "interval", "hybrid")
DEINTERLACE = ("auto", "always", "field_match", "never")
JPEG_SAMPLING = {"444": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444, "422": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_422,
                 "420": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420}

FRAME_SCHEMA = {
    "frame_id": pl.String, "shot": pl.Int32, "pos": pl.Int32, "frame_index": pl.Int64, "timestamp_s": pl.Float64,
    "source": pl.String, "path": pl.String, "width": pl.Int32, "height": pl.Int32, "sharpness": pl.Float64,
    "brightness": pl.Float64, "contrast": pl.Float64, "phash": pl.String, "kept": pl.Boolean,
    "drop_reason": pl.String,
}
SHOT_SCHEMA = {"shot": pl.Int32, "start_frame": pl.Int64, "end_frame": pl.Int64, "start_s": pl.Float64,
               "end_s": pl.Float64}


@dataclass(frozen=True)
class FrameParams:
    mode: str = "scene"              # scene | interval | hybrid
    content_threshold: float = 30.0  # PySceneDetect ContentDetector threshold (3D films cut cleanly at 30)
    min_shot_frames: int = 15        # shorter shots merge into their neighbour
    frames_per_shot: int = 10        # scene mode: N frames spread across each shot, capped by its length
    # interval mode: one frame every interval_s; hybrid: per shot, capped by frames_per_shot
    interval_s: float = 1.0
    detect_width: int = 256          # shot detection runs on a stream downscaled to this width
    dedup_hamming: int = 6           # perceptual-hash distance at or below which two frames are near-duplicates
    min_sharpness: float = 20.0      # Laplacian variance on the frame scaled to 512 px wide
    min_brightness: float = 12.0     # mean grey level (0-255)
    min_contrast: float = 10.0       # grey-level standard deviation
    jpeg_quality: int = 95
    # the key frames' JPEG chroma (instances cuts, and the datasets' cut-outs come from, these pixels): "420" halves
    # it both ways (OpenCV's default); "444" keeps every pixel's colour, for a quarter more bytes. Session 34: 4:4:4
    # raised the composites as instances reads them (--key-frame-jpeg; tune 5 of 5, held out 3 of 4) but lowered the
    # two Kenney films through the whole chain (cut-outs mean IoU held out 0.513 -> 0.496, tune 0.717 -> 0.706;
    # tune identities F 1.000 -> 0.963): 4:2:0 stays the default (docs/frames.md, session 34)
    jpeg_sampling: str = "420"
    min_coverage: float = 0.9  # a video whose decoded share of its declared duration is lower is refused
    # scene / hybrid modes decode only the frames others are predicted from (I, P, reference B): shots are found
    # and key frames chosen among them, decoded exactly; interval mode decodes every frame for exact times
    skip_non_reference: bool = True
    # an image folder's images whose hashes are within dedup_hamming are near-duplicates only when they are also one
    # picture pixel by pixel (assets/frames/canvas_match.py): the hash reads the canvas's layout, and composites of
    # other characters on one background frame read as one (Kenney tune sets). Video frames keep the hash alone
    image_dedup_pixels: bool = True
    # the film's picture as a viewer sees it (assets/frames/picture.py, docs/frames.md session 39): key frames and the
    # frames every stage reads at square pixels (the stream's sample aspect ratio), deinterlaced when the sampled
    # frames are combed ("auto": a hard-telecined film by matching fields, video interlacing by bwdif; "always" is
    # bwdif, "field_match" matching fields, "never"), turned upright by the display matrix, without the black
    # bars that hold over the film ("auto"; false keeps them). A film needing none of these decodes as before. An HDR
    # film (PQ / HLG) has its key frames and the pictures lip sync reads tone-mapped to SDR (assets/frames/tone_map.py)
    square_pixels: bool = True
    deinterlace: str = "auto"
    rotate: bool = True
    crop_bars: str = "auto"  # auto | false (YAML false is read as "false")
    tone_map: bool = True

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"frames.mode must be one of {MODES}, not {self.mode!r}")
        if self.frames_per_shot < 1 or self.interval_s <= 0:
            raise ValueError("frames.frames_per_shot must be >= 1 and frames.interval_s > 0")
        if self.jpeg_sampling not in JPEG_SAMPLING:
            raise ValueError(f"frames.jpeg_sampling must be one of {tuple(JPEG_SAMPLING)}, not {self.jpeg_sampling!r}")
        if self.deinterlace not in DEINTERLACE:
            raise ValueError(f"frames.deinterlace must be one of {DEINTERLACE}, not {self.deinterlace!r}")
        if str(self.crop_bars).lower() not in ("auto", "true", "false"):
            raise ValueError(f"frames.crop_bars must be auto or false, not {self.crop_bars!r}")
        if not 0.0 <= self.min_coverage <= 1.0:
            raise ValueError(f"frames.min_coverage must be within [0, 1], not {self.min_coverage}")

    def picture_settings(self) -> PictureSettings:
        return PictureSettings(self.square_pixels, self.deinterlace, self.rotate,
                               "auto" if str(self.crop_bars).lower() in ("auto", "true") else "false",
                               bool(self.tone_map))

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "FrameParams":
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class FramesResult:
    frames: pl.DataFrame
    shots: pl.DataFrame
    decoded_frames: int = 0  # the video's frames in display order (decoded, or skipped as non-reference)
    decode_error: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    coverage: dict[str, Any] = field(default_factory=dict)  # DecodeReport.summary(): declared/decoded seconds, gaps
    analysed_frames: int = 0  # frames actually decoded and seen by shot detection
    report: DecodeReport | None = None  # the report of the decode on_every_frame saw (fps, size, error, frames)
    picture: dict[str, Any] | None = None  # PictureGeometry.summary() of a video: stored size, SAR, crop, output size


def key_frame_jpeg_params(params: FrameParams) -> list[int]:
    """``cv2.imwrite``'s parameters for a key frame: ``jpeg_quality`` and ``jpeg_sampling``."""
    return [cv2.IMWRITE_JPEG_QUALITY, params.jpeg_quality,
            cv2.IMWRITE_JPEG_SAMPLING_FACTOR, JPEG_SAMPLING[params.jpeg_sampling]]


def frame_name(shot: int, pos: int, frame_index: int) -> str:
    return f"scene{shot:04d}_pos{pos}_frame{frame_index:05d}"


class _FrameWriter:
    """Measures chosen frames, applies the quality filter and writes the survivors as JPEG. The JPEG encoding and
    writing (about 6 CPU-ms a 1080p frame) run on a thread of their own, at most ``PENDING`` frames not yet written
    (resources/background_writer.py), so the stage's thread takes the next decoded frames sooner when a shot
    closes: the decoding thread waits on it then. Every write is done (or its error raised) by ``finish``."""

    PENDING = 4

    def __init__(self, out_dir: Path, params: FrameParams, relative: Callable[[Path], str]):
        out_dir.mkdir(parents=True, exist_ok=True)
        self.out_dir = out_dir
        self.params = params
        self.relative = relative
        self.rows: list[dict[str, Any]] = []
        self.qualities: list[FrameQuality] = []
        self.figures: list[Figure | None] = []  # an image folder's figures (quality.figure); a video's stay empty
        self.canvases: list[Canvas | None] = []  # an image folder's thumbnails (frames.image_dedup_pixels)
        self._jpegs = BackgroundWriter(self._write, self.PENDING, "frame_jpeg", lambda target, bgr: str(target))

    def _write(self, target: Path, bgr: np.ndarray) -> None:
        write_image(target, bgr, key_frame_jpeg_params(self.params))

    def add(self, bgr: np.ndarray, shot: int, pos: int, frame_index: int, timestamp_s: float, source: str,
            cutout: bool | None = None) -> None:
        """``cutout``: for an image, whether it was laid on white from its own alpha (its figure is compared with
        the others', quality.figure); None for a video frame (its canvas hash only)."""
        quality = measure(bgr)
        if cutout is not None:
            self.figures.append(figure(bgr, cutout, quality.chroma >= COLOUR_CHROMA))
            if self.params.image_dedup_pixels:
                self.canvases.append(canvas(bgr, quality.chroma >= COLOUR_CHROMA))
        reason = quality_drop_reason(quality, self.params.min_sharpness, self.params.min_brightness,
                                     self.params.min_contrast)
        frame_id = frame_name(shot, pos, frame_index)
        path = None
        if reason is None:
            target = self.out_dir / f"{frame_id}.jpg"
            # PyAV's to_ndarray is a view of a buffer it hands out again: the writing thread gets its own copy
            # (without it a damaged HEVC film's JPEGs differed from run to run: tests/unit/test_frames_hevc.py)
            self._jpegs.submit(target, bgr if bgr.flags.owndata else bgr.copy())
            path = self.relative(target)
        self.qualities.append(quality)
        self.rows.append({
            "frame_id": frame_id, "shot": shot, "pos": pos, "frame_index": frame_index,
            "timestamp_s": round(timestamp_s, 4), "source": source, "path": path,
            "width": bgr.shape[1], "height": bgr.shape[0], "sharpness": round(quality.sharpness, 3),
            "brightness": round(quality.brightness, 3), "contrast": round(quality.contrast, 3),
            "phash": f"{quality.phash:016x}", "kept": reason is None, "drop_reason": reason,
        })

    def close(self) -> None:
        """Stops the writing thread: the write under way ends, those not started are dropped."""
        self._jpegs.stop()

    def finish(self) -> pl.DataFrame:
        try:
            self._jpegs.finish()
        finally:
            self.close()
        candidates = [i for i, row in enumerate(self.rows) if row["kept"]]
        duplicates = near_duplicates([self.qualities[i].phash for i in candidates],
                                     [self.qualities[i].sharpness for i in candidates], self.params.dedup_hamming,
                                     [self.qualities[i].chroma >= COLOUR_CHROMA for i in candidates],
                                     [self.figures[i] for i in candidates] if self.figures else None,
                                     [self.canvases[i] for i in candidates] if self.canvases else None)
        for dropped, kept in duplicates.items():
            row = self.rows[candidates[dropped]]
            (self.out_dir / Path(row["path"]).name).unlink(missing_ok=True)
            alpha_path(self.out_dir / Path(row["path"]).name).unlink(missing_ok=True)
            row.update(kept=False, path=None, drop_reason=f"duplicate_of:{self.rows[candidates[kept]]['frame_id']}")
        return pl.DataFrame(self.rows, schema=FRAME_SCHEMA)


def _wanted_for_shot(params: FrameParams, length_frames: int, duration_s: float) -> int:
    if params.mode == "hybrid":
        return int(np.clip(round(duration_s / params.interval_s), 1, params.frames_per_shot))
    return min(params.frames_per_shot, length_frames)


def extract_video_frames(video: Path, out_dir: Path, params: FrameParams,
                         relative: Callable[[Path], str] = str,
                         on_frame: Callable[[int], None] | None = None,
                         on_every_frame: Callable[[int, float, Any], None] | None = None) -> FramesResult:
    """Key frames of a video: one decoding pass, shots, N frames per shot (or by interval), quality, dedup.
    ``on_frame(n)`` is told after each decoded frame (progress); ``on_every_frame``: see ``decode`` (an H.264 film
    is then decoded whole, and the stage still sees exactly the reference frames; ``report.every_frame`` says
    whether it was called for every frame)."""
    out = _extract_video_frames(video, out_dir, params, relative, on_frame, on_every_frame)
    skipping = params.skip_non_reference and params.mode != "interval"
    if out.report.every_frame and out.report.damaged and skipping:
        # the decoder conceals damage from the last picture it made, which decoding every frame makes a
        # non-reference one: the frames after the damage differ a little from a skipping decode's (sharpness
        # 613 against 600 on a damaged testvideo), so a damaged film is passed over again as it decodes skipping.
        # Damage FFmpeg's HEVC decoder conceals refuses no packet; it shows only in the decoder's log, when at all
        # (``report.decoder_errors``)
        log.info("%s: damaged; taking the key frames again from a reference-only decode", video)
        shutil.rmtree(out_dir, ignore_errors=True)
        again = _extract_video_frames(video, out_dir, params, relative, on_frame, None)
        again.report = out.report  # the decode on_every_frame saw (the handoff's manifest tells of it)
        again.picture = out.picture
        return again
    return out


def _extract_video_frames(video: Path, out_dir: Path, params: FrameParams, relative: Callable[[Path], str],
                          on_frame: Callable[[int], None] | None,
                          on_every_frame: Callable[[int, float, Any], None] | None) -> FramesResult:
    writer = _FrameWriter(out_dir, params, relative)
    try:
        return _extract_into(writer, video, params, on_frame, on_every_frame)
    finally:   # a refused film's pending JPEG writes end before its staging folder is removed
        writer.close()


def _extract_into(writer: "_FrameWriter", video: Path, params: FrameParams, on_frame: Callable[[int], None] | None,
                  on_every_frame: Callable[[int, float, Any], None] | None) -> FramesResult:
    report = DecodeReport()
    shots: list[Shot] = []
    detector: ShotDetector | None = None
    reservoir: ShotReservoir[DecodedFrame] | None = None
    shot_start, shot_start_s = 0, 0.0
    # every frame's presentation time, by decode index (8 bytes a frame: 4 MB for 3 h at 60 fps). A cut may land
    # anywhere in a black run of any length (a fade's midpoint), so no window of recent frames is enough.
    timestamps = array("d")
    next_interval_s = 0.0
    interval_frames: list[DecodedFrame] = []
    last: DecodedFrame | None = None

    def close_shot(end_frame: int, end_s: float, pending: list[tuple[int, DecodedFrame]]) -> None:
        nonlocal reservoir, shot_start, shot_start_s
        shot = Shot(len(shots), shot_start, end_frame, round(shot_start_s, 4), round(end_s, 4))
        shots.append(shot)
        if params.mode == "interval":
            chosen = [(f.index, f) for f in interval_frames if shot.start_frame <= f.index <= end_frame]
            interval_frames[:] = [f for f in interval_frames if f.index > end_frame]
        else:
            wanted = _wanted_for_shot(params, end_frame - shot_start + 1, end_s - shot_start_s)
            chosen = reservoir.pick(end_frame, wanted, lambda f: not ShotDetector.is_dark(f.small_bgr))
        for pos, (_, frame) in enumerate(chosen):
            bgr, alpha = frame.key_frame()
            writer.add(bgr, shot.shot, pos, frame.index, frame.timestamp_s, "")
            if writer.rows[-1]["kept"] and alpha is not None:  # the frame's own cut-out, beside it for instances
                write_frame_alpha(writer.out_dir / f"{writer.rows[-1]['frame_id']}.jpg", alpha)
        shot_start = end_frame + 1
        shot_start_s = timestamps[shot_start] if shot_start < len(timestamps) else end_s
        reservoir = ShotReservoir(params.frames_per_shot, shot_start)
        for index, frame in pending:
            if reservoir.offer(index):
                reservoir.add(index, frame)

    picture = probe_picture(video, params.picture_settings())
    # deinterlacing reads each frame's neighbours' fields: every frame is decoded
    skip = params.skip_non_reference and params.mode != "interval" and not (picture and picture.deinterlace)
    for frame in decode_ahead(video, params.detect_width, report, skip_non_reference=skip,
                              on_every_frame=on_every_frame, picture=picture):
        if detector is None:
            detector = ShotDetector(params.content_threshold, params.min_shot_frames, report.fps)
            reservoir = ShotReservoir(params.frames_per_shot, 0)
        timestamps.extend(frame.skipped_s)  # display indices 0, 1, 2, ... (skipped frames too): position == index
        timestamps.append(frame.timestamp_s)
        if on_frame is not None:
            on_frame(len(timestamps))
        if params.mode == "interval":
            if frame.timestamp_s + 1e-6 >= next_interval_s:
                interval_frames.append(frame)
                next_interval_s += params.interval_s * max(1, int((frame.timestamp_s - next_interval_s)
                                                                  // params.interval_s) + 1)
        elif reservoir.offer(frame.index):
            reservoir.add(frame.index, frame)
        for cut in detector.feed(frame.index, frame.small_bgr):
            if cut <= shot_start:
                continue
            close_shot(cut - 1, timestamps[cut], reservoir.split_at(cut))
        last = frame
    timestamps.extend(report.skipped_tail_s)
    last_index = len(timestamps) - 1
    for cut in detector.finish():
        if shot_start < cut <= last.index:
            close_shot(cut - 1, timestamps[cut] if cut < len(timestamps) else last.timestamp_s,
                       reservoir.split_at(cut))
    check_coverage(video, report, params.min_coverage)
    end_s = timestamps[last_index] + (1.0 / report.fps if report.fps else 0.0)
    close_shot(last_index, end_s, [])
    return FramesResult(writer.finish(), pl.DataFrame([s.__dict__ for s in shots], schema=SHOT_SCHEMA),
                        report.frames, report.error, coverage=report.summary(), analysed_frames=report.analysed,
                        report=report, picture=picture.summary() if picture else None)


def check_coverage(video: Path, report: DecodeReport, min_coverage: float) -> None:
    """Refuse a video that decoded to less than ``min_coverage`` of its declared duration (damaged or truncated)."""
    if report.coverage is None or report.coverage >= min_coverage:
        return
    gaps = ", ".join(f"{a:.1f}-{b:.1f} s" for a, b in report.gaps[:5])
    raise BadMediaError(video, f"decoded only {report.decoded_s:.1f} s of its declared {report.declared_s:.1f} s "
                               f"({report.coverage:.0%}, below frames.min_coverage {min_coverage:.0%}; "
                               f"{report.damaged_packets} damaged packet(s){', gaps ' + gaps if gaps else ''}"
                               f"{', ' + report.error if report.error and 'damaged' not in report.error else ''}). "
                               "The file is damaged or truncated: replace it, or lower frames.min_coverage")


def extract_image_frames(folder: Path, out_dir: Path, params: FrameParams,
                         relative: Callable[[Path], str] = str,
                         on_frame: Callable[[int], None] | None = None) -> FramesResult:
    """An image folder as a film: every readable image is a frame and its own shot; unreadable ones are rows
    with a drop reason."""
    writer = _FrameWriter(out_dir, params, relative)
    shots = []
    for index, image_path in enumerate(image_files(folder)):
        if on_frame is not None:
            on_frame(index + 1)
        source = str(image_path.relative_to(folder))
        shots.append({"shot": index, "start_frame": index, "end_frame": index, "start_s": None, "end_s": None})
        try:  # a huge image is decoded reduced; one that cannot be used is a dropped row naming why
            rgb = read_image_rgb(image_path)
        except BadMediaError as error:
            log.warning("%s; recorded as dropped", error)
            writer.rows.append({**{k: None for k in FRAME_SCHEMA}, "frame_id": frame_name(index, 0, index),
                                "shot": index, "pos": 0, "frame_index": index, "source": source, "kept": False,
                                "drop_reason": f"unreadable: {error.reason}"})
            writer.qualities.append(FrameQuality(0.0, 0.0, 0.0, 0))
            writer.figures.append(None)
            if params.image_dedup_pixels:
                writer.canvases.append(None)
            continue
        alpha = image_alpha(image_path, (rgb.shape[1], rgb.shape[0]))
        writer.add(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), index, 0, index, 0.0, source, cutout=alpha is not None)
        if writer.rows[-1]["kept"] and alpha is not None:  # a cut-out's own alpha, beside its key frame for instances
            write_frame_alpha(out_dir / f"{writer.rows[-1]['frame_id']}.jpg", alpha)
    if not shots:
        raise BadMediaError(folder, "holds no images")
    return FramesResult(writer.finish(), pl.DataFrame(shots, schema=SHOT_SCHEMA), len(shots),
                        analysed_frames=len(shots))


def contact_sheet(images: list[Path], count: int = 8, height: int = 96) -> np.ndarray | None:
    """A horizontal strip of up to ``count`` thumbnails spread over ``images`` (BGR), for asset metadata."""
    if not images:
        return None
    picks = [images[int(i)] for i in np.linspace(0, len(images) - 1, min(count, len(images)))]
    tiles = []
    for path in picks:
        bgr = cv2.imread(str(path))
        if bgr is not None:
            tiles.append(cv2.resize(bgr, (max(1, round(bgr.shape[1] * height / bgr.shape[0])), height)))
    return np.hstack(tiles) if tiles else None
