"""The `castforge` command: ingest, materialize, status (and the subcommands later stages add)."""

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

import yaml

from resources.errors import CastforgeError
from resources.paths import ensure_dagster_home

log = logging.getLogger("castforge")


def parse_sets(pairs: list[str]) -> dict[str, dict[str, Any]]:
    """`--set frames.mode=interval` -> {"frames": {"mode": "interval"}} (values parsed as YAML scalars)."""
    overrides: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        asset, dot, param = key.partition(".")
        if not sep or not dot or not asset or not param:
            raise CastforgeError(f"--set {pair!r}: expected ASSET.PARAM=VALUE, e.g. frames.mode=interval")
        overrides.setdefault(asset, {})[param] = yaml.safe_load(raw)
    return overrides


def materialize_film(film: str, selection: list[str] | str | None = None,
                     overrides: dict[str, dict[str, Any]] | None = None, instance=None):
    """Materialise ``selection`` (default all) for one film, plus missing or stale upstream assets, in process."""
    from dagster import DagsterInstance, materialize

    from orchestration.definitions import build_definitions
    from orchestration.selection import keys, parse_selection, run_selection, upstream_graph
    from resources.store import StorageResource

    defs = build_definitions()
    assets = list(defs.assets)
    graph = upstream_graph(assets)
    wanted = parse_selection(",".join(selection) if isinstance(selection, list) else selection, set(graph))
    storage = StorageResource()
    if storage.catalog().film(film) is None:
        raise CastforgeError(f"film '{film}' is not ingested; run `castforge ingest PATH` first")
    names = run_selection(storage.workspace(film), graph, wanted)
    overrides = overrides or {}
    unknown = sorted(set(overrides) - set(graph))
    if unknown:
        raise CastforgeError(f"--set names unknown asset(s) {unknown}")
    run_config = {"ops": {asset: {"config": params} for asset, params in overrides.items() if asset in names}}
    instance = instance or DagsterInstance.get()
    if not instance.has_dynamic_partition("film", film):
        instance.add_dynamic_partitions("film", [film])
    log.info("materialising %s for film %s", ", ".join(names), film)
    from orchestration.run_health import guarded_run  # fails dead runs, frees their slots, stops on Ctrl-C

    with guarded_run(instance, storage.home_path()) as tags:
        return materialize(assets, selection=keys(names), partition_key=film, instance=instance,
                           resources=defs.resources, run_config=run_config, raise_on_error=False, tags=tags)


def _cmd_ingest(args: argparse.Namespace) -> int:
    from dagster import DagsterInstance

    from orchestration.ingest import ingest_source
    from resources.store import StorageResource

    outcome = ingest_source(StorageResource().catalog(), Path(args.path), args.film)
    DagsterInstance.get().add_dynamic_partitions("film", [outcome.film])
    print(outcome.message, file=sys.stderr)
    print(outcome.film)
    return 0


def _cmd_materialize(args: argparse.Namespace) -> int:
    result = materialize_film(args.film, args.select, parse_sets(args.set or []))
    if not result.success:
        failures = [e for e in result.all_events if e.is_step_failure]
        for event in failures:
            error = event.step_failure_data.error
            message = error.cause.message if error and error.cause else (error.message if error else "")
            print(f"castforge: {event.step_key} failed for film {args.film}: {message.strip()}", file=sys.stderr)
        return 1
    print(f"materialised film {args.film}", file=sys.stderr)
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from resources.store import StorageResource

    catalog = StorageResource().catalog()
    films = catalog.films()
    if args.film:
        if catalog.film(args.film) is None:
            raise CastforgeError(f"film '{args.film}' is not ingested")
        films = films.filter(films["film"] == args.film)
    if films.is_empty():
        print("no films yet: `castforge ingest PATH`")
        return 0
    for film in films.iter_rows(named=True):
        print(f"{film['film']}  [{film['kind']}]  {film['source_path']}")
        runs = catalog.last_materializations(film["film"])
        if runs.is_empty():
            print("    (nothing materialised yet)")
        for run in runs.iter_rows(named=True):
            print(f"    {run['asset']:<22} {run['status']:<8} rows={run['row_count']!s:<7} "
                  f"at {run['finished_at']:%Y-%m-%d %H:%M:%S}  run {str(run['run_id'])[:8]}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="castforge", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", help="register a video file or an image folder as a film")
    p.add_argument("path")
    p.add_argument("--film", help="film key (default: a slug of the file or folder name)")
    p.set_defaults(handler=_cmd_ingest)
    p = sub.add_parser("materialize", help="materialise assets for a film (with upstream assets it needs)")
    p.add_argument("film")
    p.add_argument("--select", help="asset names separated by commas (default: everything)")
    p.add_argument("--set", action="append", metavar="ASSET.PARAM=VALUE", help="override an asset's config")
    p.set_defaults(handler=_cmd_materialize)
    p = sub.add_parser("status", help="what exists for a film, per asset")
    p.add_argument("film", nargs="?")
    p.set_defaults(handler=_cmd_status)
    for register in _extensions():
        register(sub)
    return parser


def _extensions():
    """Subcommands contributed by stages: modules orchestration/cli_*.py with a `register(subparsers)` function."""
    import importlib
    import pkgutil

    import orchestration

    for info in sorted(pkgutil.iter_modules(orchestration.__path__), key=lambda m: m.name):
        if info.name.startswith("cli_"):
            yield importlib.import_module(f"orchestration.{info.name}").register


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(message)s")
    log.setLevel(logging.DEBUG if args.verbose else logging.INFO)
    ensure_dagster_home()
    try:
        return args.handler(args)
    except CastforgeError as error:
        print(f"castforge: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
