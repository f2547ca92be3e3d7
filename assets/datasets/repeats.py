"""Per-identity sd-scripts repeats (the kohya folder prefix ``{repeats}_{label}``), balanced so that every character
of a film is seen about as often per epoch. No Dagster, no models.

sd-scripts draws each subset ``num_repeats`` times an epoch, so with one value for every folder a character with
200 images trains ten times as often as one with 20 and the LoRA learns mostly the first. Balancing gives the
identity with the most exported instances ``repeats`` and each other ``repeats * most / its own``, rounded and at
most ``max_repeats`` (one image repeated a hundred times an epoch overfits that image instead)."""

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from assets.datasets.params import DatasetParams


def identity_repeats(labels: Iterable[str], params: DatasetParams) -> dict[str, int]:
    """``num_repeats`` per label from the labels of the instances to export (one entry per instance)."""
    counts = Counter(labels)
    if not params.balance_repeats or not counts:
        return {label: params.repeats for label in counts}
    most = max(counts.values())
    return {label: min(params.max_repeats, max(params.repeats, round(params.repeats * most / n)))
            for label, n in counts.items()}


def kohya_folder(label: str, repeats: dict[str, int]) -> str:
    """The kohya / sd-scripts folder name of ``label``'s items: ``{num_repeats}_{label}``."""
    return f"{repeats[label]}_{label}"


def move_rebalanced_folders(kohya: Path, repeats: dict[str, int]) -> int:
    """Renames a label's folder from an earlier export under other repeats (``7_x`` -> ``14_x`` when a review
    changed the balance) to its new name, so its unchanged images and captions are not written again; returns how
    many folders moved. A folder already under the new name, or two old ones of one label, are left to the
    export (it writes what is missing and removes what is stale)."""
    if not kohya.is_dir():
        return 0
    old: dict[str, list[Path]] = {}
    for folder in kohya.iterdir():
        prefix, _, label = folder.name.partition("_")
        if folder.is_dir() and prefix.isdigit() and label in repeats and int(prefix) != repeats[label]:
            old.setdefault(label, []).append(folder)
    moved = 0
    for label, folders in old.items():
        target = kohya / kohya_folder(label, repeats)
        if len(folders) == 1 and not target.exists():
            folders[0].rename(target)
            moved += 1
    return moved
