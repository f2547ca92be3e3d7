"""A content-addressed store of small JSON results on disk, shared by processes and stages.

A model's answer for one input is stored under a key that hashes the exact input bytes with the model's version,
so whichever stage asks first fills it and any later stage (or another worker process) asking the same question
reads it: on drawn films AnimeFace runs once per frame, though both ``instances`` and ``face_embeddings`` ask.
Writes are atomic (``write_json_atomic``: a unique temporary file renamed into place), so two processes filling
one key at once both leave a whole file; an unreadable or corrupt entry reads as missing and is computed and
written again.
"""

import hashlib
import json
import logging
from pathlib import Path

from resources.storage import write_json_atomic

log = logging.getLogger(__name__)


def content_key(version: str, *parts: bytes) -> str:
    """Hex key of ``version`` and the byte strings (e.g. an image's shape and its pixels), in order."""
    digest = hashlib.blake2b(version.encode(), digest_size=20)
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class ResultCache:
    """JSON values by key under ``folder`` (``<folder>/<key[:2]>/<key>.json``)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        """The stored value, or None when there is none or it cannot be read (then it is recomputed)."""
        path = self.path(key)
        try:
            value = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            log.warning("result cache: %s is unreadable (%s); computing it again", path, error)
            return None
        return value if isinstance(value, dict) else None

    def put(self, key: str, value: dict) -> None:
        """Stores ``value`` atomically; a cache that cannot be written (read-only, disk full) is logged, not fatal."""
        path = self.path(key)
        try:
            write_json_atomic(path, value)
        except OSError as error:
            log.warning("result cache: cannot write %s (%s); the result is not kept", path, error)
