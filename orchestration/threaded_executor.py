"""Steps of one run on several threads of one process: independent branches (the soundtrack's audio, vocals and
diarization beside frames and instances) run at once, with the in-process executor's simplicity.

It is Dagster's in-process executor with a wider loop: the run's resources are built once and shared as before,
logs are captured once for the process, and up to ``max_concurrent`` ready steps run at once, each on its own
thread. Two steps that use the same model resource never run at once (a lazily built backend, a TFLite interpreter
or an ONNX session is not made to be shared between threads), so a model still serves one step at a time. The work
releases the GIL where it is heavy (NumPy, OpenCV, ONNX Runtime, PyAV, torch; `instances` waits on its own process
pool), so threads are enough to keep the cores busy without a process per step (a multiprocess step loads the code
location and its models again: ~2 CPU-s each before any work).

``CASTFORGE_EXECUTOR=in_process_threads`` (or ``castforge materialize --threads``) chooses it; max_concurrent
defaults to the cores this process may use. Pool slots (the ``gpu`` pool) are claimed as by the other executors
except with the offline CPU resource set, where they would only put the audio branch's model steps back behind
`instances`. Ctrl-C (SIGTERM too, under `castforge materialize`) starts no new step and interrupts the running ones
as Dagster's in-process executor does its one step: a KeyboardInterrupt raised in each step's thread, so its
staging folder is removed, its stage hold released and its earlier outputs left as they were. A thread blocked in
one long native call sees it only when that call returns: after ``interrupt_grace_s`` the run ends without it (a
daemon thread; the process's exit releases its file locks, and the next run removes its staging folder).
Ready steps start by the longest remaining path through the run (``step_order: longest_path``, the default): the
step heading the most expected seconds of work still to do goes first (orchestration/step_costs.py), so the tail
after `identity_clusters` keeps both cores busy longer; ``step_order: plan`` keeps Dagster's topological order
(``CASTFORGE_STEP_ORDER`` sets the default, e.g. for an A/B of whole runs: bench/film_scale.py --step-order).
"""

import contextlib
import ctypes
import importlib
import os
import queue
import sys
import threading
import time
from collections.abc import Iterator

import dagster as dg
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster._core.events import DagsterEvent, EngineEventData
from dagster._core.execution.api import ExecuteRunWithPlanIterable
from dagster._core.execution.context.system import PlanExecutionContext, PlanOrchestrationContext
from dagster._core.execution.context_creation_job import PlanExecutionContextManager
from dagster._core.execution.plan.execute_plan import _trigger_hook, dagster_event_sequence_for_step
from dagster._core.execution.plan.instance_concurrency_context import InstanceConcurrencyContext
from dagster._core.execution.plan.plan import ExecutionPlan
from dagster._core.execution.plan.step import ExecutionStep
from dagster._core.execution.retries import RetryMode, get_retries_config
from dagster._core.executor.base import Executor
from dagster._core.storage.tags import PARTITION_NAME_TAG, PRIORITY_TAG
from dagster._utils.error import serializable_error_info_from_exc_info

from orchestration.step_costs import expected_seconds, film_history, longest_remaining
from resources.cores import available_cores

NAME = "in_process_threads"
SHARED_RESOURCES = frozenset({"storage", "io_manager"})   # thread-safe (the catalog holds a process lock)
_DONE = object()
INTERRUPT_GRACE_S = 60.0   # how long an interrupted run waits for its running steps to stop
STEP_ORDERS = ("longest_path", "plan")
STEP_ORDER_ENV = "CASTFORGE_STEP_ORDER"
# Libraries whose first import is not safe on two threads at once, imported once before the steps' threads start.
# PyAV's Cython modules import each other while they initialise: two steps importing parts of it at the same moment
# (`audio`'s `import av`, `frames`' `av.video.reformatter`) fail with a _DeadlockError or "partially initialized
# module" (session 48: 20 of 30 fresh interpreters whose three threads imported parts of av at once; 0 of 30 once
# `av` was imported first). Each stays a lazy import everywhere else: this runs only when a threaded run starts.
IMPORTED_BEFORE_THREADS = ("av",)


