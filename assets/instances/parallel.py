"""The instances stage across cores: shots segmented by a pool of worker processes, each building its own segmenter.

Work is split by shot (the shot-consistency vote needs a whole shot), the longest shots first so the pool finishes
together, and the rows are put back in the order the one-process path writes them: a shot's rows do not depend on
which process made them or on what it did before. For that each frame is segmented from the same random state
(OpenCV's GrabCut seeds its colour models with k-means from OpenCV's per-thread generator, which otherwise carries
over from the previous frame), in one process or many.

``CASTFORGE_WORKERS`` sets the number of processes (default: the cores this process may use); 1 keeps everything in
the calling process. Short films stay in process too: a worker costs a few seconds to start and load its models.
No Dagster import: the stage passes the segmenter resource's class and configuration, and a progress callback.
"""

import logging
import math
import multiprocessing
import os
import resource
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import polars as pl

from assets.instances.core import INSTANCE_SCHEMA, InstanceParams, _shots, extract_instances, shot_plan
from assets.instances.misses import misses_table
from assets.instances.shot_seeds import SEED_KEY
from resources.cores import MODEL_THREADS_ENV, available_cores, positive_setting, threads_per_worker
from resources.storage import FilmWorkspace

log = logging.getLogger(__name__)

WORKERS_ENV = "CASTFORGE_WORKERS"
FRAMES_PER_WORKER = 24   # fewer kept frames than this per extra worker: its start-up (~3-5 s) outweighs its share
RNG_SEED = 0x5E6

Segment = Callable[[np.ndarray], tuple[list[dict], Any]]


def configured_workers() -> int:
    """``CASTFORGE_WORKERS`` (a positive integer), else the available cores."""
    return positive_setting(WORKERS_ENV, available_cores(), "worker processes (1: in process)")


def workers_for(kept_frames: int, shots: int, configured: int | None = None) -> int:
    """Processes worth starting for ``kept_frames`` frames in ``shots`` shots (1: stay in process)."""
    configured = configured_workers() if configured is None else configured
    return max(1, min(configured, shots, math.ceil(kept_frames / FRAMES_PER_WORKER)))


