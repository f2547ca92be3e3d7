"""Mouth series of the faces seen in a shot, decoded from the video around its speech. No Dagster.

Kept frames are sparse (a few per shot), too few for lips, so the video is decoded again (PyAV, seeking to each
stretch) at ``rate`` Hz over the stretches where someone speaks. Each face keeps the box it had on the kept frame
of its shot nearest in time (faces move little within a shot; the box is widened by ``box_margin`` so a small
move stays inside).
"""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import numpy as np
import polars as pl

from assets.audio.active_speakers import (EVIDENCE_SCHEMA, ActiveSpeakerParams, grid, shot_evidence,
                                          speech_spans_in_shot)
from assets.frames.decode import open_video_stream
from assets.frames.frame_pixels import frame_pixels
from assets.frames.picture import PictureGeometry, shown
from resources.area_resize import area_resized
from resources.cores import available_cores
from resources.backends.mouth_landmarks import lower_face_motion, lower_face_patch
from resources.media import decoded_frames, film_origin_s

log = logging.getLogger(__name__)


SHORT_LEAD_S = 0.05   # first try: seek just before the first time (a window often starts at a cut, a key frame)
SEEK_LEAD_S = 1.0     # else this far before it, so that the frame before the first time is decoded too
# containers without an index (MPEG-TS, M2TS) seek to a packet near the time, not to a key frame: the packets before
# the next key frame are dropped, and where that key frame comes after the first time the seek goes further back
LONG_LEAD_S = 30.0
REORDER_MARGIN_S = 1.0  # packets read past the last time: a frame's packet comes before its display time plus this


def rgb_of(reformatter, frame, max_height: int | None = None, picture: PictureGeometry | None = None) -> np.ndarray:
    """The decoded ``frame`` as RGB; one taller than ``max_height`` rows (None: no cap) scaled to that many rows in
    the same swscale pass (area interpolation), its width rounded as resources/analysis_frame.py rounds it.
    ``picture``: the frames stage's picture geometry (the key frames' boxes are in its pixels), applied first, and
    its tone map (an HDR film's pixels as the key frames show them); a picture with a geometry is scaled after it,
    by OpenCV's area filter (resources/area_resize.py: the same bytes as ``cv2.resize``, half the CPU)."""
    tone = picture.tone if picture is not None else None
    if picture is not None and not picture.identity:
        image = frame_pixels(reformatter, frame, tone, format="rgb24")
        if picture.crop is not None and picture.sar == 1 and not picture.rotation:
            crop = picture.crop   # only cropped: the resize reads the crop in place (``shown`` would copy it)
            image = image[crop.y:crop.y + crop.height, crop.x:crop.x + crop.width]
        else:
            image = shown(image, picture)
        if not max_height or image.shape[0] <= max_height:
            return np.ascontiguousarray(image)
        width = max(1, round(image.shape[1] * max_height / image.shape[0]))
        return area_resized(image, width, max_height)
    if not max_height or frame.height <= max_height:
        return frame_pixels(reformatter, frame, tone, format="rgb24")
    width = max(1, round(frame.width * max_height / frame.height))
    return frame_pixels(reformatter, frame, tone, format="rgb24", width=width, height=max_height,
                        interpolation="AREA")


