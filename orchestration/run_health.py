"""Runs whose process is gone: find them, fail them, free their pool slots, remove their staging folders.

A `castforge materialize` killed with SIGKILL leaves its Dagster run STARTED and its claimed `gpu` pool slot held
forever, so every later run waits at its first `gpu` step. Each castforge run is tagged with the pid (and that
process's start time, against pid reuse) of the process that executes it; runs launched by the webserver or daemon
are known by the pid of their RUN_START event (on an instance stored on this machine). A run whose process no
longer exists is dead. Dagster's run monitoring (enabled by ``resources.paths.ensure_dagster_home``) adds start and
cancel timeouts and frees the slots of finished runs; its default launcher cannot see a dead worker, this can.
"""

import logging
import os
import re
import shutil
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("castforge")

PID_TAG = "castforge/pid"
PID_STARTED_TAG = "castforge/pid_started"
HOST_TAG = "castforge/host"
PARTITION_TAG = "dagster/partition"
# staging folders are ".<asset>.staging.<pid>.<random>" (resources/storage.py); older ones had no pid
STAGING = re.compile(r"^\.(?P<asset>[^.]+)\.staging\.(?:(?P<pid>\d+)\.)?")
LEFTOVER = re.compile(r"^\.[^.]+\.old\.[0-9a-f]{32}$")
LEGACY_STAGING_AGE_S = 6 * 3600  # a pid-less staging folder this old belongs to no run still going


def _process_started(pid: int) -> float | None:
    """Start time (epoch seconds) of process ``pid``, or None when there is no such process."""
    try:
        import psutil

        return psutil.Process(pid).create_time()
    except ImportError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return 0.0  # alive, start time unknown
    except Exception:  # psutil.NoSuchProcess, ZombieProcess, AccessDenied
        import psutil

        try:
            return None if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE else 0.0
        except psutil.Error:
            return None


def process_alive(pid: int, started: float | None = None) -> bool:
    """Whether ``pid`` is a live process (and, when ``started`` is given, the same one that was recorded)."""
    actual = _process_started(pid)
    if actual is None:
        return False
    return started is None or actual == 0.0 or abs(actual - started) < 1.0


def run_tags() -> dict[str, str]:
    """Tags that let a later castforge command tell whether this process's run is still alive."""
    pid = os.getpid()
    started = _process_started(pid) or 0.0
    return {PID_TAG: str(pid), PID_STARTED_TAG: f"{started:.3f}", HOST_TAG: socket.gethostname()}


@dataclass
class RunState:
    run_id: str
    job: str
    film: str | None
    status: str
    pid: int | None
    alive: bool | None  # None: not a castforge run on this host, cannot tell
    pools: list[str] = field(default_factory=list)  # pools where this run holds a slot
    waiting_for: list[str] = field(default_factory=list)  # pools where a step of this run waits for a slot

    @property
    def dead(self) -> bool:
        return self.alive is False

    def describe(self) -> str:
        who = f"pid {self.pid} {'alive' if self.alive else 'gone'}" if self.pid else "launched elsewhere"
        held = f", holds {','.join(self.pools)}" if self.pools else ""
        waits = f", waits for {','.join(self.waiting_for)}" if self.waiting_for else ""
        return f"{self.run_id}  {self.status:<9} film={self.film or '-'}  {who}{held}{waits}"


def _run_worker_pid(instance, run) -> tuple[int, float] | None:
    """(pid, run start time) of the process that started ``run``, from its RUN_START event: how runs launched by
    the webserver or daemon (not tagged by castforge) are told apart. Only for an instance on this machine's disk."""
    from dagster import DagsterEventType

    if "sqlite" not in type(instance.run_storage).__name__.lower():
        return None  # a shared database: the run may live on another machine
    for entry in instance.all_logs(run.run_id, of_type=DagsterEventType.RUN_START):
        if entry.dagster_event is not None and entry.dagster_event.pid:
            return entry.dagster_event.pid, entry.timestamp
    return None


