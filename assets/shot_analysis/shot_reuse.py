"""The film scan of a shot_analysis that runs again (after a review): only the shots whose inputs changed are measured.

The scan (stream.py) measures two kinds of thing in the decoded film. What every frame looks like (the frame
signals' light and colour, the picture's change, each shot's palette and background) depends on the film, its shots
and the parameters only. A shot's camera motion also depends on the characters' boxes masked out of that shot's
background (``ShotLookup.boxes``), so discarding a cut-out changes the motion of its shot alone. Each run keys the
film (its content hash and shot bounds) and every shot (its bounds and boxes) with resources/item_reuse.py and keeps
each shot's appearance sums in ``<film>/shot_analysis/scan_reuse.npz``. When the film's key is unchanged the next run
takes the last run's rows (``frame_signals``, ``picture_change``, the camera columns of ``shot_analysis``) and
measures the motion of the changed shots only, decoding the film up to the end of the last of them; with none
changed it decodes nothing. Its tables equal a full scan's. No Dagster.
"""

import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl

from assets.shot_analysis.params import ShotAnalysisParams
from assets.frames.decode import DecodeReport
from assets.frames.handoff import ChangeGrey
from assets.frames.picture import PictureGeometry
from assets.shot_analysis.stream import (SIGNAL_SCHEMA, MeasuredFrame, ShotAppearance, ShotLookup, StreamScan,
                                         measured_frame, scan_video)
from resources.item_reuse import ItemReuse
from resources.media import decoded_frames, frame_rate
from resources.storage import FilmWorkspace

STORE = "scan_reuse.npz"  # in <film>/shot_analysis/: every shot's appearance sums and the decode's measures
CAMERA_COLUMNS = ("camera_motion", "motion_magnitude", "pan_rate", "tilt_rate", "zoom_rate", "camera_jitter",
                  "motion_pairs", "motion_note")
MOTION_COLUMNS = ("dx", "dy", "log_scale", "rotation_deg", "inliers")


class ShotScanReuse:
    """``scan`` gives the film's StreamScan from the last run plus the changed shots measured anew (None: scan the
    whole film); ``keep`` stores what the next run takes; ``reused_shots`` counts the shots taken."""

    def __init__(self, reuse: ItemReuse, workspace: FilmWorkspace, film_hash: str):
        self.reuse, self.workspace, self.film_hash = reuse, workspace, film_hash
        self.store = workspace.artefact_dir("shot_analysis") / STORE
        self.reused_shots = 0
        self.measured_by = "a full scan"  # or: nothing (every shot reused), a seek to each changed shot, a decode

    def _keys(self, shots: pl.DataFrame, lookup: ShotLookup) -> list[int]:
        bounds = shots.select("shot", "start_frame", "end_frame").sort("shot").rows()
        self.film_key = self.reuse.key("film", self.film_hash, bounds)
        for shot, start, end in bounds:
            boxes = [[index, [list(box) for box in frame_boxes]] for index, frame_boxes in lookup.boxes.get(shot, [])]
            self.reuse.key(f"shot:{shot}", self.film_key, start, end, boxes)
        return [shot for shot, _, _ in bounds]

    def scan(self, video: Path, lookup: ShotLookup, shots: pl.DataFrame, params: ShotAnalysisParams,
             handed_off: bool = False, picture: PictureGeometry | None = None) -> StreamScan | None:
        """Keys the film and its shots; with ``handed_off`` (the frames stage measured every frame) or no usable
        last run, None."""
        numbers = self._keys(shots, lookup)
        last = None if handed_off else self._last_run()
        if last is None or not self.reuse.reusable("film"):
            return None
        signals, picture_change, cameras, appearance, measures = last
        changed = [shot for shot in numbers if not self.reuse.reusable(f"shot:{shot}") or shot not in cameras]
        pairs: dict = {}
        self.measured_by = "nothing"
        if changed:
            partial = self._seeking(video, lookup, params, signals, changed, picture) \
                if not measures["decode_error"] else None
            self.measured_by = "a seek to each changed shot"
            if partial is None:  # decode from the start to the end of the last changed shot
                self.measured_by = "a decode from the start to the last changed shot"
                starts = shots.select("start_frame", "shot").rows()
                last_start = max(start for start, shot in starts if shot in changed)
                after = sorted(start for start, _ in starts if start > last_start)
                partial = scan_video(video, lookup, params.analysis_width, params.appearance_every, params,
                                     motion_shots=set(changed), stop_at=after[0] if after else None, picture=picture)
            measured = partial.signals.filter(pl.col("shot").is_in(changed))
            signals = pl.concat([signals.filter(~pl.col("shot").is_in(changed)), measured]).sort("frame_index")
            pairs = partial.pairs
        self.reused_shots = len(numbers) - len(changed)
        return StreamScan(signals, pairs, appearance, measures["width"], measures["height"], measures["fps"],
                          measures["decoded_frames"], measures["decode_error"], picture_change,
                          cameras={shot: cameras[shot] for shot in numbers if shot not in changed})

    def _seeking(self, video: Path, lookup: ShotLookup, params: ShotAnalysisParams, signals: pl.DataFrame,
                 changed: list[int], picture: PictureGeometry | None = None) -> StreamScan | None:
        """The changed shots measured by seeking to each (``shot_frames``); None when a frame is not where the
        last run's full decode put it (its number, its time or its light and colour differ): decode from the start."""
        spans = signals.filter(pl.col("shot").is_in(changed)).group_by("shot").agg(
            pl.col("frame_index").min().alias("first"), pl.col("frame_index").max().alias("last")).sort("first")
        index_of = dict(zip(signals["timestamp_s"].to_list(), signals["frame_index"].to_list()))
        try:
            partial = scan_video(video, lookup, params.analysis_width, params.appearance_every, params,
                                 motion_shots=set(changed), source=lambda report: shot_frames(
                                     video, spans.select("first", "last").rows(), params.analysis_width, index_of,
                                     report, picture))
        except FrameMismatch:
            return None
        looks = [c for c in SIGNAL_SCHEMA if c not in MOTION_COLUMNS]
        last = signals.filter(pl.col("shot").is_in(changed)).select(looks)
        return partial if partial.signals.select(looks).equals(last) else None

    def _last_run(self) -> tuple | None:
        """The last run's tables and store when they are whole and made under the same film key."""
        tables = ("shot_analysis", "frame_signals", "picture_change")
        if not self.reuse.previous or not self.store.is_file() or not all(map(self.workspace.has_table, tables)):
            return None
        with np.load(self.store, allow_pickle=False) as stored:
            measures = json.loads(str(stored["measures"]))
            if measures.get("film_key") != self.film_key:
                return None
            appearance = {int(shot): ShotAppearance(histogram, thumbnail, int(samples)) for shot, histogram, thumbnail,
                          samples in zip(stored["shots"], stored["histogram"], stored["thumbnail"], stored["samples"])}
        signals = self.workspace.read_table("frame_signals")
        if not set(SIGNAL_SCHEMA) <= set(signals.columns):
            return None  # measured before a signal was added: scanned again
        shots = self.workspace.read_table("shot_analysis")
        cameras = {row["shot"]: {c: row[c] for c in CAMERA_COLUMNS} for row in shots.iter_rows(named=True)}
        signals = signals.select(list(SIGNAL_SCHEMA)).cast(SIGNAL_SCHEMA)
        picture_change = self.workspace.read_table("picture_change").drop("film")
        return signals, picture_change, cameras, appearance, measures

    def keep(self, scan: StreamScan) -> None:
        """Stores the scan's appearance sums and decode measures for the next run (beside, then renamed)."""
        shots = sorted(scan.appearance)
        self.store.parent.mkdir(parents=True, exist_ok=True)
        partial = self.store.with_name(f".{STORE}.{os.getpid()}.partial.npz")
        measures = {"film_key": self.film_key, "width": scan.width, "height": scan.height, "fps": scan.fps,
                    "decoded_frames": scan.decoded_frames, "decode_error": scan.decode_error}
        np.savez(partial, shots=np.array(shots, np.int64), measures=np.array(json.dumps(measures)),
                 histogram=np.array([scan.appearance[s].histogram for s in shots], np.float64),
                 thumbnail=np.array([scan.appearance[s].thumbnail for s in shots], np.float64),
                 samples=np.array([scan.appearance[s].samples for s in shots], np.int64))
        os.replace(partial, self.store)


