"""Where the characters segmenter's GrabCut CPU goes, and what cheaper ways of running it would change (JSON on stdout).

    .venv/bin/python bench/grabcut_cost.py --home HOME --film FILM [--limit 32]

The segmenter cuts the film's first ``--limit`` kept frames (a home built with ``castforge ingest`` + ``castforge
materialize FILM --select frames``; the film's ``instances`` parameters) while every GrabCut call's inputs are
recorded: the seed cut's (opencv_characters.grabcut_seed, a window of at most 256 px, 4 iterations) and the edge
re-cut's (character_edges.refine_edge_band, the mask's crop, 1 iteration). Each call is then replayed on one thread:
- CPU of the whole call and of its k-means start alone (0 iterations), so the cost of one iteration;
- the call run one iteration at a time (``GC_EVAL`` with the colour models carried over): whether that gives the
  same labels as one call, after which iteration neither the labels nor the colour models change (a fixed point:
  stopping there would be exact) and how many pixels each later iteration moves;
- fewer iterations against the call's own: CPU, mean and lowest IoU of the masks, how many identical; likewise
  stopping after the first iteration (from the second on) that moves at most a share of the pixels (0, 0.1%).
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


def _grabcut(image: np.ndarray, labels: np.ndarray, iterations: int) -> tuple[np.ndarray, float]:
    """(labels after the call, its CPU seconds), from the segmenter's fixed random state."""
    labels = labels.copy()
    cv2.setRNGSeed(GRABCUT_SEED)
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
    full, start, same, fixed, moved, outputs = 0.0, 0.0, 0, 0, [], []
    for image, labels, iterations in calls:
        out, cpu = _grabcut(image, labels, iterations)
        full += cpu
        start += _grabcut(image, labels, 0)[1]
        stepped, moves, fixed_at = _stepwise(image, labels, iterations)
        same += bool((stepped == out).all())
        fixed += fixed_at is not None
        moved.extend(moves)
        outputs.append(_foreground(out))
    iterations = sum(c[2] for c in calls)
    report = {"calls": len(calls), "pixels_median": int(np.median([c[1].size for c in calls])),
              "iterations_each": sorted({c[2] for c in calls}), "cpu_s": round(full, 3),
              "ms_a_call": round(1000 * full / len(calls), 1), "ms_kmeans_start": round(1000 * start / len(calls), 1),
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--film", required=True)
    parser.add_argument("--limit", type=int, default=32, help="kept frames to cut (the film's first)")
    args = parser.parse_args()
    calls = recorded_calls(args.home, args.film, args.limit)
    cv2.setNumThreads(1)
    report = {"benchmark": "grabcut_cost", "film": args.film, "frames": args.limit, "opencv": cv2.__version__,
              "load_avg_1m": round(os.getloadavg()[0], 2), **{kind: replayed(c) for kind, c in calls.items()}}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
