"""Instances benchmark on the Sintel trailer's kept frames: instances/s and frames/s per segmenter backend, peak
memory, and the face-coverage figure (share of YuNet faces in kept frames that a kept instance covers).
Each backend runs in its own subprocess so its peak RSS is its own. Prints JSON.

Usage: .venv/bin/python bench/instances.py [--backends characters,sam2] [--sam2-points 8] [--sam2-frames 4]
       [--keep DIR] (keeps the cut-outs and the decided table, e.g. for docs/screenshots/instances_sintel.png)
       [--workers N] (characters: the stage's pool of N worker processes, assets/instances/parallel.py; CPU
       seconds then count the whole process tree)
       [--video PATH] [--limit N] (another video's first N kept frames, e.g. bench/film_scale.py's 1080p minute
       /tmp/castforge_film_scale/clip_1min_1080p.mp4 and its 480p twin clip_1min_480p.mp4: CPU per 1080p frame)
       [--interval S] (one frame every S seconds, the frames stage's interval mode, instead of key frames per shot:
       more frames of a short film, e.g. Big Buck Bunny's 30 s at 0.25)
       [--analysis-max-height 480] (frames taller than this are segmented scaled down to it; by default the
       instances stage's own default, InstanceParams.analysis_max_height; 0: at their own size)
       .venv/bin/python bench/instances.py --cue-costs: CPU-ms a frame of each cue model (YuNet, YOLOX, DeepLab) on
       30 Sintel frames, one frame of each Penny & Chip clip (720p) and both upscaled to 1080p, and YuNet at smaller
       input sizes against its default (faces found, and how many of the default's it finds again)
sam2 uses the checkpoint under CASTFORGE_MODELS when present; otherwise it runs the real tiny architecture with
random weights, to time it (its masks are then meaningless), on --sam2-frames frames. sam2 runs the production
path: its parts merged into whole characters by the characters backend (same cues).
"""

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from resources.paths import shared_dir  # noqa: E402

SINTEL = "media/video/sintel_trailer_480x204.mp4"


def sintel_frames(out: Path, video: Path | None = None, interval: float | None = None):
    """The frames table of ``video`` (default: the Sintel trailer), key frames written under ``out`` (with
    ``interval``: one frame every ``interval`` seconds, the frames stage's interval mode, instead of per shot)."""
    from assets.frames.core import FrameParams, extract_video_frames

    params = FrameParams(mode="interval", interval_s=interval) if interval else FrameParams()
    return extract_video_frames(video or shared_dir() / SINTEL, out, params).frames


