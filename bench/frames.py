"""Frames benchmark: castforge's `frames` extraction against PySceneDetect's content detector alone, same file,
same run. Prints JSON. Usage: .venv/bin/python bench/frames.py [VIDEO ...] (default: the shared test videos).
``bench/frames.py --scale [--work DIR] [--before CHECKOUT]``: film-scale figures (bench/frames_scale.py)."""

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assets.frames.core import FrameParams, extract_video_frames  # noqa: E402
from resources.paths import shared_dir  # noqa: E402

ROUNDS = 7


def bare_detection_s(video: Path, threshold: float) -> tuple[float, float]:
    """Wall and CPU seconds of PySceneDetect's content detector alone (its default OpenCV backend)."""
    from scenedetect import ContentDetector, detect

    wall, cpu = time.perf_counter(), time.process_time()
    detect(str(video), ContentDetector(threshold=threshold))
    return time.perf_counter() - wall, time.process_time() - cpu


def castforge_s(video: Path, params: FrameParams) -> tuple[float, float, dict]:
    with tempfile.TemporaryDirectory() as out:
        wall, cpu = time.perf_counter(), time.process_time()
        result = extract_video_frames(video, Path(out), params)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall, cpu, {"decoded_frames": result.decoded_frames, "shots": result.shots.height,
                     "frames_kept": int(result.frames["kept"].sum()), "frames_rows": result.frames.height}


def main() -> None:
    if "--scale" in sys.argv:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from frames_scale import main as scale_main

        scale_main()
        return
    shared = shared_dir()
    videos = [Path(a) for a in sys.argv[1:]] or [
        shared / "media/video/sintel_trailer_480x204.mp4",
        shared / "media/video/big_buck_bunny_0_30.webm",
        shared / "media/video/pyscenedetect/testvideo.mp4",
    ]
    params = FrameParams()
    report = []
    for video in videos:
        castforge_s(video, params)  # warm the page cache and imports for both contenders
        pairs = []
        for _ in range(ROUNDS):  # interleaved, so both see the same machine; the median ratio is reported
            bare_wall, bare_cpu = bare_detection_s(video, params.content_threshold)
            ours_wall, ours_cpu, counts = castforge_s(video, params)
            pairs.append((ours_wall / bare_wall, ours_cpu / bare_cpu, ours_wall, bare_wall))
        ratio_wall, ratio_cpu, ours_wall, bare_wall = (statistics.median(p[i] for p in pairs) for i in range(4))
        report.append({
            "video": video.name, **counts, "rounds": ROUNDS,
            "castforge_frames_wall_s": round(ours_wall, 3), "pyscenedetect_content_wall_s": round(bare_wall, 3),
            "ratio_wall_median": round(ratio_wall, 3), "ratio_cpu_median": round(ratio_cpu, 3),
            "ratio_wall_range": [round(min(p[0] for p in pairs), 3), round(max(p[0] for p in pairs), 3)],
            "decoded_fps": round(counts["decoded_frames"] / ours_wall, 1),
        })
    print(json.dumps({"benchmark": "frames", "params": params.__dict__, "results": report}, indent=2))


if __name__ == "__main__":
    main()
