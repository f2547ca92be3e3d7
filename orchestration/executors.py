"""The executor of each profile: in-process (``local``, the default), multiprocess (``gpu``), Celery (``cluster``)
and Kubernetes (``k8s``); ``CASTFORGE_EXECUTOR`` overrides the profile's choice (``in_process_threads``: one
process, independent steps at once on threads; orchestration/threaded_executor.py).

Model steps go where the models are: an asset in the ``gpu`` pool (``pool="gpu"`` on its ``@asset``) is sent to the
Celery queue ``gpu`` (a worker started on a GPU machine) and every other step to the queue ``cpu``; on Kubernetes the
same steps get a pod that requests one GPU (``per_step_k8s_config``). The distributed executors' libraries
(dagster-celery, dagster-k8s) live in ``.venv-cluster`` (install/setup_cluster.sh) and are imported only when their
profile is chosen, so the embedded default loads nothing more than before.

A cluster run checks its services when it starts: an unreachable Redis or Postgres is one clear error naming the
service and the setting, never a hang.
"""

import os
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

import dagster as dg

from resources.errors import CastforgeError

EXECUTORS = ("in_process", "in_process_threads", "multiprocess", "celery", "k8s")
PROFILE_EXECUTOR = {"local": "in_process", "gpu": "multiprocess", "cluster": "celery", "k8s": "k8s"}
# the resource set (model backends) each profile uses: the loopback cluster runs the offline CPU backends
# (CASTFORGE_BACKENDS=gpu on machines with CUDA), Kubernetes the production ones
RESOURCE_PROFILE = {"local": "local", "gpu": "gpu", "cluster": "local", "k8s": "gpu"}
GPU_POOL = "gpu"
GPU_QUEUE, CPU_QUEUE = "gpu", "cpu"
CELERY_QUEUE_TAG = "dagster-celery/queue"   # dagster_celery.tags.DAGSTER_CELERY_QUEUE_TAG, without importing it

DEFAULT_BROKER = "redis://127.0.0.1:6390/0"
DEFAULT_RESULTS = "redis://127.0.0.1:6390/1"
SERVICE_TIMEOUT_S = 3.0
GPU_POD = {"container_config": {"resources": {"limits": {"nvidia.com/gpu": "1"}, "requests": {"nvidia.com/gpu": "1"}}}}


class ServiceUnreachableError(CastforgeError):
    """A service the profile needs (Redis, Postgres) does not answer."""


def executor_name(profile: str) -> str:
    """The executor for ``profile``, or the one ``CASTFORGE_EXECUTOR`` names."""
    name = os.environ.get("CASTFORGE_EXECUTOR") or PROFILE_EXECUTOR[profile]
    if name not in EXECUTORS:
        raise ValueError(f"CASTFORGE_EXECUTOR={name!r}: expected one of {EXECUTORS}")
    return name


def resource_profile(profile: str) -> str:
    """The resource set for ``profile`` (``CASTFORGE_BACKENDS`` overrides it for cluster and k8s)."""
    if profile in ("cluster", "k8s") and os.environ.get("CASTFORGE_BACKENDS"):
        return os.environ["CASTFORGE_BACKENDS"]
    return RESOURCE_PROFILE[profile]


def celery_settings() -> dict[str, str]:
    """Broker and result backend URLs (``CASTFORGE_CELERY_BROKER``, ``CASTFORGE_CELERY_RESULTS``)."""
    return {"broker": os.environ.get("CASTFORGE_CELERY_BROKER", DEFAULT_BROKER),
            "backend": os.environ.get("CASTFORGE_CELERY_RESULTS", DEFAULT_RESULTS)}


def celery_app_args() -> dict:
    """The Celery app's arguments shared by the run (which submits) and the workers (which execute): same broker,
    same results, unacknowledged steps go back to the queue when a worker dies."""
    settings = celery_settings()
    return {**settings, "include": [], "config_source": {
        "task_default_queue": CPU_QUEUE,
        "task_acks_late": True, "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_timeout": SERVICE_TIMEOUT_S, "broker_connection_max_retries": 1,
        "redis_socket_connect_timeout": SERVICE_TIMEOUT_S, "redis_socket_timeout": 30,
    }}


def queue_for_step(pool: str | None, tags: dict[str, str]) -> str:
    """The Celery queue of a step: an explicit ``dagster-celery/queue`` tag wins, then the gpu pool, then cpu."""
    if CELERY_QUEUE_TAG in tags:
        return tags[CELERY_QUEUE_TAG]
    return GPU_QUEUE if pool == GPU_POOL else CPU_QUEUE


