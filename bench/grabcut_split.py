"""Where the compiled GrabCut's CPU goes, part by part, on a film's recorded calls (JSON on stdout).

    .venv/bin/python bench/grabcut_split.py --home HOME --film FILM [--limit 32] [--rounds 2]

The segmenter cuts the film's first ``--limit`` kept frames while its GrabCut calls are recorded (the seed cut's and
the edge re-cut's, ``bench/grabcut_cost.recorded_calls``; a home built with ``castforge ingest`` + ``castforge
materialize FILM --select frames``). Each call is then replayed ``--rounds`` times on one thread through
``resources/backends/grabcut_compiled.compiled_grabcut`` itself, with its parts timed on the process clock by
wrapping what it calls (nothing of its loop is copied here): the k-means start and the models' inversion (``start``),
the free pixels' graph (``free_graph``), the colour models learnt again (``learn_models``), the terminal links
(``terminal_links``), PyMaxflow's graph built (``graph_build``: the graph, its nodes, its edges, the first terminal
links), the first max-flow (``first_maxflow``), the later iterations' links and max-flows on the re-used trees
(``reused_maxflow``), the cut read back (``segments``) and the rest of the call (``other``: numpy glue). Figures are
CPU-ms a call (each part's mean over the rounds) and each part's share of the call; ``identical`` counts the replays
whose labels equal the recorded call's own.
"""

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from grabcut_cost import Call, recorded_calls  # noqa: E402

PARTS = ("start", "free_graph", "learn_models", "terminal_links", "graph_build", "first_maxflow", "reused_maxflow",
         "segments", "other")


class _Clock:
    """CPU seconds by part; ``part(name)`` times a block, nested blocks counted once (by the innermost)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._open: list[list] = []

    @contextmanager
    def part(self, name: str):
        started = time.process_time()
        self._open.append([name, 0.0])
        try:
            yield
        finally:
            _, inner = self._open.pop()
            spent = time.process_time() - started
            self.seconds[name] += spent - inner
            if self._open:
                self._open[-1][1] += spent

    def timed(self, name: str, function):
        def run(*args, **kwargs):
            with self.part(name):
                return function(*args, **kwargs)
        return run


def _timed_graph(clock: _Clock, graph_type: type) -> type:
    """PyMaxflow's ``Graph[float]`` whose calls are timed by what they do in ``compiled_grabcut``."""

    class TimedGraph:
        def __init__(self, *args) -> None:
            with clock.part("graph_build"):
                self._graph = graph_type(*args)
            self._flows = 0

        def add_nodes(self, *args):
            return clock.timed("graph_build", self._graph.add_nodes)(*args)

        def add_edges(self, *args):
            return clock.timed("graph_build", self._graph.add_edges)(*args)

        def add_grid_tedges(self, *args):
            return clock.timed("graph_build" if self._flows == 0 else "reused_maxflow",
                               self._graph.add_grid_tedges)(*args)

        def mark_grid_nodes(self, *args):
            return clock.timed("reused_maxflow", self._graph.mark_grid_nodes)(*args)

        def maxflow(self, *args):
            self._flows += 1
            return clock.timed("first_maxflow" if self._flows == 1 else "reused_maxflow", self._graph.maxflow)(*args)

        def get_grid_segments(self, *args):
            return clock.timed("segments", self._graph.get_grid_segments)(*args)

    return TimedGraph


@contextmanager
def _parts_timed(clock: _Clock):
    """``compiled_grabcut``'s callees replaced by timed ones for the duration (its own module's names)."""
    import maxflow

    import resources.backends.grabcut_compiled as grabcut

    names = {"_start": "start", "_invert": "start", "_free_graph": "free_graph", "_learn_models": "learn_models",
             "_terminal_links": "terminal_links"}
    originals = {name: getattr(grabcut, name) for name in names}
    graphs = maxflow.Graph
    for name, part in names.items():
        setattr(grabcut, name, clock.timed(part, originals[name]))
    maxflow.Graph = {float: _timed_graph(clock, graphs[float])}
    try:
        yield grabcut.compiled_grabcut
    finally:
        for name, function in originals.items():
            setattr(grabcut, name, function)
        maxflow.Graph = graphs


def split(calls: list[Call], rounds: int) -> dict:
    """CPU-ms a call by part over ``rounds`` replays of ``calls``, and how many replays gave the recorded labels."""
    from resources.backends.character_edges import GRABCUT_SEED
    from resources.backends.grabcut_compiled import compiled_grabcut

    if not calls:
        return {"calls": 0}
    expected = []
    for image, labels, iterations in calls:   # the labels as the segmenter got them (also loads the numba cache)
        mine = labels.copy()
        compiled_grabcut(image, mine, iterations, GRABCUT_SEED)
        expected.append(mine)
    clock, identical = _Clock(), 0
    with _parts_timed(clock) as timed_grabcut:
        for _ in range(rounds):
            for (image, labels, iterations), labels_after in zip(calls, expected):
                mine = labels.copy()
                with clock.part("other"):
                    timed_grabcut(image, mine, iterations, GRABCUT_SEED)
                identical += int(np.array_equal(mine, labels_after))
    total = sum(clock.seconds.values())
    per_call = {part: round(1000 * clock.seconds[part] / rounds / len(calls), 2) for part in PARTS}
    return {"calls": len(calls), "replays": rounds * len(calls), "identical": identical,
            "free_pixels_mean": round(float(np.mean([(labels >= cv2.GC_PR_BGD).sum() for _, labels, _ in calls]))),
            "cpu_ms_per_call": round(1000 * total / rounds / len(calls), 2), "parts_ms_per_call": per_call,
            "parts_share": {part: round(clock.seconds[part] / total, 3) for part in PARTS}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--film", required=True)
    parser.add_argument("--limit", type=int, default=32, help="kept frames to cut (the film's first)")
    parser.add_argument("--rounds", type=int, default=2, help="replays of every call")
    args = parser.parse_args()
    calls = recorded_calls(args.home, args.film, args.limit)
    cv2.setNumThreads(1)
    report = {"benchmark": "grabcut_split", "film": args.film, "frames": args.limit,
              "load_avg_1m": round(os.getloadavg()[0], 2), **{kind: split(c, args.rounds) for kind, c in calls.items()}}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
