"""CPU seconds of the `frames` stage's work on one video as the asset runs it on a film of HANDOFF_MIN_ROWS rows or
more (`extract_video_frames` with the handoff to shot_analysis, then settled), nothing timed or wrapped: for an A B A
B comparison of two checkouts in one hour (issue #17). CPU = user + sys of every thread of this process (FFmpeg's
and swscale's threads included), imports not counted. Prints one JSON line.

    .venv/bin/python bench/frames_cost.py VIDEO [--code DIR]   # DIR: another checkout, e.g. a worktree of the base
    perf record -g -- .venv/bin/python bench/frames_cost.py VIDEO   # then `perf script -F comm,tid,ip,dso`: by thread
    .venv/bin/python bench/frames_cost.py VIDEO --waits   # also which side of the stage's queues waits (below)

``--waits``: the wall seconds each thread spent waiting at the stage's hand-overs (the queue between the decoding
thread and the stage's thread, the bounded background writers' ``submit``), by thread: the side that waits is not the
one that sets the stage's wall (session 28: the stage's thread waits on the decode most of the run). These calls are
wrapped then, so take its CPU figure from a run without it.
"""

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("--code", type=Path, help="a checkout whose assets/ and resources/ are measured")
    parser.add_argument("--waits", action="store_true", help="also the seconds each thread waited at a hand-over")
    args = parser.parse_args()
    code = args.code.resolve() if args.code else Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(code))
    waits = _count_waits() if args.waits else None
    from assets.frames.core import FrameParams, extract_video_frames
    from assets.frames.handoff import HandoffWriter, settle_handoff
    from resources.storage import FilmWorkspace

    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as folder:
        started, wall = _cpu(), time.perf_counter()
        workspace = FilmWorkspace("bench", Path(home))
        writer = HandoffWriter(workspace, "bench")
        out = extract_video_frames(args.video, Path(folder), FrameParams(), on_every_frame=writer.add)
        settled = settle_handoff(writer, out.report, workspace)
        cpu, wall = _cpu() - started, time.perf_counter() - wall
    print(json.dumps({"video": str(args.video), "code": str(code), "cpu_s": round(cpu, 2), "wall_s": round(wall, 1),
                      "frames": out.frames.height, "kept": int(out.frames["kept"].sum()),
                      "handoff_frames": settled.get("handoff_frames"),
                      **({"waits_s": {k: round(v, 2) for k, v in sorted(waits.items())}} if waits is not None else {})}))


def _count_waits() -> dict[str, float]:
    """Wraps the queue hand-overs and BackgroundWriter.submit to add each call's wall seconds to the returned dict,
    keyed "put:<thread>", "get:<thread>" and "submit:<writer>@<thread>" (a thread's name up to its first colon)."""
    import queue
    import threading

    from resources.background_writer import BackgroundWriter

    waits: dict[str, float] = {}

    def timed(original, key):
        def wrapper(self, *args, **kwargs):
            started = time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                name = key(self) + threading.current_thread().name.split(":")[0]
                waits[name] = waits.get(name, 0.0) + time.perf_counter() - started
        return wrapper

    queue.Queue.put = timed(queue.Queue.put, lambda q: "put:")
    queue.Queue.get = timed(queue.Queue.get, lambda q: "get:")
    BackgroundWriter.submit = timed(BackgroundWriter.submit, lambda writer: f"submit:{writer.name}@")
    return waits


if __name__ == "__main__":
    main()
