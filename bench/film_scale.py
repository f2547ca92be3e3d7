"""Film scale: longer films built from the shared clips, run through the whole graph, and a 90-minute 1080p projection.

Films of 2, 6 and 15 minutes (by default) are cut from one cycle of varied content, each source normalised once to
854x480 at 24 fps with AAC stereo (testvideo has no sound: silence is added) and joined with ffmpeg's concat demuxer:
the Sintel trailer (3D, dark, fast cuts), Big Buck Bunny (3D, daylight), testvideo (live action, camera moves) and
Penny & Chip (2D, 26 shots). Each film gets a fresh CASTFORGE_HOME and runs as `castforge ingest` then
`castforge materialize <film>` (every asset, the embedded default profile: independent steps at once on threads,
`instances` on a pool of worker processes; `--no-threads` runs one step at a time, CASTFORGE_WORKERS=1 keeps
`instances` in process), while the process tree's RSS and CPU time are sampled every 0.5 s. Per asset: wall seconds
and rows (the catalog's lineage rows) and peak RSS during it; the largest single worker process's RSS.
Each run's `timeline` (Dagster's start and end of every step, in seconds from the first) gives `alone_s`, the
seconds each step ran by itself (where a one-threaded step leaves the other core idle), and `idle_s`, the seconds
with no step running (the executor's own time between steps): where a run leaves cores to spare whatever the
machine's load.

The projection for a 90-minute 1080p film fits each asset's seconds to a line in film length over the runs, takes
it to 90 minutes, and scales the `frames` stage by its measured 1080p/480p ratio on the same 60 s of content; the
decode floor is PyAV decoding every frame of that 1080p clip (one thread, as the frames stage does), times 90 min.
On a machine others share, wall time counts their load too (the JSON gives the load average): the CPU-time line
(CPU seconds of the run's process tree, over the cores) is the steadier projection there.

`--height 1080` builds the films from the same clips scaled up to 1920x1080 (the sources are 204-720 px high: the
pixels are upscaled, but decoding, frames and every stage that works at the source size pay the 1080p price) and runs
them the same way; such runs carry `"height": 1080` and get a projection of their own (`measured_1080p`), a line
through the 1080p runs alone, so the 1080p figure is measured rather than scaled from 480p.

    nice -n 5 .venv/bin/python bench/film_scale.py [--minutes 2 6 15] [--height 480|1080] [--work /tmp/film_scale]
        [--no-floor] [--no-threads] [--merge earlier.json ...]   # runs measured separately (one length at a time) join one projection
        [--step-order plan|longest_path]   # the threaded executor's order of ready steps (CASTFORGE_STEP_ORDER)
        [--speed fast]   # each fresh home's configs/defaults.yaml names this speed (configs/speeds/<speed>.yaml)
"""

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from resources.cores import available_cores  # noqa: E402
from resources.paths import REPO_ROOT, shared_dir  # noqa: E402

SOURCES = (  # one cycle of varied content, in this order
    ("sintel", "media/video/sintel_trailer_480x204.mp4"),
    ("bbb", "media/video/big_buck_bunny_0_30.webm"),
    ("testvideo", "media/video/pyscenedetect/testvideo.mp4"),
    ("penny_and_chip", "media/video/2d/penny_and_chip_26shots_480p.mp4"),
)
FPS = 24
TARGET_MINUTES = 90
KEPT_ENVIRONMENT = ("CASTFORGE_ANIMEFACE_PYTHON", "CASTFORGE_ANIMEFACE_NVXS")   # where a backend's environment is


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def duration(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
                         check=True, capture_output=True, text=True).stdout
    return float(out.strip())


def has_audio(path: Path) -> bool:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a", "-show_entries", "stream=index",
                          "-of", "csv=p=0", str(path)], capture_output=True, text=True).stdout
    return bool(out.strip())


