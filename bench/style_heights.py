"""Per-shot style (``resources/style.shot_style``) of the shared clips at their own size and as bench/film_scale.py
builds them: scaled into a black-barred 16:9 frame of 480, 720 and 1080 rows (24 fps, x264 CRF 23). A shot's style
should not depend on the film's resolution (issue 12; docs/anime_2d.md, Session 21 (d5)). Shots: PySceneDetect's
ContentDetector on the 480-row build; three frames a shot (10-90 % of it), the same frame numbers at every height
(the native clip: the same instant). Prints JSON: per clip and height, each shot's preset ("-": too bare to tell)
and score (line_art - SHADING_WEIGHT * shading of its told frames).

    .venv/bin/python bench/style_heights.py [--work /tmp/style_heights] [--repo DIR (whose resources/style.py)]
"""

import argparse
import importlib
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from film_scale import FPS, SOURCES  # noqa: E402

HEIGHTS = (480, 720, 1080)


def boxed_clip(source: Path, height: int, target: Path) -> Path:
    """``source`` as film_scale's ``normalised`` builds it, at any height (cached; no audio)."""
    if not target.exists():
        width = {480: 854, 720: 1280, 1080: 1920}[height]
        video = (f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
                 f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,fps={FPS},format=yuv420p,setsar=1")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(source), "-an", "-vf", video, "-c:v", "libx264",
                        "-preset", "veryfast", "-crf", "23", str(target.with_suffix(".tmp.mp4"))], check=True)
        target.with_suffix(".tmp.mp4").rename(target)
    return target


def picks(clip: Path) -> list[list[int]]:
    from scenedetect import ContentDetector, detect

    shots = []
    for start, end in detect(str(clip), ContentDetector()):
        a, b = start.frame_num, end.frame_num
        if b - a >= 6:
            shots.append([int(i) for i in np.unique(np.linspace(a + (b - a) * 0.1, b - 1 - (b - a) * 0.1, 3).astype(int))])
    return shots


def frames_at(video: Path, wanted: set[int]) -> dict[int, np.ndarray]:
    capture, out, index = cv2.VideoCapture(str(video)), {}, 0
    while len(out) < len(wanted):
        ok, bgr = capture.read()
        if not ok:
            break
        if index in wanted:
            out[index] = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        index += 1
    capture.release()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/style_heights"))
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args()
    sys.path.insert(0, str(args.repo))
    for module in [m for m in sys.modules if m == "resources" or m.startswith("resources.")]:
        del sys.modules[module]   # film_scale imported this checkout's; measure with --repo's
    style = importlib.import_module("resources.style")
    print(f"resources/style.py from {style.__file__}", file=sys.stderr)
    from resources.paths import shared_dir

    shared, out = shared_dir(), {}
    if shared is None:
        sys.exit("bench/style_heights.py needs ../shared (or CASTFORGE_SHARED) with the shared clips")
    args.work.mkdir(parents=True, exist_ok=True)
    for name, relative in SOURCES:
        source = shared / relative
        clips = {h: boxed_clip(source, h, args.work / f"{name}_{h}p.mp4") for h in HEIGHTS}
        shots = picks(clips[480])
        rate = cv2.VideoCapture(str(source)).get(cv2.CAP_PROP_FPS)
        native = {i: int(round(i / FPS * rate)) for shot in shots for i in shot}
        for label, video in [("native", source), *clips.items()]:
            mapped = native if label == "native" else {i: i for i in native}
            frames = frames_at(video, set(mapped.values()))
            row = []
            for shot in shots:
                images = [frames[mapped[i]] for i in shot if mapped[i] in frames]
                decided = style.shot_style(images, "-")
                told = [f for f in images if style.edge_share(f) >= style.MIN_EDGE_SHARE] or images
                measure = style.measure_style(told)
                row.append([decided.preset if decided.measured else "-",
                            round(measure.line_art - style.SHADING_WEIGHT * measure.shading, 3)])
            out[f"{name}@{label}"] = {"anime": sum(p == "anime" for p, _ in row),
                                      "measured": sum(p != "-" for p, _ in row), "shots": row}
            print(f"{name}@{label}: {out[f'{name}@{label}']['anime']} of {out[f'{name}@{label}']['measured']} "
                  "measured shots anime", file=sys.stderr, flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
