"""Where the `frames` stage spends its CPU above the decode (issue #17): the stage as the asset runs it on a video of
720 rows or more (handoff to shot_analysis on), each Python thread's CPU and the stage's costly calls timed by
wrapping them (thread CPU: swscale's and FFmpeg's own worker threads show only in the process total), the rows /
JPEG digest and a digest of the handoff's decoded content (equal digests: equal output, whatever the compression),
and the handoff's stored records compressed again with zlib level 1 under each strategy (CPU-ms a record, bytes).

Usage: .venv/bin/python bench/frames_split.py VIDEO [--code DIR]   (DIR: another checkout's assets/ and resources/,
e.g. a worktree of the code before a change). Prints JSON. Compare with the floor, a bare decode of every frame:
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


def split(video: Path) -> dict:
    import assets.frames.core as core
    import assets.frames.decode as decode
    import assets.frames.handoff as handoff
    from frames_scale import _rows_digest
    from resources.storage import FilmWorkspace

    totals: dict[str, float] = {}
    _timed(core, "measure", "measure", totals)
    _timed(core.ShotDetector, "feed", "shot_detection", totals)
    _timed(decode.DecodedFrame, "full_bgr", "full_size_bgr", totals)
    _timed(handoff.HandoffWriter, "add", "handoff", totals)
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
        settled = handoff.settle_handoff(writer, result.report, workspace)
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
    dropped = result.frames["drop_reason"].str.starts_with("duplicate_of").sum()
    return {"video": video.name, "code": str(Path(handoff.__file__).parents[2]), "cpu_s": round(cpu, 2), "wall_s": round(wall, 1),
            "thread_cpu_s": {k: round(v, 2) for k, v in sorted(totals.items())},
            "not_in_python_threads_s": round(cpu - totals["main_thread"] - totals.get("decoding_thread", 0.0), 2),
            "chosen_frames": len(result.frames), "duplicates": int(dropped), "rows_sha1": digest,
            "handoff_bytes": settled.get("handoff_bytes"), "handoff_frames": len(records),
            "handoff_content_sha1": content.hexdigest(), "zlib_level1_of_records": recompress(records[::5])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("--code", type=Path, help="a checkout whose assets/ and resources/ are measured")
    args = parser.parse_args()
    sys.path.insert(0, str(args.code.resolve() if args.code else Path(__file__).resolve().parents[1]))
    print(json.dumps(split(args.video), indent=1))


if __name__ == "__main__":
    main()
