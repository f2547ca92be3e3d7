"""One stage run of one film: fingerprints, cache hits, atomic commit and the lineage row.

A stage's fingerprint hashes its asset name, code version, effective parameters and the keys of what it read (each
upstream relation's content key, the film's content hash, the review revision). When the film's stored record
carries the same fingerprint and its table is on disk, the stage is current and is not recomputed: re-materialising
with unchanged inputs and config is cheap and yields identical rows.

A relation's key is its content (``outputs`` in its writer's stage record, made at commit by ``content_key``): the
table file's bytes and the bytes of every file or folder its rows name. So an upstream stage that ran again and
wrote the same rows and files leaves the stages below it current; a record written before content keys falls back
to the writer's fingerprint. A stage is current only while what it wrote is still on disk as written
(``changed_outputs``: the sizes and times of its table and named files, ``output_stamps`` in its record, then their
content when those differ): a cut-out or key frame edited or deleted by hand, or a table left by a killed run, makes
it compute again rather than serve rows over files that no longer match them.
"""

import functools
import hashlib
import json
import logging
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import polars as pl

from resources.catalog import Catalog
from resources.disk_space import free_bytes, is_disk_full, min_free_bytes, shown_bytes
from resources.errors import DiskFullError, MissingUpstreamError
from resources.holds import stage_hold
from resources.relations import RELATIONS, writer_of
from resources.storage import FilmWorkspace

log = logging.getLogger(__name__)


