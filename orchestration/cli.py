"""The `castforge` command: ingest, materialize, status, params, and the subcommands listed in SUBCOMMANDS.

Every mistake a person can make on the command line (an unknown asset, film, parameter or value, a bad config file)
exits with status 2 and one line that says what is wrong and suggests close matches; ``-v`` adds the traceback and
echoes the log. A failed run exits with status 1 (130 when interrupted) and names each failed step and its
error's first line, or the run's failure reason, on stderr.
"""

import argparse
import importlib
import logging
import os
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from resources.disk_space import free_bytes, is_disk_full, shown_bytes
from resources.errors import FREE_SPACE_ADVICE, CastforgeError, ConfigError, FilmNotFoundError, did_you_mean
from resources.media import IMAGE_SUFFIXES
from resources.paths import castforge_home, ensure_dagster_home

log = logging.getLogger("castforge")

# modules that add a subcommand with `register(subparsers)`; a new one is added here, by name
SUBCOMMANDS = ("orchestration.cli_status", "orchestration.cli_review", "orchestration.cli_runs",
               "orchestration.cli_eval", "orchestration.cli_models", "orchestration.cli_backfill")
RUN_JOB = "castforge_materialize"


def parse_sets(pairs: list[str]) -> dict[str, dict[str, Any]]:
    """`--set frames.mode=interval` -> {"frames": {"mode": "interval"}} (values parsed as YAML scalars)."""
    overrides: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        asset, dot, param = key.partition(".")
        if not sep or not dot or not asset or not param:
            raise ConfigError(f"--set {pair!r}: expected ASSET.PARAM=VALUE, e.g. frames.mode=interval")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
        if value is None:
            raise ConfigError(f"--set {pair!r}: null cannot be set from the command line; put it in "
                              f"configs/films/<film>.yaml instead")
        overrides.setdefault(asset, {})[param] = value
    return overrides


def require_film(catalog, film: str) -> dict[str, Any]:
    record = catalog.film(film)
    if record is None:
        hint = did_you_mean(film, catalog.films()["film"].to_list())
        if hint:
            raise CastforgeError(f"film '{film}' is not ingested{hint} (`castforge status` lists films)")
        raise FilmNotFoundError(film)
    return record


def plan_run(film: str, selection: list[str] | str | None, overrides: dict[str, dict[str, Any]] | None):
    """(definitions, asset names to run in order, asset-keyed overrides), every user input checked first."""
    from assets.stage_contract import CONTRACTS, parameter_schema
    from orchestration.definitions import build_definitions
    from orchestration.selection import check_overrides, parse_selection, run_selection, upstream_graph
    from resources.film_settings import normalise
    from resources.store import StorageResource

    defs = build_definitions()
    graph = upstream_graph(list(defs.assets))
    wanted = parse_selection(selection, set(graph))
    storage = StorageResource()
    catalog = storage.catalog()
    require_film(catalog, film)
    checked = normalise(overrides or {}, parameter_schema(), "--set", top_level=False)
    check_overrides(checked, wanted, graph)
    names = run_selection(storage.workspace(film), graph, wanted, catalog, checked)
    for asset in names:  # values the stage itself refuses (an unknown mode) are mistakes too: say so before running
        if asset in CONTRACTS:
            try:
                CONTRACTS[asset].settings(film, checked.get(asset))
            except (ValueError, TypeError) as error:
                raise ConfigError(f"{asset}: {error}") from None
    return defs, names, checked


def observe_review(instance, film: str) -> None:
    """Record the film's review revision as an observation of `review_decisions` before a run, so the assets that
    apply the review record which revision they used and show stale from the first decision on."""
    from assets.review.assets import observe_review_revision
    from resources import review_state
    from resources.store import StorageResource

    observe_review_revision(instance, film, review_state.review_revision(StorageResource().catalog(), film))