def _alive(instance, run) -> tuple[int | None, bool | None]:
    tags = run.tags
    if PID_TAG in tags:
        if tags.get(HOST_TAG) != socket.gethostname():
            return None, None
        pid = int(tags[PID_TAG])
        return pid, process_alive(pid, float(tags.get(PID_STARTED_TAG) or 0.0) or None)
    worker = _run_worker_pid(instance, run)
    if worker is None:
        return None, None
    pid, run_started = worker
    process_started = _process_started(pid)
    # a process that began after the run did is another one that got the same pid
    return pid, process_started is not None and process_started <= run_started + 1.0


def _pool_usage(instance) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Pools per run id: (holding a slot, waiting for one)."""
    storage = instance.event_log_storage
    holds: dict[str, list[str]] = {}
    waits: dict[str, list[str]] = {}
    if not storage.supports_global_concurrency_limits:
        return holds, waits
    for pool in sorted(storage.get_concurrency_keys()):
        info = storage.get_concurrency_info(pool)
        for slot in info.claimed_slots:
            holds.setdefault(slot.run_id, []).append(pool)
        for step in info.pending_steps:
            if step.assigned_timestamp is None:
                waits.setdefault(step.run_id, []).append(pool)
    return holds, waits


def active_runs(instance) -> list[RunState]:
    """Runs not finished, and finished runs that still hold a pool slot (those block everyone)."""
    from dagster import DagsterRunStatus, RunsFilter

    unfinished = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
                  DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
    holds, waits = _pool_usage(instance)
    runs = {run.run_id: run for run in instance.get_runs(filters=RunsFilter(statuses=unfinished))}
    for run_id in set(holds) - set(runs):
        run = instance.get_run_by_id(run_id)
        if run is not None:
            runs[run_id] = run
    states = []
    for run in runs.values():
        pid, alive = _alive(instance, run)
        if run.is_finished:
            alive = False  # a finished run has no process that still needs its slots
        states.append(RunState(run.run_id, run.job_name, run.tags.get(PARTITION_TAG), run.status.value, pid, alive,
                               sorted(holds.get(run.run_id, [])), sorted(set(waits.get(run.run_id, [])))))
    return sorted(states, key=lambda s: s.run_id)


def clear_run(instance, run_id: str, reason: str) -> RunState:
    """Mark ``run_id`` failed (unless it already finished) with ``reason`` and free every pool slot it holds."""
    run = instance.get_run_by_id(run_id)
    if run is None:
        from resources.errors import CastforgeError

        raise CastforgeError(f"no run {run_id!r} in {os.environ.get('DAGSTER_HOME')}; `castforge runs` lists them")
    state = next((s for s in active_runs(instance) if s.run_id == run_id), None)
    if not run.is_finished:
        instance.report_run_failed(run, message=reason)
    if instance.event_log_storage.supports_global_concurrency_limits:
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
    log.warning("run %s (film %s): %s; marked failed and its pool slots freed",
                run_id, run.tags.get(PARTITION_TAG, "-"), reason)
    return state or RunState(run_id, run.job_name, run.tags.get(PARTITION_TAG), run.status.value, None, None)


def fail_dead_runs(instance) -> list[RunState]:
    """Fail every run whose recorded process is gone, and free slots still held by finished runs."""
    cleared = []
    for state in active_runs(instance):
        if state.dead:
            reason = (f"its process (pid {state.pid}) is gone" if state.pid
                      else "it finished but still held pool slots")
            cleared.append(clear_run(instance, state.run_id, reason))
    return cleared


def clean_stale_staging(home: Path) -> list[Path]:
    """Remove staging and swapped-out folders left in film workspaces by processes that no longer exist."""
    removed = []
    now = time.time()
    for folder in Path(home).glob("films/*/.*"):
        if not folder.is_dir():
            continue
        match = STAGING.match(folder.name)
        if match and match["pid"]:
            stale = not process_alive(int(match["pid"]))
        elif match or LEFTOVER.match(folder.name):
            try:
                stale = now - folder.stat().st_mtime > LEGACY_STAGING_AGE_S
            except FileNotFoundError:
                continue
        else:
            continue
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
            log.info("removed %s (left by a run that no longer exists)", folder)
    return removed


def _own_run(instance, tags: dict[str, str]) -> RunState | None:
    for state in active_runs(instance):
        if state.pid == int(tags[PID_TAG]) and state.alive:  # finished runs count as not alive
            return state
    return None


def sigterm_as_ctrl_c(signum, frame) -> None:
    """SIGTERM does at once what Ctrl-C would do now: calls the SIGINT handler in place (Dagster's, which records
    the interruption while a run executes; else Python's, which raises KeyboardInterrupt). Not a SIGINT sent to this
    process: that one is handled later, by whatever handler is in place by then, and could land while the process
    exits. Where SIGINT is ignored (a background job of a script), SIGTERM still stops the run."""
    handler = signal.getsignal(signal.SIGINT)
    if not callable(handler):
        raise KeyboardInterrupt
    handler(signal.SIGINT, frame)


@contextmanager
def guarded_run(instance, home: Path, poll_s: float = 2.0) -> Iterator[dict[str, str]]:
    """Around one in-process run: clear dead runs first, tag the run with this process, say what it waits for,
    and make Ctrl-C or SIGTERM stop it even while it waits for a pool slot (Dagster only looks at a captured
    Ctrl-C inside a step, never while waiting, so the wait would otherwise last forever)."""
    for state in fail_dead_runs(instance):
        print(f"castforge: cleared dead run {state.run_id} (film {state.film or '-'})", flush=True)
    clean_stale_staging(home)
    tags = run_tags()
    stop = threading.Event()
    previous_term = None
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:  # SIGTERM behaves like Ctrl-C: Dagster records the interruption when a step is running
        previous_term = signal.signal(signal.SIGTERM, sigterm_as_ctrl_c)

    def watch() -> None:
        from dagster._utils.interrupts import check_captured_interrupt

        told: set[str] = set()
        interrupted_at = None
        while not stop.wait(poll_s):
            try:
                own = _own_run(instance, tags)
            except Exception as error:  # the run storage is busy; try again next time
                log.debug("run watcher: %s", error)
                continue
            if own is None:
                continue
            for pool in own.waiting_for:
                if pool not in told:
                    told.add(pool)
                    holders = [s for s in active_runs(instance) if pool in s.pools]
                    print(f"castforge: run {own.run_id} waits for a slot of pool '{pool}', held by "
                          + ("; ".join(h.describe() for h in holders) or "nobody (yet)")
                          + ". `castforge runs` lists runs; `castforge runs clear RUN_ID` frees one.", flush=True)
            if check_captured_interrupt() and own.waiting_for:
                interrupted_at = interrupted_at or time.monotonic()
                if time.monotonic() - interrupted_at >= poll_s:  # no step picked it up: we are only waiting
                    clear_run(instance, own.run_id, "interrupted (Ctrl-C or SIGTERM) while waiting for a pool slot")
                    print("castforge: interrupted while waiting; run marked failed", flush=True)
                    from orchestration.console import say_on_stderr   # stdout may go nowhere: stderr says it too

                    say_on_stderr("castforge: interrupted while waiting for a pool slot; run marked failed")
                    os._exit(130)

    watcher = threading.Thread(target=watch, name="castforge-run-watcher", daemon=True) if in_main else None
    if watcher is not None:
        watcher.start()
    try:
        yield tags
    finally:
        stop.set()
        if watcher is not None:
            watcher.join(timeout=poll_s + 5)
        if in_main and previous_term is not None:
            signal.signal(signal.SIGTERM, previous_term)
