"""The franchise prototype store as a table of a shared catalog (``CASTFORGE_CATALOG`` = Postgres or DuckLake).

Workers on several machines cluster films of one franchise; a flock on a file under one home cannot order them. So
with a shared catalog the prototypes live in its ``franchise_prototypes`` table (the vector as float32 bytes), and
the store's exclusive hold is a lease: one row per franchise in ``franchise_leases`` naming its holder
(``host:pid:token``) and when it lapses. Claiming, renewing, writing and releasing are catalog transactions, which
claim the catalog's lock row first, so two claims at once conflict and the later one runs again and sees the first.
A thread renews the lease every quarter of ``CASTFORGE_PROTOTYPE_LEASE_S`` (default 60 s) while this process holds
it, so a process that died stops renewing: its lease is taken over once it lapses, or at once from the same host
when its pid is gone. A write checks it still holds the lease and fails, naming the franchise, if it lapsed.
"""

import logging
import os
import random
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from resources.catalog import Catalog
from resources.errors import CastforgeError

log = logging.getLogger(__name__)
LEASE_SETTING = "CASTFORGE_PROTOTYPE_LEASE_S"
TABLES = """
CREATE TABLE IF NOT EXISTS franchise_prototypes (franchise VARCHAR NOT NULL, identity VARCHAR NOT NULL,
    space VARCHAR NOT NULL, name VARCHAR, prototype BLOB NOT NULL, film VARCHAR, updated_at VARCHAR);
CREATE TABLE IF NOT EXISTS franchise_leases (franchise VARCHAR NOT NULL, holder VARCHAR NOT NULL,
    expires_at DOUBLE NOT NULL);
"""
COLUMNS = ("identity", "space", "name", "prototype", "film", "updated_at")


def lease_seconds() -> float:
    return float(os.environ.get(LEASE_SETTING, "60"))


