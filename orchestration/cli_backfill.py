"""`castforge backfill FILM...`: one run of the film_pipeline job per film, on the profile's executor.

On the ``cluster`` profile every run submits its steps to the Celery workers (model steps to the ``gpu`` queue,
the rest to ``cpu``), so several films are processed by the whole cluster at once; on ``local`` each film runs in
its own process. Runs are tagged with their film (``dagster/partition``), the tag the instance's queue limits
(one run per film at a time) and the UI's backfill view use.
"""

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

FILM_JOB = "film_pipeline"


def register(subparsers) -> None:
    p = subparsers.add_parser("backfill", help="run the film pipeline for several films at once (cluster profile: "
                                               "across the Celery workers)")
    p.add_argument("films", nargs="+", help="films already ingested (`castforge ingest`)")
    p.add_argument("--select", default="", help="asset names separated by commas (default: every asset)")
    p.add_argument("--parallel", type=int, default=3, help="films in flight at once (default 3)")
    p.set_defaults(handler=_cmd_backfill)


def run_film(film: str, selection: list[str]) -> tuple[str, bool, str]:
    """One run of the film job for ``film`` (in this process; its steps go where the profile's executor sends
    them). Returns (film, success, run id)."""
    import dagster as dg
    from dagster._core.definitions.reconstruct import ReconstructableJob, ReconstructableRepository

    from resources.paths import REPO_ROOT, ensure_dagster_home

    ensure_dagster_home()
    job = ReconstructableJob(ReconstructableRepository.for_module(
        "orchestration.definitions", "defs", working_directory=str(REPO_ROOT)), FILM_JOB)
    with dg.DagsterInstance.get() as instance:
        if not instance.has_dynamic_partition("film", film):
            instance.add_dynamic_partitions("film", [film])
        result = dg.execute_job(job, instance=instance, raise_on_error=False,
                                tags={"dagster/partition": film, "castforge/backfill": "1"},
                                asset_selection=[dg.AssetKey(name) for name in selection] or None)
        return film, result.success, result.run_id


def _cmd_backfill(args: argparse.Namespace) -> int:
    from orchestration.definitions import build_definitions
    from orchestration.executors import check_cluster_services, executor_name
    from orchestration.profiles import active_profile
    from orchestration.selection import parse_selection
    from resources.errors import CastforgeError
    from resources.store import StorageResource

    profile = active_profile()
    if executor_name(profile) == "celery":   # an unreachable Redis/Postgres: one clear line, never a long wait
        check_cluster_services()
    defs = build_definitions(profile)
    all_keys = {key.to_user_string() for key in defs.resolve_asset_graph().materializable_asset_keys}
    selection = parse_selection(args.select, all_keys) if args.select else []
    catalog = StorageResource().catalog()
    for film in args.films:
        if catalog.film(film) is None:
            raise CastforgeError(f"film {film!r} is not in the catalog: `castforge ingest PATH` first")
    failed = []
    # spawned processes: each run gets a fresh interpreter (no forked DuckDB or Dagster state)
    with ProcessPoolExecutor(max_workers=max(1, args.parallel), mp_context=get_context("spawn")) as pool:
        for film, ok, run_id in pool.map(run_film, args.films, [selection] * len(args.films)):
            print(f"castforge backfill: {film}: {'succeeded' if ok else 'FAILED'} (run {run_id})", file=sys.stderr)
            if not ok:
                failed.append(film)
    return 1 if failed else 0
