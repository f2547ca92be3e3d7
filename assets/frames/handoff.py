"""What ``shot_analysis`` measures of every frame, taken while ``frames`` decodes the film, so a film of 480 rows or
more is decoded once for both stages (README, "Temporal analysis").

Per decoded frame: its light and colour signals, the 192 px wide grey picture (camera motion), the 32 x 18 grey
thumbnail and the hue x saturation x value histogram counts (appearance); on the frames the picture change samples
(CHANGE_RATE, ``SampleClock``: every second frame at 24 fps) the 64 x 36 grey of the picture change (straight from
the decoded frame, swscale's area filter). Camera motion itself cannot be measured here (it masks the
characters' boxes, found later), nor the appearance (sampled per shot, and the shots are final only at the end),
so the pictures travel: each frame's as one zlib record (lossless; about 14 KB a frame at 16:9; level 1 with the
run-length strategy, Z_RLE: a third less CPU than the default strategy for 7% more bytes, read by plain
``zlib.decompress``), in
``<film>/frame_handoff/frames.bin``. ``manifest.json`` is written last and names the frames stage's fingerprint,
the sizes and what the decode reported, so a reader takes a whole handoff of the current frames or none.
shot_analysis deletes the folder once its own tables are committed."""

import json
import os
import shutil
import struct
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from resources.background_writer import BackgroundWriter
from resources.storage import FilmWorkspace, swap_in

HANDOFF_DIR = "frame_handoff"
# below this a frame decodes so cheaply that the handoff's writing and reading cost what it saves (the Sintel trailer,
# 204 rows: 3.88 CPU-s for frames and the scan either way); at 480 rows it saves 9% of the two (docs/frames.md, s. 16)
HANDOFF_MIN_ROWS = 480
ANALYSIS_WIDTH = 192  # shot_analysis.analysis_width the handoff is taken at (another width decodes again)
CHANGE_SIZE = (64, 36)  # the picture change's grey: small enough that grain averages out
CHANGE_RATE = 12.5  # shot_analysis.change_rate the picture change's greys are taken at (another rate decodes again)
HIST_BINS = (8, 4, 4)  # hue x saturation x value: coarse enough that lighting noise does not split a palette
THUMB_SIZE = (32, 18)
# bump when the record layout changes (2: the picture change's grey on sampled frames only; 3: the colours' spread)
FORMAT = 3
_HEADER = struct.Struct("<qd6dI")  # index, timestamp, six signals, compressed length
SIGNALS = ("luma", "bright_share", "lab_a", "lab_b", "lab_spread", "saturation")


def frame_signals(bgr: np.ndarray, hsv: np.ndarray | None = None) -> dict[str, float]:
    """Whole-frame light and colour: mean grey, share of near-white pixels, mean Lab chroma (a, b about 0), the
    spread of the pixels' a, b round that mean (their standard deviations' hypotenuse), mean saturation. Flashes,
    lighting changes and colour casts are read from these. ``hsv``: the frame in HSV when the caller has it."""
    lab = cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB)  # OpenCV's 8-bit L is scaled to 0-255
    pixels = lab.shape[0] * lab.shape[1]
    sums = cv2.sumElems(lab)  # exact channel sums in one pass, no float copy of the frame

    def mean(total: float) -> float:  # single precision, as the float32 means these columns were first taken with
        return float(np.float32(total) / np.float32(pixels))

    saturation = cv2.sumElems(hsv if hsv is not None else cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV))[1]
    deviations = cv2.meanStdDev(lab)[1].ravel()  # a grade moves every colour one way; a colourful scene spreads them
    return {"luma": mean(sums[0]), "bright_share": np.count_nonzero(lab[..., 0] >= 240) / pixels,
            "lab_a": mean(sums[1]) - 128.0, "lab_b": mean(sums[2]) - 128.0,
            "lab_spread": float(np.hypot(deviations[1], deviations[2])), "saturation": saturation / pixels}


