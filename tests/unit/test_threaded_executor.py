"""The threaded executor: independent steps run at once in one process, steps sharing a model resource never do,
a failure stops only what depends on it (on real media: tests/assets/test_materialize_threads.py)."""

import threading
import time

import dagster as dg

from orchestration.threaded_executor import NAME, execute_with_threads, in_process_threads_executor

WAIT_S = 30   # a safety bound: the barrier releases as soon as both steps reach it


def _run(assets: list, max_concurrent: int = 2, resources: dict | None = None, step_order: str | None = None):
    defs = dg.Definitions(assets=assets, resources=resources or {},
                          jobs=[dg.define_asset_job("j", executor_def=in_process_threads_executor)])
    config = {"execution": {"config": {"max_concurrent": max_concurrent, "pools": False,
                                       **({"step_order": step_order} if step_order else {})}}}
    return execute_with_threads(defs.resolve_job_def("j"), config, dg.DagsterInstance.ephemeral(), None, {})


def _materialized(result) -> set[str]:
    return {event.asset_key.path[-1] for event in result.get_asset_materialization_events()}


def test_independent_branches_run_at_once_and_their_join_after_both():
    meet, order = threading.Barrier(2, timeout=WAIT_S), []

    @dg.asset
    def soundtrack() -> None:
        meet.wait()   # returns only while the other branch is running too
        order.append("soundtrack")

    @dg.asset
    def key_frames() -> None:
        meet.wait()
        order.append("key_frames")

    @dg.asset(deps=[soundtrack, key_frames])
    def joined() -> None:
        order.append("joined")

    result = _run([soundtrack, key_frames, joined])
    assert result.success and _materialized(result) == {"soundtrack", "key_frames", "joined"}
    assert order[-1] == "joined" and not meet.broken


class Model(dg.ConfigurableResource):
    name: str = "m"


def test_steps_sharing_a_model_resource_never_overlap():
    lock, running, most = threading.Lock(), [0], [0]

    def use() -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.3)
        with lock:
            running[0] -= 1

    @dg.asset
    def first(model: Model) -> None:
        use()

    @dg.asset
    def second(model: Model) -> None:
        use()

    result = _run([first, second], resources={"model": Model()})
    assert result.success and _materialized(result) == {"first", "second"} and most[0] == 1


def test_a_failed_step_stops_its_dependants_and_not_the_other_branch():
    @dg.asset
    def broken() -> None:
        raise ValueError("film 'x': the soundtrack cannot be decoded")

    @dg.asset(deps=[broken])
    def after_broken() -> None:
        pass

    @dg.asset
    def fine() -> None:
        pass

    result = _run([broken, after_broken, fine])
    assert not result.success and _materialized(result) == {"fine"}
    failures = [e for e in result.all_events if e.is_step_failure]
    assert [e.step_key for e in failures] == ["broken"]
    assert "cannot be decoded" in failures[0].step_failure_data.error.cause.message
    assert not any(e.step_key == "after_broken" and e.is_step_start for e in result.all_events)


def test_ready_steps_start_by_their_longest_remaining_path(monkeypatch):
    from orchestration import step_costs

    # one step at a time; the plan's order is by name: a_short, b_long, c_tail_head, d_tail_end. c_tail_head heads
    # the most work (its own 2 s and d_tail_end's 6 s), b_long costs the most on its own
    monkeypatch.setattr(step_costs, "STEP_SECONDS", {"a_short": (1.0, 0.0), "b_long": (5.0, 0.0),
                                                      "c_tail_head": (2.0, 0.0), "d_tail_end": (6.0, 0.0)})
    order = []

    @dg.asset
    def a_short() -> None:
        order.append("a_short")

    @dg.asset
    def b_long() -> None:
        order.append("b_long")

    @dg.asset
    def c_tail_head() -> None:
        order.append("c_tail_head")

    @dg.asset(deps=[c_tail_head])
    def d_tail_end() -> None:
        order.append("d_tail_end")

    assets = [a_short, b_long, c_tail_head, d_tail_end]
    assert _run(assets, max_concurrent=1).success
    assert order == ["c_tail_head", "d_tail_end", "b_long", "a_short"]
    order.clear()
    assert _run(assets, max_concurrent=1, step_order="plan").success
    assert order == ["a_short", "b_long", "c_tail_head", "d_tail_end"]
    order.clear()
    monkeypatch.setenv("CASTFORGE_STEP_ORDER", "plan")   # the default for a run whose config names none
    assert _run(assets, max_concurrent=1).success
    assert order == ["a_short", "b_long", "c_tail_head", "d_tail_end"]


def test_the_executor_is_chosen_by_name(monkeypatch):
    from orchestration.cli import steps_on_threads
    from orchestration.executors import executor_for

    monkeypatch.setenv("CASTFORGE_EXECUTOR", NAME)
    assert executor_for("local") is in_process_threads_executor and steps_on_threads(None)
    assert not steps_on_threads(False)
    monkeypatch.setenv("CASTFORGE_EXECUTOR", "in_process")
    assert not steps_on_threads(None) and steps_on_threads(True)
    monkeypatch.delenv("CASTFORGE_EXECUTOR")
    assert steps_on_threads(None)   # castforge materialize: independent steps at once by default


RACE = """
import threading, dagster as dg
from orchestration.threaded_executor import execute_with_threads, in_process_threads_executor
meet = threading.Barrier(3, timeout=30)
def importing(name, module):
    @dg.asset(name=name)
    def step() -> None:
        meet.wait()   # the three steps import their part of PyAV at the same moment
        __import__(module)
    return step
parts = [importing("probe", "av"), importing("convert", "av.video.reformatter"), importing("resample", "av.audio.resampler")]
defs = dg.Definitions(assets=parts, jobs=[dg.define_asset_job("j", executor_def=in_process_threads_executor)])
result = execute_with_threads(defs.resolve_job_def("j"), {"execution": {"config": {"max_concurrent": 3, "pools": False}}},
                              dg.DagsterInstance.ephemeral(), None, {})
print("ok" if result.success else "failed")
"""


def test_steps_importing_pyav_at_the_same_moment_do_not_deadlock():
    # PyAV's Cython modules import each other while they initialise: before session 48 three steps importing its parts
    # at once failed in most fresh processes (_DeadlockError on av.video.reformatter, a partially initialised
    # av.audio.frame); the executor now imports av once before its threads start. Each run is a fresh interpreter.
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    outcomes = [subprocess.run([sys.executable, "-c", RACE], cwd=root, capture_output=True, text=True, timeout=120)
                for _ in range(4)]
    assert [o.stdout.strip().splitlines()[-1:] for o in outcomes] == [["ok"]] * 4, [o.stderr[-800:] for o in outcomes]