def pools_matter() -> bool:
    """Whether steps claim their pool's slots: the ``gpu`` pool keeps model steps from sharing a GPU's memory;
    the offline CPU backends (the ``local`` resource set) need no such slot, and claiming it would serialise the
    audio branch's model steps behind `instances` again."""
    from orchestration.executors import resource_profile
    from orchestration.profiles import active_profile

    return resource_profile(active_profile()) != "local"


class ThreadedExecutor(Executor):
    def __init__(self, retries: RetryMode, max_concurrent: int | None = None, pools: bool | None = None,
                 interrupt_grace_s: float = INTERRUPT_GRACE_S, step_order: str = "longest_path"):
        if step_order not in STEP_ORDERS:
            raise ValueError(f"step_order must be one of {STEP_ORDERS}, not {step_order!r}")
        self._retries = retries
        self.interrupt_grace_s = interrupt_grace_s
        self.step_order = step_order
        self.max_concurrent = max(1, max_concurrent or available_cores())
        self.pools = pools_matter() if pools is None else pools

    @property
    def retries(self) -> RetryMode:
        return self._retries

    def execute(self, plan_context: PlanOrchestrationContext, execution_plan: ExecutionPlan) -> Iterator[DagsterEvent]:
        yield DagsterEvent.engine_event(
            plan_context, f"Executing steps in process (pid: {os.getpid()}) on up to {self.max_concurrent} threads",
            event_specific_data=EngineEventData.in_process(os.getpid(), execution_plan.step_keys_to_execute))
        yield from iter(ExecuteRunWithPlanIterable(
            execution_plan=plan_context.execution_plan,
            iterator=lambda job_context, execution_plan: self._steps(job_context, execution_plan),
            execution_context_manager=PlanExecutionContextManager(
                job=plan_context.job, retry_mode=plan_context.retry_mode,
                execution_plan=plan_context.execution_plan, run_config=plan_context.run_config,
                dagster_run=plan_context.dagster_run, instance=plan_context.instance,
                raise_on_error=plan_context.raise_on_error, output_capture=plan_context.output_capture)))

    def _steps(self, job_context: PlanExecutionContext, execution_plan: ExecutionPlan) -> Iterator[DagsterEvent]:
        """inner_plan_execution_iterator (dagster/_core/execution/plan/execute_plan.py), ready steps on threads."""
        manager = job_context.instance.compute_log_manager
        step_keys = [step.key for step in execution_plan.get_steps_to_execute_in_topo_order()]
        events: queue.Queue = queue.Queue()
        running: dict[str, tuple[object, set[str], list[DagsterEvent]]] = {}   # key -> (context, models, events)
        threads: dict[str, threading.Thread] = {}
        interrupted_at = None
        waiting: list[ExecutionStep] = []
        claims = InstanceConcurrencyContext(job_context.instance, job_context.dagster_run) if self.pools \
            else contextlib.nullcontext(None)
        import_before_threads()
        remaining = self._remaining_seconds(job_context, execution_plan)
        if remaining:
            ranked = sorted(((seconds, key) for key, seconds in remaining.items() if seconds > 0), reverse=True)
            yield DagsterEvent.engine_event(job_context, "Ready steps start by their longest remaining path: "
                                            + ", ".join(f"{key} {seconds:.0f} s" for seconds, key in ranked),
                                            EngineEventData())

        def sort_key(step: ExecutionStep) -> tuple[int, float]:   # Dagster's priority tag still comes first
            return -int(step.tags.get(PRIORITY_TAG, 0)), -remaining.get(step.key, 0.0)

        with claims as concurrency, _swallowed_interrupts_raised_again(), \
                execution_plan.start(retry_mode=job_context.retry_mode, sort_key_fn=sort_key,
                                     instance_concurrency_context=concurrency,
                                     step_dependency_config=job_context.step_dependency_config) as active:
            log_key = manager.build_log_key_for_run(job_context.run_id, "threads")
            with manager.capture_logs(log_key) as log_context:
                yield DagsterEvent.capture_logs(job_context, step_keys, log_key, log_context)
                stopping = False
                while (not stopping and (not active.is_complete or waiting)) or running:
                    if not stopping and active.check_for_interrupts():
                        stopping, interrupted_at = True, time.monotonic()
                        active.mark_interrupted()
                        for key in running:
                            _interrupt(threads[key])
                        yield DagsterEvent.engine_event(job_context, "Interrupted: no new steps; stopping "
                                                        f"{', '.join(running) or 'none'}", EngineEventData())
                    for key in running if stopping else ():
                        if threads[key].ident in _SWALLOWED:
                            _SWALLOWED.discard(threads[key].ident)
                            _interrupt(threads[key])
                    if stopping and running and time.monotonic() - interrupted_at > self.interrupt_grace_s:
                        yield DagsterEvent.engine_event(
                            job_context, f"Interrupted: {', '.join(running)} did not stop within "
                            f"{self.interrupt_grace_s:.0f} s (a long native call); the run ends without them",
                            EngineEventData())
                        break
                    free = self.max_concurrent - len(running) - len(waiting)
                    if free > 0 and not stopping and not active.is_complete:
                        waiting += active.get_steps_to_execute(limit=free)
                    yield from active.concurrency_event_iterator(job_context)
                    busy = set().union(*(models for _, models, _ in running.values()))
                    for step in [] if stopping else list(waiting):
                        context = job_context.for_step(step, active.get_known_state())
                        models = set(context.required_resource_keys) - SHARED_RESOURCES
                        if len(running) < self.max_concurrent and not models & busy:
                            waiting.remove(step)
                            busy |= models
                            running[step.key] = (context, models, [])
                            threads[step.key] = threading.Thread(target=_run_step, args=(step.key, context, events),
                                                                 name=f"castforge-{step.key}", daemon=True)
                            threads[step.key].start()
                    if not running:
                        if not active.is_complete:
                            active.sleep_til_ready()
                        continue
                    try:
                        key, event = events.get(timeout=0.5)
                    except queue.Empty:   # look for an interrupt now and then
                        continue
                    context, _, step_events = running[key]
                    if event is not _DONE:
                        step_events.append(event)
                        yield event
                        active.handle_event(event)
                        continue
                    del running[key]
                    active.verify_complete(job_context, key)
                    for plan_event in active.plan_events_iterator(job_context):
                        step_events.append(plan_event)
                        yield plan_event
                    yield from _trigger_hook(context, step_events)
                if stopping:
                    raise DagsterExecutionInterruptedError()

    def _remaining_seconds(self, job_context: PlanExecutionContext, execution_plan: ExecutionPlan) -> dict[str, float]:
        """Each step's longest remaining path in expected seconds ({} with ``step_order: plan``)."""
        if self.step_order == "plan":
            return {}
        steps = execution_plan.get_steps_to_execute_in_topo_order()
        film = job_context.dagster_run.tags.get(PARTITION_NAME_TAG)
        storage = job_context.scoped_resources_builder.resource_instance_dict.get("storage")
        minutes, last_run = film_history(storage, film)
        seconds = expected_seconds([step.key for step in steps], minutes, last_run)
        return longest_remaining({step.key: step.get_execution_dependency_keys() for step in steps}, seconds)


