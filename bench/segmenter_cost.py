"""CPU of the characters segmenter's own work per key frame (its cue models' answers computed once beforehand, not
timed), split into its GrabCut calls, its colour regions, its flat parts and the rest, and a digest of its masks
(JSON on stdout): how a speed change to the segmenter is checked to leave every mask as it was.

    .venv/bin/python bench/segmenter_cost.py [--frames 8] [--repeat 2] [--heights 1080,480] [--out FILE]
        [--against FILE]

Frames come from the shared videos (CASTFORGE_SHARED, else ../shared): drawn frames from the Penny and Chip clips
(anime preset: AnimeFace's faces in the cues) and rendered ones from the Sintel trailer, spread evenly over each
video. At 1080 the frames are the clips scaled up to 1080 rows (bicubic, as ``bench/film_scale.py --height 1080``
builds its films); at 480, the 480-row concatenation of the Penny and Chip clips and the Sintel trailer scaled to
480 rows. Each frame goes through ``SegmenterResource.segment_frame``'s path: the analysis frame (at most 480 rows),
the cues on it, then ``OpencvCharacterSegmenter.segment`` timed on the process clock, ``--repeat`` times (the
figures are each frame's fastest run; the colour regions' kept window graphs and labels are emptied before each, so
a repeat costs what a frame's one segmentation does). The GrabCut calls (seed cut and edge re-cut,
``seeded_grabcut``), the colour regions of the seed cut (``colour_regions``) and the flat parts (``flat_parts``, its
own fine regions included) are timed inside that. ``--out`` writes the report; ``--against`` an earlier report:
whether every frame's masks are the same pixels (another checkout's code: ``PYTHONPATH=<its root>
.venv/bin/python bench/segmenter_cost.py``).
"""

import argparse
import copy
import hashlib
import json
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

if not os.environ.get("PYTHONPATH"):  # an explicit PYTHONPATH (another commit's code) wins over this checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PARTS = ("grabcut", "colour_regions", "flat_parts")


def shared_folder() -> Path:
    root = Path(os.environ.get("CASTFORGE_SHARED") or Path(__file__).resolve().parents[2] / "shared")
    if not (root / "media" / "video").is_dir():
        sys.exit(f"{root}: no shared media (set CASTFORGE_SHARED)")
    return root


def read_frames(video: Path, count: int, height: int) -> list[np.ndarray]:
    """``count`` RGB frames spread evenly over ``video`` (the middle of each of ``count`` equal spans), scaled to
    ``height`` rows (bicubic up, area down)."""
    capture = cv2.VideoCapture(str(video))
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    frames = []
    for index in ((np.arange(count) + 0.5) * total / count).astype(int):
        capture.set(cv2.CAP_PROP_POS_FRAMES, int(index))
        ok, bgr = capture.read()
        if not ok:
            continue
        if bgr.shape[0] != height:
            width = round(bgr.shape[1] * height / bgr.shape[0] / 2) * 2
            bgr = cv2.resize(bgr, (width, height),
                             interpolation=cv2.INTER_CUBIC if height > bgr.shape[0] else cv2.INTER_AREA)
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    capture.release()
    return frames


