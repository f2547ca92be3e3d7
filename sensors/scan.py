"""What is new in the drop folder: pure functions over the folder and a JSON cursor. No Dagster."""

import json
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from resources.media import AUDIO_SUFFIXES, IMAGE_SUFFIXES, image_files

REJECTED = "rejected"


@dataclass
class DropScan:
    ready: list[Path] = field(default_factory=list)  # stable since the last tick and not yet handled
    waiting: list[Path] = field(default_factory=list)  # new or still growing
    cursor: dict = field(default_factory=dict)


def _signature(path: Path) -> list:
    """Size and modification time of a file, or of an image folder's images together."""
    if path.is_dir():
        files = image_files(path)
        return [len(files), sum(f.stat().st_size for f in files), max((f.stat().st_mtime for f in files), default=0)]
    stat = path.stat()
    return [1, stat.st_size, stat.st_mtime]


def candidates(folder: Path) -> list[Path]:
    """Entries of the drop folder that could be films: files (not hidden, not partial downloads) and folders."""
    if not folder.is_dir():
        return []
    entries = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name == REJECTED:
            continue
        if entry.is_file() and entry.suffix.lower() in {".part", ".crdownload", ".tmp", ".download"}:
            continue
        if entry.is_file() and (entry.suffix.lower() in IMAGE_SUFFIXES | AUDIO_SUFFIXES | {".txt", ".json"}):
            continue
        entries.append(entry)
    return entries


def scan_drop_folder(folder: Path, cursor_json: str | None) -> DropScan:
    """An entry is ready once its signature is unchanged since the previous tick (a file still being copied keeps
    growing) and it was not handled before with that same signature."""
    cursor = json.loads(cursor_json) if cursor_json else {}
    seen: dict = cursor.get("seen", {})
    handled: dict = cursor.get("handled", {})
    scan = DropScan()
    next_seen = {}
    for entry in candidates(folder):
        try:
            signature = _signature(entry)
        except FileNotFoundError:  # vanished between listing and stat
            continue
        key = entry.name
        next_seen[key] = signature
        if signature[1] == 0 or handled.get(key) == signature:
            continue
        (scan.ready if seen.get(key) == signature else scan.waiting).append(entry)
    scan.cursor = {"seen": next_seen, "handled": {k: v for k, v in handled.items() if k in next_seen}}
    return scan


def mark_handled(cursor: dict, entry: Path) -> None:
    cursor.setdefault("handled", {})[entry.name] = cursor["seen"][entry.name]


def reject(folder: Path, entry: Path, reason: str) -> Path:
    """Move an unusable entry to drop/rejected/ with a reason file beside it; returns its new path."""
    rejected = folder / REJECTED
    rejected.mkdir(exist_ok=True)
    target = rejected / entry.name
    if target.exists():
        target = rejected / f"{entry.stem}.{datetime.now(timezone.utc):%Y%m%dT%H%M%S}{entry.suffix}"
    shutil.move(str(entry), target)
    target.with_name(target.name + ".reason.txt").write_text(f"{entry.name}: {reason}\n")
    return target
