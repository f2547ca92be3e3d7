"""``voice_map``'s mouth readings after a review: a face of a shot whose inputs did not change keeps its mouth series
from the last run. No Dagster.

Lip sync (mouth_tracks.py) decodes the video around each shot's speech and reads, per identity seen in the shot, a
mouth series on a grid. One identity's series depends only on the film, the grid (the shot's speech stretch and the
rate), the identity's (kept-frame time, face box) observations in that shot, which reader reads it (a 2D mouth
reader, the face mesh or none: lower-face motion), the frame width its boxes are in, the height the shot is read at
and how soon the reader gives up on it, under the stage's code version and every setting and backend
(``ItemReuse.scope``). It never depends on the identity's label or name, the other identities of the shot, or who
speaks (the speakers' activity enters after, in ``shot_evidence``). So an item is a (shot, identity) pair keyed on
those inputs, and the key addresses its series in ``<film>/voice_map/mouth_reuse.npz``: a rename changes no key, a
discarded cut-out changes the key of its identity in its shot alone, and only a shot holding a changed item is
decoded again (for that item only). The evidence rows are then made from every series as in a full run, so they
equal a full recompute's.
"""

import threading
from pathlib import Path
from typing import Any

import numpy as np

from resources.item_reuse import ItemReuse
from resources.item_store import load_items, save_items

STORE = "mouth_reuse.npz"  # in <film>/voice_map/: each (shot, identity) item's mouth series under its key
Series = tuple[np.ndarray, bool]   # a mouth series on the shot's grid, whether it is lower-face motion


class MouthReuse:
    """Keys the (shot, identity) items of one lip-sync run; ``taken`` gives the last run's series of an unchanged
    item, ``made`` records one read now; ``keep`` stores this run's series for the next run."""

    def __init__(self, reuse: ItemReuse, store: Path, film_hash: str):
        self.reuse, self.store, self.film_hash = reuse, store, film_hash
        self.last = {key: (arrays["series"], bool(motion)) for key, (motion, arrays) in load_items(store).items()}
        self.series: dict[str, Series] = {}
        self.reused = self.read = 0
        self._lock = threading.Lock()   # shots are followed on several threads

    def key(self, shot: int, identity: str, span: tuple[float, float], rate: float,
            observations: list[tuple[float, tuple]], reader: Any, frame_width: int | None, max_height: int | None,
            first_misses: int) -> str:
        """The key of ``identity``'s series in ``shot`` (recorded as item ``shot:identity``; the label itself is
        not part of the key)."""
        return self.reuse.key(f"{shot}:{identity}", self.film_hash, shot, [float(span[0]), float(span[1])],
                              float(rate),
                              [[float(t), [float(v) for v in box]] for t, box in observations],
                              reader_name(reader), frame_width, max_height, int(first_misses))

    def taken(self, key: str) -> Series | None:
        found = self.last.get(key)
        if found is not None:
            with self._lock:
                self.reused += 1
                self.series[key] = found
        return found

    def made(self, key: str, series: Series) -> None:
        with self._lock:
            self.read += 1
            self.series[key] = series

    def keep(self) -> None:
        """Stores this run's series for the next run (resources/item_store.py)."""
        save_items(self.store, {key: (bool(motion), {"series": np.asarray(series, np.float64)})
                                for key, (series, motion) in self.series.items()})

    def note(self) -> str:
        return (f"mouth series of {self.reused} of {self.reused + self.read} shot faces reused from the last run "
                f"(film, speech stretch, face boxes, reader and settings unchanged), {self.read} read")


def reader_name(reader: Any) -> str | None:
    """Which reader reads a face (its model: a SerialisedReader is looked through); None: lower-face motion."""
    reader = getattr(reader, "reader", reader)
    if reader is None:
        return None
    return f"{getattr(reader, 'name', type(reader).__name__)}:{getattr(reader, 'model', '')}"