def materialize_film(film: str, selection: list[str] | str | None = None,
                     overrides: dict[str, dict[str, Any]] | None = None, instance=None, console=None,
                     threads: bool = False):
    """Materialise ``selection`` (default all) for one film, plus missing or stale upstream assets, in process.
    With ``console`` (orchestration/console.py) the run's events are shown to a person instead of logged raw;
    with ``threads`` independent steps run at once on threads of this process (orchestration/threaded_executor.py)."""
    from dagster import DagsterInstance, Definitions, define_asset_job

    from orchestration.console import console_logger
    from orchestration.run_health import guarded_run  # fails dead runs, frees their slots, stops on Ctrl-C
    from orchestration.selection import keys
    from orchestration.threaded_executor import execute_with_threads, in_process_threads_executor
    from resources.store import StorageResource

    defs, names, checked = plan_run(film, selection, overrides)
    run_config: dict[str, Any] = {"ops": {asset: {"config": params} for asset, params in checked.items()
                                          if asset in names}}
    instance = instance or DagsterInstance.get()
    if not instance.has_dynamic_partition("film", film):
        instance.add_dynamic_partitions("film", [film])
    observe_review(instance, film)
    if console is not None:
        console.say(f"castforge: film {film}: {len(names)} step(s): {', '.join(names)}")
        console.check_steps = {check.node_def.name for check in defs.asset_checks or []}
    run_defs = Definitions(
        assets=list(defs.assets), asset_checks=list(defs.asset_checks or []), resources=defs.resources,
        jobs=[define_asset_job(RUN_JOB, selection=keys(names),
                               executor_def=in_process_threads_executor if threads else None)],
        loggers={"castforge_console": console_logger} if console is not None else None)
    if console is not None:  # configured loggers replace Dagster's default console logger for this run
        run_config["loggers"] = {"castforge_console": {}}
    job = run_defs.resolve_job_def(RUN_JOB)
    with guarded_run(instance, StorageResource().home_path()) as tags:
        if threads:
            return execute_with_threads(job, run_config, instance, film, tags)
        return job.execute_in_process(run_config=run_config, instance=instance, partition_key=film,
                                      raise_on_error=False, tags=tags)


def _cmd_ingest(args: argparse.Namespace) -> int:
    from dagster import DagsterInstance

    from resources.ingest import ingest_source
    from resources.series import ingest_series, is_series
    from resources.store import StorageResource

    storage = StorageResource()
    if is_series(Path(args.path)):  # a folder of episodes: one film each, identities shared
        series = ingest_series(storage.catalog(), Path(args.path), args.film)
        films, message = series.films, series.message
    else:
        outcome = ingest_source(storage.catalog(), Path(args.path), args.film)
        films, message = [outcome.film], outcome.message
    instance = DagsterInstance.get()
    instance.add_dynamic_partitions("film", films)
    for film in films:
        observe_review(instance, film)  # runs launched from the UI then record review revision 0 as well
    print(message, file=sys.stderr)
    print("\n".join(films))
    return 0


def steps_on_threads(flag: bool | None) -> bool:
    """--threads / --no-threads, else on unless CASTFORGE_EXECUTOR=in_process asks for one step at a time."""
    if flag is not None:
        return flag
    return os.environ.get("CASTFORGE_EXECUTOR", "").strip() != "in_process"


