"""``identity_clusters`` after a review: a cut-out whose file did not change keeps its appearance rows. No Dagster.

The cut-outs' appearance (image embedding, colours, silhouette, colour layout: ``appearance.cutout_vectors``) is
the step's costly part (Penny & Chip's 368 kept cut-outs: 11.7 s of the step's 17.7 s) and depends on the cut-out
file alone, under the stage's code version, parameters and backends (resources/item_reuse.py), and on whether its
colour layout is read (a faced row's, where ``split_layout_gap`` is on). An item is a kept instance; its key is its
cut-out's path and bytes and that layout flag. A row is reused only when the embedder gives a cut-out the same
vector whatever else is in its batch (``batch_invariant``: the TFLite backend embeds one image per call, and its
vectors of Penny & Chip's cut-outs in batches of 16 equal those embedded alone, in another order and with another
thread count, bit for bit); with any other backend every row is computed, as before. The rows are kept, each with
its key, in ``cutout_rows.npz`` in the identities folder, and a row is taken only where its stored key is this
run's key, so the vectors equal a full recompute's.
"""

from collections.abc import Callable, Collection
from pathlib import Path

import numpy as np

from assets.identities.appearance import CutoutRows, cutout_vectors
from resources.item_reuse import ItemReuse, file_digest
from resources.protocols import ImageEmbedder

ROWS_FILE = "cutout_rows.npz"   # in the identities folder: instance ids, their keys and their appearance rows
PARTS = ("appearance", "colours", "shapes", "layouts")


class CutoutRowReuse:
    """Reads the cut-outs' rows of a run of ``identity_clusters``, taking the last run's (``previous``: its
    ``ROWS_FILE``) where an instance's key is unchanged; ``save`` writes this run's rows for the next."""

    def __init__(self, reuse: ItemReuse, previous: Path):
        self.reuse, self.previous = reuse, previous
        self.reused = 0
        self._saved: dict[str, np.ndarray] | None = None

    def vectors(self, ids: list[str], paths: list[str | None], embedder: ImageEmbedder,
                resolve: Callable[[str], Path], colours: bool, shapes: bool = False,
                layouts: Collection[int] | None = None) -> CutoutRows:
        """``cutout_vectors(paths, embedder, resolve, colours, shapes=shapes, layouts=layouts)``, row ``i`` being
        instance ``ids[i]``'s, with the rows of unchanged cut-outs taken from the last run."""
        laid_out = set(layouts or ())
        keys = [self.reuse.key(instance, path, file_digest(resolve(path)) if path else None, i in laid_out)
                for i, (instance, path) in enumerate(zip(ids, paths))]
        stored = _stored_rows(self.previous) if getattr(embedder, "batch_invariant", False) else {}
        wanted = {"colours": colours, "shapes": shapes, "layouts": layouts is not None}
        taken = {i: stored[ids[i]] for i in range(len(ids))
                 if ids[i] in stored and self.reuse.reusable(ids[i]) and stored[ids[i]][0] == keys[i]
                 and all((stored[ids[i]][1][part] is not None) == on for part, on in wanted.items())}
        rows = cutout_vectors([None if i in taken else path for i, path in enumerate(paths)], embedder, resolve,
                              colours=colours, shapes=shapes, layouts=layouts)
        for i, (_, previous) in taken.items():
            for part, values in zip(PARTS, rows):
                if values is not None:
                    values[i] = previous[part]
        self.reused = len(taken)
        self._saved = {"ids": np.array(ids, dtype=str), "keys": np.array(keys, dtype=str),
                       **{part: values for part, values in zip(PARTS, rows) if values is not None}}
        return rows

    def save(self, target: Path) -> None:
        """Writes this run's rows (when ``vectors`` ran) to ``target``."""
        if self._saved is not None:
            with open(target, "wb") as handle:
                np.savez(handle, **self._saved)

    def record(self) -> dict:
        """The stage record's item fields (``stage.commit(..., **record())``)."""
        return self.reuse.record()


def _stored_rows(path: Path) -> dict[str, tuple[str, dict[str, np.ndarray | None]]]:
    """instance id -> (its key, its rows by part; None for a part not stored) from a ``ROWS_FILE``; empty when
    there is none or it cannot be read (every row is then computed)."""
    if not path.is_file():
        return {}
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except (OSError, ValueError, KeyError):
        return {}
    ids, keys = arrays.get("ids"), arrays.get("keys")
    if ids is None or keys is None:
        return {}
    return {str(instance): (str(keys[row]), {part: arrays[part][row] if part in arrays else None for part in PARTS})
            for row, instance in enumerate(ids)}
