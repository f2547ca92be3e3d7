"""``identity_references`` after a review: a face whose inputs did not change keeps its measures from the last run.
No Dagster.

The costly part of the stage is measuring each face of an identity (measure.measure_faces): reading its key frame,
the light of the face box, the share of the box its cut-out covers, the expression from the face mesh and a
general-vision vector for novelty (Penny & Chip's 183 faces: 4.0 s of the step's 4.5 s of work, 2.5 s of it the
embedder). These depend only on the key frame's pixels, the face box and its detector, the instance's mask (or
cut-out) and crop origin, under the stage's code version, every setting and the backends (``ItemReuse.scope``);
never on the face's identity, its name, its stability or the other faces. So an item is a face, keyed on its key
frame's bytes, its box, its detector, its cut-out's and mask's bytes and origin and the models; its measures and
vector live under the key in ``<film>/references/face_reuse.npz`` (resources/item_store.py: the vector bit-equal).
A rename or a discarded cut-out changes no face's key (a face whose cut-out was discarded leaves the table), so no
face is measured again; the bins and the sets are made over every face as in a full run, so the files and rows
equal a full recompute's. A key frame is read only when one of its faces is measured, or when a face it holds is
saved into a set (``FaceImages``). Vectors are reused only from an embedder whose vector of an image does not
depend on the rest of its batch (``batch_invariant``, the TFLite backend); with any other every face is measured.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from resources.errors import BadMediaError
from resources.item_reuse import ItemReuse, file_digest
from resources.item_store import load_items, save_items

STORE = "face_reuse.npz"   # in <film>/references/: each face's measures and vector under its key
Measures = dict[str, Any]  # visible, expression, expression_how, luma, light_asymmetry, image_box (measure.py)


class FaceReuse:
    """Keys the faces of one ``identity_references`` run (``key``); ``taken`` gives the last run's measures and
    vector of an unchanged face, ``made`` records one measured now; ``keep`` stores this run's for the next run."""

    def __init__(self, reuse: ItemReuse, store: Path, resolve: Callable[[str], Path], embedder: Any,
                 models: dict[str, str]):
        self.reuse, self.store, self.resolve, self.models = reuse, store, resolve, models
        invariant = getattr(embedder, "batch_invariant", False)
        self.last = {key: (value, arrays["vector"]) for key, (value, arrays) in load_items(store).items()
                     if "vector" in arrays} if invariant else {}
        self.results: dict[str, tuple[Measures, np.ndarray]] = {}
        self.reused = self.measured = 0
        self._digests: dict[str, str] = {}

    def key(self, face: dict[str, Any], frame: str | None, cutout: tuple | None) -> str | None:
        """The key of ``face`` (a faces row) on key frame ``frame`` (stored path) with its instance's ``cutout``
        (stored path, crop x0, crop y0, stored mask path); None when the key frame is missing (it is then read, and
        fails, as in a full run)."""
        frame_digest = self._digest(frame)
        if frame_digest is None:
            return None
        path, x0, y0, mask = (tuple(cutout) + (None,) * 4)[:4] if cutout else (None,) * 4
        return self.reuse.key(face["face_id"], frame_digest,
                              [float(face[c]) for c in ("fx0", "fy0", "fx1", "fy1")], str(face.get("detector") or ""),
                              [int(x0 or 0), int(y0 or 0)], self._digest(mask), self._digest(path), self.models)

    def taken(self, key: str | None) -> tuple[Measures, np.ndarray] | None:
        found = self.last.get(key) if key is not None else None
        if found is not None:
            self.reused += 1
            self.results[key] = found
        return found

    def made(self, key: str | None, measures: Measures, vector: np.ndarray) -> None:
        self.measured += 1
        if key is not None:
            self.results[key] = (measures, vector)

    def keep(self, staging: Path) -> None:
        """Stores this run's measures under ``staging`` (the references folder being made: it replaces the last)."""
        save_items(staging / self.store.name, {key: (measures, {"vector": vector})
                                               for key, (measures, vector) in self.results.items()})

    def note(self) -> str:
        return (f"measures of {self.reused} of {self.reused + self.measured} faces reused from the last run "
                f"(key frame, face box, cut-out and settings unchanged), {self.measured} measured")

    def _digest(self, stored: str | None) -> str | None:
        if not stored:
            return None
        if stored not in self._digests:
            self._digests[stored] = file_digest(self.resolve(stored))
        found = self._digests[stored]
        return None if found == "missing" else found


class FaceImages(dict):
    """face_id -> the RGB image saved for it; a face measured in an earlier run is cropped from its key frame
    (``sources``: face_id -> (stored frame path, image box)) when it is first asked for."""

    def __init__(self, sources: dict[str, tuple[str, list[int]]], resolve: Callable[[str], Path]):
        super().__init__()
        self.sources, self.resolve = sources, resolve

    def __missing__(self, face_id: str) -> np.ndarray:
        stored, (x0, y0, x1, y1) = self.sources[face_id]
        bgr = cv2.imread(str(self.resolve(stored)))
        if bgr is None:
            raise BadMediaError(self.resolve(stored), "key frame image cannot be read; re-materialise `frames`")
        self[face_id] = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)[y0:y1, x0:x1].copy()
        return self[face_id]
