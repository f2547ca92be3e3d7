"""Frames benchmark: castforge's `frames` extraction against PySceneDetect's content detector alone, same file,
same run. Prints JSON. Usage: .venv/bin/python bench/frames.py [VIDEO ...] (default: the shared test videos)."""

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assets.frames.core import FrameParams, extract_video_frames  # noqa: E402
from resources.paths import shared_dir  # noqa: E402


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
        bare_wall, bare_cpu = min(bare_detection_s(video, params.content_threshold) for _ in range(3))
        ours_wall, ours_cpu, counts = min((castforge_s(video, params) for _ in range(3)), key=lambda r: r[0])
        report.append({
            "video": video.name, **counts,
            "pyscenedetect_content_wall_s": round(bare_wall, 3), "castforge_frames_wall_s": round(ours_wall, 3),
            "ratio_wall": round(ours_wall / bare_wall, 3),
            "pyscenedetect_content_cpu_s": round(bare_cpu, 3), "castforge_frames_cpu_s": round(ours_cpu, 3),
            "ratio_cpu": round(ours_cpu / bare_cpu, 3),
            "decoded_fps": round(counts["decoded_frames"] / ours_wall, 1),
        })
    print(json.dumps({"benchmark": "frames", "params": params.__dict__, "results": report}, indent=2))


if __name__ == "__main__":
    main()
