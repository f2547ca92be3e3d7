"""The catalog's small tables where many machines share them: Postgres or a DuckLake catalog.

``CASTFORGE_CATALOG`` chooses where ``films``, ``materializations`` and ``decisions`` live:

- unset, ``duckdb`` or ``embedded``: the embedded default, one DuckDB file (``$CASTFORGE_HOME/catalog.duckdb``).
- ``postgresql://user@host:port/db`` (or libpq ``host=... dbname=...``): tables in that Postgres database.
- ``ducklake:postgres:host=... dbname=...``: a DuckLake catalog, its metadata in Postgres and its data as Parquet
  under ``CASTFORGE_CATALOG_DATA`` (default ``$CASTFORGE_HOME/catalog_lake/``, a folder every machine mounts).

In both shared modes DuckDB still runs every query (one dialect, the Parquet views beside the tables): each process
keeps one in-memory DuckDB connection that attaches the shared database as ``shared`` and holds the per-film Parquet
views as temporary views. There is no file lock to wait for; Postgres orders concurrent writers.

DuckDB's ``postgres`` and ``ducklake`` extensions come from the PyPI wheels ``duckdb-ext-postgres`` /
``duckdb-ext-ducklake``, built for one DuckDB version (1.4.4): ``install/setup_cluster.sh`` installs them with that
DuckDB into ``.venv-cluster``. Nothing is downloaded at run time.
"""

import importlib.util
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb

from resources.errors import CastforgeError

log = logging.getLogger(__name__)
T = TypeVar("T")

SETTING = "CASTFORGE_CATALOG"
DATA_SETTING = "CASTFORGE_CATALOG_DATA"
EMBEDDED = {"", "duckdb", "embedded"}
CONNECT_TIMEOUT_S = 5
ALIAS = "shared"

CONFLICT_RETRIES: list[float] = []   # seconds each shared transaction spent running again after a write conflict
_connections: dict[tuple[int, str, str], duckdb.DuckDBPyConnection] = {}
_guard = threading.Lock()


@dataclass(frozen=True)
class SharedCatalog:
    """Where the shared tables live: ``kind`` is ``postgres`` or ``ducklake``; ``dsn`` is what DuckDB attaches."""

    kind: str
    dsn: str
    data_path: str | None = None

    def describe(self) -> str:
        """The setting with any password masked, for errors and logs."""
        return redact(self.dsn)


def sql_text(text: str) -> str:
    """``text`` for a single-quoted SQL literal."""
    return text.replace("'", "''")


def redact(dsn: str) -> str:
    return re.sub(r"(password=)\S+", r"\1***", re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", dsn))


def with_connect_timeout(dsn: str, seconds: int = CONNECT_TIMEOUT_S) -> str:
    """A libpq connection string or URI that gives up after ``seconds`` instead of hanging on an unreachable host."""
    if "connect_timeout" in dsn:
        return dsn
    if "://" in dsn:
        return f"{dsn}{'&' if '?' in dsn else '?'}connect_timeout={seconds}"
    return f"{dsn} connect_timeout={seconds}"


def shared_catalog(setting: str | None, home: Path) -> SharedCatalog | None:
    """The shared catalog ``setting`` (default: ``CASTFORGE_CATALOG``) names, or None for the embedded default."""
    value = (os.environ.get(SETTING, "") if setting is None else setting).strip()
    if value.lower() in EMBEDDED:
        return None
    if value.startswith(("postgresql://", "postgres://")) or re.match(r"^\s*(host|dbname|user|port)=", value):
        return SharedCatalog("postgres", with_connect_timeout(value))
    if value.startswith("ducklake:postgres:"):
        metadata = with_connect_timeout(value[len("ducklake:postgres:"):])
        data = os.environ.get(DATA_SETTING) or str(Path(home) / "catalog_lake")
        return SharedCatalog("ducklake", f"ducklake:postgres:{metadata}", data.rstrip("/") + "/")
    raise CastforgeError(
        f"{SETTING}={redact(value)!r} is not understood: use 'duckdb' (the default, one DuckDB file), "
        "'postgresql://user@host:port/db' or 'ducklake:postgres:host=... dbname=...'")


def extension_directory() -> str:
    """The folder of DuckDB extensions the ``duckdb-ext-*`` wheels install, checked against this DuckDB's version."""
    spec = importlib.util.find_spec("duckdb_ext")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        root = Path(folder) / "extensions"
        if (root / f"v{duckdb.__version__}").is_dir():
            return str(root)
    found = sorted(p.name for f in folders for p in (Path(f) / "extensions").glob("v*"))
    raise CastforgeError(
        f"{SETTING} names a shared catalog, which needs DuckDB's postgres/ducklake extensions built for this DuckDB "
        f"({duckdb.__version__}); the duckdb-ext-* wheels here are for {', '.join(found) or 'none installed'}. "
        "Run castforge from .venv-cluster (bash install/setup_cluster.sh pins duckdb 1.4.4 with "
        "duckdb-ext-postgres / -ducklake / -httpfs 1.4.4.*), or unset CASTFORGE_CATALOG for the embedded DuckDB file")


def _attach(catalog: SharedCatalog, home: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:", config={"extension_directory": extension_directory(),
                                             "autoinstall_known_extensions": False})
    options = "TYPE postgres" if catalog.kind == "postgres" else f"DATA_PATH '{sql_text(catalog.data_path or '')}'"
    for attempt in range(4):
        try:
            con.execute(f"ATTACH '{sql_text(catalog.dsn)}' AS {ALIAS} ({options})")
            break
        except duckdb.Error as error:
            # a DuckLake catalog initialised by two processes at once: the later one finds it made on a retry
            if is_ddl_race(error) and attempt < 3:
                time.sleep(0.2 * (1 + random.random()))
                continue
            con.close()
            raise CastforgeError(f"catalog: cannot attach the shared catalog {catalog.describe()} ({SETTING}): "
                                 f"{str(error).splitlines()[0]}") from None
    con.execute(f"USE {ALIAS}")
    if views_mirror(catalog, home) is not None:
        _read_object_store(con)
    # relative paths (the views' Parquet globs) resolve against this home, wherever it is now mounted
    con.execute(f"SET file_search_path = '{sql_text(str(home))}'")
    return con


