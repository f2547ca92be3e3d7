"""What each step of a film's run is expected to cost, known before it runs, and the longest remaining path through
the run's steps that the threaded executor starts its ready steps by (orchestration/threaded_executor.py).

With two cores and the tail's eleven steps after `identity_clusters`, which ready step goes first decides how long
the last one runs alone: Dagster's own order (the plan's topological order) left `character_datasets` alone at the
end; the step that heads the longest chain of work still to do, taken first, keeps both cores busy longer
(docs/film_scale.md, "Session 15: the tail by its longest remaining path"). A step's cost is the seconds its stage
took in the film's last successful run (the catalog's lineage rows), else STEP_SECONDS' fixed seconds and seconds
per film minute at the film's length; a step known to neither (an asset check) costs nothing."""

import logging
from collections.abc import Iterable, Mapping

log = logging.getLogger(__name__)

# Each step's seconds (Dagster's STEP_START to STEP_SUCCESS) as a fixed part and a part per film minute: the line
# through the quiet machine's 2- and 6-minute 1080p runs at 2fec1cf (bench/film_scale.py --height 1080 --minutes 2 6
# --no-floor, the runs' `timeline`, session 14), never below zero. Only their ratios order the steps; the fixed part
# counts (av_sync's and multimodal_datasets' 3.5 s whatever the film): with seconds per film minute alone the
# 2-minute film's tail ordered by them ends 0.8 s later than in the plan's order, with the line 0.1 s.
STEP_SECONDS: dict[str, tuple[float, float]] = {   # step: (fixed seconds, seconds per film minute)
    "audio": (2.55, 0.38), "frames": (3.35, 7.03), "vocals": (2.2, 0.85), "diarization": (2.2, 1.0),
    "instances": (0.0, 17.93), "filtered_instances": (0.3, 0.0), "face_embeddings": (7.6, 0.85),
    "identity_clusters": (0.2, 1.1), "identity_references": (0.0, 0.9), "pose_subclusters": (0.0, 0.9),
    "shot_analysis": (0.4, 1.5), "voice_map": (0.0, 2.55), "captions": (0.0, 0.62), "motion": (0.85, 0.0),
    "av_sync": (3.45, 0.17), "voice_features": (0.0, 0.45), "effects": (0.3, 1.2), "multimodal_datasets": (3.55, 0.0),
    "character_datasets": (0.0, 1.68),
}
UNKNOWN_FILM_MINUTES = 90.0   # a film whose length the catalog does not tell: the length castforge is built for


def expected_seconds(steps: Iterable[str], film_minutes: float | None,
                     last_run_seconds: Mapping[str, float] | None = None) -> dict[str, float]:
    """Each step's expected seconds: its stage's seconds in the film's last run, else STEP_SECONDS' line at
    ``film_minutes`` (UNKNOWN_FILM_MINUTES when unknown), else 0."""
    last_run_seconds = last_run_seconds or {}
    minutes = film_minutes if film_minutes and film_minutes > 0 else UNKNOWN_FILM_MINUTES
    expected = {}
    for step in steps:
        fixed, per_minute = STEP_SECONDS.get(step, (0.0, 0.0))
        expected[step] = float(last_run_seconds.get(step, fixed + per_minute * minutes))
    return expected


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
