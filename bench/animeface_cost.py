"""AnimeFace 2009's cost and what its window search trades, printed as JSON (not a test).

Where AnimeFace runs (``modes``, AnimeFace's own search): in castforge's process (nvxs loaded through ctypes, the
default) and in the subprocess worker, both alive at once and asked in turn about each frame (``--rounds`` times),
so that the machine's load falls on both alike: CPU per frame (the calling thread's CPU, plus the worker process's
user + system time read from /proc), minor page faults per frame, the start-up's CPU and wall time (the library's
load, or the worker's start) and whether every answer (boxes, likelihoods, landmarks, colours) is the same.

``--regions``: AnimeFace searching only where the instances stage's cheap cues could hold a face (a trade, not
used by castforge): the edges outside a mask are zeroed before AnimeFace's edge test, so its windows there are pruned
before any Haar feature; a face found inside is found with the same box and likelihood. Masks: ``cues`` (YOLOX-nano
person, animal and toy boxes grown 10 % a side, YuNet's faces down to 0.3 grown by their size a side), ``skin``
(pixels of a drawn face's skin colour, resources/backends/animeface.has_skin_colour's rule, dilated 21 px) and
both; per mask the share of the frame it covers, CPU per frame (AnimeFace only, the masks' cost apart), the own
search's faces kept (same box and likelihood) / lost / new, and the labelled frames' recall / precision.

Per window search (``--search STEP,SCALE_FACTOR,MIN_WINDOW``; AnimeFace's own, 4,1.095,42.592, always first): the
CPU per frame (in this process) on every ``--every``-th frame of a video
(Penny & Chip 480p by default: 105 frames), the faces it finds (likelihood >= 0.5) against AnimeFace's own search's
(kept: a face of the own search that the other search also finds, the same face by the matching rule of
assets/faces/evaluation.py both ways; lost; new), and recall / precision on the 26 hand-labelled Penny & Chip frames
(tests/data/penny_and_chip_faces.json, 52 faces, no skin rule). ``--heights``: the own search's CPU per frame with
the frames resized to these heights (how the cost grows with the pixels). No result cache: every frame is detected.

Usage: .venv/bin/python bench/animeface_cost.py [--video V] [--every 48] [--search 4,1.199025,42.592 ...]
       [--heights 360,480,720] [--rounds 1] [--skip-modes] [--regions]
"""

import argparse
import ctypes
import json
import os
import resource
import sys
import time
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
    return sum(worker_stat(detector)[:2]) / os.sysconf("SC_CLK_TCK")


