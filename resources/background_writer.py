"""Ordered work on one background thread, bounded, its first error raised to the producer: for a stage whose own
thread (a decode, a shot that closes) hands its slow writes (a key frame's JPEG, a frame's handoff record) to a
thread of their own, and must still see every write done, or its error, before it commits anything."""

import queue
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

_STOP = object()
_WAIT_S = 0.1  # how often a producer waiting for room looks whether the writer was stopped meanwhile


class BackgroundWriter:
    """``submit(*args)`` hands ``work(*args)`` to one thread of its own (started with the first item); the items
    run in the order submitted, at most ``bound`` of them submitted and not yet done (``submit`` waits for room:
    the producer is held back, and what the items hold in memory is bounded).

    The first error ``work`` raises is raised to the producer by its next ``submit`` and by ``finish`` (with a note
    naming the writer and, through ``describe(*args)``, the item: e.g. the file it wrote); the items after it are
    dropped, not run. ``finish`` waits for every item and ends the thread; ``stop`` (on an error or an
    interruption) drops the items not yet started, waits for the one under way and ends the thread; both may be
    called again, and a ``submit`` after ``stop`` drops its item (returns False). As a context manager: ``finish``
    on a clean exit, ``stop`` when an exception leaves the block."""

    def __init__(self, work: Callable[..., Any], bound: int, name: str,
                 describe: Callable[..., str] | None = None):
        if bound < 1:
            raise ValueError(f"{name}: bound must be at least 1, not {bound}")
        self.name = name
        self._work, self._describe = work, describe
        self._room = threading.Semaphore(bound)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()  # the thread's start and the end of submitting
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._closed = False  # finish or stop called: no item is taken any more
        self._dropping = False  # stop called: the items not yet started are dropped

    @property
    def alive(self) -> bool:
        """Whether its thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def submit(self, *args: Any) -> bool:
        """Queues ``work(*args)``, waiting while ``bound`` items are not done; raises the first error ``work``
        raised. Returns whether the item was taken (False once ``stop`` was called)."""
        self._raise_error()
        while not self._room.acquire(timeout=_WAIT_S):
            if self._dropping:
                return False
        with self._lock:
            if self._closed or self._error is not None:
                self._room.release()
                if self._dropping:
                    return False
                self._raise_error()
                raise RuntimeError(f"{self.name}: an item was submitted after finish")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
            self._queue.put(args)
        return True

    def finish(self) -> None:
        """Waits until every item is done and the thread has ended; raises the first error ``work`` raised."""
        self._close()
        self._raise_error()

    def stop(self) -> None:
        """Drops the items not yet started, waits for the one under way and for the thread's end. Raises nothing."""
        self._dropping = True
        self._close()

    def _close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                if self._thread is not None:
                    self._queue.put(_STOP)
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _run(self) -> None:
        while (item := self._queue.get()) is not _STOP:
            try:
                if self._error is None and not self._dropping:
                    self._work(*item)
            except BaseException as error:  # raised to the producer by its next submit, or by finish
                where = f": {self._describe(*item)}" if self._describe is not None else ""
                error.add_note(f"raised on the {self.name} thread{where}")
                self._error = error
            finally:
                self._room.release()

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def __enter__(self) -> "BackgroundWriter":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if kind is None:
            self.finish()
        else:
            self.stop()