def check_reachable(service: str, url: str, setting: str, timeout_s: float = SERVICE_TIMEOUT_S) -> None:
    """Raise ServiceUnreachableError naming ``service`` and ``setting`` unless ``url``'s host:port accepts a TCP
    connection within ``timeout_s``."""
    parts = urlsplit(url)
    default_port = {"redis": 6379, "postgresql": 5432, "postgres": 5432}.get(parts.scheme.split("+")[0], 0)
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return
    except OSError as error:
        raise ServiceUnreachableError(
            f"{service} at {host}:{port} ({setting}={redact(url)}) is unreachable: {error}. Start it "
            f"(`make cluster-up` on one machine) or point {setting} at a running {service}.") from None


def redact(url: str) -> str:
    """``url`` without its password."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


def check_cluster_services() -> None:
    """Redis (the Celery broker and results) and, when the instance is on Postgres, Postgres answer."""
    settings = celery_settings()
    check_reachable("Redis", settings["broker"], "CASTFORGE_CELERY_BROKER")
    check_reachable("Redis", settings["backend"], "CASTFORGE_CELERY_RESULTS")
    if os.environ.get("CASTFORGE_POSTGRES_URL"):
        check_reachable("Postgres", os.environ["CASTFORGE_POSTGRES_URL"], "CASTFORGE_POSTGRES_URL")


def _pool_routed_celery_executor() -> dg.ExecutorDefinition:
    from dagster._core.execution.retries import RetryMode
    from dagster_celery.executor import CELERY_CONFIG, CeleryExecutor, _submit_task

    class PoolRoutedCeleryExecutor(CeleryExecutor):
        """dagster-celery's executor, with each step's queue chosen by its pool (gpu steps to the gpu workers)."""

        def execute(self, plan_context, execution_plan):
            from dagster_celery.core_execution_loop import core_celery_execution_loop

            def submit(app, context, step, _queue, priority, known_state):
                return _submit_task(app, context, step, queue_for_step(step.pool, step.tags), priority, known_state)

            return core_celery_execution_loop(plan_context, execution_plan, step_execution_fn=submit)

    # dagster-celery's schema, with no "rpc://" default for the results (RPC results need an AMQP broker):
    # unset broker and results come from celery_settings()
    schema = {**CELERY_CONFIG, "backend": dg.Field(dg.Noneable(dg.StringSource), is_required=False,
                                                   description="Celery results URL (CASTFORGE_CELERY_RESULTS)")}

    @dg.executor(name="celery_by_pool", config_schema=schema,
                 requirements=dg.multiple_process_executor_requirements())
    def celery_by_pool(init_context) -> CeleryExecutor:
        check_cluster_services()
        config, defaults = init_context.executor_config, celery_app_args()
        return PoolRoutedCeleryExecutor(
            broker=config.get("broker") or defaults["broker"],
            backend=config.get("backend") or defaults["backend"],
            config_source={**defaults["config_source"], **(config.get("config_source") or {})},
            include=config.get("include"),
            retries=RetryMode.from_config(config["retries"]),
        )

    return celery_by_pool


def _k8s_executor(gpu_steps: Iterable[str]) -> dg.ExecutorDefinition:
    from dagster_k8s import k8s_job_executor

    return k8s_job_executor.configured({
        "per_step_k8s_config": {step: GPU_POD for step in sorted(gpu_steps)},
        "max_concurrent": int(os.environ.get("CASTFORGE_K8S_MAX_CONCURRENT", "8")),
    }, name="k8s_by_pool")


def executor_for(profile: str, gpu_steps: Iterable[str] = ()) -> dg.ExecutorDefinition:
    """The executor the profile runs with; ``gpu_steps`` (the op names of gpu-pool assets) get a GPU on k8s."""
    name = executor_name(profile)
    if name == "in_process":
        return dg.in_process_executor
    if name == "in_process_threads":   # independent steps at once on threads (orchestration/threaded_executor.py)
        from orchestration.threaded_executor import in_process_threads_executor

        return in_process_threads_executor
    if name == "multiprocess":
        return dg.multiprocess_executor
    try:
        return _pool_routed_celery_executor() if name == "celery" else _k8s_executor(gpu_steps)
    except ImportError as error:
        raise ImportError(f"the {name} executor (CASTFORGE_PROFILE={profile}) needs {error.name}: run it with "
                          f".venv-cluster/bin/python (built by `bash install/setup_cluster.sh`)") from error


def gpu_pool_steps(defs: dg.Definitions) -> list[str]:
    """Op names of the assets in the gpu pool."""
    steps = []
    for assets_def in defs.assets or []:
        if isinstance(assets_def, dg.AssetsDefinition) and assets_def.is_executable \
                and getattr(assets_def.op, "pool", None) == GPU_POOL:
            steps.append(assets_def.op.name)
    return steps
