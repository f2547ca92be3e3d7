"""How many cores this process may use: the default for every pool of workers and threads."""

import os


def available_cores() -> int:
    """Cores in this process's affinity mask (which a container, cgroup cpuset or `taskset` narrows)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:   # not on Linux
        return os.cpu_count() or 1
