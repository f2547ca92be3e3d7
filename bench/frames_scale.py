"""Film-scale figures of the `frames` stage (run through ``bench/frames.py --scale``): seconds per film minute at
480p and 1080p for the decode floor and the stage (every frame decoded, or reference frames only), peak memory at
two lengths, cut accuracy on a held-out 1080p film with known cuts, and the projection to 90 minutes.

Sources are built with ffmpeg under ``--work`` (never in the repository): the Sintel + Big Buck Bunny minute of
bench/film_scale.py at 480p and 1080p (and 3 minutes of it at 1080p, for memory against length), and a held-out
1080p film of the 26 Penny & Chip clips upscaled from 720p in reverse order with x264 ``fast`` (its own B-frame
placement): a cut every 192 frames. Every measurement runs in its own process (clean peak RSS); ``--code DIR``
measures another checkout's stage (e.g. the code before a change, from ``git archive``); ``--measure KIND VIDEO``
takes one figure of any video (e.g. bench/film_scale.py's cached 1080p minute) without building the sources."""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from film_scale import SOURCES, build_film, ffmpeg, normalised  # noqa: E402

TARGET_MINUTES = 90
HELD_OUT_CLIP_FRAMES = 192  # each Penny & Chip clip: 8 s at 24 fps, one shot


def held_out_2d(shared: Path, work: Path) -> Path:
    """The 26 Penny & Chip clips, reverse name order, 1920x1080, x264 fast (cached)."""
    target = work / "penny_reversed_1080p.mp4"
    if not target.exists():
        clips = sorted((shared / "media/video/2d/penny_and_chip").glob("penny_and_chip_*.mp4"), reverse=True)
        listing = work / "penny_reversed.txt"
        listing.write_text("".join(f"file '{c}'\n" for c in clips))
        ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), "-an", "-vf", "scale=1920:1080,format=yuv420p",
               "-c:v", "libx264", "-preset", "fast", "-crf", "20", str(target.with_suffix(".tmp.mp4")))
        target.with_suffix(".tmp.mp4").rename(target)
    return target


def exact_by_seeks(video: Path, times_s: list[float]) -> int:
    """The second pass of a two-pass design: each chosen frame decoded exactly by a seek to the keyframe before
    it and decoding on (reference frames only) up to it. Returns frames decoded."""
    import av

    decoded = 0
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.skip_frame = "NONREF"
        for time_s in times_s:
            container.seek(int(time_s / stream.time_base), stream=stream, backward=True)
            for frame in container.decode(stream):
                decoded += 1
                if frame.time is not None and frame.time >= time_s - 1e-3:
                    break
    return decoded


