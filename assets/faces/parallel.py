"""The faces stage across cores: kept frames split among worker processes, each building its own face analyzer.

A frame's faces depend only on that frame (its image, its instances' boxes, its detector order), so the frames
are cut into runs of consecutive frames, the runs go to a pool of worker processes (spawned, as the instances
stage's pool: ``assets/instances/parallel.py``, whose worker setting ``CASTFORGE_WORKERS`` this follows), and the
rows and misses come back in the order the one-process path writes them. Each worker loads its own models on
``threads_per_worker`` threads (a few CPU seconds: short films stay in process). No Dagster import.
"""

import logging
import math
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

import cv2
import polars as pl

from assets.faces.core import FACE_SCHEMA, FaceParams, detect_faces
from assets.instances.parallel import configured_workers
from resources.cores import MODEL_THREADS_ENV, threads_per_worker
from resources.storage import FilmWorkspace

log = logging.getLogger(__name__)

FRAMES_PER_WORKER = 32   # fewer kept frames than this per extra worker: its start-up and model loads outweigh it
RUNS_PER_WORKER = 4      # runs of frames per worker, so that the workers finish together


def workers_for(frames_with_instances: int, configured: int | None = None) -> int:
    """Processes worth starting for this many frames holding kept instances (1: stay in process)."""
    configured = configured_workers() if configured is None else configured
    if multiprocessing.current_process().daemon:   # e.g. a pool worker: it may not start processes
        return 1
    return max(1, min(configured, math.ceil(frames_with_instances / FRAMES_PER_WORKER)))


def faces_in_pool(film: str, home: Path, frames: pl.DataFrame, instances: pl.DataFrame, params: FaceParams,
                  analyzer_class: type, analyzer_config: dict[str, Any], anime: bool, also: tuple[str, ...],
                  staging: Path, final_dir: Path, workers: int,
                  detectors_for: Callable[[str], Sequence[str]] | None = None,
                  progress: Callable[[int], None] = lambda frames_done: None) -> tuple[pl.DataFrame, dict[str, str]]:
    """``detect_faces`` of the film on ``workers`` processes: (faces, misses) as the one-process path returns
    them. ``analyzer_class(**analyzer_config).get(anime=anime, also=also)`` builds each worker's analyzer (the
    face_analyzer resource and its configuration); crops are written to ``staging``, which moves to
    ``final_dir``; ``progress(n)`` is called with the frames done so far."""
    kept = instances.filter(pl.col("kept")) if "kept" in instances.columns else instances
    frame_ids = sorted(kept["frame_id"].unique().to_list())
    size = max(1, math.ceil(len(frame_ids) / (workers * RUNS_PER_WORKER)))
    runs = [frame_ids[i:i + size] for i in range(0, len(frame_ids), size)]
    log.info("%s: faces of %d frames in %d runs on %d worker processes", film, len(frame_ids), len(runs), workers)
    results: list[tuple[pl.DataFrame, dict[str, str]] | None] = [None] * len(runs)
    context = multiprocessing.get_context("spawn")   # never fork a process holding Dagster's and the models' threads
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                               initargs=(analyzer_class, analyzer_config, anime, also, threads_per_worker(workers)))
    try:
        pending: dict[Future, int] = {}
        for n, run in enumerate(runs):
            orders = {frame_id: tuple(detectors_for(frame_id)) for frame_id in run} if detectors_for else None
            pending[pool.submit(_faces_of_run, film, home, frames.filter(pl.col("frame_id").is_in(run)),
                                kept.filter(pl.col("frame_id").is_in(run)), params, staging, final_dir, orders)] = n
        done = 0
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                n = pending.pop(future)
                results[n] = future.result()
                done += len(runs[n])
                progress(done)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    tables = [faces for faces, _ in results if faces.height]
    misses = {instance_id: why for _, run_misses in results for instance_id, why in run_misses.items()}
    return (pl.concat(tables) if tables else pl.DataFrame(schema=FACE_SCHEMA)), misses


# -- in a worker process ------------------------------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _start_worker(analyzer_class: type, config: dict[str, Any], anime: bool, also: tuple[str, ...],
                  model_threads: int = 1) -> None:
    """Builds this worker's analyzer once, its models on ``model_threads`` threads (the pool is the parallelism)."""
    cv2.setNumThreads(1)
    os.environ.setdefault(MODEL_THREADS_ENV, str(model_threads))   # an explicit setting wins
    _worker["analyzer"] = analyzer_class(**config).get(anime=anime, also=also)


def _faces_of_run(film: str, home: Path, frames: pl.DataFrame, instances: pl.DataFrame, params: FaceParams,
                  staging: Path, final_dir: Path,
                  orders: dict[str, tuple[str, ...]] | None) -> tuple[pl.DataFrame, dict[str, str]]:
    workspace = FilmWorkspace(film, home)
    misses: dict[str, str] = {}
    faces = detect_faces(frames, instances, _worker["analyzer"], params, workspace.absolute, staging,
                         workspace.relative_once_moved(staging, final_dir), misses,
                         orders.__getitem__ if orders is not None else None)
    return faces, misses