def sources(shared: Path, height: int, count: int) -> list[tuple[str, bool, np.ndarray]]:
    """(name, drawn, RGB frame) of the bench at ``height``."""
    video = shared / "media" / "video"
    drawn_video = (video / "2d" / "penny_and_chip_26shots_480p.mp4" if height <= 480 else
                   sorted((video / "2d" / "penny_and_chip").glob("penny_and_chip_*.mp4")))
    if isinstance(drawn_video, list):  # one frame from each of ``count`` clips spread over the 26
        picks = [drawn_video[i] for i in np.linspace(0, len(drawn_video) - 1, count).round().astype(int)]
        drawn = [frame for clip in picks for frame in read_frames(clip, 1, height)]
    else:
        drawn = read_frames(drawn_video, count, height)
    rendered = read_frames(video / "sintel_trailer_480x204.mp4", max(1, count // 2), height)
    return ([(f"drawn{i}", True, f) for i, f in enumerate(drawn)]
            + [(f"rendered{i}", False, f) for i, f in enumerate(rendered)])


class Timers:
    """Process-clock seconds spent in the wrapped functions (the outermost call of each name only)."""

    def __init__(self):
        self.seconds = dict.fromkeys(PARTS, 0.0)
        self.calls = dict.fromkeys(PARTS, 0)
        self.depth = dict.fromkeys(PARTS, 0)

    def wrap(self, name: str, function):
        def timed(*args, **kwargs):
            self.depth[name] += 1
            start = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.depth[name] -= 1
                if self.depth[name] == 0:
                    self.seconds[name] += time.process_time() - start
                    self.calls[name] += 1
        return timed

    def reset(self):
        self.seconds, self.calls = dict.fromkeys(PARTS, 0.0), dict.fromkeys(PARTS, 0)


def instrument(timers: Timers) -> None:
    """Wraps the segmenter's GrabCut, colour-region and flat-part calls where its modules call them."""
    import resources.backends.character_edges as edges
    import resources.backends.opencv_characters as characters

    edges.seeded_grabcut = timers.wrap("grabcut", edges.seeded_grabcut)
    characters.seeded_grabcut = edges.seeded_grabcut
    characters.colour_regions = timers.wrap("colour_regions", characters.colour_regions)
    characters.flat_parts = timers.wrap("flat_parts", characters.flat_parts)


def forget_windows() -> None:
    """Empties the regions' kept window graphs and labels (felzenszwalb._graphs and _labels, where the code has
    them): a repeat then costs what the frame's first segmentation costs, not a second look at the same windows."""
    import resources.backends.felzenszwalb as regions

    getattr(regions, "_graphs", {}).clear()
    getattr(regions, "_labels", {}).clear()


def digest(found: list[dict]) -> str:
    sha = hashlib.sha1()
    for item in found:
        mask = np.ascontiguousarray(item["mask"], dtype=bool)
        sha.update(str(mask.shape).encode() + item["seed"].encode() + np.packbits(mask).tobytes())
    return sha.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=8, help="drawn frames per height (half as many rendered)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--heights", default="1080,480")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--against", type=Path)
    args = parser.parse_args()

    from resources.analysis_frame import analysis_scale, scaled_frame
    from resources.segmenter import SegmenterResource

    shared = shared_folder()
    os.environ.setdefault("CASTFORGE_MODELS", str(shared / "models"))
    timers = Timers()
    instrument(timers)
    resource = SegmenterResource()
    segmenter, cue_models = resource.get(), resource.cue_models()
    report = {"benchmark": "segmenter_cost", "code": str(Path(sys.modules["resources.segmenter"].__file__).resolve()
                                                         .parents[1]),
              "load_avg_1m": round(os.getloadavg()[0], 2), "heights": {}}
    for height in [int(h) for h in args.heights.split(",")]:
        frames, totals = {}, {"segment": 0.0, **dict.fromkeys(PARTS, 0.0)}
        for name, drawn, rgb in sources(shared, height, args.frames):
            small = scaled_frame(rgb, analysis_scale(rgb.shape[0], 480))
            cues = cue_models(small, drawn)
            cues.class_mask  # the class map computed now, outside the timing
            best = None
            for _ in range(max(1, args.repeat)):
                forget_windows()
                timers.reset()
                start = time.process_time()
                found = segmenter.segment(small, copy.deepcopy(cues))
                figures = {"segment": time.process_time() - start, **timers.seconds}
                if best is None or figures["segment"] < best["segment"]:
                    best = figures
                    calls = dict(timers.calls)
            for key in totals:
                totals[key] += best[key]
            frames[name] = {"cpu_ms": {k: round(1000 * v, 1) for k, v in best.items()}, "calls": calls,
                            "instances": len(found), "masks_sha1": digest(found)}
        count = max(1, len(frames))
        entry = {"frames": len(frames), "cpu_ms_per_frame": {k: round(1000 * v / count, 1) for k, v in totals.items()},
                 "per_frame": frames}
        entry["cpu_ms_per_frame"]["other"] = round(1000 * (totals["segment"] - sum(totals[p] for p in PARTS))
                                                   / count, 1)
        report["heights"][str(height)] = entry
    if args.against:
        earlier = json.loads(args.against.read_text())["heights"]
        differing = [f"{h}/{name}" for h, entry in report["heights"].items()
                     for name, frame in entry["per_frame"].items()
                     if earlier.get(h, {}).get("per_frame", {}).get(name, {}).get("masks_sha1") != frame["masks_sha1"]]
        report["against"] = {"file": str(args.against), "frames_differing": differing,
                             "identical": not differing}
    report["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
    text = json.dumps(report, indent=1)
    if args.out:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