def _cmd_materialize(args: argparse.Namespace) -> int:
    from dagster import DagsterInstance

    from orchestration.console import Console, attach, detach
    from orchestration.summary import failure_lines, run_failure, summary_lines

    log_path = castforge_home() / "logs" / f"{args.film}-{datetime.now():%Y%m%d-%H%M%S}.log"
    console = Console(log_path, verbose=args.verbose)
    handlers = attach(console)
    try:
        result = materialize_film(args.film, args.select, parse_sets(args.set or []), console=console,
                                  threads=steps_on_threads(args.threads))
        for line in summary_lines(args.film, console.results, result.success, log_path):
            console.say(line)
    finally:
        detach(console, handlers)   # the terminal's stderr again
    if result.success:
        return 0
    # stdout may go nowhere (a script, a pipe to a file): a run that failed says why on stderr too
    lines, interrupted = failure_lines(console.results, run_failure(DagsterInstance.get(), result.run_id),
                                       result.run_id, log_path)
    print("\n".join(lines), file=sys.stderr)
    return 130 if interrupted else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="castforge", description=__doc__.split("\n\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="echo the full log (Dagster's event lines, library warnings) and show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", help="register a video, an audio file or a folder of images as a film")
    p.add_argument("path", help="a video or audio file FFmpeg reads (audio only: the audio stages run, the picture "
                   "stages see no frames), an animated GIF or PNG (a clip without sound), a folder of images (" +
                   " ".join(sorted(IMAGE_SUFFIXES)) + ", subfolders included; a single image is refused: ingest its "
                   "folder; an archive of images (.zip .cbz .7z .cb7 .rar .cbr .tar .cbt .tar.gz .tar.xz ...) is unpacked "
                   "into the home as one), or a folder of episodes (a series: one film per video, "
                   "<series>_<episode>, identities shared)")
    p.add_argument("--film", help="film key (default: a slug of the file or folder name; for a series, its name)")
    p.set_defaults(handler=_cmd_ingest)
    p = sub.add_parser("materialize", help="materialise assets for a film (with upstream assets it needs)")
    p.add_argument("film")
    p.add_argument("--select", help="asset names separated by commas (default: everything)")
    p.add_argument("--set", action="append", metavar="ASSET.PARAM=VALUE",
                   help="set a parameter for this run (`castforge params` lists them), e.g. frames.mode=interval")
    p.add_argument("--threads", action=argparse.BooleanOptionalAction, default=None,
                   help="run independent steps at once on threads of this process (default: on; "
                        "--no-threads or CASTFORGE_EXECUTOR=in_process: one step at a time)")
    p.set_defaults(handler=_cmd_materialize)
    for module in SUBCOMMANDS:
        importlib.import_module(module).register(sub)
    return parser


def _console_logging(verbose: bool) -> None:
    """Without -v a person sees castforge's own warnings only; with -v every record (DEBUG and up)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "castforge", False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.castforge = True
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s" if verbose else "%(message)s"))
    handler.setLevel(logging.DEBUG if verbose else logging.WARNING)
    if not verbose:
        handler.addFilter(lambda record: record.name.startswith("castforge"))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)


def main(argv: list[str] | None = None) -> int:
    logging.captureWarnings(True)  # library warnings are log records: in the run's log file, on screen with -v
    program = argv is None   # the program itself; a test calls main with its arguments
    argv = sys.argv[1:] if argv is None else argv
    _console_logging("-v" in argv or "--verbose" in argv)  # before subcommands import Dagster (and its warnings)
    args = build_parser().parse_args(argv)
    try:
        ensure_dagster_home()
        return args.handler(args)
    except CastforgeError as error:
        if args.verbose:
            log.exception("castforge: %s", error)
        print(f"castforge: {error}", file=sys.stderr)
        return 2
    except Exception as error:   # the run's own records (Dagster's home, the catalog) on a full disk
        if not is_disk_full(error):
            raise
        if args.verbose:
            log.exception("castforge: %s", error)
        home, said = castforge_home(), (str(error).strip().splitlines() or [type(error).__name__])[0]
        print(f"castforge: {said}: the disk holding {home} is full ({shown_bytes(free_bytes(home))} free). "
              f"{FREE_SPACE_ADVICE}.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("castforge: interrupted", file=sys.stderr)
        return 130
    finally:
        if program:   # its exit status is decided
            _exit_undisturbed()


def _exit_undisturbed() -> None:
    """A Ctrl-C or SIGTERM that comes while the program exits (a second press, a supervisor's repeated SIGTERM)
    no longer turns the status just decided (130 for an interrupted run) into a KeyboardInterrupt traceback or a
    death by SIGINT: there is nothing left to stop. Nor does an interrupt that was handled: CPython marks the
    process to kill itself with SIGINT at exit whenever a KeyboardInterrupt leaves an ``exec`` or ``eval`` of a
    string, caught later or not, and the interrupt a stopped step's thread receives can land in one (a dataclass
    made while the step imports torch)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    _forget_unhandled_interrupt()


def _forget_unhandled_interrupt() -> None:
    """Clears CPython's "a KeyboardInterrupt went unhandled" mark (``_Py_UnhandledKeyboardInterrupt``, read by
    ``Py_RunMain`` after the interpreter finalises), where this Python exports it."""
    import ctypes

    try:
        ctypes.c_int.in_dll(ctypes.pythonapi, "_Py_UnhandledKeyboardInterrupt").value = 0
    except (ValueError, AttributeError):   # another build or version: nothing to clear here
        pass


if __name__ == "__main__":
    sys.exit(main())