class FrameMismatch(Exception):
    """A frame decoded after a seek is not the one a decode from the start numbers and times so."""


def shot_frames(video: Path, spans: list[tuple[int, int]], width: int, index_of: dict[float, int],
                report: DecodeReport, picture: PictureGeometry | None = None) -> Iterator[MeasuredFrame]:
    """Frames ``first``..``last`` of each span, decoded from the key frame before it (a seek) and measured as
    stream.decoded_frames measures them; ``index_of`` (the last full scan's time -> frame number) numbers them,
    and a frame it does not know, or a span not decoded whole, raises FrameMismatch."""
    from av.video.reformatter import VideoReformatter

    from assets.frames.decode import open_video_stream
    from assets.frames.picture_probe import corrected
    from resources.media import film_origin_s

    small_reformatter, change = VideoReformatter(), ChangeGrey()
    time_of = {index: time for time, index in index_of.items()}
    with open_video_stream(video) as (container, stream):
        stream.thread_type = "AUTO"
        report.fps = frame_rate(stream) or 0.0
        time_base, origin = float(stream.time_base), film_origin_s(container)
        for first, last in spans:
            container.seek(int((time_of[first] + origin) / time_base), stream=stream, backward=True)
            expected = first
            for frame in corrected(_decoded(container, stream), picture, stream.time_base):
                if frame.pts is None:
                    raise FrameMismatch(f"{video}: a frame without a time")
                timestamp = float(frame.pts * time_base - origin)
                index = index_of.get(round(timestamp, 4))
                if index is None or index > expected:
                    raise FrameMismatch(f"{video}: frame at {timestamp:.4f} s is not frame {expected}")
                if index < expected:
                    continue
                if not report.width:
                    report.width, report.height = frame.width, frame.height
                scale = min(1.0, width / frame.width)
                small = small_reformatter.reformat(
                    frame, width=max(2, round(frame.width * scale)), height=max(2, round(frame.height * scale)),
                    format="bgr24", interpolation="AREA").to_ndarray()
                yield measured_frame(index, timestamp, small, frame, change)
                expected += 1
                if index == last:
                    break
            if expected <= last:
                raise FrameMismatch(f"{video}: frames {expected}..{last} not decoded after the seek")


def _decoded(container, stream) -> Iterator:
    return decoded_frames(container, stream)
