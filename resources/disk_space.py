"""A full disk, said as such, before a stage starts and when a write fails.

A film's stages write gigabytes (key frames, cut-outs, stems). On a disk that fills up, the libraries fail in their
own words: OpenCV's ``imwrite`` returns False with no reason, polars raises ``ComputeError(... (os error 28))``, some
calls wrote nothing and said nothing. Here every image write checks its result, a failed one is diagnosed against
the free space of its disk, and a stage's error that is a full disk (anywhere in its chain of causes) becomes one
message naming the film, the stage, the disk and what to do (resources/lineage.py). A stage does not start where
its disk has less than ``CASTFORGE_MIN_FREE_MB`` free: better refused at once than failed after an hour's work.
"""

import errno
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from resources.errors import ConfigError

FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
# libraries that report the operating system's error in their own exception's text (polars / Arrow, DuckDB)
FULL_TEXTS = ("no space left on device", "disk quota exceeded", "os error 28)", "os error 122)",
              "database or disk is full")   # SQLite (Dagster's run storage): SQLITE_FULL
MIN_FREE_ENV = "CASTFORGE_MIN_FREE_MB"
DEFAULT_MIN_FREE_MB = 200
# a failed write of an image this much smaller than the free space is not blamed on the disk
WRITE_MARGIN_BYTES = 1 << 20


def free_bytes(path: Path | str) -> int | None:
    """Free bytes (for this user) on the disk that holds ``path``, or its nearest existing folder; None when unknown."""
    probe = Path(path)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return shutil.disk_usage(probe).free
    except OSError:
        return None


def shown_bytes(count: int | None) -> str:
    if count is None:
        return "unknown space"
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count} bytes"


def is_disk_full(error: BaseException | None) -> bool:
    """Whether ``error`` or any error in its chain of causes says that a disk or quota is full."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in FULL_ERRNOS:
            return True
        if any(text in str(error).lower() for text in FULL_TEXTS):
            return True
        error = error.__cause__ or error.__context__
    return False


def min_free_bytes() -> int:
    """The free space a stage needs to start (``CASTFORGE_MIN_FREE_MB``, 200 MB by default; 0 turns it off)."""
    raw = os.environ.get(MIN_FREE_ENV, "").strip()
    try:
        megabytes = float(raw) if raw else DEFAULT_MIN_FREE_MB
    except ValueError:
        raise ConfigError(f"{MIN_FREE_ENV}={raw!r} is not a number of megabytes") from None
    return max(0, int(megabytes * (1 << 20)))


def unwritten_error(path: Path | str, size_hint: int = 0) -> OSError:
    """The error for a file a library could not write without saying why: ENOSPC where its disk has no room left
    for it, else what is wrong with its folder, else a plain failure."""
    path = Path(path)
    free = free_bytes(path)
    if free is not None and free <= size_hint + WRITE_MARGIN_BYTES:
        return OSError(errno.ENOSPC, f"no space left on the disk ({shown_bytes(free)} free)", str(path))
    if not path.parent.is_dir():
        return OSError(errno.ENOENT, "its folder does not exist", str(path))
    if not os.access(path.parent, os.W_OK):
        return OSError(errno.EACCES, "its folder is not writable", str(path))
    return OSError(errno.EIO, "the image could not be encoded or written", str(path))


def write_image(path: Path | str, image: Any, params: Sequence[int] = ()) -> None:
    """``cv2.imwrite`` of the array ``image`` that raises (with the reason, a full disk said as such) instead of returning False."""
    import cv2

    if not cv2.imwrite(str(path), image, list(params)):
        raise unwritten_error(path, image.nbytes)