def stable_hash(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


OUTPUTS = "outputs"  # stage record field: relation -> content key of what the stage wrote (``content_key``)
OUTPUT_STAMPS = "output_stamps"  # stage record field: relation -> ``output_stamp`` of what the stage wrote


def relation_key(record: dict[str, Any], relation: str) -> str:
    """The key of ``relation`` in its writer's stage ``record``: its content key, or (a record written before
    content keys) the writer's fingerprint."""
    return (record.get(OUTPUTS) or {}).get(relation) or record["fingerprint"]


def upstream_fingerprint(workspace: FilmWorkspace, relation: str) -> str:
    """The key of ``relation`` as its writer's stage record gives it (``relation_key``); a ``MissingUpstreamError``
    naming the writing asset when the table or its stage record is absent."""
    record = workspace.read_stage_record(writer_of(relation))
    if record is None or not workspace.has_table(relation):
        raise MissingUpstreamError(workspace.film, relation)
    return relation_key(record, relation)


def relation_fingerprint(workspace: FilmWorkspace, relation: str) -> str:
    """What a stage read, for its own fingerprint: the relation's key in its writer's record, a content hash for a
    table without a stage record (written by hand or by an older version), or ``absent``."""
    path = workspace.table_path(relation)
    if not path.exists():
        return "absent"
    record = workspace.read_stage_record(writer_of(relation))
    if record is not None:
        return relation_key(record, relation)
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def content_key(workspace: FilmWorkspace, relation: str, named: dict[str, Path] | None = None) -> str:
    """The content of a written relation: its table file's bytes and those of every file or folder its rows name
    (a text column one of whose first values is a path in the film's folder: cut-outs, key frames, stems, crops), so
    a stage that rewrote a picture under an unchanged path does change the key. ``named``: ``_named_artefacts``
    when the caller has read it already."""
    path = workspace.table_path(relation)
    named = _named_artefacts(workspace, relation) if named is None else named
    return stable_hash([file_digest(path), sorted((value, _tree_digest(target)) for value, target in named.items())])


def output_stamp(workspace: FilmWorkspace, relation: str, named: dict[str, Path] | None = None) -> str:
    """A cheap stand-in for ``content_key``: the size and modification time of the table file and of every file
    its rows name (no bytes read), so a cached stage notices a file edited or deleted by hand without hashing."""
    path = workspace.table_path(relation)
    named = _named_artefacts(workspace, relation) if named is None else named
    return stable_hash([_tree_stat(path), [(value, _tree_stat(target)) for value, target in sorted(named.items())]])


def _named_artefacts(workspace: FilmWorkspace, relation: str) -> dict[str, Path]:
    """Every file or folder the rows of ``relation`` name, by the stored value: the values of each text column one
    of whose first values names an artefact in the film's folder (a value whose file is gone stays, as missing)."""
    table = pl.read_parquet(workspace.table_path(relation))
    named: dict[str, Path] = {}
    for column, dtype in table.schema.items():
        values = table[column].drop_nulls().unique().sort() if dtype == pl.String else None
        if values is None or not any(_names_artefact(workspace, value) for value in values.head(16)):
            continue
        named.update((value, workspace.absolute(value)) for value in values)
    return named


def _tree_stat(path: Path) -> Any:
    """Size and modification time of a file; of every file under a folder, by relative path; ``missing``."""
    if path.is_dir():
        return [(p.relative_to(path).as_posix(), _tree_stat(p)) for p in sorted(path.rglob("*")) if p.is_file()]
    try:
        status = path.stat()
    except OSError:
        return "missing"
    return [status.st_size, status.st_mtime_ns]


def changed_outputs(workspace: FilmWorkspace, record: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """The relations a stage record says its stage wrote whose content on disk is no longer what it wrote (a
    cut-out, key frame or table edited or deleted by hand, a run killed while rewriting them), and the fresh
    ``output_stamp`` of those whose files were touched but not changed. Each one's stamp is compared first, its
    ``content_key`` only when the stamp differs. A record written before content keys has nothing to compare."""
    stamps = record.get(OUTPUT_STAMPS) or {}
    changed, restamped = [], {}
    for relation, key in (record.get(OUTPUTS) or {}).items():
        if not workspace.table_path(relation).exists():
            changed.append(relation)
            continue
        named = _named_artefacts(workspace, relation)   # the table read once for the stamp and the key
        stamp = output_stamp(workspace, relation, named)
        if stamps.get(relation) == stamp:
            continue
        if content_key(workspace, relation, named) == key:
            restamped[relation] = stamp
        else:
            changed.append(relation)
    return changed, restamped


def _names_artefact(workspace: FilmWorkspace, value: str) -> bool:
    """Whether ``value`` names a file or folder here inside the film's folder (not the folder itself; looked up
    locally, never fetched from the object store)."""
    if not value or len(value) > 4096 or "\n" in value:
        return False
    try:
        stored = Path(value)
        target = (stored if stored.is_absolute() else workspace.home / stored).resolve()
        root = workspace.root.resolve()
        return target != root and target.is_relative_to(root) and target.exists()
    except (OSError, ValueError):
        return False


def _tree_digest(path: Path) -> str:
    """A file's content hash; a folder's: every file under it, by relative path."""
    if path.is_dir():
        return stable_hash([(p.relative_to(path).as_posix(), file_digest(p))
                            for p in sorted(path.rglob("*")) if p.is_file()])
    return file_digest(path)


def file_digest(path: Path | None) -> str:
    """The content hash of a file (``missing`` when it is not there)."""
    if path is None or not Path(path).is_file():
        return "missing"
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def check_relation(asset: str, name: str, table: pl.DataFrame, logger: logging.Logger = log) -> None:
    """A stage commits only relations registered to it (resources/relations.py), with their declared columns."""
    if name not in RELATIONS:
        logger.warning("%s writes relation %r, which resources/relations.py does not register: register it "
                       "(writer, columns) so readers can depend on it", asset, name)
        return
    declared = RELATIONS[name]
    if declared.writer != asset:
        raise ValueError(f"{asset} may not write relation {name!r}: resources/relations.py registers "
                         f"{declared.writer} as its writer")
    missing = [c for c in declared.columns if c not in table.columns]
    if missing:
        raise ValueError(f"{asset}: relation {name!r} lacks the columns {missing} that resources/relations.py "
                         f"declares (it has {table.columns})")


@functools.cache
def package_code_hash(package_dir: Path) -> str:
    """A hash of every Python source file in a stage's package (sorted by name): editing its core.py changes the
    code version, so cached rows made by the old code are not served."""
    digest = hashlib.sha256()
    for path in sorted(Path(package_dir).rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(package_dir).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def record_failure(catalog: Catalog, film: str, asset: str, run_id: str | None, error: BaseException) -> None:
    """A stage that failed before its StageRun existed (a missing input, a bad parameter) is recorded as failed."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    try:
        catalog.insert_rows("materializations", [{
            "film": film, "asset": asset, "run_id": run_id, "started_at": now, "finished_at": now,
            "status": "failed", "error": f"{type(error).__name__}: {error}"}])
    except Exception as failure:  # never hide the stage's own error
        log.warning("could not record the failed run of %s in the catalog: %s", asset, failure)


class StageRun:
    """Use as ``with StageRun(...) as stage:``; check ``stage.cached``; else fill and ``stage.commit(table)``."""

    def __init__(
        self,
        workspace: FilmWorkspace,
        catalog: Catalog,
        asset: str,
        code_version: str,
        params: dict[str, Any],
        inputs: dict[str, str],
        run_id: str | None = None,
        logger: logging.Logger | None = None,
    ):
        self.workspace = workspace
        self.catalog = catalog
        self.asset = asset
        self.code_version = code_version
        self.params = params
        self.inputs = inputs
        self.run_id = run_id
        self.log = logger or log
        self.config_hash = stable_hash(params)
        self.fingerprint = stable_hash([asset, code_version, self.config_hash, sorted(inputs.items())])
        self.cached_record = self._cached_record(check_outputs=False)   # checked in full once the hold is taken
        self.row_count: int | None = None
        self.started = time.monotonic()
        self.started_at = datetime.now(timezone.utc).replace(tzinfo=None)
        self.extra_record: dict[str, Any] = {}
        self.settings: Any = None  # the stage's parameter dataclass in effect (set by StageContract.open)
        self._last_progress, self._final_reported = 0.0, False

    def progress(self, done: int, total: int, what: str) -> None:
        """Report progress inside a long step (``castforge materialize`` shows a bar with rate and ETA); at most
        one record a second, and always the last one."""
        now = time.monotonic()
        final = total > 0 and done >= total
        if (final and self._final_reported) or (not final and now - self._last_progress < 1.0):
            return
        self._last_progress, self._final_reported = now, final
        logging.getLogger("castforge.progress").info("%s: %d/%d %s", self.asset, done, total, what)

    @property
    def cached(self) -> bool:
        return self.cached_record is not None

    def _cached_record(self, check_outputs: bool = True) -> dict[str, Any] | None:
        record = self.workspace.read_stage_record(self.asset)
        if not (record and record.get("fingerprint") == self.fingerprint and self.workspace.has_table(self.asset)):
            return None
        # with an object store, what was published there is the stage's output (checking would fetch it all)
        if not check_outputs or self.workspace.mirror is not None:
            return record
        changed, restamped = changed_outputs(self.workspace, record)
        if changed:
            self.log.warning("%s: %s changed on disk since the stage wrote %s (a file its rows name edited or "
                             "deleted, or a write cut short): computing the stage again", self.asset,
                             ", ".join(changed), "it" if len(changed) == 1 else "them")
            return None
        if restamped:   # touched, or a record without stamps: hash them once, not on every later run
            record = {**record, OUTPUT_STAMPS: {**(record.get(OUTPUT_STAMPS) or {}), **restamped}}
            self.workspace.write_stage_record(self.asset, record)
        return record

    def __enter__(self) -> "StageRun":
        # one writer per film and stage on every machine (a second run of the film, a step its queue delivered
        # again): the later one waits, then finds the first one's result cached (resources/holds.py)
        self._hold = stage_hold(self.workspace, self.asset)
        self._hold.__enter__()
        try:
            self.cached_record = self._cached_record()
            if self.cached_record is None:
                self._refuse_on_a_full_disk()
        except BaseException:
            self._hold.__exit__(None, None, None)
            raise
        return self

    def _refuse_on_a_full_disk(self) -> None:
        free, floor = free_bytes(self.workspace.root), min_free_bytes()
        if free is not None and free < floor:
            error = DiskFullError(self.workspace.film, self.asset, self.workspace.root, shown_bytes(free),
                                  floor=shown_bytes(floor))
            record_failure(self.catalog, self.workspace.film, self.asset, self.run_id, error)
            raise error

    def commit(self, table: pl.DataFrame, extra_tables: dict[str, pl.DataFrame] | None = None,
               **record: Any) -> pl.DataFrame:
        """Write the stage's table (and any side relations) atomically, then its stage record."""
        for relation, written in ((self.asset, table), *(extra_tables or {}).items()):
            check_relation(self.asset, relation, written, self.log)
        for relation, side_table in (extra_tables or {}).items():
            self.workspace.write_table(relation, side_table)
        self.workspace.write_table(self.asset, table)
        self.row_count = table.height
        self.extra_record = record
        named = {relation: _named_artefacts(self.workspace, relation)   # each table read once for stamp and key
                 for relation in (self.asset, *(extra_tables or {}))}
        stamps = {relation: output_stamp(self.workspace, relation, files) for relation, files in named.items()}
        outputs = {relation: content_key(self.workspace, relation, files) for relation, files in named.items()}
        self.workspace.write_stage_record(self.asset, {
            "asset": self.asset,
            "fingerprint": self.fingerprint,
            "code_version": self.code_version,
            "config_hash": self.config_hash,
            "params": self.params,
            "inputs": self.inputs,
            OUTPUTS: outputs,
            OUTPUT_STAMPS: stamps,
            "row_count": self.row_count,
            "run_id": self.run_id,
            "finished_at": datetime.now(timezone.utc).isoformat(),
            **record,
        })
        return table

    def __exit__(self, exc_type, exc, tb) -> bool:
        disk_full = None
        if exc_type is not None and not isinstance(exc, DiskFullError) and is_disk_full(exc):
            disk_full = DiskFullError(self.workspace.film, self.asset, self.workspace.root,
                                      shown_bytes(free_bytes(self.workspace.root)))
            disk_full.__cause__ = exc
            exc_type, exc = DiskFullError, disk_full
        status = "failed" if exc_type else ("cached" if self.cached and self.row_count is None else "success")
        row_count = self.row_count
        if status == "cached":
            row_count = self.cached_record.get("row_count")
        try:
            self.catalog.insert_rows("materializations", [{
                "film": self.workspace.film,
                "asset": self.asset,
                "run_id": self.run_id,
                "code_version": self.code_version,
                "config_hash": self.config_hash,
                "input_fingerprints": json.dumps(self.inputs, sort_keys=True),
                "fingerprint": self.fingerprint,
                "started_at": self.started_at,
                "finished_at": datetime.now(timezone.utc).replace(tzinfo=None),
                "status": status,
                "row_count": row_count,
                "duration_s": round(time.monotonic() - self.started, 3),
                "error": f"{exc_type.__name__}: {exc}" if exc_type else None,
            }])
            if status == "success":
                self.catalog.refresh_views()
        except Exception as error:  # lineage must never hide the stage's own error
            if exc_type is None:
                raise
            self.log.warning("could not record the failed run of %s in the catalog: %s", self.asset, error)
        finally:
            self._hold.__exit__(None, None, None)
        if disk_full is not None:
            raise disk_full
        return False

