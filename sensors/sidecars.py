"""Which registered films' sidecar subtitle files (``Film.srt``, ``Film.en.srt``, ``Film.ass``, ``Film.vtt`` beside
the film's source) are new, edited or removed since the last look: pure functions over the folders and a JSON-able
cursor. No Dagster.

Only names, sizes and modification times are read (one listing per folder however many films it holds), never a
file's bytes: the `audio` run that follows hashes them (``resources/media.py`` ``sidecar_fingerprint``). A change
counts once it has stayed the same for two looks, so a subtitle file still being copied asks for one run, not two.
"""

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from resources.media import is_sidecar_of


@dataclass
class SidecarScan:
    changed: dict[str, str] = field(default_factory=dict)  # film -> what changed since its sidecars last settled
    waiting: list[str] = field(default_factory=list)  # films whose sidecars changed since the last look
    cursor: dict = field(default_factory=dict)       # film -> {"seen": signature, "settled": signature}


def sidecar_signatures(sources: dict[str, Path]) -> dict[str, list]:
    """Film -> its sidecar files as sorted ``[name, size, mtime_ns]``; a film whose source file is gone (or whose
    folder cannot be listed) is left out: nothing is known of its sidecars."""
    by_folder: dict[Path, list[tuple[str, Path]]] = {}
    for film, source in sources.items():
        by_folder.setdefault(Path(source).parent, []).append((film, Path(source)))
    signatures: dict[str, list] = {}
    for folder, films in by_folder.items():
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        names = {entry.name: entry for entry in entries}
        for film, source in films:
            if source.name not in names:
                continue
            files = []
            for entry in entries:
                if entry.name != source.name and is_sidecar_of(entry.name, source.stem):
                    try:
                        stat = entry.stat()
                    except OSError:  # removed between the listing and the stat: absent
                        continue
                    if entry.is_file():
                        files.append([entry.name, stat.st_size, stat.st_mtime_ns])
            signatures[film] = sorted(files)
    return signatures


def compare_sidecars(signatures: dict[str, list], cursor_json: str | None) -> SidecarScan:
    """Films whose sidecar files changed and have stayed so since the last look. A film met for the first time only
    records its sidecars (its first run reads them); a film no longer listed keeps its entry until it is back."""
    cursor = json.loads(cursor_json) if cursor_json else {}
    scan = SidecarScan(cursor=dict(cursor))
    for film, signature in sorted(signatures.items()):
        known = cursor.get(film)
        if known is None:
            scan.cursor[film] = {"seen": signature, "settled": signature}
        elif signature != known["seen"]:
            scan.cursor[film] = {"seen": signature, "settled": known["settled"]}
            scan.waiting.append(film)
        elif signature != known["settled"]:
            scan.cursor[film] = {"seen": signature, "settled": signature}
            scan.changed[film] = describe_change(known["settled"], signature)
    return scan


def signature_key(signature: list) -> str:
    """A short digest of a film's sidecar signature (the run key of the run it asks for)."""
    return hashlib.sha256(json.dumps(signature).encode()).hexdigest()[:12]


def describe_change(before: list, after: list) -> str:
    """``added Film.srt; edited Film.ass; removed Film.vtt``."""
    old, new = {n: (s, m) for n, s, m in before}, {n: (s, m) for n, s, m in after}
    parts = [f"added {n}" for n in sorted(new.keys() - old.keys())]
    parts += [f"edited {n}" for n in sorted(new.keys() & old.keys()) if new[n] != old[n]]
    parts += [f"removed {n}" for n in sorted(old.keys() - new.keys())]
    return "; ".join(parts)