def normalised(shared: Path, work: Path, height: int = 480, sources: tuple = SOURCES) -> list[Path]:
    """Each source once as <height>p (16:9 box, letterboxed), 24 fps, H.264 + AAC 48 kHz stereo (cached in work)."""
    width = {480: 854, 1080: 1920}[height]
    out = []
    for name, relative in sources:
        target = work / f"{name}_{height}p.mp4"
        if not target.exists():
            source = shared / relative
            video = (f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
                     f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,fps={FPS},format=yuv420p,setsar=1")
            audio = [] if has_audio(source) else ["-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo"]
            ffmpeg("-i", str(source), *audio, "-map", "0:v:0", "-map", "0:a:0" if not audio else "1:a:0",
                   "-vf", video, "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-g", str(FPS * 4),
                   "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2", "-shortest", str(target.with_suffix(".tmp.mp4")))
            target.with_suffix(".tmp.mp4").rename(target)
        out.append(target)
    return out


def build_film(segments: list[Path], minutes: float, target: Path) -> Path:
    """``minutes`` of the segments in cycle order (repeated as needed), joined without re-encoding."""
    if target.exists():
        return target
    lengths = [duration(s) for s in segments]
    playlist, total, i = [], 0.0, 0
    while total < minutes * 60:
        playlist.append(segments[i % len(segments)])
        total += lengths[i % len(segments)]
        i += 1
    listing = target.with_suffix(".txt")
    listing.write_text("".join(f"file '{p}'\n" for p in playlist))
    ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), "-t", str(minutes * 60), "-c", "copy", str(target))
    return target


class TreeSampler:
    """RSS and CPU seconds of a process and its descendants every ``interval`` s, with wall-clock times (UTC)."""

    def __init__(self, pid: int, interval: float = 0.5):
        self.process, self.interval = psutil.Process(pid), interval
        self.samples: list[tuple[datetime, float]] = []
        self.cpu_samples: list[tuple[datetime, float]] = []   # the tree's CPU seconds so far (ended workers' too)
        self.cpu_s = 0.0
        self.child_peak_mb = 0.0   # the largest single descendant (an instances worker) at any sample
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                tree = [self.process, *self.process.children(recursive=True)]
                rss, cpu = 0, 0.0
                for p in tree:
                    try:
                        rss += p.memory_info().rss
                        if p.pid != self.process.pid:
                            self.child_peak_mb = max(self.child_peak_mb, p.memory_info().rss / 2**20)
                        t = p.cpu_times()
                        cpu += t.user + t.system
                        if p.pid == self.process.pid:   # workers that ended and were reaped count there
                            cpu += t.children_user + t.children_system
                    except psutil.Error:
                        pass
                now = datetime.now(timezone.utc).replace(tzinfo=None)
                self.samples.append((now, rss / 2**20))
                self.cpu_s = max(self.cpu_s, cpu)
                self.cpu_samples.append((now, self.cpu_s))
            except psutil.Error:
                break
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def peak(self, start: datetime | None = None, end: datetime | None = None) -> float | None:
        inside = [rss for t, rss in self.samples if (start is None or t >= start) and (end is None or t <= end)]
        return round(max(inside), 1) if inside else None


def castforge(env: dict[str, str], *args: str) -> tuple[float, float, TreeSampler]:
    """Runs the castforge command; returns wall seconds, CPU seconds of its process tree, the RSS sampler."""
    before = os.times()
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "orchestration.cli", *args], cwd=REPO_ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(child.pid)
    _, err = child.communicate()
    sampler.stop()
    wall = time.perf_counter() - started
    if child.returncode != 0:
        raise RuntimeError(f"castforge {' '.join(args)} exited {child.returncode}:\n{err[-3000:]}")
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, cpu, sampler


@contextlib.contextmanager
def run_home(work: Path) -> Iterator[Path]:
    """A fresh castforge home under ``work``, removed after a run that succeeded and kept after one that failed
    (its logs, Dagster event log and catalog say why), with its path on stderr."""
    home = Path(tempfile.mkdtemp(dir=work))
    try:
        yield home
    except BaseException:
        print(f"film_scale: the failed run's home is kept: {home}", file=sys.stderr, flush=True)
        raise
    shutil.rmtree(home, ignore_errors=True)


