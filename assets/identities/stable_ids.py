"""Stable identity ids across re-runs and films: a prototype store per franchise.

``$CASTFORGE_HOME/identities/<franchise>/prototypes.parquet`` holds, per known identity and embedding space
(``face:<model>`` or ``appearance:<model>``), its prototype (the medoid of its members), its name and the film
that last updated it. A run's groups are matched one-to-one to stored prototypes of the same space (Hungarian on
cosine similarity, above a threshold) before new ids are minted; minted ids continue the store's numbering, so on a
first run identity_000 is the largest group. Names given in review are written back and carry over.

Two films of one franchise clustered at once would both read the store, mint the same new ids and overwrite each
other's rows. So ``load_store`` takes an exclusive lock on ``prototypes.parquet.lock`` (flock: the kernel drops it
if the process dies) and ``update_store`` writes and then releases it: reading, minting and writing happen as one.
A process that loaded the store and failed before updating it releases the lock when the loaded table is freed.

With a shared catalog (``CASTFORGE_CATALOG`` = Postgres or DuckLake) the same functions keep the store in the
catalog's ``franchise_prototypes`` table instead, held by a lease that writers on every machine honour
(assets/identities/shared_prototypes.py); the path then only names the franchise. The embedded default is the file.
"""

import os
import re
import uuid
import weakref
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from assets.identities.shared_prototypes import shared_store_for
from resources.holds import file_lock, file_unlock

STORE_SCHEMA = {"identity": pl.String, "space": pl.String, "name": pl.String,
                "prototype": pl.List(pl.Float32), "film": pl.String, "updated_at": pl.String}
ID_PATTERN = re.compile(r"^identity_(\d+)$")
LOCK_TIMEOUT_S = 1800.0  # another film's clustering holds the store at most this long


def store_path(home: Path, franchise: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", franchise)
    return Path(home) / "identities" / safe / "prototypes.parquet"


def _lock_path(path: Path) -> str:
    return str(Path(path).with_name(Path(path).name + ".lock"))


def lock_store(path: Path, timeout_s: float = LOCK_TIMEOUT_S) -> int:
    """Take the store's exclusive lock (re-entrant within this process); returns a token for ``unlock_store``."""
    return file_lock(_lock_path(path), timeout_s, f"{path}: the prototype store")


def unlock_store(path: Path, token: int | None = None) -> None:
    """Release the store's lock (only the acquisition ``token`` names, when given: a stale finaliser of an
    earlier load must not release a later one)."""
    file_unlock(_lock_path(path), token)


def load_store(path: Path) -> pl.DataFrame:
    """The store, read under its lock, which stays held until ``update_store`` (or until the table is freed)."""
    shared = shared_store_for(path)
    if shared is not None:
        lease = shared.acquire(LOCK_TIMEOUT_S)
        store = shared.read(STORE_SCHEMA)
        weakref.finalize(store, shared.release, lease)
        return store
    token = lock_store(path)
    store = pl.read_parquet(path) if path.exists() else pl.DataFrame(schema=STORE_SCHEMA)
    weakref.finalize(store, unlock_store, Path(path), token)  # a run that fails before update_store lets go too
    return store


def next_number(store: pl.DataFrame) -> int:
    numbers = [int(m.group(1)) for i in store["identity"].to_list() if (m := ID_PATTERN.match(i or ""))]
    return max(numbers) + 1 if numbers else 0


def match_ids(groups: list[dict[str, Any]], store: pl.DataFrame, thresholds: dict[str, float]) -> list[str]:
    """A stable id for every group (``space`` and unit ``vector`` keys), in group order (largest first)."""
    from scipy.optimize import linear_sum_assignment

    ids: list[str | None] = [None] * len(groups)
    for space in sorted({g["space"] for g in groups}):
        index = [i for i, g in enumerate(groups) if g["space"] == space]
        known = store.filter(pl.col("space") == space)
        if known.height == 0:
            continue
        stored = np.asarray(known["prototype"].to_list(), dtype=np.float32)
        current = np.stack([groups[i]["vector"] for i in index]).astype(np.float32)
        if stored.shape[1] != current.shape[1]:
            continue
        sims = current @ stored.T
        rows, cols = linear_sum_assignment(-sims)
        threshold = thresholds.get(space.split(":")[0], 0.5)
        for r, c in zip(rows, cols):
            if sims[r, c] >= threshold:
                ids[index[r]] = known["identity"][int(c)]
    number = next_number(store)
    for i in range(len(groups)):
        if ids[i] is None:
            ids[i] = f"identity_{number:03d}"
            number += 1
    return ids  # type: ignore[return-value]


def update_store(path: Path, store: pl.DataFrame, groups: list[dict[str, Any]], ids: list[str],
                 names: dict[str, str], film: str) -> pl.DataFrame:
    """Upsert this film's prototypes and names; identities renamed in review keep their names for other films.
    Writes atomically under the store's lock, then releases it."""
    merged = merge_store(store, groups, ids, names, film)
    shared = shared_store_for(path)
    if shared is not None:
        shared.write(merged, LOCK_TIMEOUT_S)
        return merged
    lock_store(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        merged.write_parquet(tmp)
        os.replace(tmp, path)
        return merged
    finally:
        unlock_store(path)


def merge_store(store: pl.DataFrame, groups: list[dict[str, Any]], ids: list[str], names: dict[str, str],
                film: str) -> pl.DataFrame:
    """The store with this film's prototypes upserted and review names applied to the identities it keeps."""
    now = datetime.now(timezone.utc).isoformat()
    fresh = pl.DataFrame([{"identity": ids[i], "space": g["space"], "name": names.get(ids[i]),
                           "prototype": np.asarray(g["vector"], dtype=np.float32).tolist(), "film": film,
                           "updated_at": now} for i, g in enumerate(groups)], schema=STORE_SCHEMA)
    keep = store.join(fresh.select("identity", "space"), on=["identity", "space"], how="anti")
    renamed = keep.with_columns(pl.col("identity").replace_strict(names, default=None).fill_null(pl.col("name"))
                                .alias("name")) if names and keep.height else keep
    return pl.concat([renamed, fresh], how="vertical_relaxed").sort(["identity", "space"])


def stored_names(store: pl.DataFrame) -> dict[str, str]:
    named = store.filter(pl.col("name").is_not_null())
    return dict(zip(named["identity"].to_list(), named["name"].to_list()))
