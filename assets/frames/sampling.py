"""Which frames of a shot to keep: an evenly spread sample, chosen in one pass without knowing the shot's length."""

from collections.abc import Callable
from typing import Generic, TypeVar

import numpy as np

T = TypeVar("T")


def spread(first: int, last: int, count: int) -> list[int]:
    """``count`` frame indices spread evenly over [first, last], centred in equal parts of the shot."""
    length = last - first + 1
    count = max(0, min(count, length))
    if count == 0:
        return []
    centres = first + (np.arange(count) + 0.5) * length / count
    return sorted({int(c) for c in np.floor(centres)})


class ShotReservoir(Generic[T]):
    """Holds an evenly strided subset of a shot's frames, at most ``4 * wanted`` of them.

    Frames are offered in order; every ``stride``-th is kept, and when the buffer is full every other kept frame is
    dropped and the stride doubles. At the shot's end the buffer spans the whole shot evenly, so ``wanted``
    frames spread across it can be picked without a second decoding pass.
    """

    def __init__(self, wanted: int, start: int):
        self.capacity = max(4 * wanted, 4)
        self.start = start
        self.stride = 1
        self.items: list[tuple[int, T]] = []
        self._next = start

    def offer(self, index: int) -> bool:
        """Whether frame ``index`` should be kept (call ``add`` with it if so): at least ``stride`` frames after
        the last kept one, so a stream with frames missing (skipped non-reference frames) is still sampled."""
        return index >= self._next

    def add(self, index: int, item: T) -> None:
        self.items.append((index, item))
        self._next = index + self.stride
        if len(self.items) >= self.capacity:
            self.stride *= 2
            self.items = self.items[::2]
            self._next = self.items[-1][0] + self.stride

    def split_at(self, index: int) -> list[tuple[int, T]]:
        """Remove and return the frames at or after ``index`` (a cut reported late belongs to the next shot)."""
        later = [(i, x) for i, x in self.items if i >= index]
        self.items = [(i, x) for i, x in self.items if i < index]
        return later

    def pick(self, last: int, count: int, usable: Callable[[T], bool] | None = None) -> list[tuple[int, T]]:
        """The buffered frames nearest to ``count`` evenly spread positions over the shot, preferring frames for
        which ``usable`` is true (e.g. not black) when there are any."""
        items, first = self.items, self.start
        if usable is not None and any(usable(x) for _, x in items):
            items = [(i, x) for i, x in items if usable(x)]
            first, last = items[0][0], items[-1][0]  # spread over the usable stretch (e.g. between fades)
        if not items:
            return []
        indices = np.array([i for i, _ in items])
        chosen: dict[int, tuple[int, T]] = {}
        for target in spread(first, last, count):
            nearest = int(np.argmin(np.abs(indices - target)))
            chosen.setdefault(nearest, items[nearest])
        return [chosen[k] for k in sorted(chosen)]
