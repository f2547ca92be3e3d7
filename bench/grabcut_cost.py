"""Where the characters segmenter's GrabCut CPU goes, and what cheaper ways of running it would change (JSON on stdout).

    .venv/bin/python bench/grabcut_cost.py --home HOME --film FILM [--limit 32] [--alternatives | --compiled]

The segmenter cuts the film's first ``--limit`` kept frames (a home built with ``castforge ingest`` + ``castforge
materialize FILM --select frames``; the film's ``instances`` parameters) while every GrabCut call's inputs are
recorded: the seed cut's (opencv_characters.grabcut_seed, a window of at most 256 px, 4 iterations) and the edge
re-cut's (character_edges.refine_edge_band, the mask's crop, 1 iteration). Each call is then replayed on one thread:
- CPU of the whole call, of its k-means start alone (0 iterations) and of its first iteration, so the cost of
  the first iteration and of a later one;
- the call run one iteration at a time (``GC_EVAL`` with the colour models carried over): whether that gives the
  same labels as one call, after which iteration neither the labels nor the colour models change (a fixed point:
  stopping there would be exact) and how many pixels each later iteration moves;
- fewer iterations against the call's own: CPU, mean and lowest IoU of the masks, how many identical; likewise
  stopping after the first iteration (from the second on) that moves at most a share of the pixels (0, 0.1%).
With --alternatives, the seed cut's calls also against cheaper ways of reaching its masks (CPU against the calls'
own, mean / lowest / 10th-percentile IoU of the masks, how many identical):
- ``reseeded``: the same call from another random state (GRABCUT_SEED 1, 2, 3): how far GrabCut's k-means start
  alone moves a mask, the agreement any other change has to be read against;
- ``coarse_to_fine``: GrabCut on the window scaled by 0.5 / 0.75 (labels nearest, sure pixels kept), its mask
  scaled back up, then one iteration at the window's size free only within 3 px of that edge (colour models carried
  over, ``GC_EVAL``), or none;
- ``banded_later``: the first 1 / 2 iterations free everywhere, the rest free only within 3 / 6 / 10 px of the
  edge they left (pixels further away fixed as they are).
With --compiled, instead of the replays: every call (seed cut and edge re-cut) by ``cv2.grabCut`` and by the compiled
GrabCut (resources/backends/grabcut_compiled.py) from the same random state, alternating: CPU of each, how many
calls give identical labels, and the masks' agreement; the compiled one with its compiled k-means start (as the
segmenter runs it) and from OpenCV's.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from resources.backends.character_edges import GRABCUT_SEED  # noqa: E402

Call = tuple[np.ndarray, np.ndarray, int]   # (BGR image, labels before the call, iterations)


def recorded_calls(home: Path, film: str, limit: int) -> dict[str, list[Call]]:
    """The GrabCut calls of the seed cut and of the edge re-cut on the film's first ``limit`` kept frames."""
    import resources.backends.character_edges as edges
    import resources.backends.opencv_characters as characters
    from assets.instances.core import InstanceParams, read_rgb
    from resources.film_settings import stage_params
    from resources.segmenter import SegmenterResource
    from resources.storage import FilmWorkspace

    os.environ["CASTFORGE_HOME"] = str(home)   # the film's settings (its measured style) are read from its home
    calls: dict[str, list[Call]] = {"seed_cut": [], "edge_recut": []}
    original = edges.seeded_grabcut

    def recording(kind: str):
        def run(image: np.ndarray, labels: np.ndarray, iterations: int) -> None:
            calls[kind].append((image.copy(), labels.copy(), iterations))
            original(image, labels, iterations)
        return run

    # the seed cut calls its own imported name, the edge re-cut its module's: each recorded under its kind
    characters.seeded_grabcut, edges.seeded_grabcut = recording("seed_cut"), recording("edge_recut")
    workspace = FilmWorkspace(film, home)
    params = InstanceParams.from_dict(stage_params(film, "instances"))
    segmenter = SegmenterResource()
    kept = workspace.read_table("frames").filter(pl.col("kept") & pl.col("path").is_not_null()).sort("frame_id")
    for path in kept.head(limit)["path"].to_list():
        segmenter.segment_frame(read_rgb(workspace.absolute(path)), anime_faces=params.anime_faces,
                                analysis_max_height=params.analysis_max_height)
    return calls


