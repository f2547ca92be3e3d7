"""The franchise prototype store as a table of a shared catalog (``CASTFORGE_CATALOG`` = Postgres or DuckLake).

Workers on several machines cluster films of one franchise; a flock on a file under one home cannot order them. So
with a shared catalog the prototypes live in its ``franchise_prototypes`` table (the vector as float32 bytes), and
the store's exclusive hold is the catalog lease ``franchise:<name>`` (resources/holds.py: renewed while the holder
lives, taken over when it lapses or, from the same host, when the holder's pid is gone). A write checks, inside its
transaction, that this run still holds the lease, and fails naming the franchise if it lapsed.
"""

from pathlib import Path

import numpy as np
import polars as pl

from resources.errors import CastforgeError
from resources.holds import LEASE_SETTING, SharedLease, lease_seconds, shared_lease

TABLE = """CREATE TABLE IF NOT EXISTS franchise_prototypes (franchise VARCHAR NOT NULL, identity VARCHAR NOT NULL,
    space VARCHAR NOT NULL, name VARCHAR, prototype BLOB NOT NULL, film VARCHAR, updated_at VARCHAR, weight BIGINT)"""
# a table made before session 43 lacks the rows' weights (stable_ids: an identity's prototype is the weighted mean of
# its films' rows); its rows read as null
WEIGHT_COLUMN = "ALTER TABLE franchise_prototypes ADD COLUMN IF NOT EXISTS weight BIGINT"
COLUMNS = ("identity", "space", "name", "prototype", "film", "updated_at", "weight")


class SharedPrototypeStore:
    """One franchise's prototypes in a shared catalog, under its lease."""

    _ready: set[str] = set()

    def __init__(self, lease: SharedLease, franchise: str):
        self.lease, self.catalog, self.franchise = lease, lease.catalog, franchise

    def describe(self) -> str:
        return f"the prototype store of franchise {self.franchise!r} ({self.lease.describe()})"

    def acquire(self, timeout_s: float) -> str:
        dsn = self.catalog.shared.dsn  # type: ignore[union-attr]
        if dsn not in self._ready:
            from resources.catalog_shared import is_ddl_race, retry_conflicts
            retry_conflicts(lambda: self.catalog.transaction(lambda con: (con.execute(TABLE),
                                                                           con.execute(WEIGHT_COLUMN))),
                            self.catalog.lock_wait_s, also=is_ddl_race)
            self._ready.add(dsn)
        return self.lease.acquire(timeout_s, self.describe())

    def release(self, token: str) -> None:
        self.lease.release(token)

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
                   np.asarray(r["prototype"], dtype=np.float32).tobytes(), r["film"], r["updated_at"], r["weight"]]
                  for r in merged.iter_rows(named=True)]

        def replace(con) -> None:
            holder = self.lease.holder(con)
            if holder != token:
                raise CastforgeError(f"{self.describe()}: this run's lease lapsed and {holder or 'nobody'} holds it "
                                     f"now (was the process paused over {LEASE_SETTING}={lease_seconds():g} s?); "
                                     "run identity_clusters again")
            con.execute("DELETE FROM franchise_prototypes WHERE franchise = ?", [self.franchise])
            if values:
                con.executemany(f"INSERT INTO franchise_prototypes (franchise, {', '.join(COLUMNS)}) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", values)

        try:
            self.catalog.transaction(replace)
        finally:
            self.release(token)


def shared_store_for(path: Path) -> SharedPrototypeStore | None:
    """The shared store standing for ``path`` (``<home>/identities/<franchise>/prototypes.parquet``) when
    ``CASTFORGE_CATALOG`` names a shared catalog, else None (the file under its flock)."""
    franchise = Path(path).parent.name
    lease = shared_lease(Path(path).parent.parent.parent, f"franchise:{franchise}")
    return SharedPrototypeStore(lease, franchise) if lease is not None else None
