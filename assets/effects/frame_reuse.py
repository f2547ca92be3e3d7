"""``effects`` after a review: a key frame whose inputs did not change keeps its detections from the last run.
No Dagster.

The costly part of the catalogue is measuring each kept key frame (core.frame_detections: specks, flames, glow,
flares, focus, blur), plus, for a frame with tracked instances, their colours under their masks
(temporal.mask_histogram). Both depend only on the key frame's pixels, the kept characters' boxes on it and the
tracked instances' masks and origins, under the stage's code version and every setting (``ItemReuse.scope``); never
on the frame's neighbours, the frame signals or the identities. An item is a key frame, keyed on its file's bytes,
its boxes and its tracked masks' bytes; its result lives under the key in ``<film>/effects/frame_reuse.npz``
(resources/item_store.py). A discarded cut-out changes the boxes of its frame alone, so only that frame is read
again; the events along time and the merge into events are made over every frame as in a full run, so the tables
equal a full recompute's.
"""

import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from resources.item_reuse import ItemReuse, file_digest
from resources.item_store import load_items, save_items

STORE = "frame_reuse.npz"  # in <film>/effects/: each key frame's detections and tracked histograms under its key
# a frame's detections, the histograms of its tracked instances (None: too little covered under its mask)
Measured = tuple[list[dict], dict[str, np.ndarray | None]]


class FrameReuse:
    """Keys the kept key frames of one effects run (``key``); ``taken`` gives the last run's result of an unchanged
    frame, ``made`` records one measured now; ``keep`` stores this run's results for the next run."""

    def __init__(self, reuse: ItemReuse, store: Path, absolute: Callable[[str], Path]):
        self.reuse, self.store, self.absolute = reuse, store, absolute
        self.last = {key: (value["detections"], {**arrays, **dict.fromkeys(value["no_histogram"])})
                     for key, (value, arrays) in load_items(store).items()}
        self.results: dict[str, Measured] = {}
        self.reused = self.measured = 0
        self._lock = threading.Lock()   # frames are measured on several threads

    def key(self, frame_id: str, path: str, boxes: list[tuple[float, ...]],
            tracked: list[tuple[str, str, tuple[int, int]]]) -> str:
        """The key of one key frame: its file, its kept boxes, its tracked instances' masks and origins."""
        return self.reuse.key(frame_id, self._digest(path), [[float(v) for v in box] for box in boxes],
                              [[instance, self._digest(mask), [int(v) for v in origin]]
                               for instance, mask, origin in tracked])

    def taken(self, key: str) -> Measured | None:
        found = self.last.get(key)
        if found is None:
            return None
        with self._lock:
            self.reused += 1
            self.results[key] = found
        return [dict(detection) for detection in found[0]], dict(found[1])

    def made(self, key: str, detections: list[dict], histograms: dict[str, np.ndarray | None]) -> None:
        with self._lock:
            self.measured += 1
            self.results[key] = ([dict(d) for d in detections], dict(histograms))

    def keep(self) -> None:
        """Stores this run's results for the next run (resources/item_store.py)."""
        save_items(self.store, {key: ({"detections": detections,
                                       "no_histogram": sorted(i for i, h in histograms.items() if h is None)},
                                      {i: h for i, h in histograms.items() if h is not None})
                                for key, (detections, histograms) in self.results.items()})

    def note(self) -> str:
        return (f"detections of {self.reused} of {self.reused + self.measured} key frames reused from the last run "
                f"(key frame, kept boxes, tracked masks and settings unchanged), {self.measured} measured")

    def _digest(self, stored: str) -> str:
        return file_digest(self.absolute(stored))