def _grabcut(image: np.ndarray, labels: np.ndarray, iterations: int,
             seed: int = GRABCUT_SEED) -> tuple[np.ndarray, float]:
    """(labels after the call, its CPU seconds), from the random state ``seed`` (the segmenter's fixed one)."""
    labels = labels.copy()
    cv2.setRNGSeed(seed)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    started = time.process_time()
    cv2.grabCut(image, labels, None, bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    return labels, time.process_time() - started


def _foreground(labels: np.ndarray) -> np.ndarray:
    return (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)


def _stepwise(image: np.ndarray, labels: np.ndarray, iterations: int) -> tuple[np.ndarray, list[int], int | None]:
    """(labels after ``iterations`` run one at a time, pixels each later iteration moved, the first iteration after
    which labels and colour models stayed as they were, or None)."""
    labels = labels.copy()
    cv2.setRNGSeed(GRABCUT_SEED)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(image, labels, None, bgd, fgd, 1, cv2.GC_INIT_WITH_MASK)
    moved, fixed = [], None
    for n in range(2, iterations + 1):
        before, models = labels.copy(), (bgd.copy(), fgd.copy())
        cv2.grabCut(image, labels, None, bgd, fgd, 1, cv2.GC_EVAL)
        moved.append(int(np.count_nonzero(before != labels)))
        if fixed is None and moved[-1] == 0 and (bgd == models[0]).all() and (fgd == models[1]).all():
            fixed = n - 1
    return labels, moved, fixed


def _until_settled(image: np.ndarray, labels: np.ndarray, iterations: int,
                   share: float) -> tuple[np.ndarray, float, int]:
    """(labels, CPU seconds, iterations run): at most ``iterations``, one at a time, stopping after the first from
    the second on that moves at most ``share`` of the pixels between character and background (not exact: the
    colour models still move)."""
    labels = labels.copy()
    cv2.setRNGSeed(GRABCUT_SEED)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    started = time.process_time()
    cv2.grabCut(image, labels, None, bgd, fgd, 1, cv2.GC_INIT_WITH_MASK)
    done = 1
    while done < iterations:
        before = _foreground(labels)
        cv2.grabCut(image, labels, None, bgd, fgd, 1, cv2.GC_EVAL)
        done += 1
        if np.count_nonzero(before != _foreground(labels)) <= share * labels.size:
            break
    return labels, time.process_time() - started, done


def _agreement(masks: list[np.ndarray], references: list[np.ndarray]) -> dict:
    """Mean and lowest IoU of ``masks`` against ``references``, how many identical."""
    ious = []
    for mask, reference in zip(masks, references):
        union = np.count_nonzero(mask | reference)
        ious.append(np.count_nonzero(mask & reference) / union if union else 1.0)
    return {"mean_iou": round(float(np.mean(ious)), 4), "min_iou": round(float(np.min(ious)), 3),
            "identical": int(sum(i == 1.0 for i in ious))}


def replayed(calls: list[Call], settle_shares: tuple[float, ...] = (0.0, 0.001)) -> dict:
    """The figures of one kind of call (see the module's docstring)."""
    if not calls:
        return {"calls": 0}
    full, start, first, same, fixed, moved, outputs = 0.0, 0.0, 0.0, 0, 0, [], []
    for image, labels, iterations in calls:
        out, cpu = _grabcut(image, labels, iterations)
        full += cpu
        start += _grabcut(image, labels, 0)[1]
        first += _grabcut(image, labels, 1)[1]
        stepped, moves, fixed_at = _stepwise(image, labels, iterations)
        same += bool((stepped == out).all())
        fixed += fixed_at is not None
        moved.extend(moves)
        outputs.append(_foreground(out))
    iterations = sum(c[2] for c in calls)
    report = {"calls": len(calls), "pixels_median": int(np.median([c[1].size for c in calls])),
              "iterations_each": sorted({c[2] for c in calls}), "cpu_s": round(full, 3),
              "ms_a_call": round(1000 * full / len(calls), 1), "ms_kmeans_start": round(1000 * start / len(calls), 1),
              "ms_first_iteration": round(1000 * (first - start) / len(calls), 1),
              "ms_a_later_iteration": round(1000 * (full - first) / (iterations - len(calls)), 1)
              if iterations > len(calls) else None,
              "ms_an_iteration": round(1000 * (full - start) / iterations, 1),
              "stepwise_identical": same, "fixed_point_before_last": fixed,
              "later_iterations_moving_no_pixel": sum(m == 0 for m in moved), "later_iterations": len(moved),
              "later_iteration_pixels_moved_median": float(np.median(moved)) if moved else None}
    fewer = {}
    for n in range(1, max(c[2] for c in calls)):
        runs = [_grabcut(image, labels, min(n, iterations)) for image, labels, iterations in calls]
        fewer[str(n)] = {"cpu_s": round(sum(cpu for _, cpu in runs), 3),
                         **_agreement([_foreground(out) for out, _ in runs], outputs)}
    if fewer:
        report["fewer_iterations"] = fewer
        settled = {}
        for share in settle_shares:
            runs = [_until_settled(image, labels, iterations, share) for image, labels, iterations in calls]
            settled[str(share)] = {"cpu_s": round(sum(cpu for _, cpu, _ in runs), 3),
                                   "iterations": sum(n for _, _, n in runs),
                                   **_agreement([_foreground(out) for out, _, _ in runs], outputs)}
        report["stop_when_settled"] = settled
    return report


def _fixed_beyond_band(labels: np.ndarray, band: int) -> np.ndarray:
    """``labels`` with every probable pixel further than ``band`` px from the foreground's edge made sure on its
    side; sure pixels and those near the edge as they are."""
    foreground = _foreground(labels).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
    far = ~(cv2.dilate(foreground, kernel).astype(bool) & ~cv2.erode(foreground, kernel).astype(bool))
    out = labels.copy()
    out[far & (labels == cv2.GC_PR_FGD)] = cv2.GC_FGD
    out[far & (labels == cv2.GC_PR_BGD)] = cv2.GC_BGD
    return out


def _coarse_to_fine(image: np.ndarray, labels: np.ndarray, iterations: int, factor: float,
                    band: int, fine: int) -> tuple[np.ndarray, float]:
    """(foreground, CPU seconds): GrabCut on the window scaled by ``factor``, then ``fine`` iterations at its size
    free only within ``band`` px of the coarse edge (colour models carried over)."""
    started = time.process_time()
    height, width = labels.shape
    size = (max(8, round(width * factor)), max(8, round(height * factor)))
    coarse = cv2.resize(labels, size, interpolation=cv2.INTER_NEAREST)
    coarse[cv2.resize((labels == cv2.GC_FGD).astype(np.uint8) * 255, size, interpolation=cv2.INTER_AREA) > 0] = \
        cv2.GC_FGD
    cv2.setRNGSeed(GRABCUT_SEED)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(cv2.resize(image, size, interpolation=cv2.INTER_AREA), coarse, None, bgd, fgd, iterations,
                cv2.GC_INIT_WITH_MASK)
    foreground = cv2.resize(_foreground(coarse).astype(np.uint8) * 255, (width, height),
                            interpolation=cv2.INTER_LINEAR) > 127
    if fine:
        fine_labels, free = labels.copy(), (labels == cv2.GC_PR_FGD) | (labels == cv2.GC_PR_BGD)
        fine_labels[free] = np.where(foreground, cv2.GC_PR_FGD, cv2.GC_PR_BGD)[free]
        fine_labels = _fixed_beyond_band(fine_labels, band)
        cv2.grabCut(image, fine_labels, None, bgd, fgd, fine, cv2.GC_EVAL)
        foreground = _foreground(fine_labels)
    return foreground, time.process_time() - started


def _banded_later(image: np.ndarray, labels: np.ndarray, iterations: int, full: int,
                  band: int) -> tuple[np.ndarray, float]:
    """(foreground, CPU seconds): ``full`` iterations free everywhere, the rest (colour models carried over) free
    only within ``band`` px of the edge they left."""
    started = time.process_time()
    labels = labels.copy()
    cv2.setRNGSeed(GRABCUT_SEED)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(image, labels, None, bgd, fgd, min(full, iterations), cv2.GC_INIT_WITH_MASK)
    if iterations > full:
        labels = _fixed_beyond_band(labels, band)
        cv2.grabCut(image, labels, None, bgd, fgd, iterations - full, cv2.GC_EVAL)
    return _foreground(labels), time.process_time() - started


def alternatives(calls: list[Call]) -> dict:
    """The seed cut's masks by cheaper ways against its own (see the module's docstring)."""
    runs = [_grabcut(image, labels, iterations) for image, labels, iterations in calls]
    outputs, own_cpu = [_foreground(out) for out, _ in runs], sum(cpu for _, cpu in runs)

    def figures(results: list[tuple[np.ndarray, float]]) -> dict:
        ious = []
        for (mask, _), reference in zip(results, outputs):
            union = np.count_nonzero(mask | reference)
            ious.append(np.count_nonzero(mask & reference) / union if union else 1.0)
        return {"cpu_ratio": round(sum(cpu for _, cpu in results) / own_cpu, 3),
                "mean_iou": round(float(np.mean(ious)), 4), "min_iou": round(float(np.min(ious)), 3),
                "p10_iou": round(float(np.percentile(ious, 10)), 3), "identical": int(sum(i == 1.0 for i in ious))}

    def guarded(run, image: np.ndarray, labels: np.ndarray, *args) -> tuple[np.ndarray, float]:
        try:
            return run(image, labels, *args)
        except cv2.error:  # a degenerate window: the segmenter keeps the initial labelling
            return _foreground(labels), 0.0

    report = {"calls": len(calls), "own_cpu_s": round(own_cpu, 3), "reseeded": {}, "coarse_to_fine": {},
              "banded_later": {}}
    for seed in (1, 2, 3):
        reseeded = [_grabcut(i, l, n, seed) for i, l, n in calls]
        report["reseeded"][str(seed)] = figures([(_foreground(out), cpu) for out, cpu in reseeded])
    for factor in (0.5, 0.75):
        for fine in (0, 1):
            report["coarse_to_fine"][f"x{factor}_fine{fine}"] = figures(
                [guarded(_coarse_to_fine, i, l, n, factor, 3, fine) for i, l, n in calls])
    for full in (1, 2):
        for band in (3, 6, 10):
            report["banded_later"][f"full{full}_band{band}"] = figures(
                [guarded(_banded_later, i, l, n, full, band) for i, l, n in calls])
    return report


def compiled(calls: list[Call]) -> dict:
    """OpenCV's GrabCut against the compiled one on each call, as the segmenter runs it (its k-means start compiled
    from GRABCUT_SEED) and from OpenCV's k-means start (``opencv_start``); the compiled one's first call, which loads
    its numba cache, is left out of its CPU."""
    from resources.backends.grabcut_compiled import compiled_grabcut

    if not calls:
        return {"calls": 0}
    for seed in (GRABCUT_SEED, None):
        compiled_grabcut(calls[0][0], calls[0][1].copy(), calls[0][2], seed)
    seconds = {"opencv": 0.0, "compiled": 0.0, "opencv_start": 0.0}
    masks, identical = {"opencv": [], "compiled": []}, {"compiled": 0, "opencv_start": 0}
    for image, labels, iterations in calls:
        opencv, spent = _grabcut(image, labels, iterations)
        seconds["opencv"] += spent
        for name, seed in (("compiled", GRABCUT_SEED), ("opencv_start", None)):
            mine = labels.copy()
            cv2.setRNGSeed(GRABCUT_SEED)
            started = time.process_time()
            compiled_grabcut(image, mine, iterations, seed)
            seconds[name] += time.process_time() - started
            identical[name] += int(np.array_equal(opencv, mine))
        masks["opencv"].append(_foreground(opencv))
        masks["compiled"].append(_foreground(mine))
    return {"calls": len(calls), "opencv_ms": round(1000 * seconds["opencv"] / len(calls), 1),
            "compiled_ms": round(1000 * seconds["compiled"] / len(calls), 1),
            "compiled_opencv_start_ms": round(1000 * seconds["opencv_start"] / len(calls), 1),
            "speedup": round(seconds["opencv"] / seconds["compiled"], 2), "identical_labels": identical["compiled"],
            "identical_labels_opencv_start": identical["opencv_start"],
            "masks": _agreement(masks["compiled"], masks["opencv"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--film", required=True)
    parser.add_argument("--limit", type=int, default=32, help="kept frames to cut (the film's first)")
    parser.add_argument("--alternatives", action="store_true", help="also the seed cut's masks by cheaper ways")
    parser.add_argument("--compiled", action="store_true", help="OpenCV's GrabCut against the compiled one")
    args = parser.parse_args()
    calls = recorded_calls(args.home, args.film, args.limit)
    cv2.setNumThreads(1)
    figures = compiled if args.compiled else replayed
    report = {"benchmark": "grabcut_cost", "film": args.film, "frames": args.limit, "opencv": cv2.__version__,
              "load_avg_1m": round(os.getloadavg()[0], 2), **{kind: figures(c) for kind, c in calls.items()}}
    if args.alternatives:
        report["seed_cut_alternatives"] = alternatives(calls["seed_cut"])
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
