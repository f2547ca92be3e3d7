"""The DuckDB catalog: ``$CASTFORGE_HOME/catalog.duckdb``.

Item relations (frames, shots, instances, faces, ...) are Parquet files per film written by the film's workspace;
the catalog exposes each as a view over ``films/*/tables/<relation>.parquet``, so parallel runs of different films
never contend for the database. Only small bookkeeping rows (films, materializations, review decisions) are written
to the database itself, each through one short connection that waits, once and bounded, while another process holds the lock.
Views name their Parquet files relative to the home, so the home can be moved or mounted elsewhere.
With ``CASTFORGE_CATALOG`` set, the small tables live in Postgres or a DuckLake catalog instead, which many machines
share without a file lock (resources/catalog_shared.py).
"""

import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import polars as pl

from resources import catalog_shared
from resources.catalog_shared import sql_text as _sql_text
from resources.errors import CastforgeError
from resources.paths import castforge_home

log = logging.getLogger(__name__)
T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS films (
    film VARCHAR PRIMARY KEY,
    source_path VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,            -- video | images | audio
    duration_s DOUBLE,
    fps DOUBLE,
    width INTEGER,
    height INTEGER,
    frame_count BIGINT,
    image_count INTEGER,
    has_audio BOOLEAN,
    size_bytes BIGINT,
    ingested_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS materializations (
    film VARCHAR NOT NULL,
    asset VARCHAR NOT NULL,
    run_id VARCHAR,
    code_version VARCHAR,
    config_hash VARCHAR,
    input_fingerprints VARCHAR,       -- JSON: upstream relation -> fingerprint
    fingerprint VARCHAR,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    status VARCHAR NOT NULL,          -- success | cached | failed
    row_count BIGINT,
    duration_s DOUBLE,
    error VARCHAR
);
CREATE TABLE IF NOT EXISTS decisions (
    decision_id VARCHAR PRIMARY KEY,
    film VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,            -- keep | discard | tag | rename | merge | split | move | noise | undo ...
    item_id VARCHAR,                  -- stable content id of an instance, or an identity id
    from_value VARCHAR,
    to_value VARCHAR,
    payload VARCHAR,                  -- JSON with anything else the decision needs
    author VARCHAR,
    created_at TIMESTAMP NOT NULL,
    superseded_by VARCHAR,            -- set when undone
    revision BIGINT                   -- the film's review revision this decision produced
);
"""

# Within one process DuckDB refuses a read-only connection to a file while a read-write one is open (and two
# read-write ones from different threads fight), so every connection of this process takes turns.
_process_lock = threading.RLock()

# Relations written as Parquet by the workspaces; registered as views once a file exists.
_RELATION_FILE_GLOB = "films/*/tables/{relation}.parquet"


DEFAULT_LOCK_WAIT_S = 120.0
LOCK_WAITS: list[float] = []   # seconds each connection of this process waited for another process's lock


class CatalogBusyError(CastforgeError):
    """Another process held the catalog longer than the bounded wait."""


class Catalog:
    """Reads and writes the catalog. Every call opens and closes its own connection."""

    def __init__(self, home: Path | None = None, lock_wait_s: float | None = None, url: str | None = None):
        self.home = Path(home) if home else castforge_home()
        self.path = self.home / "catalog.duckdb"
        # None: the embedded DuckDB file; else the shared Postgres / DuckLake tables (url default CASTFORGE_CATALOG)
        self.shared = catalog_shared.shared_catalog(url, self.home)
        self.lock_wait_s = lock_wait_s if lock_wait_s is not None else float(
            os.environ.get("CASTFORGE_CATALOG_LOCK_WAIT_S", DEFAULT_LOCK_WAIT_S))
        self._ready = False

    # -- connections --------------------------------------------------------------------------------------------
    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """A connection, waiting (once, bounded by ``lock_wait_s``) while another process holds the database; a
        wait is recorded in LOCK_WAITS and a long one reported. The lock is only ever taken here, at connect."""
        start = time.monotonic()
        delay = 0.02
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=read_only and self.path.exists())
                break
            except duckdb.IOException as error:
                waited = time.monotonic() - start
                if "lock" not in str(error).lower():
                    raise
                if waited >= self.lock_wait_s:
                    raise CatalogBusyError(
                        f"{self.path}: another process held the catalog lock for {waited:.0f} s (the wait is "
                        f"bounded by CASTFORGE_CATALOG_LOCK_WAIT_S={self.lock_wait_s:g}): {error}") from None
                time.sleep(min(delay * (1 + random.random()), max(0.0, self.lock_wait_s - waited)))
                delay = min(delay * 2, 0.5)
        # relative paths (the views' Parquet globs) resolve against this home, wherever it is now mounted
        con.execute(f"SET file_search_path = '{_sql_text(str(self.home))}'")
        waited = time.monotonic() - start
        if waited > 0.05:
            LOCK_WAITS.append(waited)
            (log.warning if waited > 5 else log.info)("catalog: waited %.2f s for %s's lock", waited, self.path)
        return con

    @contextmanager
    def _connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        self.home.mkdir(parents=True, exist_ok=True)
        if self.shared is not None:
            with _process_lock:
                con = catalog_shared.connection(self.shared, self.home)
                try:
                    yield con
                except (duckdb.ConnectionException, duckdb.IOException):
                    catalog_shared.forget(self.shared, self.home)
                    raise
            return
        with _process_lock:
            con = self._open(read_only)
            try:
                yield con
            finally:
                con.close()

    def transaction(self, action: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run ``action(connection)`` in one transaction on one short connection (which waits, bounded, while
        another process holds the database): a check and the writes it guards happen atomically. On a shared
        catalog every transaction first claims the one ``catalog_lock`` row, so two at once conflict and the later
        one runs again (bounded by ``lock_wait_s``) and sees what the first wrote."""
        self.ensure_schema()

        def run() -> T:
            with self._connect() as con:
                con.execute("BEGIN TRANSACTION")
                try:
                    if self.shared is not None:
                        catalog_shared.claim(con)
                    out = action(con)
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
                return out

        if self.shared is None:
            return run()
        return catalog_shared.retry_conflicts(run, self.lock_wait_s)

    def ensure_schema(self) -> None:
        if self._ready:
            return

        def create() -> None:
            with self._connect() as con:
                # DuckLake tables take no PRIMARY KEY constraint; the writers never relied on it to reject a row
                con.execute(SCHEMA.replace(" PRIMARY KEY", "") if self._ducklake else SCHEMA)
                if self.shared is not None:
                    catalog_shared.create_lock_row(con)
                self._refresh_views(con)

        if self.shared is None:
            create()
        else:   # two processes creating the shared tables at once: the later one fails, then finds them made
            catalog_shared.retry_conflicts(create, self.lock_wait_s, also=catalog_shared.is_ddl_race)
        self._ready = True

    @property
    def _ducklake(self) -> bool:
        return self.shared is not None and self.shared.kind == "ducklake"

    def _refresh_views(self, con: duckdb.DuckDBPyConnection) -> None:
        """(Re)create one view per Parquet relation found under films/*/tables/ (in the object store's copy of
        the home when a shared catalog meets CASTFORGE_ARTEFACTS=s3://...: DuckDB reads it through httpfs)."""
        mirror = catalog_shared.views_mirror(self.shared, self.home)
        files = mirror.glob(_RELATION_FILE_GLOB.format(relation="*")) if mirror else \
            self.home.glob(_RELATION_FILE_GLOB.format(relation="*"))
        relations = sorted({Path(p).stem for p in files})
        tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables "
                                                "WHERE table_type = 'BASE TABLE'").fetchall()}
        for relation in relations:
            if relation in tables or not relation.replace("_", "").isalnum():
                continue
            # relative to the home (file_search_path): moving or mounting CASTFORGE_HOME elsewhere keeps the views
            glob = _RELATION_FILE_GLOB.format(relation=relation)
            glob = _sql_text(mirror.url_of(glob) if mirror else glob)
            # shared: each process's in-memory connection holds the views (the shared database never sees them)
            con.execute(
                f"CREATE OR REPLACE {'TEMP ' if self.shared else ''}VIEW {relation} AS "
                f"SELECT * FROM read_parquet('{glob}', union_by_name = true)"
            )

    def refresh_views(self) -> None:
        """Register views for relations that appeared since (a short write)."""
        self.ensure_schema()

        def refresh() -> None:
            with self._connect() as con:
                self._refresh_views(con)

        refresh()

    # -- reads and writes ---------------------------------------------------------------------------------------
    def execute(self, sql: str, params: list[Any] | None = None) -> None:
        """One short write transaction."""
        self.ensure_schema()

        def run() -> None:
            with self._connect() as con:
                con.execute(sql, params or [])

        run()

    def query(self, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
        """A read; returns a polars DataFrame."""
        self.ensure_schema()

        def run() -> pl.DataFrame:
            with self._connect(read_only=True) as con:
                return con.execute(sql, params or []).pl()

        return run()

    def insert_rows(self, table: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        columns = list(rows[0])
        placeholders = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
        self.ensure_schema()

        def run() -> None:
            with self._connect() as con:
                con.executemany(sql, [[row[c] for c in columns] for row in rows])

        run()

    # -- films --------------------------------------------------------------------------------------------------
    def film(self, film: str) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM films WHERE film = ?", [film]).to_dicts()
        return rows[0] if rows else None

    def film_by_hash(self, content_hash: str) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM films WHERE content_hash = ?", [content_hash]).to_dicts()
        return rows[0] if rows else None

    def films(self) -> pl.DataFrame:
        return self.query("SELECT * FROM films ORDER BY film")

    def last_materializations(self, film: str) -> pl.DataFrame:
        return self.query(
            "SELECT * FROM materializations WHERE film = ? "
            "QUALIFY row_number() OVER (PARTITION BY asset ORDER BY finished_at DESC) = 1 ORDER BY asset",
            [film],
        )