def holder_is_gone(holder: str) -> bool:
    """A holder on this host whose process no longer exists (another host's holder is judged by its lease)."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass
class _Lease:
    token: str
    stop: threading.Event = field(default_factory=threading.Event)


class SharedPrototypeStore:
    """One franchise's prototypes in the shared catalog of ``home``."""

    _schema_ready: set[str] = set()
    _leases: dict[tuple[str, str], _Lease] = {}
    _guard = threading.Lock()

    def __init__(self, catalog: Catalog, franchise: str):
        if catalog.shared is None:
            raise CastforgeError("SharedPrototypeStore needs CASTFORGE_CATALOG to name a shared catalog")
        self.catalog = catalog
        self.franchise = franchise
        self._key = (catalog.shared.dsn, franchise)

    def describe(self) -> str:
        return f"franchise {self.franchise!r} in {self.catalog.shared.describe()}"  # type: ignore[union-attr]

    def ensure_tables(self) -> None:
        if self.catalog.shared.dsn in self._schema_ready:  # type: ignore[union-attr]
            return
        from resources.catalog_shared import is_ddl_race, retry_conflicts

        def create(con) -> None:
            for statement in filter(str.strip, TABLES.split(";")):
                con.execute(statement)

        retry_conflicts(lambda: self.catalog.transaction(create), self.catalog.lock_wait_s, also=is_ddl_race)
        self._schema_ready.add(self.catalog.shared.dsn)  # type: ignore[union-attr]

    # -- the lease ----------------------------------------------------------------------------------------------
    def acquire(self, timeout_s: float) -> str:
        """Hold the franchise (re-entrant within this process); waits at most ``timeout_s`` for another holder."""
        self.ensure_tables()
        with self._guard:
            if self._key in self._leases:
                return self._leases[self._key].token
        token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        deadline = time.monotonic() + timeout_s
        while True:
            holder = self._claim(token)
            if holder is None:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.describe()}: another run ({holder}) has held the prototype store for over "
                                   f"{timeout_s:.0f} s; wait for it or stop it") from None
            time.sleep(0.2 + 0.3 * random.random())
        lease = _Lease(token)
        with self._guard:
            self._leases[self._key] = lease
        threading.Thread(target=self._renew, args=(lease,), daemon=True, name=f"lease-{self.franchise}").start()
        return token

    def _current(self) -> tuple[str, float] | None:
        rows = self.catalog.query("SELECT holder, expires_at FROM franchise_leases WHERE franchise = ?",
                                  [self.franchise]).rows()
        return rows[0] if rows else None

    def _claim(self, token: str) -> str | None:
        """Take the lease when it is free, lapsed or its holder died; else the holder that has it."""
        seen = self._current()   # a plain read first: waiting polls never write
        if seen is not None and seen[1] > time.time() and not holder_is_gone(seen[0]):
            return seen[0]

        def claim(con) -> str | None:
            row = con.execute("SELECT holder, expires_at FROM franchise_leases WHERE franchise = ?",
                              [self.franchise]).fetchone()
            if row is not None and row[1] > time.time() and not holder_is_gone(row[0]):
                return row[0]
            if row is not None:
                log.warning("prototype store: %s taken over from %s (lease lapsed or its process is gone)",
                            self.describe(), row[0])
            con.execute("DELETE FROM franchise_leases WHERE franchise = ?", [self.franchise])
            con.execute("INSERT INTO franchise_leases VALUES (?, ?, ?)",
                        [self.franchise, token, time.time() + lease_seconds()])
            return None

        return self.catalog.transaction(claim)

    def _renew(self, lease: _Lease) -> None:
        while not lease.stop.wait(lease_seconds() / 4):
            try:
                def renew(con) -> bool:
                    row = con.execute("SELECT holder FROM franchise_leases WHERE franchise = ?",
                                      [self.franchise]).fetchone()
                    if row is None or row[0] != lease.token:
                        return False
                    con.execute("UPDATE franchise_leases SET expires_at = ? WHERE franchise = ?",
                                [time.time() + lease_seconds(), self.franchise])
                    return True

                if not self.catalog.transaction(renew):
                    log.warning("prototype store: the lease on %s was taken over", self.describe())
                    return
            except Exception as error:  # a blip in the catalog: the next beat tries again before the lease lapses
                log.warning("prototype store: renewing the lease on %s failed: %s", self.describe(), error)

    def release(self, token: str) -> None:
        """Give the lease up (only the acquisition ``token`` names: a stale finaliser never frees a later one)."""
        with self._guard:
            lease = self._leases.get(self._key)
            if lease is None or lease.token != token:
                return
            self._leases.pop(self._key)
        lease.stop.set()
        try:
            self.catalog.transaction(lambda con: con.execute(
                "DELETE FROM franchise_leases WHERE franchise = ? AND holder = ?", [self.franchise, token]))
        except Exception as error:  # the lease lapses by itself
            log.warning("prototype store: releasing %s failed (it lapses in %.0f s): %s", self.describe(),
                        lease_seconds(), error)

    # -- the prototypes -----------------------------------------------------------------------------------------
    def read(self, schema: dict[str, pl.DataType]) -> pl.DataFrame:
        rows = self.catalog.query(f"SELECT {', '.join(COLUMNS)} FROM franchise_prototypes WHERE franchise = ? "
                                  "ORDER BY identity, space", [self.franchise]).to_dicts()
        for row in rows:
            row["prototype"] = np.frombuffer(row["prototype"], dtype=np.float32).tolist()
        return pl.DataFrame(rows, schema=schema)

    def write(self, merged: pl.DataFrame, timeout_s: float) -> None:
        """Replace the franchise's rows with ``merged`` under the lease (taken now if this process lacks it),
        then release it."""
        token = self.acquire(timeout_s)
        values = [[self.franchise, r["identity"], r["space"], r["name"],
                   np.asarray(r["prototype"], dtype=np.float32).tobytes(), r["film"], r["updated_at"]]
                  for r in merged.iter_rows(named=True)]

        def replace(con) -> None:
            row = con.execute("SELECT holder FROM franchise_leases WHERE franchise = ?", [self.franchise]).fetchone()
            if row is None or row[0] != token:
                raise CastforgeError(f"{self.describe()}: this run's lease lapsed and {row[0] if row else 'nobody'} "
                                     f"holds the prototype store now (was the process paused over "
                                     f"{LEASE_SETTING}={lease_seconds():g} s?); run identity_clusters again")
            con.execute("DELETE FROM franchise_prototypes WHERE franchise = ?", [self.franchise])
            if values:
                con.executemany(f"INSERT INTO franchise_prototypes (franchise, {', '.join(COLUMNS)}) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?)", values)

        try:
            self.catalog.transaction(replace)
        finally:
            self.release(token)


_catalogs: dict[str, Catalog] = {}


def shared_store_for(path: Path) -> SharedPrototypeStore | None:
    """The shared store standing for ``path`` (``<home>/identities/<franchise>/prototypes.parquet``) when
    ``CASTFORGE_CATALOG`` names a shared catalog, else None (the file under its flock)."""
    from resources.catalog_shared import shared_catalog

    home = Path(path).parent.parent.parent
    if shared_catalog(None, home) is None:
        return None
    key = f"{home}|{os.environ.get('CASTFORGE_CATALOG', '')}"
    catalog = _catalogs.get(key)
    if catalog is None:
        catalog = _catalogs[key] = Catalog(home)
    return SharedPrototypeStore(catalog, Path(path).parent.name)
