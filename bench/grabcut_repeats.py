"""What the characters segmenter's GrabCut computes and then throws away or repeats, on a film (JSON on stdout).

    .venv/bin/python bench/grabcut_repeats.py --home HOME --film FILM [--limit 200] [--stops 80]

- The big-head second cut (``opencv_characters._big_head``: a lone face's guessed body, or a short person box, cut
  again in a big-headed character's box, ``character_head_share``), on the film's first ``--limit`` kept frames: CPU
  of the segmenter's ``segment`` calls, of ``_big_head`` (its second cuts, taken or not) and of the seed cut's GrabCut
  calls inside and outside it; how many second cuts are made and how many taken; and, per second cut, what the first
  cut shows in the small box (its share of pixels outside the box, its fill of the box's bottom row), the inputs a
  rule skipping the second cut would have to read, beside whether the second cut was taken.
- With ``--stops N``: the seed cut's GrabCut calls on the first N kept frames (``grabcut_cost.recorded_calls``)
  replayed through ``grabcut_compiled.compiled_grabcut`` itself (its model learning wrapped, nothing of its loop
  copied): how many iterations after the first move no free pixel, how many calls reach a fixed point (the colour
  models an iteration learns equal the last iteration's, bit for bit: every later iteration would make the same cut,
  so stopping there would be exact), and stopping after the first iteration from the second on that moves no pixel
  (not exact: the colour models still move): iterations, CPU against the calls as they are (alternating, two
  rounds, one thread, process clock) and the masks' agreement.
A home built with ``castforge ingest`` + ``castforge materialize FILM --select frames``; the film's ``instances``
parameters.
"""

import argparse
import json
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from grabcut_cost import Call, recorded_calls  # noqa: E402


def _small_box_view(mask: np.ndarray, box: np.ndarray) -> dict:
    """A mask seen from the big-head box: its pixels' share outside, its fill of the box's bottom row."""
    height, width = mask.shape
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    total = np.count_nonzero(mask)
    inside = np.count_nonzero(mask[y0:y1, x0:x1])
    bottom = float(mask[y1 - 1, x0:x1].mean()) if y1 > y0 and x1 > x0 else 0.0
    return {"outside_share": round((total - inside) / max(1, total), 3), "bottom_fill": round(bottom, 3)}


def second_cuts(home: Path, film: str, limit: int) -> dict:
    """The big-head second cut's CPU, how often it is made and taken, and the first cut's view of each one's box."""
    import polars as pl

    import resources.backends.opencv_characters as characters
    from assets.instances.core import InstanceParams, read_rgb
    from resources.backends.character_head_share import big_head_box
    from resources.film_settings import stage_params
    from resources.segmenter import SegmenterResource
    from resources.storage import FilmWorkspace

    os.environ["CASTFORGE_HOME"] = str(home)
    seconds = {"segment": 0.0, "big_head": 0.0, "grabcut_first": 0.0, "grabcut_second": 0.0}
    counts = {"big_head_calls": 0, "second_cuts": 0, "taken": 0, "grabcut_first": 0, "grabcut_second": 0}
    cuts_seen, rows, inside = [], [], [False]
    grabcut, big_head, cut = (characters.seeded_grabcut, characters.OpencvCharacterSegmenter._big_head,
                              characters.OpencvCharacterSegmenter._cut)

    def timed_grabcut(image: np.ndarray, labels: np.ndarray, iterations: int) -> None:
        started = time.process_time()
        grabcut(image, labels, iterations)
        part = "grabcut_second" if inside[0] else "grabcut_first"
        seconds[part] += time.process_time() - started
        counts[part] += 1

    def recorded_cut(self, *args, **kwargs) -> np.ndarray:
        mask = cut(self, *args, **kwargs)
        cuts_seen.append(mask)
        return mask

    def timed_big_head(self, bgr, seed, person, class_mask, drawn, mask):
        started, cuts_before = time.process_time(), len(cuts_seen)
        inside[0] = True
        try:
            better = big_head(self, bgr, seed, person, class_mask, drawn, mask)
        finally:
            inside[0] = False
        seconds["big_head"] += time.process_time() - started
        counts["big_head_calls"] += 1
        if len(cuts_seen) > cuts_before:
            counts["second_cuts"] += 1
            counts["taken"] += better is not None
            box = big_head_box(seed.face, seed.box, bgr.shape[1], bgr.shape[0])
            rows.append({"taken": better is not None, "first": _small_box_view(mask, box),
                         "second": _small_box_view(cuts_seen[cuts_before], box)})
        return better

    characters.seeded_grabcut = timed_grabcut
    characters.OpencvCharacterSegmenter._big_head = timed_big_head
    characters.OpencvCharacterSegmenter._cut = recorded_cut
    try:
        workspace = FilmWorkspace(film, home)
        params = InstanceParams.from_dict(stage_params(film, "instances"))
        segmenter = SegmenterResource()
        kept = workspace.read_table("frames").filter(pl.col("kept") & pl.col("path").is_not_null()).sort("frame_id")
        for path in kept.head(limit)["path"].to_list():
            rgb = read_rgb(workspace.absolute(path))
            started = time.process_time()
            segmenter.segment_frame(rgb, anime_faces=params.anime_faces,
                                    analysis_max_height=params.analysis_max_height)
            seconds["segment"] += time.process_time() - started
    finally:
        characters.seeded_grabcut, characters.OpencvCharacterSegmenter._big_head = grabcut, big_head
        characters.OpencvCharacterSegmenter._cut = cut
    return {"frames": min(limit, kept.height), **counts, "cpu_s": {k: round(v, 2) for k, v in seconds.items()},
            "big_head_share_of_segment": round(seconds["big_head"] / max(seconds["segment"], 1e-9), 3),
            "second_cuts_each": rows}


