"""CPU seconds of the `frames` stage's work on one video as the asset runs it on a film of HANDOFF_MIN_ROWS rows or
more (`extract_video_frames` with the handoff to shot_analysis, then settled), nothing timed or wrapped: for an A B A
B comparison of two checkouts in one hour (issue #17). CPU = user + sys of every thread of this process (FFmpeg's
and swscale's threads included), imports not counted. Prints one JSON line.

    .venv/bin/python bench/frames_cost.py VIDEO [--code DIR]   # DIR: another checkout, e.g. a worktree of the base
    perf record -g -- .venv/bin/python bench/frames_cost.py VIDEO   # then `perf script -F comm,tid,ip,dso`: by thread
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
    args = parser.parse_args()
    code = args.code.resolve() if args.code else Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(code))
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
                      "handoff_frames": settled.get("handoff_frames")}))


if __name__ == "__main__":
    main()