def import_before_threads(modules: tuple[str, ...] = IMPORTED_BEFORE_THREADS) -> None:
    """Imports ``modules`` (those installed) on the calling thread."""
    for name in modules:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def _run_step(key: str, context: object, events: queue.Queue) -> None:
    """One step's events onto ``events``, then _DONE; an error outside the step's own handling fails the step."""
    failed = False
    try:
        for event in dagster_event_sequence_for_step(context):
            failed = failed or event.is_step_failure
            events.put((key, event))
    except BaseException:   # dagster_event_sequence_for_step turns user errors into events; this is the rest
        if not failed:      # an interrupt is reported as the step's failure, then raised again: once is enough
            events.put((key, DagsterEvent.step_failure_event(
                step_context=context,
                step_failure_data=_failure_data(sys.exc_info()))))
    finally:
        _STOPPING.discard(threading.get_ident())
        _SWALLOWED.discard(threading.get_ident())
        events.put((key, _DONE))


_STOPPING: set[int] = set()   # idents of step threads told to stop (until they end)
_SWALLOWED: set[int] = set()  # ... whose interrupt Python ignored: to be raised again


def _interrupt(thread: threading.Thread) -> None:
    """Raises KeyboardInterrupt in ``thread`` at its next Python instruction (a signal reaches the main thread only)."""
    if thread.ident is not None and thread.is_alive():
        _STOPPING.add(thread.ident)
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(KeyboardInterrupt))