def seeded(segment: Segment) -> Segment:
    """``segment`` starting every frame from the same OpenCV random state, so a frame's masks are its own."""
    def call(rgb: np.ndarray, **options: Any) -> tuple[list[dict], Any]:
        cv2.setRNGSeed(RNG_SEED)
        return segment(rgb, **options)

    return call


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def segment_film(film: str, frames: pl.DataFrame, workspace: FilmWorkspace, segmenter: Any, anime_faces: bool,
                 out_dir: Path, final_dir: Path, backend: str, model: str, params: InstanceParams,
                 progress: Callable[[int], None] = lambda frames_done: None,
                 workers: int | None = None) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The instances table of ``frames`` (as ``extract_instances`` writes it) and how it was made: workers used,
    the peak RSS of each worker and ``misses``, the frames that gave no instance with the reason
    (assets/instances/misses.py). ``out_dir`` is the staging folder whose files will move to ``final_dir``;
    ``progress(n)`` is called with the number of kept frames segmented so far; ``workers`` (at most one per shot)
    overrides the automatic choice (``workers_for``)."""
    kept = frames.filter(pl.col("kept") & pl.col("path").is_not_null()).sort("frame_id")
    groups = _shots(kept)
    # per-shot 2D cues and analysis caps in a film mixing styles (core.py)
    drawn, shot_caps = shot_plan(film, frames, workspace.absolute, params)
    workers = workers_for(kept.height, len(groups)) if workers is None else max(1, min(workers, len(groups)))
    if workers > 1 and multiprocessing.current_process().daemon:   # e.g. a pool worker: it may not start processes
        log.info("%s: segmenting in process: a daemonic process cannot start worker processes", film)
        workers = 1
    empty: list[dict] = []
    if workers == 1:
        done, segment = 0, with_anime_faces(segmenter, anime_faces)

        def counted(rgb: np.ndarray, **options: Any) -> tuple[list[dict], Any]:
            nonlocal done
            value = segment(rgb, **options)
            done += SEED_KEY not in options   # a key frame cut again from its shot's seeds counts once
            progress(done)
            return value

        table = extract_instances(film, frames, workspace.absolute, seeded(counted), out_dir,
                                  workspace.relative_once_moved(out_dir, final_dir), backend, model, params, drawn,
                                  shot_caps, empty)
        progress(kept.height)   # key frames carried by flow (instances.carry_max) never reach the segmenter
        return table, {"workers": 1, "peak_rss_mb_per_worker": [peak_rss_mb()],
                       "misses": misses_table(empty)}
    chunks = [kept.filter(pl.col("frame_id").is_in([f["frame_id"] for f in group])) for group in groups]
    tables: list[pl.DataFrame | None] = [None] * len(chunks)
    log.info("%s: %d kept frames in %d shots on %d worker processes", film, kept.height, len(chunks), workers)
    peaks: dict[int, float] = {}
    context = multiprocessing.get_context("spawn")   # never fork a process holding Dagster's and the models' threads
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                               initargs=(type(segmenter), segmenter.model_dump(), anime_faces,
                                         threads_per_worker(workers)))
    try:
        pending: dict[Future, int] = {}
        for n in sorted(range(len(chunks)), key=lambda i: -chunks[i].height):   # longest shots first
            pending[pool.submit(_segment_chunk, film, chunks[n], workspace.home, out_dir, final_dir, backend, model,
                                params, drawn, shot_caps)] = n
        done_frames = 0
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                n = pending.pop(future)
                tables[n], chunk_empty, pid, peak = future.result()
                empty += chunk_empty
                peaks[pid] = max(peaks.get(pid, 0.0), peak)
                done_frames += chunks[n].height
                progress(done_frames)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    rows = [t for t in tables if t is not None and t.height]
    table = pl.concat(rows) if rows else pl.DataFrame(schema=INSTANCE_SCHEMA)
    return table, {"workers": workers, "peak_rss_mb_per_worker": sorted(peaks.values(), reverse=True),
                   "misses": misses_table(empty)}


def with_anime_faces(segmenter: Any, anime_faces: bool) -> Segment:
    """``segmenter.segment_frame`` with the stage's ``anime_faces`` unless a shot's own choice is passed."""
    return lambda rgb, **options: segmenter.segment_frame(rgb, **{"anime_faces": anime_faces, **options})


# -- in a worker process ------------------------------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _start_worker(resource_class: type, config: dict[str, Any], anime_faces: bool, model_threads: int = 1) -> None:
    """Builds this worker's segmenter once; its models load on the first frame, each on ``model_threads`` threads
    (the worker's share of the cores: the pool is the parallelism, more threads would only compete with the
    other workers; the masks do not depend on it)."""
    cv2.setNumThreads(1)
    os.environ.setdefault(MODEL_THREADS_ENV, str(model_threads))   # an explicit setting wins
    segmenter = resource_class(**config)
    _worker["segment"] = seeded(with_anime_faces(segmenter, anime_faces))


def _segment_chunk(film: str, frames: pl.DataFrame, home: Path, out_dir: Path, final_dir: Path, backend: str,
                   model: str, params: InstanceParams,
                   drawn: dict[int, bool] | None = None,
                   shot_caps: dict[bool, int] | None = None) -> tuple[pl.DataFrame, list[dict], int, float]:
    """One shot's rows, its frames that gave no instance (with the reason), this worker's pid and its peak RSS."""
    workspace, empty = FilmWorkspace(film, home), []
    table = extract_instances(film, frames, workspace.absolute, _worker["segment"], out_dir,
                              workspace.relative_once_moved(out_dir, final_dir), backend, model, params, drawn,
                              shot_caps, empty)
    return table, empty, os.getpid(), peak_rss_mb()
