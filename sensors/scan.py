"""What is new in the drop folder: pure functions over the folder and a JSON cursor. No Dagster.

An entry (a video or audio file, or a folder of images) is ready once it has kept the same size and modification
time for a quiet period and no process has it open for writing (where /proc tells). Nothing here reads a file's
contents but a loose PNG's or WebP's header (whether it is animated): hashing and probing happen in the ingest run,
so a tick stays fast however large the drops are.
"""

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from resources.animation import is_animated_image
from resources.archives import is_archive
from resources.errors import shown_path
from resources.image_sequences import is_image_sequence
from resources.media import AUDIO_SUFFIXES, SIDECAR_SUFFIXES, VIDEO_SUFFIXES, image_files, name_problem
from resources.series import episode_files

REJECTED = "rejected"
# loose files that are clips: GIF and APNG (an ingest run refuses a still one, with its reason); a loose PNG, WebP
# or AVIF is one where its header says it is animated (a still image is a folder's business)
ANIMATION_SUFFIXES = {".gif", ".apng"}
MAYBE_ANIMATED_SUFFIXES = {".png", ".webp", ".avif"}
PARTIAL_SUFFIXES = {".part", ".crdownload", ".tmp", ".download", ".partial"}
DEFAULT_QUIET_S = 30.0


@dataclass
class DropScan:
    ready: list[Path] = field(default_factory=list)  # quiet long enough, not open for writing, not yet requested
    waiting: list[tuple[Path, str]] = field(default_factory=list)  # (entry, why it is not ready yet)
    unknown: list[Path] = field(default_factory=list)  # files castforge cannot use, reported once
    misnamed: list[tuple[str, str]] = field(default_factory=list)  # (shown name, why): names not UTF-8, reported once
    cursor: dict = field(default_factory=dict)


def _signature(path: Path) -> list:
    """Count, total size and newest modification time of a file, or of an image folder's images."""
    if path.is_dir():
        files = image_files(path) + episode_files(path)  # an image set's images, a series' episodes
        stats = [f.stat() for f in files]
        return [len(files), sum(s.st_size for s in stats), max((s.st_mtime for s in stats), default=0)]
    stat = path.stat()
    return [1, stat.st_size, stat.st_mtime]


def classify(entry: Path) -> str:
    """"film" (video, audio, an animation, folder), "partial" (a download in progress), "ignored" (hidden, reason
    files, sidecar subtitles) or "unknown"."""
    name = entry.name
    if name.startswith(".") or name == REJECTED or name.endswith(".reason.txt"):
        return "ignored"
    if entry.is_file() and entry.suffix.lower() in SIDECAR_SUFFIXES:
        return "ignored"  # a sidecar subtitle file: the audio stage reads it beside its film
    if entry.is_dir():
        return "film"
    suffix = entry.suffix.lower()
    if suffix in PARTIAL_SUFFIXES:
        return "partial"
    if suffix in VIDEO_SUFFIXES | AUDIO_SUFFIXES | ANIMATION_SUFFIXES or is_archive(entry):
        return "film"
    if suffix in MAYBE_ANIMATED_SUFFIXES and (is_image_sequence(entry) or is_animated_image(entry)):
        return "film"  # a half-copied animated WebP / AVIF too: its ingest run refuses it by name
    return "unknown"  # still images (ingest their folder), documents, anything else


def paths_open_for_writing(folder: Path) -> dict[str, int]:
    """Paths under ``folder`` that some process has open for writing -> that process's pid. Reads /proc (Linux);
    processes of other users are not visible, and elsewhere this is empty: the quiet period covers those."""
    prefix = str(Path(folder).resolve()) + os.sep
    found: dict[str, int] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for pid in os.listdir(proc):
        if not pid.isdigit():
            continue
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if not target.startswith(prefix):
                    continue
                with open(f"/proc/{pid}/fdinfo/{fd}") as info:
                    flags = int(re.search(r"flags:\s*(\d+)", info.read()).group(1), 8)
            except (OSError, AttributeError, ValueError):
                continue
            if flags & (os.O_WRONLY | os.O_RDWR):
                found[target] = int(pid)
    return found