def appearance_sample(bgr: np.ndarray, hsv: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A frame's palette (HSV histogram counts, float32) and its grey thumbnail (uint8, THUMB_SIZE)."""
    hsv = hsv if hsv is not None else cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1, 2], None, list(HIST_BINS), [0, 180, 0, 256, 0, 256]).reshape(-1)
    thumbnail = cv2.cvtColor(cv2.resize(bgr, THUMB_SIZE, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
    return hist, thumbnail


def small_size(width: int, height: int, target_width: int) -> tuple[int, int]:
    """The downscaled copy's size, as frames.decode rounds it."""
    scale = min(1.0, target_width / width)
    return max(2, round(width * scale)), max(2, round(height * scale))


class SampleClock:
    """When the picture change takes a sample: the first frame at least ``1 / rate`` seconds after the previous
    sample (so the film's frame rate sets the exact spacing: every second frame at 24 fps for 12.5 Hz)."""

    def __init__(self, rate: float):
        self.rate = rate
        self._next_s = 0.0

    def due(self, timestamp_s: float) -> bool:
        """Whether the frame at ``timestamp_s`` (frames in display order) is a sample."""
        if timestamp_s < self._next_s:
            return False
        self._next_s = timestamp_s + 1.0 / self.rate
        return True


class ChangeGrey:
    """The picture change's 64 x 36 grey of a decoded frame (one swscale context for the film)."""

    def __init__(self) -> None:
        from av.video.reformatter import VideoReformatter

        self._reformatter = VideoReformatter()

    def __call__(self, frame: Any) -> np.ndarray:
        return self._reformatter.reformat(frame, width=CHANGE_SIZE[0], height=CHANGE_SIZE[1], format="gray",
                                          interpolation="AREA").to_ndarray()


@dataclass
class HandoffFrame:
    index: int  # display order, as a decode of every frame numbers it
    timestamp_s: float
    signals: dict[str, float]
    grey: np.ndarray  # ANALYSIS_WIDTH wide
    change_grey: np.ndarray | None  # CHANGE_SIZE, on the frames a picture change at the handoff's rate samples
    histogram: np.ndarray  # float32 counts, HIST_BINS flattened
    thumbnail: np.ndarray  # uint8, THUMB_SIZE


class HandoffWriter:
    """Takes every decoded frame (``add``, called from the decoding thread) into a staging folder beside the
    film's ``frame_handoff``; ``finish`` writes the manifest and swaps the folder in, ``discard`` removes it.
    The measuring and writing (``write``, about 1 CPU-ms a 1080p frame) run on a thread of their own, in the frames'
    order (resources/background_writer.py), so the decoding thread hands FFmpeg its next packet sooner: on the
    decoding thread they were the decode's serial part and `frames` kept little more than one core busy. At most
    ``QUEUED`` frames are taken and not yet written."""

    QUEUED = 16

    def __init__(self, workspace: FilmWorkspace, frames_fingerprint: str):
        self.final = workspace.artefact_dir(HANDOFF_DIR)
        self.final.parent.mkdir(parents=True, exist_ok=True)
        # named as resources/storage.py names staging folders, so `castforge runs clear` removes a killed run's
        self.staging = Path(tempfile.mkdtemp(prefix=f".{HANDOFF_DIR}.staging.{os.getpid()}.", dir=self.final.parent))
        self.fingerprint = frames_fingerprint
        self._file = (self.staging / "frames.bin").open("wb")
        self._change = ChangeGrey()
        self._change_clock = SampleClock(CHANGE_RATE)  # the frames shot_analysis' picture change will sample
        self._small = None
        self._size: tuple[int, int] | None = None
        self.frames = 0  # frames taken (``add``); all written once ``finish`` returns
        self._writing = BackgroundWriter(self.write, self.QUEUED, HANDOFF_DIR,
                                         lambda index, *_: f"frame {index} of {self._file.name}")

    @property
    def writing(self) -> bool:
        """Whether its writing thread is running."""
        return self._writing.alive

    def add(self, index: int, timestamp_s: float, frame: Any) -> None:
        """Queues a frame for ``write`` on the writing thread; an error that thread met is raised here. A frame
        given after ``discard`` (the decode still winding down) is dropped."""
        if self._writing.submit(index, timestamp_s, frame):
            self.frames += 1

    def write(self, index: int, timestamp_s: float, frame: Any) -> None:
        """One frame's record: its signals and compressed pictures, appended to frames.bin."""
        if self._size is None:
            from av.video.reformatter import VideoReformatter

            self._small = VideoReformatter()
            self._size = small_size(frame.width, frame.height, ANALYSIS_WIDTH)
        bgr = self._small.reformat(frame, width=self._size[0], height=self._size[1], format="bgr24",
                                   interpolation="AREA").to_ndarray()
        hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
        signals = frame_signals(bgr, hsv)
        histogram, thumbnail = appearance_sample(bgr, hsv)
        grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        # swscale's 64 x 36 grey costs a third of a CPU-ms a 1080p frame: taken only where it will be sampled
        change = self._change(frame).tobytes() if self._change_clock.due(timestamp_s) else b""
        packer = zlib.compressobj(1, zlib.DEFLATED, 15, 8, zlib.Z_RLE)
        blob = packer.compress(b"".join((grey.tobytes(), change, thumbnail.tobytes(),
                                         histogram.astype(np.float32).tobytes()))) + packer.flush()
        self._file.write(_HEADER.pack(index, timestamp_s, *(signals[s] for s in SIGNALS), len(blob)))
        self._file.write(blob)

    def finish(self, fps: float, width: int, height: int, decode_error: str | None) -> Path:
        """Every queued frame written, the manifest (last), then the folder swapped in for the film's previous
        handoff; returns the folder. A frame the writing thread could not write raises its error here."""
        try:
            self._writing.finish()
        except BaseException:
            self.discard()
            raise
        self._file.close()
        manifest = {"format": FORMAT, "frames_fingerprint": self.fingerprint, "frames": self.frames,
                    "change_rate": CHANGE_RATE, "fps": fps, "source_width": width, "source_height": height,
                    "width": self._size[0] if self._size else 0, "height": self._size[1] if self._size else 0,
                    "decode_error": decode_error, "bytes": (self.staging / "frames.bin").stat().st_size}
        (self.staging / "manifest.json").write_text(json.dumps(manifest, indent=1))
        swap_in(self.staging, self.final)
        return self.final

    def discard(self) -> None:
        """Drops the frames still queued (the one being written ends), ends the writing thread, removes the
        staging folder."""
        self._writing.stop()
        self._file.close()
        shutil.rmtree(self.staging, ignore_errors=True)


def wants_handoff(kind: str, height: int | None) -> bool:
    """Whether ``frames`` takes the handoff for a film (a video of HANDOFF_MIN_ROWS rows or more)."""
    return kind == "video" and (height or 0) >= HANDOFF_MIN_ROWS


def settle_handoff(writer: HandoffWriter | None, report: Any, workspace: FilmWorkspace) -> dict[str, Any]:
    """After the frames stage's decode: the handoff swapped in when ``writer`` saw every frame the decode produced
    (``report``: its DecodeReport), else discarded; a film without one loses any earlier one (it would be stale).
    Returns what goes into the stage record: the handoff's frames and bytes, or why there is none."""
    if writer is None:
        remove_handoff(workspace)
        return {"handoff": f"none: below {HANDOFF_MIN_ROWS} rows or not a video"}
    if report is None or not report.every_frame or report.every_frame != writer.frames:
        writer.discard()
        remove_handoff(workspace)
        return {"handoff": "none: the decoder skipped frames (not H.264 or HEVC in MP4 / Matroska)"}
    if report.codec == "hevc" and report.decoder_errors:
        # damage FFmpeg's HEVC decoder conceals without refusing a packet decodes differently from run to run,
        # with frame threads or without: no handoff can be proven equal to shot_analysis' own decode there
        writer.discard()
        remove_handoff(workspace)
        return {"handoff": f"none: the HEVC decoder logged {report.decoder_errors} error(s) (damaged)"}
    folder = writer.finish(report.fps, report.width, report.height, report.error)
    return {"handoff": str(workspace.relative(folder)), "handoff_frames": writer.frames,
            "handoff_bytes": (folder / "frames.bin").stat().st_size}


def remove_handoff(workspace: FilmWorkspace) -> None:
    """Deletes the film's handoff (a new frames run that makes none, or shot_analysis done with it)."""
    shutil.rmtree(workspace.artefact_dir(HANDOFF_DIR), ignore_errors=True)


@dataclass
class Handoff:
    folder: Path
    manifest: dict[str, Any]

    @property
    def size(self) -> tuple[int, int]:
        return self.manifest["width"], self.manifest["height"]

    def taken_at(self, width: int, change_rate: float) -> bool:
        """Whether its pictures are those a decode shrunk to ``width`` px wide gives, with the picture change's
        greys on the frames a sampling at ``change_rate`` Hz takes."""
        return (width == ANALYSIS_WIDTH and change_rate == self.manifest.get("change_rate")
                and self.size == small_size(self.manifest["source_width"], self.manifest["source_height"], width))

    def frames(self) -> Iterator[HandoffFrame]:
        width, height = self.size
        change_bytes = CHANGE_SIZE[0] * CHANGE_SIZE[1]
        with_change = np.cumsum([width * height, change_bytes, THUMB_SIZE[0] * THUMB_SIZE[1]])
        without_change = np.cumsum([width * height, 0, THUMB_SIZE[0] * THUMB_SIZE[1]])
        whole = width * height + change_bytes + THUMB_SIZE[0] * THUMB_SIZE[1] + 4 * int(np.prod(HIST_BINS))
        with (self.folder / "frames.bin").open("rb") as stored:
            while header := stored.read(_HEADER.size):
                index, timestamp_s, *values, length = _HEADER.unpack(header)
                data = np.frombuffer(zlib.decompress(stored.read(length)), np.uint8)
                sampled = len(data) == whole  # a record without the picture change's grey is shorter by it
                grey, change, thumbnail, histogram = np.split(data, with_change if sampled else without_change)
                yield HandoffFrame(index, timestamp_s, dict(zip(SIGNALS, values)), grey.reshape(height, width),
                                   change.reshape(CHANGE_SIZE[::-1]) if sampled else None,
                                   histogram.copy().view(np.float32), thumbnail.reshape(THUMB_SIZE[::-1]))


def read_handoff(workspace: FilmWorkspace, frames_fingerprint: str | None) -> Handoff | None:
    """The film's handoff when it is whole and of the frames stage's current run (``frames_fingerprint``); else
    None (the reader decodes the film itself)."""
    folder = workspace.artefact_dir(HANDOFF_DIR)
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    if (manifest.get("format") != FORMAT or manifest.get("frames_fingerprint") != frames_fingerprint
            or frames_fingerprint is None or not manifest.get("frames")):
        return None
    try:
        if (folder / "frames.bin").stat().st_size != manifest.get("bytes"):
            return None
    except OSError:
        return None
    return Handoff(folder, manifest)
