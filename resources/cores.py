"""How many cores this process may use: the default for every pool of workers and threads."""

import os

MODEL_THREADS_ENV = "CASTFORGE_MODEL_THREADS"
MAX_MODEL_THREADS = 2   # the small cue models (YOLOX-nano, DeepLab, MoveNet) gain little from more


def available_cores() -> int:
    """Cores in this process's affinity mask (which a container, cgroup cpuset or `taskset` narrows)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:   # not on Linux
        return os.cpu_count() or 1


def model_threads() -> int:
    """Intra-op threads for one call of a small CPU model: ``CASTFORGE_MODEL_THREADS`` (a pool of worker processes
    sets it to its share of the cores, so N workers never run N x cores threads), else the available cores, at most
    MAX_MODEL_THREADS."""
    return positive_setting(MODEL_THREADS_ENV, max(1, min(MAX_MODEL_THREADS, available_cores())),
                            "threads per model call")


def positive_setting(name: str, default: int, what: str) -> int:
    """The environment variable ``name`` as a positive integer, ``default`` when unset; else a ValueError naming
    it and ``what`` it counts."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{name}={raw!r}: expected a positive number of {what}")
    return value


def threads_per_worker(workers: int) -> int:
    """Each of ``workers`` processes' share of the available cores (at least 1)."""
    return max(1, available_cores() // max(1, workers))