def worker_stat(detector) -> tuple[int, int, int]:
    """(user ticks, system ticks, minor page faults) of the detector's worker process so far (0s before it starts)."""
    if detector._process is None:
        return 0, 0, 0
    with open(f"/proc/{detector._process.pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]), int(fields[12]), int(fields[7])


def thread_cost() -> tuple[float, int]:
    """This thread's CPU seconds and minor page faults so far."""
    return time.thread_time(), resource.getrusage(resource.RUSAGE_THREAD).ru_minflt


def compare_modes(frames: list[np.ndarray], rounds: int) -> dict:
    """In-process against the worker (AnimeFace's own search), asked in turn about every frame, ``rounds`` times."""
    from resources.backends.animeface import AnimeFaceDetector

    out: dict = {}
    detectors = {mode: AnimeFaceDetector(max_side=None, cache_dir=None, min_score=0.0, in_process=mode == "in_process")
                 for mode in ("worker", "in_process")}
    for mode, detector in detectors.items():
        wall, (cpu, _) = time.perf_counter(), thread_cost()
        detector.detect(np.zeros((64, 64, 3), np.uint8))  # load the library / start the worker
        out[mode] = {"start_cpu_ms": round(1000 * (thread_cost()[0] - cpu + worker_cpu_seconds(detector)), 1),
                     "start_wall_ms": round(1000 * (time.perf_counter() - wall), 1)}
    spent = {mode: [0.0, 0.0, 0] for mode in detectors}  # this thread's CPU, the worker's CPU, page faults
    same = faces = 0
    for _ in range(rounds):
        for frame in frames:
            answers = []
            for mode, detector in detectors.items():
                (cpu, faults), worker = thread_cost(), worker_stat(detector)
                answers.append(detector.detect(frame))
                (cpu_after, faults_after), worker_after = thread_cost(), worker_stat(detector)
                spent[mode][0] += cpu_after - cpu
                spent[mode][1] += (sum(worker_after[:2]) - sum(worker[:2])) / os.sysconf("SC_CLK_TCK")
                spent[mode][2] += faults_after - faults + worker_after[2] - worker[2]
            same += answers[0] == answers[1]
            faces += sum(face.score >= 0.5 for face in answers[0])
    calls = rounds * len(frames)
    for mode, (here, worker, faults) in spent.items():
        detectors[mode].close()
        out[mode].update({"cpu_ms_per_frame": round(1000 * (here + worker) / calls, 1),
                          "this_thread_ms_per_frame": round(1000 * here / calls, 1),
                          "worker_ms_per_frame": round(1000 * worker / calls, 1),
                          "minor_faults_per_frame": round(faults / calls)})
    out.update({"calls": calls, "same_answers": same, "faces_at_0_5": faces // rounds})
    return out


def detect_faces(search: tuple[float, ...], frames: list[np.ndarray], in_process: bool = True) -> tuple[list, dict]:
    """AnimeFace's faces (likelihood >= 0.5) per frame and what they cost: CPU ms per frame (this thread's and the
    worker's), the start-up's CPU and wall ms (the first call, on a 64 x 64 image)."""
    from resources.backends.animeface import AnimeFaceDetector

    detector = AnimeFaceDetector(max_side=None, cache_dir=None, search=search, in_process=in_process)
    wall, cpu = time.perf_counter(), time.thread_time()
    detector.detect(np.zeros((64, 64, 3), np.uint8))  # load the library / start the worker: not the search's cost
    start = {"start_cpu_ms": round(1000 * (time.thread_time() - cpu + worker_cpu_seconds(detector)), 1),
             "start_wall_ms": round(1000 * (time.perf_counter() - wall), 1)}
    worker, cpu = worker_cpu_seconds(detector), time.thread_time()
    found = [detector.detect(frame) for frame in frames]
    here, worker = time.thread_time() - cpu, worker_cpu_seconds(detector) - worker
    detector.close()
    per_frame = 1000 / max(1, len(frames))
    return found, {"cpu_ms_per_frame": round(per_frame * (here + worker), 1),
                   "this_thread_ms_per_frame": round(per_frame * here, 1),
                   "worker_ms_per_frame": round(per_frame * worker, 1), **start}


def detect_all(search: tuple[float, ...], frames: list[np.ndarray]) -> tuple[list[list[tuple]], float]:
    """Face boxes (likelihood >= 0.5) per frame and the CPU ms per frame (in this process)."""
    found, cost = detect_faces(search, frames)
    return [[face.box for face in faces] for faces in found], cost["cpu_ms_per_frame"]


def box_mask(shape: tuple, boxes: list, grow: float) -> np.ndarray:
    mask = np.zeros(shape[:2], np.float32)
    for x0, y0, x1, y1 in boxes:
        w, h = x1 - x0, y1 - y0
        mask[int(max(0, y0 - grow * h)):int(y1 + grow * h), int(max(0, x0 - grow * w)):int(x1 + grow * w)] = 1
    return mask


def search_masks(image: np.ndarray, bodies, faces) -> dict[str, np.ndarray]:
    """The ``cues``, ``skin`` and ``cues_and_skin`` masks of an RGB frame (1: searched)."""
    people, toys = bodies.detect_with_toys(image)
    cues = np.maximum(box_mask(image.shape, [row[:4] for row in (*people, *toys)], 0.1),
                      box_mask(image.shape, [row[:4] for row in faces.detect(image)], 1.0))
    hls = cv2.cvtColor(image, cv2.COLOR_RGB2HLS_FULL).astype(np.float32)
    hue, light, saturation = hls[..., 0] * 360 / 256, hls[..., 1] / 255, hls[..., 2] / 255
    skin = (light >= 0.8) | (((hue >= 340) | (hue <= 60)) & (saturation >= 0.1))
    skin = cv2.dilate(skin.astype(np.uint8), np.ones((21, 21), np.uint8)).astype(np.float32)
    return {"cues": cues, "skin": skin, "cues_and_skin": cues * skin}


def masked_faces(native, image: np.ndarray, mask: np.ndarray | None) -> list:
    """AnimeFace's faces (likelihood >= 0.5) with the edges outside ``mask`` zeroed (None: the whole frame)."""
    from resources.backends.animeface import parse_face

    def edges(address: int) -> None:
        np.ctypeslib.as_array(ctypes.cast(address, ctypes.POINTER(ctypes.c_float)), (mask.size,))[:] *= mask.ravel()

    bgr = np.ascontiguousarray(image[:, :, ::-1], dtype=np.float32)
    raw = native.detector.detect_bgr(bgr.ctypes.data, *image.shape[:2], edges if mask is not None else None)
    return [face for face in map(parse_face, raw) if face.score >= 0.5]


def region_trial(frames: list[np.ndarray], labelled: list) -> dict:
    from resources.backends.animeface import AnimeFaceDetector
    from resources.backends.character_cues import YunetFaceDetector
    from resources.backends.yolox_boxes import YoloxCharacterDetector

    native = AnimeFaceDetector(max_side=None, cache_dir=None)._in_process()
    bodies, faces = YoloxCharacterDetector(0.3, 0.5), YunetFaceDetector(0.3)
    out: dict = {}
    for name, images in (("frames", frames), ("labelled", [image for image, _, _ in labelled])):
        masks = [search_masks(image, bodies, faces) for image in images]
        found: dict[str, list] = {}
        out[name] = {}
        for mask in ("whole_frame", "cues", "skin", "cues_and_skin"):
            cpu = time.thread_time()
            found[mask] = [masked_faces(native, image, None if mask == "whole_frame" else image_masks[mask])
                           for image, image_masks in zip(images, masks)]
            cpu = time.thread_time() - cpu
            own = found["whole_frame"]
            kept = sum(any(a.box == b.box and a.score == b.score for b in theirs)
                       for mine, theirs in zip(own, found[mask]) for a in mine)
            share = float(np.mean([m[mask].mean() for m in masks])) if mask in masks[0] else 1.0
            row = {"share_searched": round(share, 3),
                   "cpu_ms_per_frame": round(1000 * cpu / len(images), 1),
                   "own_faces": sum(map(len, own)), "kept": kept, "lost": sum(map(len, own)) - kept,
                   "new": sum(map(len, found[mask])) - kept}
            if name == "labelled":
                score = sum((score_detections([f.box for f in fs], truth, ignore)
                             for fs, (_, truth, ignore) in zip(found[mask], labelled)), DetectionScore(0, 0, 0))
                row["penny_and_chip_labelled"] = score.as_dict()
            out[name][mask] = row
    return out


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
    parser.add_argument("--rounds", type=int, default=1, help="passes over the frames comparing the two modes")
    parser.add_argument("--skip-modes", action="store_true", help="no in-process / worker comparison")
    parser.add_argument("--regions", action="store_true", help="the search restricted to the cheap cues' regions")
    args = parser.parse_args()
    shared = shared_dir()
    frames = video_frames(args.video or shared / PENNY_CHIP, args.every)
    labelled = labelled_frames(shared)
    searches = [ANIMEFACE_SEARCH] + [tuple(float(v) for v in s.split(",")) for s in args.search]
    out: dict = {"video": str(args.video or PENNY_CHIP), "frames": len(frames),
                 "frame_size": list(frames[0].shape[:2]), "searches": []}
    if not args.skip_modes:
        out["modes"] = compare_modes(frames, args.rounds)
    if args.regions:
        out["regions"] = region_trial(frames, labelled)
    own = None
    for search in searches:
        found, ms = detect_all(search, frames)
        on_labels, _ = detect_all(search, [image for image, _, _ in labelled])
        score = sum((score_detections(boxes, faces, ignore) for boxes, (_, faces, ignore) in zip(on_labels, labelled)),
                    DetectionScore(0, 0, 0))
        own = own or found
        out["searches"].append({"search": list(search), "cpu_ms_per_frame": ms, **compare(own, found),
                                "penny_and_chip_labelled": score.as_dict()})
    out["cost_by_height"] = {}
    for height in (int(h) for h in args.heights.split(",") if h):
        _, ms = detect_all(ANIMEFACE_SEARCH, video_frames(args.video or shared / PENNY_CHIP, args.every * 4, height))
        out["cost_by_height"][height] = ms
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
