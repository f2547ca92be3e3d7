"""Models kept loaded across steps in one worker process: ``CASTFORGE_KEEP_MODELS=N`` keeps up to N built backends.

A model resource builds its backend on first use in a step and frees it when the step's execution ends
(resources/lazy_backend.py). In one process that runs a whole film that is once a run; on a Celery worker each
step of each film is its own execution, so without this every step would load its weights again. With the setting,
what a resource builds is kept in this process under (resource class, its configuration, what was built) and the
next step with the same configuration gets the same object: the same weights, so the same ``describe()`` and cache
key. The least recently used backend beyond N is released. Unset or 0 (the default, and the embedded profile):
nothing is kept and every run frees its models as before. orchestration/celery_app.py turns it on for workers.
"""

import json
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from resources.backends.memory import release_model

SETTING = "CASTFORGE_KEEP_MODELS"
log = logging.getLogger(__name__)
_kept: "OrderedDict[tuple[int, str, str, str], Any]" = OrderedDict()
_guard = threading.RLock()
STATS = {"built": 0, "reused": 0, "released": 0}


def capacity() -> int:
    try:
        return max(0, int(os.environ.get(SETTING, "0") or 0))
    except ValueError:
        raise ValueError(f"{SETTING}={os.environ.get(SETTING)!r}: give the number of models to keep (0: none)") \
            from None


def cache_key(owner: str, config: dict[str, Any], key: str) -> tuple[int, str, str, str]:
    return os.getpid(), owner, json.dumps(config, sort_keys=True, default=str), key


def kept_or_built(owner: str, config: dict[str, Any], key: str, build: Callable[[], Any]) -> tuple[Any, bool]:
    """The kept object for (owner, config, key), or ``build()`` kept for later; returns it and whether it is kept
    here (then the caller must not release it). Without the setting: ``build()``, not kept."""
    size = capacity()
    if size == 0:
        return build(), False
    full_key = cache_key(owner, config, key)
    with _guard:
        if full_key in _kept:
            _kept.move_to_end(full_key)
            STATS["reused"] += 1
            log.info("model cache: reusing %s %s (kept in process %d)", owner, key, os.getpid())
            return _kept[full_key], True
        built = build()
        STATS["built"] += 1
        log.info("model cache: built %s %s, kept in process %d", owner, key, os.getpid())
        _kept[full_key] = built
        while len(_kept) > size:
            _, evicted = _kept.popitem(last=False)
            release(evicted)
        return built, True


def release(thing: Any) -> None:
    """``thing.release()`` or ``thing.close()``, whichever it has, counted."""
    if release_model(thing):
        STATS["released"] += 1


def clear() -> None:
    """Release everything kept (a worker shutting down, or a test)."""
    with _guard:
        things = list(_kept.values())
        _kept.clear()
    for thing in things:
        release(thing)
