"""Results of a stage's items kept for its next run, addressed by item key (resources/item_reuse.py). No Dagster.

A stage that reuses items whose inputs did not change keeps each item's result under its key: a JSON-able value and
named arrays (dtype and shape kept, so a taken result is bit-equal to the one made). A key hashes the stage's scope
and every input of the item, so a stored result is valid for its key whichever run wrote it. The store is written
beside, then renamed over the last one: a run that fails leaves the last run's store. Unreadable: empty.
"""

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

Item = tuple[Any, dict[str, np.ndarray]]   # an item's JSON-able value, its named arrays


def save_items(path: Path, items: dict[str, Item]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    index, arrays = [], {}
    for key in sorted(items):
        value, named = items[key]
        members = {}
        for name, array in named.items():
            members[name] = f"a{len(arrays)}"
            arrays[members[name]] = np.asarray(array)
        index.append([key, value, members])
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial.npz")
    np.savez(partial, index=np.array(json.dumps(index)), **arrays)
    os.replace(partial, path)


def load_items(path: Path) -> dict[str, Item]:
    if not path.is_file():
        return {}
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {key: (value, {name: stored[member] for name, member in members.items()})
                    for key, value, members in json.loads(str(stored["index"]))}
    except (OSError, ValueError, KeyError):   # another layout or cut short: every item is made again
        return {}
