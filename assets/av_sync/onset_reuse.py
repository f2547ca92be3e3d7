"""``av_sync``'s soundtrack analysis after a review: when the soundtrack and the picture's sample times did not change,
the last run's onset analysis is taken instead of made again. No Dagster.

``av_sync`` runs again after every review round, because ``voice_map`` (its lip-sync pairs) changes. Its one costly
item is ``audio_onsets`` (core.py): librosa's onset strength, onsets and beat tracking over the whole film's speech
track (7 s on Penny & Chip's 3.5 minutes, 2 shared cores), which depends only on that track's samples, the picture
change's sample times (the strength is sampled at them) and librosa, under the stage's code version and settings
(``ItemReuse.scope``). A review changes none of them: it renames identities and discards cut-outs. So the analysis
is one item keyed on the speech file's bytes, the times' bytes and librosa's version, and the key addresses the
analysis in ``<film>/av_sync/onset_reuse.npz`` (written into the stage's staged folder, so it is swapped in with
the timeline). The summary and events are then made from it as in a full run, so they equal a full recompute's.
"""

import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Callable

import numpy as np

from resources.item_reuse import ItemReuse, file_digest
from resources.item_store import load_items, save_items

STORE = "onset_reuse.npz"   # in <film>/av_sync/: the soundtrack's onset analysis under its key
ITEM = "soundtrack"         # the item's id in the stage record's item_keys
Analysis = tuple[np.ndarray, np.ndarray, float, np.ndarray]   # strength at the times, onsets, tempo, beats


class OnsetReuse:
    """``analysis`` takes the last run's onset analysis when its key (speech file, picture sample times, librosa,
    stage scope) is unchanged, else calls ``analyse``; ``keep`` stores this run's analysis for the next run."""

    def __init__(self, reuse: ItemReuse, last_store: Path):
        self.reuse, self.last = reuse, load_items(last_store)
        self.made: dict = {}
        self.reused = False

    def key(self, speech: Path, times: np.ndarray) -> str:
        return self.reuse.key(ITEM, file_digest(speech), array_digest(times), library_version("librosa"))

    def analysis(self, speech: Path, times: np.ndarray, analyse: Callable[[], Analysis]) -> Analysis:
        key = self.key(speech, times)
        found = self.last.get(key)
        if found is not None:
            tempo, arrays = found
            made = (arrays["strength"], arrays["onsets"], float(tempo), arrays["beats"])
        else:
            made = analyse()
        self.reused = found is not None
        strength, onsets, tempo, beats = made
        self.made = {key: (float(tempo), {"strength": strength, "onsets": onsets, "beats": beats})}
        return made

    def keep(self, store: Path) -> None:
        """Stores this run's analysis (resources/item_store.py keeps dtype and shape: a taken one is bit-equal)."""
        save_items(store, self.made)

    def note(self) -> str:
        return ("soundtrack onsets and beats reused from the last run (speech track, picture sample times, librosa "
                "and settings unchanged)" if self.reused else "soundtrack onsets and beats analysed")


def array_digest(values: np.ndarray) -> str:
    """The content hash of an array (dtype, shape and bytes)."""
    values = np.ascontiguousarray(values)
    return hashlib.sha256(f"{values.dtype.str}{values.shape}".encode() + values.tobytes()).hexdigest()[:16]


def library_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None
