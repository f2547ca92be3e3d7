"""Issue 11 item 1: a killed run must not block later runs; a waiting run stops on SIGTERM."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.storage.dagster_run import DagsterRun

from orchestration.cli import main
from orchestration.run_health import (
    HOST_TAG, PID_STARTED_TAG, PID_TAG, active_runs, clean_stale_staging, fail_dead_runs, run_tags,
)
from resources.paths import REPO_ROOT


def _dead_pid() -> int:
    child = subprocess.Popen(["sleep", "60"])
    child.send_signal(signal.SIGKILL)
    child.wait()
    return child.pid


def _add_started_run(instance, tags: dict[str, str], pool: str | None = "gpu") -> str:
    run = DagsterRun(job_name="film_pipeline", status=DagsterRunStatus.STARTED,
                     tags={**tags, "dagster/partition": "film_a"})
    instance.add_run(run)
    if pool:  # as Dagster does when a step of the pool starts
        instance.event_log_storage.initialize_concurrency_limit_to_default(pool)
        instance.event_log_storage.claim_concurrency_slot(pool, run.run_id, "faces")
    return run.run_id


def test_dagster_yaml_enables_run_monitoring_and_is_upgraded(castforge_home: Path):
    dagster_yaml = Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml"
    assert "run_monitoring:\n  enabled: true" in dagster_yaml.read_text()
    assert DagsterInstance.get().run_monitoring_enabled


def test_a_run_whose_process_is_gone_is_failed_and_frees_its_slot(castforge_home: Path, capsys):
    instance = DagsterInstance.get()
    dead = _add_started_run(instance, {PID_TAG: str(_dead_pid()), PID_STARTED_TAG: "0",
                                       HOST_TAG: socket.gethostname()})
    alive = _add_started_run(instance, run_tags(), pool=None)
    states = {s.run_id: s for s in active_runs(instance)}
    assert states[dead].dead and states[dead].pools == ["gpu"] and not states[alive].dead

    assert main(["runs"]) == 0
    listing = capsys.readouterr().out
    assert dead in listing and "gone" in listing and "castforge runs clear --dead" in listing

    assert [s.run_id for s in fail_dead_runs(instance)] == [dead]
    assert instance.get_run_by_id(dead).status == DagsterRunStatus.FAILURE
    assert instance.get_run_by_id(alive).status == DagsterRunStatus.STARTED
    assert not instance.event_log_storage.get_concurrency_info("gpu").claimed_slots


def test_runs_clear_by_id_and_dead_staging_folders(castforge_home: Path, capsys):
    instance = DagsterInstance.get()
    stuck = _add_started_run(instance, {})  # launched elsewhere: liveness unknown, cleared only by hand
    assert fail_dead_runs(instance) == []
    assert main(["runs", "clear", stuck]) == 0
    assert instance.get_run_by_id(stuck).status == DagsterRunStatus.FAILURE
    assert not instance.event_log_storage.get_concurrency_info("gpu").claimed_slots
    assert main(["runs", "clear"]) == 2  # neither an id nor --dead

    film = castforge_home / "films" / "film_a"
    dead_staging = film / f".frames.staging.{_dead_pid()}.x1y2"
    live_staging = film / f".frames.staging.{os.getpid()}.a1b2"
    for folder in (dead_staging, live_staging):
        folder.mkdir(parents=True)
        (folder / "frame.jpg").write_bytes(b"x")
    assert clean_stale_staging(castforge_home) == [dead_staging]
    assert live_staging.is_dir()


CHILD = """
import sys, time
from dagster import AssetExecutionContext, DagsterInstance, asset, materialize
from orchestration.run_health import guarded_run
from resources.paths import castforge_home

@asset(pool="gpu")
def gpu_step(context: AssetExecutionContext) -> None:
    print("HOLDING", flush=True)
    time.sleep(float(sys.argv[1]))

instance = DagsterInstance.get()
if sys.argv[2] == "untagged":  # as the webserver's run launcher starts a run: no castforge tags
    result = materialize([gpu_step], instance=instance, raise_on_error=False)
else:
    with guarded_run(instance, castforge_home(), poll_s=0.5) as tags:
        result = materialize([gpu_step], instance=instance, tags=tags, raise_on_error=False)
print("DONE", result.success, flush=True)
"""


def _child(seconds: float, tagged: bool = True) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD, str(seconds), "tagged" if tagged else "untagged"],
                            cwd=REPO_ROOT, env=os.environ.copy(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_for_line(process: subprocess.Popen, needle: str, timeout_s: float = 90) -> list[str]:
    lines, deadline = [], time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(f"{needle!r} not seen; output: {''.join(lines)[-3000:]}")


@pytest.mark.slow
@pytest.mark.parametrize("tagged", [True, False], ids=["castforge_run", "launched_elsewhere"])
def test_kill_9_during_a_gpu_step_then_a_new_run_goes_through(castforge_home: Path, tagged: bool):
    first = _child(600, tagged)
    _wait_for_line(first, "HOLDING")
    first.send_signal(signal.SIGKILL)
    first.wait()
    instance = DagsterInstance.get()
    assert instance.event_log_storage.get_concurrency_info("gpu").claimed_slots  # the dead run holds the slot

    second = _child(0)
    out, _ = second.communicate(timeout=120)  # before the fix: waits forever for the gpu slot
    assert "DONE True" in out and "cleared dead run" in out, out


@pytest.mark.slow
def test_a_run_waiting_for_a_held_pool_says_so_and_stops_on_sigterm(castforge_home: Path):
    instance = DagsterInstance.get()
    holder = _add_started_run(instance, run_tags())  # this test process is alive and holds the gpu slot
    waiting = _child(0)
    lines = _wait_for_line(waiting, "waits for a slot of pool 'gpu'")
    assert holder in lines[-1]
    waiting.send_signal(signal.SIGTERM)
    out, _ = waiting.communicate(timeout=30)
    assert waiting.returncode == 130, out
    assert "castforge: interrupted while waiting for a pool slot; run marked failed" in out   # its stderr line
    failed = [s for s in instance.get_runs() if s.run_id != holder]
    assert failed and failed[0].status == DagsterRunStatus.FAILURE
    assert {s.run_id for s in instance.event_log_storage.get_concurrency_info("gpu").claimed_slots} == {holder}