def run_film(video: Path, home: Path, shared: Path, film: str, select: str | None = None,
             threads: bool = True, step_order: str | None = None, speed: str | None = None) -> dict:
    from resources.catalog import Catalog

    if speed:  # as a user sets it for every film of a home: its own defaults.yaml (resources/film_settings.py)
        (home / "configs").mkdir(parents=True, exist_ok=True)
        (home / "configs" / "defaults.yaml").write_text(f"speed: {speed}\n")

    # settings are the embedded default's; where the 2D face environment lives is not a setting (a worktree has no
    # .venv-animeface of its own: without it the run cuts drawn films without AnimeFace's faces)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CASTFORGE_", "DAGSTER_")) or k in KEPT_ENVIRONMENT}
    env.update(CASTFORGE_HOME=str(home), DAGSTER_HOME=str(home / "dagster"), CASTFORGE_MODELS=str(shared / "models"),
               HF_HUB_OFFLINE="1", PYTHONWARNINGS="ignore")
    if step_order:   # the threaded executor's order of ready steps (orchestration/threaded_executor.py)
        env["CASTFORGE_STEP_ORDER"] = step_order
    castforge(env, "ingest", str(video), "--film", film)
    wall, cpu, sampler = castforge(env, "materialize", film, "--threads" if threads else "--no-threads",
                                   *(["--select", select] if select else []))
    rows = Catalog(home).query("SELECT asset, status, row_count, duration_s, started_at, finished_at "
                               "FROM materializations WHERE film = ? ORDER BY started_at", [film]).to_dicts()
    assets = {r["asset"]: {"seconds": round(r["duration_s"], 2), "rows": r["row_count"], "status": r["status"],
                           "peak_rss_mb": sampler.peak(r["started_at"], r["finished_at"])} for r in rows}
    return {"film_minutes": round(duration(video) / 60, 2), "speed": speed or "default",
            "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
            "cores_used": round(cpu / wall, 2), "peak_rss_mb": sampler.peak(),
            "largest_worker_rss_mb": round(sampler.child_peak_mb, 1),
            "executor": "in_process_threads" if threads else "in_process", "step_order": step_order or "default",
            "instances_workers": os.environ.get("CASTFORGE_WORKERS") or available_cores(), "assets": assets,
            "timeline": timeline(dagster_steps(home / "dagster"), sampler.cpu_samples)}


