"""A film's workspace on disk: ``$CASTFORGE_HOME/films/<film>/``.

Layout::

    films/<film>/
        tables/<relation>.parquet      item tables, one per relation (read by DuckDB views across films)
        tables/<relation>.stage.json   how the table was made: fingerprint, inputs, params, row count
        <asset>/...                    large artefacts (frames, cut-outs, masks, stems)

Every write is atomic: tables go through a temporary file and ``os.replace``; artefact folders are built in a
staging folder beside the final one and swapped in only when the asset succeeds, so a failed run leaves the
previous result intact and no half-written outputs. With ``CASTFORGE_ARTEFACTS=s3://...`` each finished table and
folder is also published there and a missing one fetched from there (resources/object_store.py).
"""

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

from resources.errors import CastforgeError, MissingUpstreamError
from resources.object_store import artefact_mirror
from resources.paths import castforge_home


class FilmWorkspace:
    """Files of one film. Pure filesystem; no Dagster, no catalog."""

    def __init__(self, film: str, home: Path | None = None):
        self.film = film
        self.home = Path(home) if home else castforge_home()
        self.root = contained(self.home / "films", film)
        self.mirror = artefact_mirror(self.home)   # None: local folders only (the default)

    # -- tables -------------------------------------------------------------------------------------------------
    def table_path(self, relation: str) -> Path:
        return self.root / "tables" / f"{relation}.parquet"

    def stage_record_path(self, relation: str) -> Path:
        return self.root / "tables" / f"{relation}.stage.json"

    def _local(self, path: Path) -> bool:
        """Whether ``path`` is here, fetching it from the object store first when it is only there."""
        return path.exists() or (self.mirror is not None and self.mirror.fetch(path))

    def has_table(self, relation: str) -> bool:
        return self._local(self.table_path(relation))

    def read_table(self, relation: str) -> pl.DataFrame:
        path = self.table_path(relation)
        if not self._local(path):
            raise MissingUpstreamError(self.film, relation)
        return pl.read_parquet(path)

    def read_optional_table(self, relation: str) -> pl.DataFrame | None:
        """The table, or None when that relation was never written for this film."""
        return self.read_table(relation) if self.has_table(relation) else None

    def write_table(self, relation: str, table: pl.DataFrame) -> Path:
        path = self.table_path(relation)
        path.parent.mkdir(parents=True, exist_ok=True)
        if "film" not in table.columns:
            table = table.with_columns(pl.lit(self.film).alias("film")).select(["film", *table.columns])
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            table.write_parquet(tmp)
            os.replace(tmp, path)
        except BaseException:   # a full disk: no half-written file left beside the table
            tmp.unlink(missing_ok=True)
            raise
        if self.mirror is not None:
            self.mirror.publish_file(path)
        return path

    def read_stage_record(self, relation: str) -> dict[str, Any] | None:
        path = self.stage_record_path(relation)
        if not self._local(path):
            return None
        return json.loads(path.read_text())

    def write_stage_record(self, relation: str, record: dict[str, Any]) -> None:
        write_json_atomic(self.stage_record_path(relation), record)
        if self.mirror is not None:
            self.mirror.publish_file(self.stage_record_path(relation))

    # -- artefact folders ---------------------------------------------------------------------------------------
    def artefact_dir(self, name: str) -> Path:
        return contained(self.root, name)

    @contextmanager
    def staged_dir(self, name: str) -> Iterator[Path]:
        """A fresh folder to fill; on success it replaces ``<film>/<name>/`` in one rename, on error it is removed."""
        final = self.artefact_dir(name)
        final.parent.mkdir(parents=True, exist_ok=True)
        # the pid in the name lets `castforge runs clear` remove the staging folders of processes that were killed
        staging = Path(tempfile.mkdtemp(prefix=f".{name}.staging.{os.getpid()}.", dir=final.parent))
        try:
            yield staging
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        swap_in(staging, final)
        self.publish_dir(name)

    def publish_dir(self, name: str) -> None:
        """Copy ``<film>/<name>/`` to the object store (CASTFORGE_ARTEFACTS), for a folder written in place."""
        if self.mirror is not None and self.artefact_dir(name).is_dir():
            self.mirror.publish_dir(self.artefact_dir(name))

    def relative(self, path: Path) -> str:
        """A path relative to CASTFORGE_HOME (how tables store artefact paths)."""
        return str(Path(path).resolve().relative_to(self.home))

    def relative_once_moved(self, staging: Path, final: Path) -> Callable[[Path], str]:
        """Maps a file written under ``staging`` to the stored path it will have once moved to ``final``."""
        return lambda path: self.relative(final / Path(path).relative_to(staging))

    def absolute(self, stored: str) -> Path:
        """A stored path made absolute; an artefact only in the object store is fetched first."""
        p = Path(stored)
        if p.is_absolute():
            return p
        local = self.home / p
        if self.mirror is not None:
            self._local(local)
        return local


def contained(root: Path, *parts: str) -> Path:
    """``root / parts``, refused unless it stays inside ``root``: every path castforge writes from a name it was given
    (a film key, an identity id, a label) goes through here, so ``../..`` or an absolute name cannot escape the
    workspace. Symlinks already on disk are followed (a link pointing out of the workspace is refused too)."""
    target = Path(root).joinpath(*parts)
    base = Path(root).resolve()
    resolved = target.resolve()
    if not resolved.is_relative_to(base) or any(p in ("", ".", "..") or "\x00" in p for p in map(str, parts)):
        raise CastforgeError(f"refusing to write {target}: {'/'.join(map(str, parts))!r} is not a name inside {base}")
    return target


def swap_in(staging: Path, final: Path) -> None:
    """Replace ``final`` with ``staging``: the old folder is renamed away first, then removed."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old.{uuid.uuid4().hex}")
        os.replace(final, old)
    os.replace(staging, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_json_atomic(path: Path, payload: Any) -> None:
    """Writes ``payload`` to a unique temporary file beside ``path`` and renames it into place, so readers and
    concurrent writers only ever see a whole file; the temporary file is removed when the write fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
