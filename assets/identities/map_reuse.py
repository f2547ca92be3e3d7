"""``identity_clusters`` after a review: the identity map is drawn again only when what it shows changed. No Dagster.

``outputs.plot_map`` (a 2-D PCA or UMAP of the faced cut-outs' face vectors, coloured by identity id, importing
pyplot) is drawn again in every review round (Penny & Chip, a rename: copying it instead takes the step's CPU in its
thread from about 2.3 to 1.8-1.9 s). Its picture depends only on the vectors (dtype, shape, bytes), the labels in row order, the method and the
plotting libraries' versions, under the stage's code version and settings (``ItemReuse.scope``); never on the
identities' names. So the map is one item keyed on those (the stage record's ``item_keys`` stay the cut-outs'); the
key and the PNG's digest go into ``identities/map_reuse.npz`` (resources/item_store.py), and a run whose key is
unchanged copies the last run's PNG (only if its bytes are still the ones recorded) instead of drawing it: a rename
draws nothing, a discarded faced cut-out (other vectors) draws again. Matplotlib's PNG of the same figure is the same bytes from run to run (no time
stamp), so the copy equals a full recompute's.
"""

import hashlib
import shutil
from importlib import metadata
from pathlib import Path

import numpy as np

from assets.identities.outputs import plot_map
from resources.item_reuse import ItemReuse, file_digest
from resources.item_store import load_items, save_items
from resources.lineage import stable_hash

STORE = "map_reuse.npz"   # in the identities folder: the map's key and its PNG's digest
ITEM = "identity_map"     # in the key (not in the stage record's item_keys: those are the cut-outs')


class MapReuse:
    """Draws ``target`` as ``plot_map`` does, or copies the last run's map (in ``last_dir``) when its key is
    unchanged; ``reused`` says which."""

    def __init__(self, reuse: ItemReuse, last_dir: Path):
        self.reuse, self.last_dir = reuse, last_dir
        self.reused = False

    def plot(self, target: Path, vectors: np.ndarray, labels: list[str], method: str) -> bool:
        """``plot_map(target, vectors, labels, method)``, the last run's PNG copied where it would be the same."""
        vectors = np.ascontiguousarray(vectors)
        digest = hashlib.sha256(vectors.tobytes()).hexdigest()
        key = stable_hash([self.reuse.scope, ITEM, str(vectors.dtype), list(vectors.shape), digest, list(labels),
                           method, _versions(method)])
        last = load_items(self.last_dir / STORE).get(key)
        previous = self.last_dir / target.name
        if last is not None and previous.is_file() and file_digest(previous) == last[0]["digest"]:
            shutil.copyfile(previous, target)
            self.reused = drawn = True
        else:
            drawn = plot_map(target, vectors, labels, method)
        if drawn:
            save_items(target.with_name(STORE), {key: ({"digest": file_digest(target)}, {})})
        return drawn


def _versions(method: str) -> list[str | None]:
    """The versions of what draws the map (matplotlib and the projection's library), read without importing them."""
    return [_version("matplotlib"), _version("umap-learn" if method == "umap" else "scikit-learn")]


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None