def frames_at(video: Path, times: np.ndarray, max_height: int | None = None,
              picture: PictureGeometry | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """(index into ``times``, RGB frame) for the decoded frame nearest each time (a tie: the later one), in order;
    one seek per call; frames taller than ``max_height`` rows come scaled to it (``rgb_of``). The window's packets
    are read first, so which frames are picked is known from their
    timestamps before decoding: frames no other frame is predicted from (most B-frames) are skipped unless picked
    (the grid at 12.5 Hz picks about every other frame of a 24 fps film), and decoding starts at the last key
    frame before the first picked frame (``first_key_packet``), not at the seek point. Where the decoder does not
    give a picked frame, the window is decoded again frame by frame from there, so the frames are those of a full
    decode either way."""
    if len(times) == 0:
        return
    from av.video.reformatter import VideoReformatter

    reformatter = VideoReformatter()  # one swscale context for the window (frame.to_ndarray builds one per frame)
    wanted = 0
    with open_video_stream(video) as (container, stream):
        base = float(stream.time_base)
        origin = film_origin_s(container)
        times = np.asarray(times, dtype=float) + origin  # the film's clock (decode.py's timestamps) -> the stream's
        for lead in (SHORT_LEAD_S, SEEK_LEAD_S, LONG_LEAD_S, None):
            target = max(int((times[0] - lead) / base), 0) if lead is not None else 0
            packets = window_packets(container, stream, target, times[-1] + REORDER_MARGIN_S)
            stamps = sorted(p.pts * base for p in packets if p.pts is not None)
            # exact when the first frame read is at or before the first time: from that key frame on every
            # frame is read, the one before the first time included (a frame at the time itself wins a tie)
            if (stamps and stamps[0] <= times[0]) or target == 0:
                break
        picks = nearest_stamps(stamps, times)
        needed, codec = set(picks), stream.codec_context
        # up to the last picked frame's packet, then None: flush the decoder's delayed frames (the packets read past
        # it, up to REORDER_MARGIN_S of them, only push frames out: no picked frame is predicted from them)
        last = max((i for i, p in enumerate(packets) if p.pts is not None and p.pts * base in needed), default=-1)
        for packet in [*packets[first_key_packet(packets, picks, base, last):last + 1], None]:
            if packet is not None:
                codec.skip_frame = "DEFAULT" if packet.pts is not None and packet.pts * base in needed else "NONREF"
            for frame in codec.decode(packet):
                if frame.pts is None or wanted >= len(picks) or frame.pts * base < picks[wanted]:
                    continue
                if frame.pts * base > picks[wanted]:
                    break   # the picked frame never came out of the decoder
                image = rgb_of(reformatter, frame, max_height, picture)
                while wanted < len(picks) and picks[wanted] == frame.pts * base:
                    yield wanted, image
                    wanted += 1
                if wanted == len(picks):
                    return
            else:
                continue
            break
    if wanted < len(picks):
        log.warning("%s: frames near %.2f s not decoded as picked; decoding every frame there", video.name,
                    times[wanted] - origin)
        yield from ((wanted + i, image) for i, image in every_frame_at(video, times[wanted:] - origin,
                                                                                    max_height, picture))


def window_packets(container, stream, target: int, until_s: float) -> list:
    """The stream's packets from the key frame at or before ``target`` (in ``stream.time_base``) until their
    decoding times pass ``until_s``."""
    base = float(stream.time_base)
    container.seek(target, stream=stream, backward=True)
    packets = []
    for packet in container.demux(stream):
        if packet.dts is not None and packet.dts * base > until_s:
            break
        if packet.size and (packets or packet.is_keyframe):  # decoding starts at a key frame
            packets.append(packet)
    return packets


def first_key_packet(packets: list, picks: list[float], base: float, last: int) -> int:
    """Where decoding starts: the last key frame among ``packets[:last + 1]`` shown at or before the first picked
    frame (0: the window's own first packet). The packets before it were read only for their timestamps, which
    decide the picks (the frame nearest the first time may be the one before a cut's key frame, or after it, by
    less than a frame): no picked frame is predicted from them. A window starting on a cut (a key frame a rounded
    shot start lies just before or after) decodes from that key frame, not from the one before the seek's lead."""
    if not picks:
        return 0
    return max((i for i, p in enumerate(packets[:last + 1])
                if p.is_keyframe and p.pts is not None and p.pts * base <= picks[0]), default=0)


def nearest_stamps(stamps: list[float], times: np.ndarray) -> list[float]:
    """For each time in order, the stamp nearest to it (a tie: the later one); stops at the first time after
    the last stamp (the film ended there)."""
    picks, j = [], 0
    for t in times:
        while j < len(stamps) and stamps[j] < t:
            j += 1
        if j == len(stamps):
            break
        picks.append(stamps[j] if j == 0 or abs(stamps[j] - t) <= abs(stamps[j - 1] - t) else stamps[j - 1])
    return picks


def every_frame_at(video: Path, times: np.ndarray, max_height: int | None = None,
                   picture: PictureGeometry | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """``frames_at`` decoding every frame of the window (its fallback)."""
    if len(times) == 0:
        return
    from av.video.reformatter import VideoReformatter

    reformatter = VideoReformatter()
    with open_video_stream(video) as (container, stream):
        base = float(stream.time_base)
        times = np.asarray(times, dtype=float) + film_origin_s(container)
        wanted, previous = 0, None
        for frame in _decoded_from(container, stream, times[0]):
            t = frame.pts * base
            while wanted < len(times) and t >= times[wanted]:
                # the nearer of this frame and the previous one
                pick = frame if previous is None or abs(t - times[wanted]) <= abs(previous[0] - times[wanted]) \
                    else previous[1]
                yield wanted, rgb_of(reformatter, pick, max_height, picture)
                wanted += 1
            if wanted >= len(times):
                return
            previous = (t, frame)


def _decoded_from(container, stream, time_s: float) -> Iterator:
    """The stream's frames from one at or before ``time_s`` (its clock) on: seeking SEEK_LEAD_S before it, else
    LONG_LEAD_S, else from the start, until the first frame decoded is not after it."""
    base = float(stream.time_base)
    for lead in (SEEK_LEAD_S, LONG_LEAD_S, None):
        container.seek(max(int((time_s - lead) / base), 0) if lead is not None else 0, stream=stream, backward=True)
        frames = (frame for frame in decoded_frames(container, stream) if frame.pts is not None)
        first = next(frames, None)
        if first is None or (first.pts * base > time_s and lead is not None):
            continue
        yield first
        yield from frames
        return


def widened(box: tuple[float, float, float, float], margin: float) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = box
    dx, dy = (x1 - x0) * margin, (y1 - y0) * margin
    return x0 - dx, y0 - dy, x1 + dx, y1 + dy


def mouth_series(video: Path, times: np.ndarray, faces: dict[str, list[tuple[float, tuple]]], mesh=None,
                 box_margin: float = 0.1, frame_width: int | None = None, max_height: int | None = None,
                 first_misses: dict[str, int] | None = None,
                 picture: PictureGeometry | None = None) -> dict[str, tuple[np.ndarray, bool]]:
    """Per identity: (its series on ``times``, whether it is lower-face motion rather than mouth openness).
    ``faces`` maps an identity to its (kept-frame time, face box) observations in this shot, boxes in pixels of
    kept frames ``frame_width`` wide (None: the video's own size);
    ``mesh`` the mouth reader (resources/backends/mouth_landmarks.py: ``MeshMouth``, ``DrawnMouth``) for every
    face, or a dict identity -> reader, or None (motion only). An identity takes the reader's openness when it
    measured the face on at least half the samples (a face the reader rejects falls back to motion), so once it
    has missed more than half of them it is no longer asked: its answers could not be used (on drawn faces
    AnimeFace misses most samples, at ~70 ms of CPU each). Frames taller than ``max_height`` rows (None: no cap)
    are read scaled to it, boxes with them (``frame_width`` is then needed). ``first_misses`` maps an identity to
    n: a reader that missed each of the face's first n samples is not asked again either (a trade, not a proof:
    the face could still have been measured on half the samples; absent or 0: asked until that is impossible)."""
    readers = mesh if isinstance(mesh, dict) else {identity: mesh for identity in faces}
    openness = {identity: np.full(len(times), np.nan) for identity in faces}
    motion = {identity: np.full(len(times), np.nan) for identity in faces}
    previous: dict[str, np.ndarray | None] = {identity: None for identity in faces}
    misses = {identity: 0 for identity in faces}
    asked = {identity: 0 for identity in faces}
    patience = first_misses or {}
    for i, image in frames_at(video, times, max_height, picture):
        scale = frame_width / image.shape[1] if frame_width else 1.0
        for identity, observations in faces.items():
            nearest = min(observations, key=lambda o: abs(o[0] - times[i]))
            box = tuple(v / scale for v in nearest[1])
            patch = lower_face_patch(image, widened(box, box_margin))
            motion[identity][i] = lower_face_motion(previous[identity], patch)
            previous[identity] = patch
            gave_up = 0 < patience.get(identity, 0) <= asked[identity] == misses[identity]
            if readers.get(identity) is not None and 2 * misses[identity] <= len(times) and not gave_up:
                value = readers[identity].openness(image, box)
                openness[identity][i] = np.nan if value is None else value
                asked[identity] += 1
                misses[identity] += not np.isfinite(openness[identity][i])
    out = {}
    for identity in faces:
        measured = np.isfinite(openness[identity]).mean() if len(times) else 0.0
        out[identity] = (openness[identity], False) if readers.get(identity) is not None and measured >= 0.5 \
            else (motion[identity], True)
    return out


DRAWN_DETECTORS = ("animeface", "anime")  # faces these found are drawn: their mouths are read by ``drawn``
# a shot following a drawn face is read at most this many rows high (its other faces, on a drawn film YuNet's
# drawn faces, with it): AnimeFace, reading each sampled face with its head, costs with the pixels and reads drawn
# faces at this size (resources/backends/drawn_faces.py ANALYSIS_MAX_HEIGHT), and the frame's conversion to RGB
# costs less; a 480-row film, and a shot without drawn faces (every shot of a 3D film), is read as it is
DRAWN_MAX_HEIGHT = 480


def lip_sync_evidence(video: Path, segments: pl.DataFrame, shots: pl.DataFrame, frames: pl.DataFrame,
                      faces: pl.DataFrame, instance_identities: pl.DataFrame, mesh=None,
                      params: ActiveSpeakerParams = ActiveSpeakerParams(), drawn=None,
                      workers: int | None = None, reuse=None, picture: PictureGeometry | None = None) -> pl.DataFrame:
    """``active_speakers.EVIDENCE_SCHEMA`` rows for every shot with speech and identified faces. ``mesh`` reads
    the mouths of photo / 3D faces, ``drawn`` those a 2D detector found (``faces.detector`` in DRAWN_DETECTORS);
    None: lower-face motion for those faces. Shots are followed on ``workers`` threads (default: the available
    cores; decoding, the mesh and the AnimeFace worker release the GIL), each reader called by one thread at a
    time; rows come in shot order whatever the number of threads. ``reuse`` (mouth_reuse.MouthReuse) gives the
    last run's series of a face whose inputs did not change: a shot is decoded only for the faces it has not.
    ``picture``: the frames stage's picture geometry (the faces' boxes are in its pixels)."""
    if "detector" not in faces.columns:
        faces = faces.with_columns(pl.lit(None, pl.String).alias("detector"))
    seen = (faces.select("instance_id", "frame_id", "fx0", "fy0", "fx1", "fy1", "detector")
            .join(instance_identities.select("instance_id", pl.col("identity").cast(pl.String)), on="instance_id")
            .join(frames.select("frame_id", "shot", "timestamp_s", "width"), on="frame_id"))
    by_shot = seen.partition_by("shot", as_dict=True)
    one_at_a_time = {id(r): SerialisedReader(r) for r in (mesh, drawn) if r is not None}
    jobs = []
    for shot in shots.iter_rows(named=True):
        if shot["start_s"] is None or shot["end_s"] is None:
            continue
        span = speech_spans_in_shot(segments, shot["start_s"], shot["end_s"], params.pad_s)
        in_shot = by_shot.get((shot["shot"],))
        if span is None or in_shot is None or in_shot.is_empty():
            continue
        observations: dict[str, list] = {}
        drawn_votes: dict[str, list[bool]] = {}
        for row in in_shot.iter_rows(named=True):
            observations.setdefault(row["identity"], []).append(
                (row["timestamp_s"], (row["fx0"], row["fy0"], row["fx1"], row["fy1"])))
            drawn_votes.setdefault(row["identity"], []).append(row["detector"] in DRAWN_DETECTORS)
        readers = {identity: one_at_a_time.get(id(drawn if np.mean(votes) >= 0.5 else mesh))
                   for identity, votes in drawn_votes.items()}
        # AnimeFace, at ~10-70 ms of CPU a drawn face, is given up on a face it missed from the start
        patience = {identity: params.drawn_first_misses for identity, votes in drawn_votes.items()
                    if drawn is not None and np.mean(votes) >= 0.5}
        times = grid(span[0], span[1], params.rate)
        if len(times) < 4:
            continue
        width = int(in_shot["width"][0] or 0) or None  # the boxes' frame: scaled reads need it
        any_drawn = drawn is not None and any(np.mean(votes) >= 0.5 for votes in drawn_votes.values())
        jobs.append((int(shot["shot"]), span, times, observations, readers, width,
                     DRAWN_MAX_HEIGHT if any_drawn and width else None, patience))

    def follow(job: tuple) -> dict[str, tuple[np.ndarray, bool]]:
        shot, span, times, observations, readers, width, max_height, patience = job
        keys = {identity: reuse.key(shot, identity, span, params.rate, seen, readers.get(identity), width,
                                    max_height, patience.get(identity, 0))
                for identity, seen in observations.items()} if reuse is not None else {}
        taken = {identity: reuse.taken(key) for identity, key in keys.items()}
        unread = {identity: seen for identity, seen in observations.items() if taken.get(identity) is None}
        read = mouth_series(video, times, unread, readers, frame_width=width, max_height=max_height,
                            first_misses=patience, picture=picture) if unread else {}
        for identity, series in read.items():
            if reuse is not None:
                reuse.made(keys[identity], series)
        return {identity: read[identity] if identity in read else taken[identity] for identity in observations}

    workers = max(1, min(workers or available_cores(), len(jobs)))
    rows = []
    with ThreadPoolExecutor(workers, thread_name_prefix="mouth_tracks") as pool:
        followed = pool.map(follow, jobs) if workers > 1 else map(follow, jobs)  # one: in this thread
        for (shot, span, times, *_), series in zip(jobs, followed):
            rows += shot_evidence(segments, shot, times, series, params)
            log.info("%s: shot %s, %d face(s) followed over %.1f s", video.name, shot, len(series), span[1] - span[0])
    return pl.DataFrame(rows, schema=EVIDENCE_SCHEMA)


class SerialisedReader:
    """A mouth reader called by one thread at a time (a TFLite interpreter or a worker pipe is not re-entrant)."""

    def __init__(self, reader):
        self.reader, self._lock = reader, threading.Lock()

    def openness(self, image: np.ndarray, box: tuple[float, float, float, float]) -> float | None:
        with self._lock:
            return self.reader.openness(image, box)