def _writer(entry: Path, open_for_writing: dict[str, int]) -> int | None:
    path = str(entry.resolve())
    for target, pid in open_for_writing.items():
        if target == path or target.startswith(path + os.sep):
            return pid
    return None


def scan_drop_folder(folder: Path, cursor_json: str | None, now: float, quiet_s: float = DEFAULT_QUIET_S,
                     open_for_writing: dict[str, int] | None = None) -> DropScan:
    """Sort the drop folder's entries into ready / waiting / unknown, and the cursor for the next tick.

    Cursor: ``seen`` name -> [signature, since] (since: when that signature was first seen), ``requested``
    name -> signature an ingest run was requested for, ``reported`` unknown names already reported."""
    cursor = json.loads(cursor_json) if cursor_json else {}
    seen: dict = cursor.get("seen", {})
    requested: dict = cursor.get("requested", {})
    reported: set = set(cursor.get("reported", []))
    writing = open_for_writing or {}
    scan = DropScan()
    next_seen, names = {}, set()
    for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
        try:
            kind = classify(entry)
            if kind == "ignored":
                continue
            names.add(entry.name)
            if kind != "unknown" and (problem := name_problem(entry)) is not None:
                # no run, tag or cursor can carry such a name: the user renames it, and the new name is picked up
                if entry.name not in reported:
                    scan.misnamed.append((shown_path(entry.name), problem))
                    reported.add(entry.name)
                continue
            if kind == "unknown":
                if entry.name not in reported:
                    scan.unknown.append(entry)
                    reported.add(entry.name)
                continue
            signature = _signature(entry)
        except OSError:  # vanished or unreadable between listing and stat: look again next tick
            continue
        previous = seen.get(entry.name)
        since = previous[1] if previous and previous[0] == signature else now
        next_seen[entry.name] = [signature, since]
        if kind == "partial":
            scan.waiting.append((entry, "a download in progress"))
        elif signature[1] == 0:
            scan.waiting.append((entry, "empty so far"))
        elif requested.get(entry.name) == signature:
            continue  # already handed to an ingest run
        elif previous is None or previous[0] != signature:
            scan.waiting.append((entry, "new or changed since the last look"))
        elif (pid := _writer(entry, writing)) is not None:
            scan.waiting.append((entry, f"open for writing by pid {pid}"))
        elif now - since < quiet_s or now - signature[2] < quiet_s:
            quiet = min(now - since, now - signature[2])
            scan.waiting.append((entry, f"unchanged for {max(0.0, quiet):.0f} s of the {quiet_s:.0f} s quiet period"))
        else:
            scan.ready.append(entry)
    scan.cursor = {**cursor, "seen": next_seen,
                   "requested": {k: v for k, v in requested.items() if k in next_seen},
                   "reported": sorted(n for n in reported if n in names)}
    return scan


def mark_requested(cursor: dict, entry: Path) -> None:
    cursor.setdefault("requested", {})[entry.name] = cursor["seen"][entry.name][0]


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


def retry_changed_rejections(folder: Path) -> list[Path]:
    """Entries of drop/rejected/ modified after their reason file was written (a writer finished a copy that was
    rejected too early) go back into the drop folder, to be considered again; returns their new paths."""
    rejected = folder / REJECTED
    retried = []
    for entry in sorted(rejected.iterdir()) if rejected.is_dir() else []:
        reason = entry.with_name(entry.name + ".reason.txt")
        if entry.name.endswith(".reason.txt") or entry.name.startswith(".") or not reason.exists():
            continue
        try:
            changed = _signature(entry)[2] > reason.stat().st_mtime
        except OSError:
            continue
        if changed and not (folder / entry.name).exists():
            shutil.move(str(entry), folder / entry.name)
            reason.unlink(missing_ok=True)
            retried.append(folder / entry.name)
    return retried