def measure(kind: str, video: Path) -> dict:
    """One measurement in this process: ``decode`` (every frame), ``decode_reference`` (reference frames only),
    ``analysis_floor`` (reference frames without the loop filter: inexact, a two-pass design's first pass),
    ``exact_by_seeks`` (its second pass: the stage's chosen frames by seeks), ``frames`` / ``frames_reference``
    (the stage with frames.skip_non_reference off / on), ``frames_handoff`` (the stage as the asset runs it: with
    the handoff to shot_analysis from HANDOFF_MIN_ROWS rows, assets/frames/handoff.py), ``frames_shared`` (the stage seeing the reference frames of a
    decode of every frame: ``reference_view``); ``nonref_prediction`` and the handoff kinds measure one
    decode shared with shot_analysis (see ``nonref_prediction`` and ``handoff``)."""
    import av

    from assets.frames.core import FrameParams, extract_video_frames

    chosen = []
    if kind == "exact_by_seeks":  # untimed: which frames the stage chooses
        with tempfile.TemporaryDirectory() as folder:
            chosen = extract_video_frames(video, Path(folder), FrameParams()).frames["timestamp_s"].to_list()
    started, cpu = time.perf_counter(), time.process_time()
    if kind == "exact_by_seeks":
        out = {"chosen_frames": len(chosen), "analysed_frames": exact_by_seeks(video, chosen)}
    elif kind in ("decode", "decode_reference", "analysis_floor"):
        frames = 0
        with av.open(str(video)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            if kind == "analysis_floor":
                stream.codec_context.options = {"skip_loop_filter": "all"}
            if kind != "decode":
                stream.codec_context.skip_frame = "NONREF"
            for _ in container.decode(stream):
                frames += 1
        out = {"analysed_frames": frames}
    elif kind == "nonref_prediction":
        out = nonref_prediction(video)
    elif kind in HANDOFF_KINDS:
        out = handoff(kind, video)
    elif kind == "frames_handoff":
        out = frames_handoff(video)
    else:
        if kind == "frames_shared":  # every frame decoded, the stage sees the reference frames only
            import assets.frames.core

            assets.frames.core.decode_ahead = reference_view
        params = FrameParams.from_dict({"skip_non_reference": kind in ("frames_reference", "frames_shared")})
        with tempfile.TemporaryDirectory() as folder:
            result = extract_video_frames(video, Path(folder), params)
            digest = _rows_digest(result.frames, Path(folder))
        out = {"frames": result.decoded_frames, "analysed_frames": getattr(result, "analysed_frames", None),
               "shot_starts": result.shots["start_frame"].to_list(), "kept": int(result.frames["kept"].sum()),
               "rows_sha1": digest}
    return {"kind": kind, "wall_s": round(time.perf_counter() - started, 2),
            "cpu_s": round(time.process_time() - cpu, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), **out}


def frames_handoff(video: Path) -> dict:
    """The frames stage with the handoff the asset takes for a film of the video's height, into a scratch film
    workspace (deleted after): its rows digest (equal to ``frames_reference``'s) and the handoff's size."""
    import av

    from assets.frames.core import FrameParams, extract_video_frames
    from assets.frames.handoff import HandoffWriter, settle_handoff, wants_handoff
    from resources.storage import FilmWorkspace

    with av.open(str(video)) as container:
        height = container.streams.video[0].height
    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as folder:
        workspace = FilmWorkspace("bench", Path(home))
        writer = HandoffWriter(workspace, "bench") if wants_handoff("video", height) else None
        result = extract_video_frames(video, Path(folder), FrameParams(),
                                      on_every_frame=writer.add if writer else None)
        handed_off = settle_handoff(writer, result.report, workspace)
        digest = _rows_digest(result.frames, Path(folder))
    return {"frames": result.decoded_frames, "analysed_frames": result.analysed_frames,
            "shot_starts": result.shots["start_frame"].to_list(), "kept": int(result.frames["kept"].sum()),
            "rows_sha1": digest, "handoff_frames": handed_off.get("handoff_frames", 0),
            "handoff_bytes": handed_off.get("handoff_bytes", 0)}


def _rows_digest(frames, folder: Path) -> str:
    """SHA-1 of the frames table (stored paths by file name) and of every JPEG written: equal digests, equal output."""
    import hashlib

    table = frames.with_columns(frames["path"].str.replace(r".*/", "")).write_csv().encode()
    return hashlib.sha1(table + b"".join(hashlib.sha1(p.read_bytes()).digest()
                                          for p in sorted(folder.glob("*.jpg")))).hexdigest()


HANDOFF_KINDS = ("decode_copies", "handoff_raw", "handoff_zlib", "handoff_ffv1", "read_raw", "read_zlib", "read_ffv1")
ANALYSIS_WIDTH, CHANGE_SIZE = 192, (64, 36)  # shot_analysis's copies (analysis_width; picture change's grey)


def _handoff_file(video: Path, codec: str) -> Path:
    return Path(tempfile.gettempdir()) / f"frames_scale_handoff_{video.stem}.{'mkv' if codec == 'ffv1' else codec}"


def handoff(kind: str, video: Path) -> dict:
    """What one decode shared by ``frames`` and ``shot_analysis`` would cost beyond decoding every frame: the
    frames stage would take shot_analysis's copies of every frame (192 px BGR by swscale's area filter, and the
    64 x 36 grey of its picture change), which must reach shot_analysis losslessly (it measures after the instance
    boxes exist). ``decode_copies``: every frame decoded and both copies taken; ``handoff_CODEC``: that, and the
    copies written (``raw`` bytes, ``zlib`` level 1, or an ``ffv1`` Matroska file); ``read_CODEC``: reading them
    back as shot_analysis would. The shared decode saves the frames stage's reference-only decode and costs the
    write and the read (and the decode of the non-reference frames frames now skips)."""
    import zlib

    import av
    import numpy as np
    from av.video.reformatter import VideoReformatter

    codec = kind.split("_")[1]
    path = _handoff_file(video, codec)
    with av.open(str(video)) as container:  # the small copy's size, as frames.decode rounds it
        width, height = container.streams.video[0].width, container.streams.video[0].height
    size = (ANALYSIS_WIDTH, max(2, round(height * min(1.0, ANALYSIS_WIDTH / width))))
    if kind.startswith("read_"):
        frames = 0
        if codec == "ffv1":
            with av.open(str(path)) as container:
                for frame in container.decode(*container.streams.video):
                    frame.to_ndarray(format="bgr24" if frame.format.name == "bgr0" else "gray")
                    frames += 1
        else:
            with path.open("rb") as stored:
                while header := stored.read(8):
                    small, grey = int.from_bytes(header[:4], "little"), int.from_bytes(header[4:], "little")
                    blobs = stored.read(small), stored.read(grey)
                    if codec == "zlib":
                        blobs = tuple(zlib.decompress(b) for b in blobs)
                    np.frombuffer(blobs[0], np.uint8).reshape(size[1], size[0], 3)
                    frames += 1
        return {"analysed_frames": frames, "bytes": path.stat().st_size}
    small_copy, grey_copy = VideoReformatter(), VideoReformatter()
    frames, writer, streams = 0, None, None
    if codec == "ffv1":
        writer = av.open(str(path), "w")
        streams = [writer.add_stream("ffv1", rate=24), writer.add_stream("ffv1", rate=24)]
        for stream, size, pix_fmt in zip(streams, (size, CHANGE_SIZE), ("bgr0", "gray")):
            stream.width, stream.height, stream.pix_fmt = *size, pix_fmt
    elif codec in ("raw", "zlib"):
        writer = path.open("wb")
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            small = small_copy.reformat(frame, width=size[0], height=size[1], format="bgr24",
                                        interpolation="AREA").to_ndarray()
            grey = grey_copy.reformat(frame, width=CHANGE_SIZE[0], height=CHANGE_SIZE[1], format="gray",
                                      interpolation="AREA").to_ndarray()
            if codec == "ffv1":
                for target, image, pix_fmt in zip(streams, (small, grey), ("bgr24", "gray")):
                    encoded = av.VideoFrame.from_ndarray(image, format=pix_fmt)
                    encoded = encoded.reformat(format="bgr0") if pix_fmt == "bgr24" else encoded
                    encoded.pts = frames
                    for packet in target.encode(encoded):
                        writer.mux(packet)
            elif writer is not None:
                blobs = [image.tobytes() for image in (small, grey)]
                if codec == "zlib":
                    blobs = [zlib.compress(b, 1) for b in blobs]
                sizes = len(blobs[0]).to_bytes(4, "little") + len(blobs[1]).to_bytes(4, "little")
                writer.write(sizes + b"".join(blobs))
            frames += 1
    if codec == "ffv1":
        for target in streams:
            for packet in target.encode(None):
                writer.mux(packet)
    if writer is not None:
        writer.close()
    return {"analysed_frames": frames, **({"bytes": path.stat().st_size} if writer is not None else {})}


def _nal_length_size(stream, video: Path) -> int:
    """Bytes of each NAL unit's length prefix in an MP4 / Matroska H.264 or HEVC stream (avcC / hvcC extradata)."""
    from assets.frames.decode import nal_length_size

    length_size = nal_length_size(stream)
    if length_size is None:
        raise SystemExit(f"{video}: reads H.264 or HEVC in MP4 / Matroska only")
    return length_size


def _is_non_reference(packet, length_size: int, codec: str) -> bool:
    from assets.frames.decode import is_non_reference

    return is_non_reference(packet, length_size, codec)


def nonref_prediction(video: Path) -> dict:
    """Whether a decoder of every frame can tell which frames ``skip_frame=NONREF`` drops (so the frames stage could
    decode every frame for shot_analysis and still see exactly the frames it sees now): compares the presentation
    times of the frames ``_is_non_reference`` leaves with those of a NONREF decode."""
    import av

    def decoded(skip: bool) -> tuple[list[int], set[int]]:
        times, non_reference = [], set()
        with av.open(str(video)) as container:
            stream = container.streams.video[0]
            length_size, codec = _nal_length_size(stream, video), stream.codec_context.name
            stream.thread_type = "AUTO"
            if skip:
                stream.codec_context.skip_frame = "NONREF"
            for packet in container.demux(stream):
                if _is_non_reference(packet, length_size, codec):
                    non_reference.add(packet.pts)
                times.extend(frame.pts for frame in packet.decode())
        return times, non_reference

    every, non_reference = decoded(False)
    skipped, _ = decoded(True)
    predicted = [t for t in every if t not in non_reference]
    return {"analysed_frames": len(every), "reference_frames": len(skipped), "predicted_reference": len(predicted),
            "prediction_exact": predicted == skipped}


def reference_view(video: Path, detect_width: int, report, depth: int = 8, skip_non_reference: bool = False,
                   on_every_frame=None):
    """A stand-in for ``decode_ahead`` (frames_shared): decodes EVERY frame, as a decode shared with shot_analysis
    would, and yields only those a NONREF decode gives, numbered and timed as it numbers them (undamaged H.264 or HEVC;
    the non-reference frames are where shot_analysis's copies would be taken). One thread."""
    import av
    from av.video.reformatter import VideoReformatter

    from assets.frames.decode import DecodedFrame, _declared_seconds

    small_copy, full_copy = VideoReformatter(), VideoReformatter()
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        length_size, codec = _nal_length_size(stream, video), stream.codec_context.name
        report.fps, report.declared_s = float(stream.average_rate or 0), _declared_seconds(container, stream)
        time_base, non_reference, skipped, size = float(stream.time_base), set(), [], None
        for packet in container.demux(stream):
            if _is_non_reference(packet, length_size, codec):
                non_reference.add(packet.pts)
            for frame in packet.decode():
                if size is None:
                    report.width, report.height = frame.width, frame.height
                    scale = min(1.0, detect_width / frame.width)
                    size = (max(2, round(frame.width * scale)), max(2, round(frame.height * scale)))
                if frame.pts in non_reference:
                    skipped.append(frame.pts * time_base)
                    continue
                for skipped_s in skipped:
                    report.add_frame_time(skipped_s)
                report.frames += len(skipped)
                small = small_copy.reformat(frame, width=size[0], height=size[1], format="bgr24",
                                            interpolation="AREA").to_ndarray()
                report.add_frame_time(frame.pts * time_base)
                yield DecodedFrame(report.frames, frame.pts * time_base, small, frame, full_copy, tuple(skipped))
                skipped = []
                report.frames += 1
                report.analysed += 1
        report.skipped_tail_s = skipped
        for skipped_s in skipped:
            report.add_frame_time(skipped_s)
        report.frames += len(skipped)
        report.finish()


def in_process(kind: str, video: Path, code: Path | None = None) -> dict:
    command = [sys.executable, __file__, "--measure", kind, str(video)] + (["--code", str(code)] if code else [])
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def cut_accuracy(found: list[int], frames: int, clip_frames: int, tolerance: int = 12) -> dict:
    """Recall and precision of shot starts against a cut every ``clip_frames`` frames, within ``tolerance`` (half a
    second: several clips open or close on a fade, whose boundary is placed at its midpoint)."""
    truth = list(range(clip_frames, frames - 1, clip_frames))  # the film's last frame is no cut
    found = [f for f in found if f > 0]
    hits = sum(any(abs(f - t) <= tolerance for f in found) for t in truth)
    true_found = sum(any(abs(f - t) <= tolerance for t in truth) for f in found)
    return {"cuts": len(truth), "found": len(found), "recall": round(hits / len(truth), 3),
            "precision": round(true_found / len(found), 3) if found else None, "tolerance_frames": tolerance}


def per_minute(figures: dict, minutes: float) -> dict:
    return {"wall_s_per_min": round(figures["wall_s"] / minutes, 2), "cpu_s_per_min": round(figures["cpu_s"] / minutes, 2),
            "projected_90min_wall_min": round(figures["wall_s"] / minutes * TARGET_MINUTES / 60, 1),
            "projected_90min_cpu_min": round(figures["cpu_s"] / minutes * TARGET_MINUTES / 60, 1)}


def run(work: Path, before: Path | None) -> dict:
    from resources.paths import shared_dir

    shared = shared_dir()
    work.mkdir(parents=True, exist_ok=True)
    clips = {"3d_1min_480p": (build_film(normalised(shared, work, 480, SOURCES[:2]), 1, work / "clip_1min_480p.mp4"), 1.0),
             "3d_1min_1080p": (build_film(normalised(shared, work, 1080, SOURCES[:2]), 1, work / "clip_1min_1080p.mp4"), 1.0),
             "3d_3min_1080p": (build_film(normalised(shared, work, 1080, SOURCES[:2]), 3, work / "clip_3min_1080p.mp4"), 3.0)}
    held_out = held_out_2d(shared, work)
    clips["2d_held_out_1080p"] = (held_out, 26 * HELD_OUT_CLIP_FRAMES / 24 / 60)
    kinds = {"3d_1min_480p": ["decode", "decode_reference", "frames", "frames_reference"],
             "3d_1min_1080p": ["decode", "decode_reference", "analysis_floor", "exact_by_seeks", "frames",
                               "frames_reference"],
             "3d_3min_1080p": ["frames", "frames_reference"],  # memory against length
             "2d_held_out_1080p": ["decode", "decode_reference", "frames", "frames_reference"]}
    report: dict = {}
    for name, (video, minutes) in clips.items():
        entry = report[name] = {"video": str(video), "minutes": round(minutes, 2)}
        if before is not None and name != "3d_3min_1080p":
            entry["frames_before"] = {**(measured := in_process("frames", video, before)), **per_minute(measured, minutes)}
        for kind in kinds[name]:
            measured = in_process(kind, video)
            entry[kind] = {**measured, **per_minute(measured, minutes)}
        for kind in ("frames_before", "frames", "frames_reference"):
            if kind in entry:
                starts = entry[kind].pop("shot_starts")
                if name == "2d_held_out_1080p":
                    entry[kind]["cut_accuracy"] = cut_accuracy(starts, entry[kind]["frames"], HELD_OUT_CLIP_FRAMES)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "frames_bench")
    parser.add_argument("--before", type=Path, help="a checkout (assets/, resources/) to measure as 'before'")
    parser.add_argument("--measure", nargs=2, metavar=("KIND", "VIDEO"),
                        help="one figure of one video in this process, as JSON; KIND: decode, decode_reference, "
                             "analysis_floor, exact_by_seeks, frames, frames_reference (see measure()), "
                             "frames_handoff, frames_shared, nonref_prediction or one of "
                             f"{', '.join(HANDOFF_KINDS)} (see handoff())")
    parser.add_argument("--code", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--scale", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        if args.code:
            sys.path.insert(0, str(args.code))
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]))))
        return
    print(json.dumps({"benchmark": "frames_scale", "target_minutes": TARGET_MINUTES,
                      "results": run(args.work, args.before)}, indent=2))


if __name__ == "__main__":
    main()
