"""A function over items on a few threads, its results in the items' order, a bounded number ahead: for a stage's
per-item pixel work (reading, compositing, resizing, encoding release the GIL) beside a writer that must keep the
one-thread order of its files and rows."""

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from resources.cores import available_cores

Item = TypeVar("Item")
Result = TypeVar("Result")


def ordered_map(work: Callable[[Item], Result], items: Iterable[Item], workers: int | None = None,
                ahead: int | None = None, name: str = "ordered_map") -> Iterator[Result]:
    """``map(work, items)`` on ``workers`` threads (default the available cores; 1: in the caller's thread),
    yielding in the items' order, with at most ``ahead`` items (default twice the workers) taken but not yet
    yielded, so a long film's results are never all held. An error of ``work`` is raised where its item's
    result would have been yielded; leaving early cancels the items not started."""
    workers = max(1, workers or available_cores())
    if workers == 1:
        yield from map(work, items)
        return
    ahead = max(workers, ahead or 2 * workers)
    pool = ThreadPoolExecutor(workers, thread_name_prefix=name)
    pending: deque = deque()
    try:
        for item in items:
            pending.append(pool.submit(work, item))
            if len(pending) >= ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