def run_backend(backend: str, frames_dir: Path, sam2_points: int, sam2_frames: int, keep: str | None = None,
                workers: int | None = None, video: Path | None = None, limit: int | None = None,
                analysis_max_height: int | None = None, interval: float | None = None) -> dict:
    import polars as pl

    from assets.instances.core import InstanceParams, extract_instances
    from assets.instances.filtering import FilterParams, auto_decisions
    from resources.film_settings import stage_params

    frames = sintel_frames(frames_dir, video, interval)
    kept = frames.filter(pl.col("kept")).sort("frame_id")
    if limit:
        kept = kept.head(limit)
    extra: dict = {}
    if backend == "sam2":
        from resources.backends.sam2 import Sam2Segmenter, find_checkpoint
        from resources.segmenter import SegmenterResource

        random_weights = find_checkpoint("tiny") is None
        resource_ = SegmenterResource(backend="characters")
        cues = resource_.cue_models()
        # the production path: SAM2's parts merged into whole characters by the characters backend (same cues)
        segmenter = Sam2Segmenter("tiny", points_per_side=sam2_points, allow_random_weights=random_weights,
                                  characters=resource_.get(),
                                  **({"pred_iou_thresh": 0.0, "stability_score_thresh": 0.0} if random_weights else {}))

        def segment(rgb):
            frame_cues = cues(rgb)
            return segmenter.segment(rgb, frame_cues), frame_cues
        if random_weights:
            kept = kept.head(sam2_frames)
        extra = {"random_weights": random_weights, "points_per_side": sam2_points, "model": segmenter.model}
    else:
        from resources.segmenter import SegmenterResource

        resource_ = SegmenterResource(backend="characters")
        segment = resource_.segment_frame
        extra = {"model": resource_.get().model, "analysis_max_height": analysis_max_height}
    frames = frames.with_columns(pl.col("frame_id").is_in(kept["frame_id"].to_list()).alias("kept"))
    # the analysis cap is the characters backend's (segment_frame); the sam2 bench calls its segmenter directly
    params = InstanceParams(analysis_max_height=analysis_max_height if backend == "characters" else None)
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(keep) / backend) if keep else tmp
        started, cpu_started = time.perf_counter(), cpu_seconds()
        if workers and backend == "characters":
            table, made = pooled_instances(frames, resource_, Path(out), extra["model"], workers, params)
            extra["workers"], extra["peak_rss_mb_per_worker"] = made["workers"], made["peak_rss_mb_per_worker"]
        else:
            misses: list[dict] = []   # the kept frames without an instance, with the reason (`instance_misses`)
            table = extract_instances("sintel", frames, lambda p: Path(p), segment, Path(out), str, backend,
                                      extra["model"], params, empty=misses)
            extra["frames_without_instances"] = len(misses)
            extra["no_instance_reasons"] = dict(Counter(re.sub(r"\d+", "N", m["reason"].split(":")[0]) for m in misses))
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
        decided = auto_decisions(table, FilterParams.from_dict(stage_params("sintel", "filtered_instances")))
        coverage = face_coverage(kept, decided, Path(out)) if backend == "characters" else None
        if keep:
            decided.write_parquet(Path(out) / "filtered_instances.parquet")
    size = [int(kept["width"][0]), int(kept["height"][0])] if kept.height else None
    return {"backend": backend, "video": str(video or SINTEL), "frame_size": size,
            "frames": kept.height, "instances": table.height,
            "cpu_seconds_per_frame": round(cpu / max(1, kept.height), 3),
            "kept_instances": int(decided["kept"].sum()) if decided.height else 0, "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu, 2),  # user + system time of this process: robust when the cores are shared
            "instances_per_s": round(table.height / seconds, 3), "frames_per_s": round(kept.height / seconds, 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "face_coverage": coverage, **extra}


def pooled_instances(frames, segmenter, out: Path, model: str, workers: int, params):
    """The stage's own path (assets/instances/parallel.py) on ``workers`` processes with the stage's ``params``
    (InstanceParams); paths stay absolute."""
    import polars as pl

    from assets.instances.parallel import segment_film
    from resources.storage import FilmWorkspace

    workspace = FilmWorkspace("sintel", Path("/"))   # home is the root: stored paths are absolute without the "/"
    table, made = segment_film("sintel", frames, workspace, segmenter, False, out, out, "characters", model,
                               params, workers=workers)
    return table.with_columns(("/" + pl.col(c)).alias(c) for c in ("path", "mask_path", "overlay_path")), made


def cpu_seconds() -> float:
    """User + system time of this process and of its finished children (the pool's workers)."""
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                resource.getrusage(resource.RUSAGE_CHILDREN)))


def face_coverage(kept, decided, out: Path) -> dict:
    import cv2
    import polars as pl

    from resources.backends.character_cues import YunetFaceDetector

    detector, faces, covered = YunetFaceDetector(0.6), 0, 0
    for frame in kept.iter_rows(named=True):
        rgb = cv2.cvtColor(cv2.imread(frame["path"]), cv2.COLOR_BGR2RGB)
        masks = [cv2.imread(r["mask_path"], cv2.IMREAD_GRAYSCALE) > 0 for r in decided.filter(
            (pl.col("frame_id") == frame["frame_id"]) & pl.col("kept")).iter_rows(named=True)]
        for x0, y0, x1, y1, _ in detector.detect(rgb):
            faces += 1
            covered += any(m[int((y0 + y1) / 2), int((x0 + x1) / 2)] for m in masks)
    return {"faces": faces, "covered": covered, "rate": round(covered / faces, 3) if faces else None,
            "frames_with_faces_note": "YuNet score >= 0.6, face centre inside a kept instance's mask"}