def dagster_steps(dagster_home: Path) -> list[dict]:
    """Every step of the latest run in ``dagster_home``: its key as ``asset`` (asset checks have their own), its
    ``started_at`` and ``finished_at`` (Dagster's STEP_START and STEP_SUCCESS / STEP_FAILURE events: a step's whole
    time, its inputs' loading and its outputs' handling with it)."""
    import dagster as dg
    from dagster._core.events import DagsterEventType

    ends = {DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_runs(limit=1)
        records = instance.all_logs(runs[0].run_id, of_type={DagsterEventType.STEP_START, *ends}) if runs else []
    started, steps = {}, []
    for record in records:
        at = datetime.fromtimestamp(record.timestamp, tz=timezone.utc)
        if record.dagster_event_type == DagsterEventType.STEP_START:
            started[record.step_key] = at
        elif record.step_key in started:
            steps.append({"asset": record.step_key, "started_at": started[record.step_key], "finished_at": at})
    return steps


def timeline(steps: list[dict], cpu: list[tuple[datetime, float]] | None = None) -> dict:
    """Where a run leaves cores to spare, from its steps' start and end times (``asset``, ``started_at``,
    ``finished_at``: datetimes, as ``dagster_steps`` gives them): each step's [start, end] in seconds from the first
    start; ``alone_s``, the seconds when one step ran by itself, per step (a one-threaded step alone leaves the
    other cores idle; `instances` and `face_embeddings` alone still have their worker processes); ``idle_s``, the
    seconds between the first start and the last end when no step ran (the executor's own time between steps);
    ``concurrent_s``, the seconds at each count of steps running at once. With ``cpu`` (the process tree's CPU
    seconds so far at wall-clock times, ``TreeSampler.cpu_samples``) also ``alone_cores``: the cores each step kept
    busy while it ran alone (CPU seconds over its alone seconds, for steps alone 2 s or more: the samples are 0.5 s
    apart), on a quiet machine what a step alone leaves idle."""
    if not steps:
        return {"steps": [], "alone_s": {}, "idle_s": 0.0, "concurrent_s": {}}
    origin = min(s["started_at"] for s in steps)
    spans = [(s["asset"], (s["started_at"] - origin).total_seconds(), (s["finished_at"] - origin).total_seconds())
             for s in steps]
    edges = sorted({t for _, start, end in spans for t in (start, end)})
    alone: dict[str, float] = {}
    alone_cpu: dict[str, float] = {}
    concurrent: dict[int, float] = {}
    cpu_at = _cpu_clock(cpu, origin)
    for left, right in zip(edges, edges[1:]):
        running = [asset for asset, start, end in spans if start <= left and end >= right]
        concurrent[len(running)] = concurrent.get(len(running), 0.0) + right - left
        if len(running) == 1:
            alone[running[0]] = alone.get(running[0], 0.0) + right - left
            if cpu_at is not None:
                alone_cpu[running[0]] = alone_cpu.get(running[0], 0.0) + cpu_at(right) - cpu_at(left)
    line = {"steps": [[asset, round(start, 1), round(end, 1)] for asset, start, end in sorted(spans, key=lambda s: s[1])],
            "alone_s": {asset: round(s, 1) for asset, s in sorted(alone.items(), key=lambda kv: -kv[1])},
            "idle_s": round(concurrent.pop(0, 0.0), 1),
            "concurrent_s": {str(n): round(s, 1) for n, s in sorted(concurrent.items())}}
    if cpu_at is not None:
        line["alone_cores"] = {asset: round(alone_cpu[asset] / s, 2) for asset, s in line["alone_s"].items()
                               if s >= 2.0}
    return line


def _cpu_clock(cpu: list[tuple[datetime, float]] | None, origin: datetime):
    """CPU seconds at a time in seconds from ``origin``, interpolated between the samples; None without two."""
    if not cpu or len(cpu) < 2:
        return None
    def utc(at: datetime) -> datetime:   # the sampler's times are naive UTC, Dagster's aware
        return at if at.tzinfo is None else at.astimezone(timezone.utc).replace(tzinfo=None)

    times = np.array([(utc(at) - utc(origin)).total_seconds() for at, _ in cpu])
    seconds = np.array([value for _, value in cpu])
    return lambda t: float(np.interp(t, times, seconds))


def decode_floor(video: Path) -> dict:
    """PyAV decoding every frame of ``video`` in one thread (the frames stage's decoder): seconds per film second."""
    import av

    started, cpu_started, frames = time.perf_counter(), time.process_time(), 0
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            frame.to_ndarray(format="rgb24")
            frames += 1
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    length = duration(video)
    return {"clip_s": round(length, 1), "frames": frames, "decode_s": round(seconds, 2), "decode_cpu_s": round(cpu, 2),
            "decode_cpu_s_per_film_s": round(cpu / length, 4),
            "decode_s_per_film_s": round(seconds / length, 4),
            "projected_90min_decode_min": round(seconds / length * TARGET_MINUTES, 1),
            "projected_90min_decode_cpu_min": round(cpu / length * TARGET_MINUTES, 1)}


def _at_90(minutes: np.ndarray, seconds: np.ndarray) -> float:
    """Seconds at 90 minutes from a least-squares line through (minutes, seconds), never below zero."""
    if len(minutes) < 2:
        return float(seconds[0] / minutes[0] * TARGET_MINUTES)
    slope, intercept = np.polyfit(minutes, seconds, 1)
    return max(0.0, float(intercept + slope * TARGET_MINUTES))


def measured_projection(runs: list[dict]) -> dict:
    """Wall time, CPU time and each asset's seconds as lines in film length through runs of one height, at 90 minutes."""
    minutes = np.array([r["film_minutes"] for r in runs])
    per_asset = {asset: _at_90(minutes, np.array([r["assets"].get(asset, {}).get("seconds", 0.0) for r in runs]))
                 for asset in runs[-1]["assets"]}
    return {"runs_minutes": [r["film_minutes"] for r in runs],
            "wall_minutes": round(_at_90(minutes, np.array([r["wall_s"] for r in runs])) / 60, 1),
            "cpu_minutes": round(_at_90(minutes, np.array([r["cpu_s"] for r in runs])) / 60, 1),
            "per_asset_minutes": {a: round(s / 60, 1) for a, s in sorted(per_asset.items(), key=lambda kv: -kv[1])}}


def projection(runs: list[dict], frames_ratio: float | None, floor: dict | None = None) -> dict:
    """Each asset's seconds and the whole run's wall time as lines in film length, taken to 90 minutes at 480p;
    at 1080p the frames stage is scaled by its measured 1080p/480p ratio (the other stages work on frames scaled
    down to fixed model sizes, so they are taken as unchanged: a lower bound for them)."""
    minutes = np.array([r["film_minutes"] for r in runs])
    per_asset = {asset: _at_90(minutes, np.array([r["assets"].get(asset, {}).get("seconds", 0.0) for r in runs]))
                 for asset in runs[-1]["assets"]}
    wall_480 = _at_90(minutes, np.array([r["wall_s"] for r in runs]))
    # on a shared machine wall time measures the neighbours too: CPU time / cores is what this code needs
    cpu_480 = _at_90(minutes, np.array([r["cpu_s"] for r in runs]))
    extra = per_asset.get("frames", 0.0) * (frames_ratio - 1) if frames_ratio else 0.0
    if frames_ratio:
        per_asset["frames"] *= frames_ratio
    cores = os.cpu_count() or 1
    cpu_1080 = None
    if floor and "decode_cpu_s_per_film_s_480p" in floor:   # 1080p costs at least its extra decoding
        extra_decode = (floor["decode_cpu_s_per_film_s"] - floor["decode_cpu_s_per_film_s_480p"]) * TARGET_MINUTES * 60
        cpu_1080 = round((cpu_480 + extra_decode) / 60, 1)
    return {"wall_minutes_480p": round(wall_480 / 60, 1),
            "cpu_minutes_1080p_at_least": cpu_1080,
            "cpu_minutes_480p": round(cpu_480 / 60, 1),
            f"cpu_minutes_480p_over_{cores}_cores": round(cpu_480 / 60 / cores, 1),
            "wall_minutes_1080p": round((wall_480 + extra) / 60, 1) if frames_ratio else None,
            "per_asset_minutes_1080p": {a: round(s / 60, 1) for a, s in sorted(per_asset.items(), key=lambda kv: -kv[1])}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, nargs="*", default=[2, 6, 15],
                        help="film lengths to run (none: only the 1080p decode floor and frames ratio)")
    parser.add_argument("--height", type=int, choices=(480, 1080), default=480,
                        help="build the films at this height (1080: the clips scaled up to 1920x1080)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "castforge_film_scale")
    parser.add_argument("--no-floor", action="store_true", help="skip the 1080p decode floor and frames ratio")
    parser.add_argument("--threads", action=argparse.BooleanOptionalAction, default=True,
                        help="independent steps at once (castforge materialize --threads; --no-threads: one by one)")
    parser.add_argument("--step-order", choices=("plan", "longest_path"),
                        help="the threaded executor's order of ready steps (default: the executor's own)")
    parser.add_argument("--merge", type=Path, nargs="*", default=[],
                        help="earlier outputs of this bench whose runs (and frames ratio) join the projection")
    parser.add_argument("--speed", help="run every film at this speed (configs/speeds/<speed>.yaml; default: none)")
    args = parser.parse_args()
    shared = shared_dir()
    if shared is None:
        sys.exit("../shared (or CASTFORGE_SHARED) with the clips is needed")
    args.work.mkdir(parents=True, exist_ok=True)
    segments = normalised(shared, args.work, args.height) if args.minutes else []
    runs, load_before = [], os.getloadavg()[0]
    for minutes in args.minutes:
        video = build_film(segments, minutes, args.work / f"film_{minutes:g}min_{args.height}p.mp4")
        with run_home(args.work) as home:
            runs.append({"height": args.height, **run_film(video, home, shared,
                                                           f"film_{minutes:g}min".replace(".", "_"), threads=args.threads,
                                                           step_order=args.step_order, speed=args.speed)})
        print(json.dumps({"progress": runs[-1]}), file=sys.stderr, flush=True)
    floor, ratio = None, None
    if not args.no_floor:
        clip_480 = build_film(segments, 1, args.work / "clip_1min_480p.mp4")
        # the first minute of the cycle is Sintel then Big Buck Bunny: only those two are needed at 1080p
        clip_1080 = build_film(normalised(shared, args.work, 1080, SOURCES[:2]), 1, args.work / "clip_1min_1080p.mp4")
        floor = decode_floor(clip_1080)
        at_480 = decode_floor(clip_480)
        floor["decode_s_per_film_s_480p"] = at_480["decode_s_per_film_s"]
        floor["decode_cpu_s_per_film_s_480p"] = at_480["decode_cpu_s_per_film_s"]
        frames_s = {}
        for name, clip in (("480p", clip_480), ("1080p", clip_1080)):
            with run_home(args.work) as home:
                frames_s[name] = run_film(clip, home, shared, f"clip_{name}", "frames")["assets"]["frames"]["seconds"]
        ratio = round(frames_s["1080p"] / frames_s["480p"], 2)
        floor["frames_stage_s"] = frames_s
    for earlier in map(json.loads, (p.read_text() for p in args.merge)):
        same_speed = [r for r in earlier["runs"] if r.get("speed", "default") == (args.speed or "default")]
        runs = sorted([*runs, *same_speed], key=lambda r: r["film_minutes"])
        ratio = ratio or earlier.get("frames_1080p_over_480p")
        floor = floor or earlier.get("decode_floor_1080p")
    by_height = {h: [r for r in runs if r.get("height", 480) == h] for h in (480, 1080)}
    print(json.dumps({
        "benchmark": "film_scale",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_avg_1m_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)]},
        "runs": runs,
        "frames_1080p_over_480p": ratio,
        "decode_floor_1080p": floor,
        "projection_90min": projection(by_height[480], ratio, floor) if by_height[480] else None,
        "measured_1080p": measured_projection(by_height[1080]) if by_height[1080] else None,
    }, indent=1))


if __name__ == "__main__":
    main()
