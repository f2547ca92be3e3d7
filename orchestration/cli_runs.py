"""`castforge runs`: list unfinished runs (and who holds the pool slots); `castforge runs clear` frees stuck ones."""

import argparse

from resources.errors import CastforgeError


def register(subparsers) -> None:
    p = subparsers.add_parser("runs", help="list unfinished runs and pool slots; `runs clear` frees stuck runs")
    runs_sub = p.add_subparsers(dest="runs_command")
    clear = runs_sub.add_parser("clear", help="mark a run failed and free its pool slots")
    clear.add_argument("run_id", nargs="?", help="the run to clear (as `castforge runs` prints it)")
    clear.add_argument("--dead", action="store_true", help="clear every run whose process is gone")
    p.set_defaults(handler=_cmd_runs)


def _cmd_runs(args: argparse.Namespace) -> int:
    from dagster import DagsterInstance

    from orchestration.run_health import active_runs, clean_stale_staging, clear_run, fail_dead_runs
    from resources.paths import castforge_home

    instance = DagsterInstance.get()
    if getattr(args, "runs_command", None) == "clear":
        if bool(args.run_id) == bool(args.dead):
            raise CastforgeError("runs clear: give either a RUN_ID or --dead")
        cleared = (fail_dead_runs(instance) if args.dead
                   else [clear_run(instance, args.run_id, "cleared by hand (`castforge runs clear`)")])
        removed = clean_stale_staging(castforge_home())
        for state in cleared:
            print(f"cleared {state.run_id} (film {state.film or '-'})")
        print(f"{len(cleared)} run(s) cleared, {len(removed)} leftover staging folder(s) removed")
        return 0
    states = active_runs(instance)
    if not states:
        print("no unfinished runs and no pool slot held")
        return 0
    for state in states:
        print(state.describe())
    if any(s.dead for s in states):
        print("runs marked 'gone' block the pools they hold: `castforge runs clear --dead`")
    return 0
