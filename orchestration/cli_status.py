"""`castforge status [FILM]`: every asset in graph order with its state and what its row count counts;
`castforge params [ASSET]`: every declared parameter with its type, default and meaning."""

import argparse
from pathlib import Path

from resources.disk_space import free_bytes, min_free_bytes, shown_bytes
from resources.errors import CastforgeError, did_you_mean
from resources.paths import castforge_home


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("status", help="films, and per asset: current, stale (why), failed or missing")
    p.add_argument("film", nargs="?")
    p.set_defaults(handler=_cmd_status)
    p = subparsers.add_parser("params", help="the parameters each asset takes (for --set and configs/*.yaml)")
    p.add_argument("asset", nargs="?", help="one asset (default: all)")
    p.set_defaults(handler=_cmd_params)


def asset_graph() -> dict[str, set[str]]:
    from orchestration.definitions import build_definitions
    from orchestration.selection import upstream_graph

    return upstream_graph(list(build_definitions().assets))


def asset_states(film: str, graph: dict[str, set[str]] | None = None) -> list[dict]:
    """One row per materialisable asset in graph order: state (current | stale | failed | missing), why, rows,
    what the rows are, the last run."""
    from orchestration.selection import graph_order, stale_reason
    from resources.relations import RELATIONS
    from resources.store import StorageResource

    graph = graph if graph is not None else asset_graph()
    storage = StorageResource()
    catalog, workspace = storage.catalog(), storage.workspace(film)
    runs = {row["asset"]: row for row in catalog.last_materializations(film).iter_rows(named=True)}
    states: dict[str, dict] = {}
    for asset in graph_order(graph):
        run = runs.get(asset)
        reason = stale_reason(workspace, catalog, asset)
        stale_parents = [p for p in sorted(graph[asset]) if states.get(p, {}).get("state") in ("stale", "missing",
                                                                                             "failed")]
        if run is not None and run["status"] == "failed":
            state, why = "failed", (run["error"] or "").splitlines()[0][:160] if run["error"] else ""
        elif reason == "missing":
            state, why = "missing", ""
        elif reason or stale_parents:
            state, why = "stale", reason or f"upstream {', '.join(stale_parents)} not current"
        else:
            state, why = "current", ""
        record = workspace.read_stage_record(asset) or {}
        relation = RELATIONS.get(asset)
        states[asset] = {"asset": asset, "state": state, "why": why, "rows": record.get("row_count"),
                         "counts": relation.description if relation else "rows", "run": run,
                         "without": record.get("frames_without_instances")}   # instances: `instance_misses`
    return list(states.values())


def _cmd_status(args: argparse.Namespace) -> int:
    from orchestration.cli import require_film
    from resources.store import StorageResource

    catalog = StorageResource().catalog()
    films = catalog.films()
    if args.film:
        require_film(catalog, args.film)
        films = films.filter(films["film"] == args.film)
    if films.is_empty():
        print("no films yet: `castforge ingest PATH`")
        return 0
    graph = asset_graph()
    for film in films.iter_rows(named=True):
        print(f"{film['film']}  [{film['kind']}]  {film['source_path']}")
        for row in asset_states(film["film"], graph):
            run = row["run"]
            when = f"{run['finished_at']:%Y-%m-%d %H:%M} run {str(run['run_id'])[:8]}" if run else ""
            state = row["state"].upper() if row["state"] in ("stale", "failed") else row["state"]
            rows = f"{row['rows']} {row['counts']}" if row["rows"] is not None else ""
            if row.get("without"):
                rows = f"{rows}; {row['without']} frames without one"
            print(f"    {row['asset']:<20} {state:<8} {rows[:70]:<70} {when}")
            if row["why"]:
                print(f"    {'':<20} {'':<8} ({row['why']})")
    print(disk_line(castforge_home()))
    return 0


def disk_line(home: Path) -> str:
    """The free space on the home's disk, and whether it is under the floor a stage needs to start."""
    free, floor = free_bytes(home), min_free_bytes()
    under = (f"; under CASTFORGE_MIN_FREE_MB ({shown_bytes(floor)}): stages will not start"
             if free is not None and free < floor else "")
    return f"\nhome {home}: {shown_bytes(free)} free on its disk{under}"


def _cmd_params(args: argparse.Namespace) -> int:
    from assets.stage_contract import parameter_schema
    from resources.film_settings import ALIASES, parameters

    schema = parameter_schema()
    asset = ALIASES.get(args.asset, args.asset) if args.asset else None
    if asset is not None and asset not in schema:
        raise CastforgeError(f"params: unknown asset '{args.asset}'{did_you_mean(asset, schema)}")
    for name in [asset] if asset else sorted(schema):
        declared = parameters(schema[name])
        if not declared:
            continue
        print(f"{name}:")
        for parameter in declared.values():
            kind = getattr(parameter.type, "__name__", str(parameter.type).replace("typing.", ""))
            print(f"  --set {name}.{parameter.name}=...  ({kind}, default {parameter.default!r})"
                  + (f"  {parameter.comment}" if parameter.comment else ""))
    return 0