class _Settled(Exception):
    """Raised at an iteration's start when the last iteration moved no pixel (``--stops``' stopping rule)."""


@contextmanager
def _watched_learning(log: dict, stop: bool):
    """``compiled_grabcut``'s model learning wrapped: each iteration's moved pixels and whether its models equal the
    last iteration's (``log``); with ``stop``, the call ends (``_Settled``) before an iteration from the third on
    whose last iteration moved no pixel (its labels then those of that iteration)."""
    import resources.backends.grabcut_compiled as grabcut

    learn = grabcut._learn_models

    def watched(image, labels, coefs, means, covs, *rest):
        if log["labels"] is not None:
            moved = int(np.count_nonzero(labels != log["labels"]))
            log["moved"].append(moved)
            if stop and moved == 0 and len(log["moved"]) >= 2:
                raise _Settled
        log["labels"] = labels.copy()
        learnt = learn(image, labels, coefs, means, covs, *rest)
        models = (coefs.copy(), means.copy(), covs.copy())
        if log["models"] is not None and all(np.array_equal(a, b) for a, b in zip(models, log["models"])):
            log["fixed_at"] = log["fixed_at"] or len(log["moved"]) + 1
        log["models"] = models
        return learnt

    grabcut._learn_models = watched
    try:
        yield
    finally:
        grabcut._learn_models = learn


def _replay(call: Call, stop: bool) -> tuple[np.ndarray, dict]:
    """(labels after the call, its log: moved pixels per iteration, the iteration a fixed point was reached)."""
    from resources.backends.character_edges import GRABCUT_SEED
    from resources.backends.grabcut_compiled import compiled_grabcut

    image, labels, iterations = call
    labels, log = labels.copy(), {"labels": None, "models": None, "moved": [], "fixed_at": None}
    with _watched_learning(log, stop):
        try:
            compiled_grabcut(image, labels, iterations, GRABCUT_SEED)
            if log["labels"] is not None:   # the last iteration's moves
                log["moved"].append(int(np.count_nonzero(labels != log["labels"])))
        except _Settled:
            pass
    return labels, log


def stops(calls: list[Call]) -> dict:
    """Later iterations moving no pixel, fixed points, and stopping after the first that moves none."""
    if not calls:
        return {"calls": 0}
    for call in calls[:3]:   # the numba caches loaded before the clock
        _replay(call, False)
    cpu, runs = {"as_is": 0.0, "settled": 0.0}, {}
    for order in (("as_is", "settled"), ("settled", "as_is")):
        for name in order:
            started = time.process_time()
            runs[name] = [_replay(call, name == "settled") for call in calls]
            cpu[name] += time.process_time() - started
    later = [m for _, log in runs["as_is"] for m in log["moved"][1:]]
    ious = []
    for (mine, _), (theirs, _) in zip(runs["settled"], runs["as_is"]):
        a, b = mine % 2 == 1, theirs % 2 == 1   # GC_FGD 1, GC_PR_FGD 3
        union = np.count_nonzero(a | b)
        ious.append(np.count_nonzero(a & b) / union if union else 1.0)
    return {"calls": len(calls), "iterations": sum(c[2] for c in calls),
            "later_iterations": len(later), "later_iterations_moving_no_pixel": sum(m == 0 for m in later),
            "calls_reaching_a_fixed_point": sum(log["fixed_at"] is not None for _, log in runs["as_is"]),
            "settled": {"iterations": sum(len(log["moved"]) for _, log in runs["settled"]),
                        "cpu_s": round(cpu["settled"] / 2, 2), "cpu_s_as_is": round(cpu["as_is"] / 2, 2),
                        "identical": int(sum(i == 1.0 for i in ious)), "mean_iou": round(float(np.mean(ious)), 4),
                        "min_iou": round(float(np.min(ious)), 3)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--film", required=True)
    parser.add_argument("--limit", type=int, default=200, help="kept frames for the second cut's figures")
    parser.add_argument("--stops", type=int, default=0, help="kept frames whose seed cuts are replayed (0: none)")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    report = {"benchmark": "grabcut_repeats", "film": args.film, "load_avg_1m": round(os.getloadavg()[0], 2),
              "big_head": second_cuts(args.home, args.film, args.limit)}
    if args.stops:
        report["stops"] = stops(recorded_calls(args.home, args.film, args.stops)["seed_cut"])
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