def connection(catalog: SharedCatalog, home: Path) -> duckdb.DuckDBPyConnection:
    """This process's connection to ``catalog`` for ``home`` (made on first use; a forked child makes its own)."""
    key = (os.getpid(), catalog.dsn, str(home))
    with _guard:
        con = _connections.get(key)
        if con is None:
            con = _connections[key] = _attach(catalog, home)
        return con


def forget(catalog: SharedCatalog, home: Path) -> None:
    """Drop this process's connection (after a connection error): the next use attaches afresh."""
    with _guard:
        con = _connections.pop((os.getpid(), catalog.dsn, str(home)), None)
    if con is not None:
        try:
            con.close()
        except duckdb.Error:
            pass


def create_lock_row(con: duckdb.DuckDBPyConnection) -> None:
    """The ``catalog_lock`` table and its one row, which every shared transaction updates first."""
    con.execute("CREATE TABLE IF NOT EXISTS catalog_lock (id INTEGER NOT NULL, holder VARCHAR, claimed_at TIMESTAMP)")
    if not con.execute("SELECT count(*) FROM catalog_lock").fetchone()[0]:
        con.execute("INSERT INTO catalog_lock VALUES (1, '', now())")


def claim(con: duckdb.DuckDBPyConnection) -> None:
    """Inside a transaction: update the lock row, so a concurrent transaction that also does conflicts with this
    one (Postgres under the extension's REPEATABLE READ, DuckLake at commit) instead of both passing a check."""
    con.execute("UPDATE catalog_lock SET holder = ?, claimed_at = now()", [f"{os.uname().nodename}:{os.getpid()}"])


def is_conflict(error: BaseException) -> bool:
    text = str(error).lower()
    return isinstance(error, duckdb.Error) and ("could not serialize" in text or "conflict" in text)


def is_ddl_race(error: BaseException) -> bool:
    """Postgres refusing a ``CREATE TABLE IF NOT EXISTS`` that another session ran at the same moment."""
    text = str(error).lower()
    return isinstance(error, duckdb.Error) and ("already exists" in text or "pg_type_typname_nsp_index" in text)


def retry_conflicts(run: Callable[[], T], budget_s: float,
                    also: Callable[[BaseException], bool] = lambda error: False) -> T:
    """``run()`` again while it fails on a write conflict with another process (or an error ``also`` accepts), for
    at most ``budget_s``; the time spent is appended to CONFLICT_RETRIES."""
    start, delay = time.monotonic(), 0.02
    while True:
        try:
            out = run()
        except duckdb.Error as error:
            waited = time.monotonic() - start
            if not (is_conflict(error) or also(error)) or waited >= budget_s:
                raise
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 0.5)
            continue
        waited = time.monotonic() - start
        if waited > 0.05:
            CONFLICT_RETRIES.append(waited)
            log.info("catalog: a transaction ran again after a write conflict (%.2f s)", waited)
        return out


def views_mirror(catalog: SharedCatalog | None, home: Path):  # -> ArtefactMirror | None
    """The object store the shared catalog's views read the per-film tables from (CASTFORGE_ARTEFACTS), if any."""
    if catalog is None:
        return None
    from resources.object_store import artefact_mirror
    return artefact_mirror(home)


def _read_object_store(con: duckdb.DuckDBPyConnection) -> None:
    """httpfs with an S3 secret from the AWS environment (path-style, plain HTTP for an http:// endpoint)."""
    con.execute("LOAD httpfs")
    options = {"KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID"), "SECRET": os.environ.get("AWS_SECRET_ACCESS_KEY"),
               "REGION": os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")}
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        options.update(ENDPOINT=re.sub(r"^https?://", "", endpoint).rstrip("/"), URL_STYLE="path")
        options["USE_SSL"] = "false" if endpoint.startswith("http://") else "true"
    fields = ", ".join(f"{k} {v}" if k == "USE_SSL" else f"{k} '{sql_text(v)}'" for k, v in options.items() if v)
    con.execute(f"CREATE OR REPLACE SECRET castforge_artefacts (TYPE s3{', ' + fields if fields else ''})")
