"""AnimeFace 2009's cost and what its window search trades, printed as JSON (not a test).

Per window search (``--search STEP,SCALE_FACTOR,MIN_WINDOW``; AnimeFace's own, 4,1.095,42.592, always first): the
worker's CPU per frame (its process's user + system time, read from /proc) on every ``--every``-th frame of a video
(Penny & Chip 480p by default: 105 frames), the faces it finds (likelihood >= 0.5) against AnimeFace's own search's
(kept: a face of the own search that the other search also finds, the same face by the matching rule of
assets/faces/evaluation.py both ways; lost; new), and recall / precision on the 26 hand-labelled Penny & Chip frames
(tests/data/penny_and_chip_faces.json, 52 faces, no skin rule). ``--heights``: the own search's CPU per frame with
the frames resized to these heights (how the cost grows with the pixels). No result cache: every frame is detected.

Usage: .venv/bin/python bench/animeface_cost.py [--video V] [--every 48] [--search 4,1.199025,42.592 ...]
       [--heights 360,480,720]
"""

import argparse
import json
import os
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assets.faces.evaluation import DetectionScore, matches, score_detections  # noqa: E402
from faces_2d import PENNY_CHIP, read_frame  # noqa: E402
from resources.paths import shared_dir  # noqa: E402

LABELS = Path(__file__).resolve().parents[1] / "tests" / "data" / "penny_and_chip_faces.json"


def video_frames(video: Path, every: int, height: int | None = None) -> list[np.ndarray]:
    capture, frames, index = cv2.VideoCapture(str(video)), [], 0
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        if index % every == 0:
            if height and height != bgr.shape[0]:
                width = round(bgr.shape[1] * height / bgr.shape[0])
                bgr = cv2.resize(bgr, (width, height), interpolation=cv2.INTER_AREA)
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        index += 1
    capture.release()
    return frames


def labelled_frames(shared: Path) -> list[tuple[np.ndarray, list, list]]:
    labels = json.loads(LABELS.read_text())["frames"]
    return [(read_frame(shared / PENNY_CHIP, 8 * int(shot) + 3.5), [entry["penny"], entry["chip"]],
             entry.get("ignore", [])) for shot, entry in labels.items()]


def worker_cpu_seconds(detector) -> float:
    """User + system CPU seconds of the detector's worker process so far (0 before it starts)."""
    if detector._process is None:
        return 0.0
    with open(f"/proc/{detector._process.pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def detect_all(search: tuple[float, ...], frames: list[np.ndarray]) -> tuple[list[list[tuple]], float]:
    """Face boxes (likelihood >= 0.5) per frame and the worker's CPU ms per frame."""
    from resources.backends.animeface import AnimeFaceDetector

    detector = AnimeFaceDetector(max_side=None, cache_dir=None, search=search)
    detector.detect(np.zeros((64, 64, 3), np.uint8))  # start the worker: its imports are not the search's cost
    started = worker_cpu_seconds(detector)
    found = [[face.box for face in detector.detect(frame)] for frame in frames]
    spent = worker_cpu_seconds(detector) - started
    detector.close()
    return found, round(1000 * spent / max(1, len(frames)), 1)


def same_face(a: tuple, b: tuple) -> bool:
    return matches(a, b) and matches(b, a)


def compare(own: list[list[tuple]], other: list[list[tuple]]) -> dict[str, int]:
    kept = sum(any(same_face(box, o) for o in theirs) for mine, theirs in zip(own, other) for box in mine)
    new = sum(not any(same_face(o, box) for box in mine) for mine, theirs in zip(own, other) for o in theirs)
    return {"own_faces": sum(map(len, own)), "kept": kept, "lost": sum(map(len, own)) - kept, "new": new}


def main() -> None:
    from resources.backends.animeface import ANIMEFACE_SEARCH

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, help="default: ../shared's Penny & Chip 480p")
    parser.add_argument("--every", type=int, default=48, help="every N-th frame of the video")
    parser.add_argument("--search", action="append", default=[], metavar="STEP,SCALE_FACTOR,MIN_WINDOW")
    parser.add_argument("--heights", default="", help="comma-separated frame heights for the own search's cost")
    args = parser.parse_args()
    shared = shared_dir()
    frames = video_frames(args.video or shared / PENNY_CHIP, args.every)
    labelled = labelled_frames(shared)
    searches = [ANIMEFACE_SEARCH] + [tuple(float(v) for v in s.split(",")) for s in args.search]
    out: dict = {"video": str(args.video or PENNY_CHIP), "frames": len(frames),
                 "frame_size": list(frames[0].shape[:2]), "searches": []}
    own = None
    for search in searches:
        found, ms = detect_all(search, frames)
        on_labels, _ = detect_all(search, [image for image, _, _ in labelled])
        score = sum((score_detections(boxes, faces, ignore) for boxes, (_, faces, ignore) in zip(on_labels, labelled)),
                    DetectionScore(0, 0, 0))
        own = own or found
        out["searches"].append({"search": list(search), "worker_cpu_ms_per_frame": ms, **compare(own, found),
                                "penny_and_chip_labelled": score.as_dict()})
    out["cost_by_height"] = {}
    for height in (int(h) for h in args.heights.split(",") if h):
        _, ms = detect_all(ANIMEFACE_SEARCH, video_frames(args.video or shared / PENNY_CHIP, args.every * 4, height))
        out["cost_by_height"][height] = ms
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
