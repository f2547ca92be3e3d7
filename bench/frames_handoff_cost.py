"""Whether the frames -> shot_analysis handoff pays on a film (issue #17): the CPU seconds of the frames stage's work
plus shot_analysis' scan of every frame, once with the scan decoding the film itself ("own": the frames stage decodes
reference frames only) and once with the frames stage decoding every frame and handing its measures over
("handoff": assets/frames/handoff.py), whatever the film's height (the stage takes the handoff from
HANDOFF_MIN_ROWS rows). Each variant runs in a process of its own (imports not timed; CPU = user + sys of every
thread), the variants interleaved A B A B; the output of both must be equal: the frames' rows and JPEG bytes, and
the scan's tables (frame signals, picture change, camera motion pairs, shot appearance).

    .venv/bin/python bench/frames_handoff_cost.py VIDEO [--rounds 2] [--code DIR] [--taskset CPUS]

Prints JSON: per variant the CPU seconds of each round (frames, scan, total), and whether the digests agree."""

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

VARIANTS = ("own", "handoff")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _scan_digest(scan) -> str:
    digest = hashlib.sha1(scan.signals.write_csv().encode() + scan.picture_change.write_csv().encode())
    digest.update(repr(sorted((shot, [tuple(vars(p).values()) for p in pairs])
                              for shot, pairs in scan.pairs.items())).encode())
    for shot in sorted(scan.appearance):
        histogram, thumbnail = scan.appearance[shot].normalised()
        digest.update(histogram.tobytes() + thumbnail.tobytes() + str(scan.appearance[shot].samples).encode())
    digest.update(repr((scan.width, scan.height, scan.fps, scan.decoded_frames, scan.decode_error)).encode())
    return digest.hexdigest()


def run_variant(video: Path, variant: str) -> dict:
    """One variant in this process (see module docstring)."""
    from assets.frames.core import FrameParams, extract_video_frames
    from assets.frames.handoff import HandoffWriter, read_handoff, settle_handoff
    from assets.shot_analysis.params import ShotAnalysisParams
    from assets.shot_analysis.stream import ShotLookup, scan_video
    from frames_scale import _rows_digest
    from resources.storage import FilmWorkspace

    params = ShotAnalysisParams()
    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as folder:
        workspace = FilmWorkspace("bench", Path(home))
        started = _cpu()
        writer = HandoffWriter(workspace, "bench") if variant == "handoff" else None
        out = extract_video_frames(video, Path(folder), FrameParams(),
                                   **({"on_every_frame": writer.add} if writer else {}))
        settled = settle_handoff(writer, out.report, workspace) if writer else {}
        frames_s = _cpu() - started
        handoff = read_handoff(workspace, "bench") if writer else None
        if writer and handoff is None:
            raise SystemExit(f"{video}: no handoff was made ({settled.get('handoff')})")
        started = _cpu()
        scan = scan_video(video, ShotLookup(out.shots, {}), params.analysis_width, params.appearance_every, params,
                          handoff)
        scan_s = _cpu() - started
        rows = _rows_digest(out.frames, Path(folder))
    return {"variant": variant, "frames_cpu_s": round(frames_s, 2), "scan_cpu_s": round(scan_s, 2),
            "cpu_s": round(frames_s + scan_s, 2), "rows_sha1": rows, "scan_sha1": _scan_digest(scan),
            "scanned_frames": scan.signals.height, "handoff_bytes": settled.get("handoff_bytes")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--code", type=Path, help="a checkout whose assets/ and resources/ are measured")
    parser.add_argument("--taskset", help="CPU list each variant's process is pinned to (taskset -c)")
    parser.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)  # one variant, in this process
    args = parser.parse_args()
    code = args.code.resolve() if args.code else Path(__file__).resolve().parents[1]
    if args.variant:
        sys.path[:0] = [str(code), str(Path(__file__).resolve().parent)]
        print(json.dumps(run_variant(args.video, args.variant)))
        return
    runs = []
    for _ in range(args.rounds):
        for variant in VARIANTS:
            command = [sys.executable, __file__, str(args.video), "--variant", variant, "--code", str(code)]
            command = ["taskset", "-c", args.taskset, *command] if args.taskset else command
            done = subprocess.run(command, check=True, capture_output=True, text=True, env=os.environ)
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
    by_variant = {v: [r for r in runs if r["variant"] == v] for v in VARIANTS}
    print(json.dumps({
        "video": str(args.video), "code": str(code), "load_average": os.getloadavg(),
        **{v: {key: [r[key] for r in rs] for key in ("frames_cpu_s", "scan_cpu_s", "cpu_s")}
           for v, rs in by_variant.items()},
        "rows_equal": len({r["rows_sha1"] for r in runs}) == 1,
        "scan_equal": len({r["scan_sha1"] for r in runs}) == 1,
        "scanned_frames": runs[0]["scanned_frames"], "handoff_bytes": by_variant["handoff"][0]["handoff_bytes"],
    }, indent=1))


if __name__ == "__main__":
    main()
