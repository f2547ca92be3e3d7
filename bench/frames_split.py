"""Where the `frames` stage spends its CPU above the decode (issue #17): the stage as the asset runs it on a video of
HANDOFF_MIN_ROWS rows or more (480; 720 before session 16: handoff to shot_analysis on), each Python thread's CPU and
the stage's costly calls timed by wrapping them (thread CPU: swscale's and FFmpeg's own worker threads show only in
the process total), the rows / JPEG digest and a digest of the handoff's decoded content (equal digests: equal
output, whatever the compression), and the handoff's stored records compressed again with zlib level 1 under each
strategy (CPU-ms a record, bytes).

Usage: .venv/bin/python bench/frames_split.py VIDEO [--code DIR] [--scan-check] [--handoff-cost N]
(DIR: another checkout's assets/ and resources/, e.g. a worktree of the code before a change). ``--scan-check``: also
shot_analysis' scan of the handoff against its own decode of the film (equal tables: the handoff is exact);
``--handoff-cost N``: also the handoff writer's process CPU-ms a frame on N consecutive frames from the film's
middle, decoded beforehand (three rounds; run it under ``taskset -c K`` so that swscale's threads count on one core).
Prints JSON. Compare with the floor, a bare decode of every frame:
.venv/bin/python bench/frames_scale.py --measure decode VIDEO."""

import argparse
import hashlib
import json
import sys
import tempfile
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _timed(owner, name: str, key: str, totals: dict) -> None:
    """Replaces ``owner.name`` by a wrapper adding its thread CPU to ``totals[key]``."""
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        started = time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            totals[key] = totals.get(key, 0.0) + time.thread_time() - started

    setattr(owner, name, wrapper)


class _Cv2:
    def __getattr__(self, name: str):
        import cv2

        return getattr(cv2, name)


def recompress(records: list[bytes]) -> dict:
    """CPU-ms a record and KB a record of zlib level 1 with each strategy (best of three rounds)."""
    out = {}
    for name, strategy in (("default", zlib.Z_DEFAULT_STRATEGY), ("rle", zlib.Z_RLE),
                           ("huffman_only", zlib.Z_HUFFMAN_ONLY)):
        rounds = []
        for _ in range(3):
            started, size = time.process_time(), 0
            for record in records:
                packer = zlib.compressobj(1, zlib.DEFLATED, 15, 8, strategy)
                size += len(packer.compress(record) + packer.flush())
            rounds.append(time.process_time() - started)
        out[name] = {"cpu_ms": round(1000 * min(rounds) / len(records), 3), "kb": round(size / len(records) / 1024, 1)}
    return out


def handoff_cost(video: Path, frames: int) -> list[float]:
    """Process CPU-ms a frame of ``HandoffWriter.write`` (what ``add`` has the writing thread do) on ``frames``
    consecutive decoded frames (three rounds)."""
    import av

    from assets.frames.handoff import HandoffWriter
    from resources.storage import FilmWorkspace

    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        start, base, decoded = (stream.frames or 2 * frames) // 2, float(stream.time_base), []
        for index, frame in enumerate(container.decode(stream)):
            if index >= start:
                decoded.append((index, float(frame.pts * base), frame))
            if len(decoded) == frames:
                break
    rounds = []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as home:
            writer = HandoffWriter(FilmWorkspace("bench", Path(home)), "bench")
            started = time.process_time()
            for index, timestamp_s, frame in decoded:
                getattr(writer, "write", writer.add)(index, timestamp_s, frame)   # an older checkout: add
            rounds.append(round(1000 * (time.process_time() - started) / len(decoded), 3))
            writer.discard()
    return rounds


def scan_check(video: Path, shots, stored) -> dict:
    """shot_analysis' scan of the handoff ``stored`` against its own decode of ``video`` (no character boxes)."""
    from assets.shot_analysis.params import ShotAnalysisParams
    from assets.shot_analysis.stream import ShotLookup, scan_video

    lookup, params = ShotLookup(shots, {}), ShotAnalysisParams()
    read, own = scan_video(video, lookup, 192, 4, params, stored), scan_video(video, lookup, 192, 4, params)
    appearance = sorted(own.appearance) == sorted(read.appearance) and all(
        mine.samples == theirs.samples and (mine.histogram == theirs.histogram).all()
        and (mine.thumbnail == theirs.thumbnail).all()
        for mine, theirs in ((own.appearance[shot], read.appearance[shot]) for shot in own.appearance))
    return {"signals": own.signals.equals(read.signals),
            "picture_change": own.picture_change.equals(read.picture_change),
            "picture_change_rows": own.picture_change.height, "motion_pairs": own.pairs == read.pairs,
            "appearance": appearance}


