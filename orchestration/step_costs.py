"""What each step of a film's run is expected to cost, known before it runs, and the longest remaining path through
the run's steps that the threaded executor starts its ready steps by (orchestration/threaded_executor.py).

With two cores and the tail's eleven steps after `identity_clusters`, which ready step goes first decides how long
the last one runs alone: Dagster's own order (the plan's topological order) left `character_datasets` alone at the
end; the step that heads the longest chain of work still to do, taken first, keeps both cores busy longer
(docs/film_scale.md, "Session 15: the tail by its longest remaining path"). A step's cost is the seconds its stage
took in the film's last successful run (the catalog's lineage rows), else its seconds per film minute from
SECONDS_PER_FILM_MINUTE times the film's minutes; a step known to neither (an asset check) costs nothing."""

import logging
from collections.abc import Iterable, Mapping

log = logging.getLogger(__name__)

# Seconds per film minute of each step (Dagster's STEP_START to STEP_SUCCESS), from the quiet machine's 6-minute
# 1080p run at 2fec1cf (bench/film_scale.py --height 1080 --minutes 2 6 --no-floor, the run's `timeline`, session
# 14): only their ratios order the steps. Ordered by this table, that run's steps give the simulated order's end of
# run as the measured step seconds themselves do (docs/film_scale.md).
SECONDS_PER_FILM_MINUTE: dict[str, float] = {
    "audio": 0.80, "frames": 7.58, "vocals": 1.22, "diarization": 1.37, "instances": 16.38,
    "filtered_instances": 0.05, "face_embeddings": 2.12, "identity_clusters": 1.13, "identity_references": 0.85,
    "pose_subclusters": 0.78, "shot_analysis": 1.57, "voice_map": 2.02, "captions": 0.58, "motion": 0.12,
    "av_sync": 0.75, "voice_features": 0.43, "effects": 1.25, "multimodal_datasets": 0.52,
    "character_datasets": 1.48,
}


def expected_seconds(steps: Iterable[str], film_minutes: float | None,
                     last_run_seconds: Mapping[str, float] | None = None) -> dict[str, float]:
    """Each step's expected seconds: its stage's seconds in the film's last run, else the table's seconds per film
    minute times ``film_minutes`` (one minute when unknown: the ratios are what order steps), else 0."""
    last_run_seconds = last_run_seconds or {}
    minutes = film_minutes if film_minutes and film_minutes > 0 else 1.0
    return {step: float(last_run_seconds[step]) if step in last_run_seconds
            else SECONDS_PER_FILM_MINUTE.get(step, 0.0) * minutes for step in steps}


def longest_remaining(dependencies: Mapping[str, Iterable[str]], seconds: Mapping[str, float]) -> dict[str, float]:
    """For each step, its own seconds plus the most seconds of any chain of steps that depends on it (through
    ``dependencies``: step -> the steps it waits for; steps outside the mapping are ignored)."""
    dependants: dict[str, list[str]] = {step: [] for step in dependencies}
    for step, needs in dependencies.items():
        for need in needs:
            if need in dependants:
                dependants[need].append(step)
    remaining: dict[str, float] = {}
    for step in _dependants_first(dependants):
        remaining[step] = seconds.get(step, 0.0) + max((remaining[d] for d in dependants[step]), default=0.0)
    return remaining


def _dependants_first(dependants: Mapping[str, list[str]]) -> list[str]:
    """The steps ordered so that each comes after every step that depends on it (an iterative depth-first walk)."""
    order, done = [], set()
    for root in dependants:
        stack = [(root, iter(dependants[root]))]
        while stack:
            step, below = stack[-1]
            child = next((d for d in below if d not in done), None)
            if child is not None:
                stack.append((child, iter(dependants[child])))
                continue
            stack.pop()
            if step not in done:
                done.add(step)
                order.append(step)
    return order


def film_history(storage: object, film: str | None) -> tuple[float | None, dict[str, float]]:
    """(the film's minutes, each stage's seconds in its last successful run) from the catalog of ``storage`` (a
    StorageResource); (None, {}) when there is no film or the catalog cannot tell (the table's ratios then)."""
    if film is None or storage is None:
        return None, {}
    try:
        catalog = storage.catalog()
        record = catalog.film(film) or {}
        rows = catalog.query(
            "SELECT asset, duration_s FROM materializations WHERE film = ? AND status = 'success' "
            "AND duration_s IS NOT NULL QUALIFY row_number() OVER (PARTITION BY asset ORDER BY finished_at DESC) = 1",
            [film]).to_dicts()
    except Exception as error:  # an ordering hint only: a run never fails for want of it
        log.warning("step costs of film %s not read from the catalog (%s); the table's ratios order the steps",
                    film, error)
        return None, {}
    minutes = record["duration_s"] / 60 if record.get("duration_s") else None
    return minutes, {row["asset"]: row["duration_s"] for row in rows}
