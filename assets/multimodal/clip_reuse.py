"""``multimodal_datasets``' audio clips after a review: an utterance whose sound did not change keeps the clips the
last run cut for it. No Dagster.

Per mapped utterance the build cuts a clip from the separated vocals and one from the mix, and makes the voice
clip (resampled to 22.05 kHz mono with librosa, loudness-normalised with pyloudnorm). The three files and the
measured loudness depend only on the two source files' bytes and the utterance's start and end, under the stage's
code version and settings (``ItemReuse.scope``: the voice rate and target loudness), never on the character's name
or folder. A review renames identities (so the clips' names and folders change) and discards cut-outs (the images
change): the sound stays. So an utterance is an item keyed on those inputs; the key addresses, in
``<film>/multimodal/clip_reuse.npz`` (written into the staged folder, swapped in with the dataset), the loudness, the
stored paths of the three files the last run wrote and their content hashes. A taken item's files are copied from
the last run's folder (still in place while the new one is staged) under the new names, when each is there with the
same content; else the clips are cut again. The tables, voice folders, HF export and manifest are then made from
every item as in a full run, so they equal a full recompute's.
"""

import shutil
from pathlib import Path
from typing import Callable

from resources.item_reuse import ItemReuse, file_digest
from resources.item_store import load_items, save_items

STORE = "clip_reuse.npz"   # in <film>/multimodal/: each utterance's loudness and clip files under its key


class ClipReuse:
    """``clips`` copies the last run's clips of an utterance whose key (source files, start, end, scope) is
    unchanged, else calls ``cut``; ``keep`` stores this run's items for the next run."""

    def __init__(self, reuse: ItemReuse, last_store: Path, absolute: Callable[[str], Path], vocals: Path, mix: Path):
        self.reuse, self.absolute = reuse, absolute
        self.last = {key: value for key, (value, _) in load_items(last_store).items()}
        self.sources = [file_digest(vocals), file_digest(mix)]
        self.made: dict = {}
        self.reused = self.cut = 0

    def clips(self, item: str, start_s: float, end_s: float, paths: tuple[Path, ...], stored: list[str],
              cut: Callable[[], float | None]) -> float | None:
        """The voice clip's loudness; the files at ``paths`` (stored as ``stored``) copied or cut."""
        key = self.reuse.key(item, self.sources, float(start_s), float(end_s))
        last = self.last.get(key)
        if last is not None and self._copied(last, paths):
            loudness = last["loudness"]
            self.reused += 1
        else:
            loudness = cut()
            self.cut += 1
        self.made[key] = ({"loudness": loudness, "files": stored, "digests": [file_digest(p) for p in paths]}, {})
        return loudness

    def _copied(self, last: dict, paths: tuple[Path, ...]) -> bool:
        sources = [self.absolute(stored) for stored in last["files"]]
        if len(sources) != len(paths) or [file_digest(s) for s in sources] != last["digests"]:
            return False   # the last run's folder is gone or was changed: cut again
        for source, path in zip(sources, paths):
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, path)
        return True

    def keep(self, store: Path) -> None:
        save_items(store, self.made)

    def note(self) -> str:
        return (f"clips of {self.reused} of {self.reused + self.cut} utterances reused from the last run (sources, "
                f"start, end and settings unchanged), {self.cut} cut")
