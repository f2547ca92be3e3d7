"""Artefacts on object storage: ``CASTFORGE_ARTEFACTS=s3://bucket/prefix`` mirrors each film's workspace there.

Every stage keeps writing and reading local files (OpenCV, PyAV, PIL and the model libraries want paths), under
``$CASTFORGE_HOME`` on whichever machine runs the step, which thus acts as a cache. With the setting, the workspace
publishes what a stage made once it succeeded (each table and stage record as one object, each artefact folder:
frames, cut-outs, masks, stems, exports) to the same relative key under the prefix, and a machine that lacks a file
a table names fetches it on first use. So a step can run on any worker, and the bucket is the shared copy.

What stays local: the catalog connection, the models, staging folders and anything a stage reads by listing a folder
rather than through a table's path column. S3 has no rename, so a folder is replaced by uploading every new object
first (each key swaps atomically) and only then removing the keys the new folder no longer holds: a reader listing it
meanwhile sees the whole old or new file under every name, never a folder with files missing. A staged folder is
published as it swaps in, before its stage commits the table naming its files; the datasets export, written in
place, is published just after its table (a reader in between may fetch a name not yet uploaded: it gets no file).

Credentials and endpoint come from the usual AWS settings (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_REGION``, ``AWS_ENDPOINT_URL`` for an S3-compatible server such as MinIO). fsspec with s3fs does the transfers;
s3fs is imported only when the setting is given (installed in .venv-cluster by install/setup_cluster.sh).
"""

import logging
import os
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from resources.errors import CastforgeError

SETTING = "CASTFORGE_ARTEFACTS"
log = logging.getLogger(__name__)
_mirrors: dict[tuple[str, str], "ArtefactMirror"] = {}
_guard = threading.Lock()


def s3_options() -> dict[str, Any]:
    """s3fs options from the AWS environment (an explicit endpoint for S3-compatible servers)."""
    client: dict[str, Any] = {}
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        client["endpoint_url"] = endpoint
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        client["region_name"] = region
    return {"client_kwargs": client} if client else {}


class ArtefactMirror:
    """The copy of ``home`` under ``url``: publishes local files and folders, fetches missing ones."""

    def __init__(self, url: str, home: Path):
        parsed = urlparse(url)
        if parsed.scheme not in ("s3", "s3a") or not parsed.netloc:
            raise CastforgeError(f"{SETTING}={url!r}: use s3://bucket/prefix (or leave it unset for local folders)")
        self.url = url.rstrip("/")
        self.home = Path(home)
        try:
            import s3fs
        except ImportError:
            raise CastforgeError(f"{SETTING}={url} needs s3fs: run from .venv-cluster (bash install/setup_cluster.sh) "
                                 "or pip install s3fs") from None
        # no listing cache: other machines add and replace keys all the time
        self.fs = s3fs.S3FileSystem(use_listings_cache=False, **s3_options())
        self._root = self.url.split("://", 1)[1]

    def key(self, local: Path | str) -> str:
        """The object key (bucket/prefix/relative) for a path under the home."""
        relative = Path(local).resolve().relative_to(self.home.resolve()) if Path(local).is_absolute() else local
        return f"{self._root}/{Path(relative).as_posix()}"

    def url_of(self, relative: str) -> str:
        return f"{self.url}/{relative}"

    def publish_file(self, local: Path) -> None:
        self._call("upload", local, lambda: self.fs.put_file(str(local), self.key(local)))

    def publish_dir(self, local: Path) -> None:
        """Replace the folder's copy with ``local``'s files: upload them all, then remove the stale keys only."""
        key = self.key(local)

        def replace() -> None:
            files = [p for p in Path(local).rglob("*") if p.is_file()]
            fresh = [self.key(p) for p in files]
            if files:
                self.fs.put([str(p) for p in files], fresh)
            stale = sorted(set(self.fs.find(key)) - set(fresh)) if self.fs.exists(key) else []
            if stale:
                self.fs.rm(stale)

        self._call("upload", local, replace)

    def fetch(self, local: Path) -> bool:
        """Download ``local``'s copy when the bucket has one (True), else False."""
        key = self.key(local)
        if not self.fs.exists(key):
            return False
        Path(local).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(local).with_name(f".{Path(local).name}.{os.getpid()}.fetch")
        self._call("download", local, lambda: self.fs.get_file(key, str(tmp)))
        os.replace(tmp, local)
        log.info("fetched %s from %s", local, self.url)
        return True

    def exists(self, local: Path) -> bool:
        return bool(self.fs.exists(self.key(local)))

    def glob(self, pattern: str) -> list[str]:
        """Keys relative to the prefix that match ``pattern`` (relative, e.g. films/*/tables/*.parquet)."""
        return [k[len(self._root) + 1:] for k in self.fs.glob(f"{self._root}/{pattern}")]

    def _call(self, what: str, local: Path, action: Any) -> None:
        try:
            action()
        except (OSError, ValueError) as error:
            raise CastforgeError(f"{local}: {what} to/from {self.url} ({SETTING}) failed: {error}") from None


def artefact_mirror(home: Path, url: str | None = None) -> ArtefactMirror | None:
    """The mirror ``url`` (default ``CASTFORGE_ARTEFACTS``) names for ``home``, or None for local folders only."""
    url = (os.environ.get(SETTING, "") if url is None else url).strip()
    if not url:
        return None
    key = (url, str(home))
    with _guard:
        if key not in _mirrors:
            _mirrors[key] = ArtefactMirror(url, home)
        return _mirrors[key]