@contextlib.contextmanager
def _swallowed_interrupts_raised_again() -> Iterator[None]:
    """While steps run: an interrupt that lands where Python ignores exceptions (a weakref callback or a __del__
    that the step's thread happens to run: "Exception ignored in ...", through sys.unraisablehook) is raised in
    that thread again by the executor's loop, so the step still stops instead of running to its end."""
    previous = sys.unraisablehook

    def hook(unraisable) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt) and threading.get_ident() in _STOPPING:
            _SWALLOWED.add(threading.get_ident())   # raised again by the executor's loop: raised here, it would land
        else:                                        # in this hook, where it is ignored too
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous


def _failure_data(exc_info):
    from dagster._core.execution.plan.objects import ErrorSource, StepFailureData

    return StepFailureData(error=serializable_error_info_from_exc_info(exc_info), user_failure_data=None,
                           error_source=ErrorSource.FRAMEWORK_ERROR)


@dg.executor(name=NAME, config_schema={
    "max_concurrent": dg.Field(dg.Noneable(int), is_required=False, default_value=None,
                               description="steps at once (default: the cores this process may use)"),
    "pools": dg.Field(dg.Noneable(bool), is_required=False, default_value=None,
                      description="claim pool slots (default: unless the resources are the offline CPU set)"),
    "interrupt_grace_s": dg.Field(float, is_required=False, default_value=INTERRUPT_GRACE_S,
                                  description="after Ctrl-C, how long to wait for the running steps to stop"),
    "step_order": dg.Field(dg.Noneable(str), is_required=False, default_value=None, description=(
        "longest_path: ready steps by the most expected work after them; plan: Dagster's topological order "
        f"(default: {STEP_ORDER_ENV}, else longest_path)")),
    "retries": get_retries_config()})
def in_process_threads_executor(init_context) -> ThreadedExecutor:
    config = init_context.executor_config
    return ThreadedExecutor(RetryMode.from_config(config["retries"]), config.get("max_concurrent"), config.get("pools"),
                            config.get("interrupt_grace_s", INTERRUPT_GRACE_S),
                            config.get("step_order") or os.environ.get(STEP_ORDER_ENV) or "longest_path")


def execute_with_threads(job_def: dg.JobDefinition, run_config: dict, instance: dg.DagsterInstance,
                         partition_key: str | None, tags: dict[str, str]):
    """``job_def.execute_in_process(...)`` on this executor (execute_in_process always swaps in Dagster's own
    one-step-at-a-time executor): the same run, result and events, steps of independent branches at once."""
    from dagster._core.definitions.job_base import InMemoryJob
    from dagster._core.execution.execute_in_process import core_execute_in_process, merge_run_tags

    if job_def.executor_def is not in_process_threads_executor:
        raise ValueError(f"job {job_def.name!r} runs on {job_def.executor_def.name}, not {NAME}")
    return core_execute_in_process(
        run_config=run_config, job=InMemoryJob(job_def), instance=instance, output_capturing_enabled=False,
        raise_on_error=False, run_tags=merge_run_tags(job_def=job_def, partition_key=partition_key, tags=tags,
                                                      asset_selection=None, instance=instance,
                                                      run_config=run_config))