def video_frames(video: Path, every: int, limit: int) -> list:
    """RGB frames ``every`` frames apart (from the middle of the first interval), at most ``limit``."""
    import av

    found = []
    with av.open(str(video)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index % every == every // 2:
                found.append(frame.to_ndarray(format="rgb24"))
            if len(found) >= limit:
                break
    return found


YUNET_SIDES = (960, 800, 640)  # smaller YuNet inputs compared with the default


def cue_costs() -> dict:
    """CPU-ms a frame of each cue model, and YuNet at smaller input sizes against its default."""
    import cv2

    from resources.backends.character_cues import YUNET_MAX_SIDE, DeeplabCharacterMask, YunetFaceDetector, box_iou
    from resources.backends.yolox_boxes import YoloxCharacterDetector

    shared = shared_dir()
    sintel = video_frames(shared / SINTEL, 40, 30)
    penny = [video_frames(clip, 60, 1)[0] for clip in sorted((shared / "media/video/2d/penny_and_chip").glob("*.mp4"))]

    def at_1080p(frames):
        return [cv2.resize(f, (1920, round(1920 * f.shape[0] / f.shape[1])), interpolation=cv2.INTER_CUBIC)
                for f in frames]

    sets = {"sintel": sintel, "penny_and_chip": penny, "sintel_1080p": at_1080p(sintel),
            "penny_and_chip_1080p": at_1080p(penny)}
    models = {"yunet": YunetFaceDetector(0.6).detect, "yolox_two_passes": YoloxCharacterDetector(0.3, 0.5).detect,
              "deeplab": DeeplabCharacterMask().mask}

    def timed(detect, frames):
        detect(frames[0])  # first call: allocations, not counted
        started = cpu_seconds()
        found = [detect(f) for f in frames]
        return found, round((cpu_seconds() - started) / len(frames) * 1000, 1)

    report = {}
    for name, frames in sets.items():
        row = {"frames": len(frames), "size": list(frames[0].shape[1::-1]), "cpu_ms_per_frame": {}, "yunet_sides": {}}
        reference = None
        for model, detect in models.items():
            found, row["cpu_ms_per_frame"][model] = timed(detect, frames)
            if model == "yunet":
                reference = found
        for side in YUNET_SIDES:
            if side >= max(frames[0].shape[:2]):
                continue
            found, cost = timed(YunetFaceDetector(0.6, max_side=side).detect, frames)
            again = sum(any(box_iou(a[:4], b[:4]) > 0.5 for b in theirs) for ours, theirs in zip(reference, found)
                        for a in ours)
            row["yunet_sides"][side] = {"cpu_ms_per_frame": cost, "faces": int(sum(len(f) for f in found)),
                                        f"of_{YUNET_MAX_SIDE}_faces": int(sum(len(f) for f in reference)),
                                        "found_again": int(again)}
        report[name] = row
    return {"benchmark": "instances_cue_costs", "model_threads": os.environ.get("CASTFORGE_MODEL_THREADS"),
            "yunet_max_side": YUNET_MAX_SIDE, "results": report}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", default="characters,sam2")
    parser.add_argument("--sam2-points", type=int, default=8)
    parser.add_argument("--sam2-frames", type=int, default=4)
    parser.add_argument("--keep", help="keep the cut-outs, masks and the decided table under KEEP/<backend>")
    parser.add_argument("--workers", type=int, help="characters: segment on the stage's pool of N processes")
    parser.add_argument("--cue-costs", action="store_true", help="CPU-ms a frame of each cue model; YuNet sizes")
    parser.add_argument("--video", help="another video instead of the Sintel trailer (e.g. a 1080p film)")
    parser.add_argument("--limit", type=int, help="only the first N kept frames (by frame id)")
    parser.add_argument("--interval", type=float, help="frames every INTERVAL seconds (the frames stage's interval "
                        "mode) instead of its default key frames per shot")
    parser.add_argument("--analysis-max-height", type=int, help="frames taller than this are segmented scaled "
                        "down to it (default: the instances stage's default analysis_max_height; 0: at their own "
                        "size)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.analysis_max_height is None:  # as the stage runs by default
        from assets.instances.core import InstanceParams

        args.analysis_max_height = InstanceParams().analysis_max_height or 0
    if shared_dir() is None:
        sys.exit("../shared (or CASTFORGE_SHARED) with the Sintel trailer is needed")
    os.environ.setdefault("CASTFORGE_MODELS", str(shared_dir() / "models"))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.cue_costs:
        print(json.dumps(cue_costs(), indent=2))
        return
    if args.one:
        with tempfile.TemporaryDirectory() as frames_dir:
            print(json.dumps(run_backend(args.one, Path(frames_dir), args.sam2_points, args.sam2_frames, args.keep,
                                         args.workers, Path(args.video) if args.video else None, args.limit,
                                         args.analysis_max_height or None, args.interval)))
        return
    results = []
    for backend in args.backends.split(","):
        done = subprocess.run([sys.executable, __file__, "--one", backend, "--sam2-points", str(args.sam2_points),
                               "--sam2-frames", str(args.sam2_frames)] + (["--keep", args.keep] if args.keep else [])
                              + (["--workers", str(args.workers)] if args.workers else [])
                              + (["--video", args.video] if args.video else [])
                              + (["--limit", str(args.limit)] if args.limit else [])
                              + (["--interval", str(args.interval)] if args.interval else [])
                              + ["--analysis-max-height", str(args.analysis_max_height)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            results.append({"backend": backend, "error": done.stderr.strip().splitlines()[-1:]})
            continue
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    film = Path(args.video).stem if args.video else "sintel_trailer_480x204"
    print(json.dumps({"film": film, "cpu_count": os.cpu_count(), "results": results}, indent=2))


if __name__ == "__main__":
    main()