def split(video: Path, check_scan: bool = False) -> dict:
    import assets.frames.core as core
    import assets.frames.decode as decode
    import assets.frames.handoff as handoff
    from frames_scale import _rows_digest
    from resources.storage import FilmWorkspace

    totals: dict[str, float] = {}
    _timed(core, "measure", "measure", totals)
    _timed(core.ShotDetector, "feed", "shot_detection", totals)
    _timed(decode.DecodedFrame, "full_bgr", "full_size_bgr", totals)
    # since session 15 the handoff writes on a thread of its own (``write``); before, ``add`` on the decoding thread
    own_thread = hasattr(handoff.HandoffWriter, "write")
    _timed(handoff.HandoffWriter, "write" if own_thread else "add", "handoff", totals)
    timed_cv2 = _Cv2()  # core.py's cv2, its imwrite timed
    timed_cv2.imwrite = core.cv2.imwrite
    _timed(timed_cv2, "imwrite", "jpeg_writes", totals)
    core.cv2 = timed_cv2
    every_frame = decode.decode

    def decode_timed(*args, **kwargs):
        started = time.thread_time()
        yield from every_frame(*args, **kwargs)
        totals["decoding_thread"] = time.thread_time() - started

    decode.decode = decode_timed
    started, cpu = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as folder:
        workspace = FilmWorkspace("bench", Path(home))
        writer = handoff.HandoffWriter(workspace, "bench")
        main_started = time.thread_time()
        result = core.extract_video_frames(video, Path(folder), core.FrameParams(), on_every_frame=writer.add)
        totals["main_thread"] = time.thread_time() - main_started
        settled = handoff.settle_handoff(writer, result.report, workspace)   # every queued frame written
        cpu, wall = time.process_time() - cpu, time.perf_counter() - started
        content, records = hashlib.sha1(), []
        stored = handoff.read_handoff(workspace, "bench")
        for frame in stored.frames() if stored else ():
            content.update(json.dumps([frame.index, frame.timestamp_s, frame.signals]).encode())
            record = b"".join(a.tobytes() for a in (frame.grey, frame.change_grey, frame.thumbnail, frame.histogram)
                              if a is not None)  # a frame the picture change does not sample has no change grey
            content.update(record)
            records.append(record)
        digest = _rows_digest(result.frames, Path(folder))
        stored_sha1 = hashlib.sha1((stored.folder / "frames.bin").read_bytes()).hexdigest() if stored else None
        scan = scan_check(video, result.shots, stored) if check_scan and stored else None
    dropped = result.frames["drop_reason"].str.starts_with("duplicate_of").sum()
    return {"video": video.name, "code": str(Path(handoff.__file__).parents[2]), "cpu_s": round(cpu, 2), "wall_s": round(wall, 1),
            "thread_cpu_s": {k: round(v, 2) for k, v in sorted(totals.items())},
            "handoff_on_own_thread": own_thread,
            "not_in_python_threads_s": round(cpu - totals["main_thread"] - totals.get("decoding_thread", 0.0)
                                             - (totals.get("handoff", 0.0) if own_thread else 0.0), 2),
            "chosen_frames": len(result.frames), "duplicates": int(dropped), "rows_sha1": digest,
            "handoff_bytes": settled.get("handoff_bytes"), "handoff_frames": len(records),
            "handoff_content_sha1": content.hexdigest(), "handoff_file_sha1": stored_sha1, "zlib_level1_of_records": recompress(records[::5]),
            **({"scan_of_handoff_equals_own_decode": scan} if scan is not None else {})}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("--code", type=Path, help="a checkout whose assets/ and resources/ are measured")
    parser.add_argument("--scan-check", action="store_true",
                        help="also shot_analysis' scan of the handoff against its own decode")
    parser.add_argument("--handoff-cost", type=int, default=0, metavar="N",
                        help="also the handoff writer's CPU-ms a frame on N frames (run under taskset -c K)")
    args = parser.parse_args()
    sys.path.insert(0, str(args.code.resolve() if args.code else Path(__file__).resolve().parents[1]))
    out = split(args.video, args.scan_check)
    if args.handoff_cost:
        out["handoff_cpu_ms_a_frame"] = handoff_cost(args.video, args.handoff_cost)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
