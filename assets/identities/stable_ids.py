"""Stable identity ids across re-runs and films: a prototype store per franchise.

``$CASTFORGE_HOME/identities/<franchise>/prototypes.parquet`` holds, per known identity, embedding space
(``face:<model>`` or ``appearance:<model>``) and film that gave it a group, that group's vector, how many faces (or
members) it stands for (``weight``) and the identity's name. An identity's prototype in a space is the weighted mean
of its films' rows (``prototypes``). A run's groups are matched one-to-one to the prototypes of the same space
(Hungarian on cosine similarity, above a threshold) before new ids are minted; minted ids continue the store's
numbering, so on a first run identity_000 is the largest group. Names given in review are written back and carry over.
A film run again replaces its own rows, so re-runs never weigh a film twice.

A face group brings the mean of its members' unit faces (``franchise_vectors``), weighted by how many there are. A
single face, the medoid, drifts with the film's poses and lighting: Penny's medoids of two Penny & Chip episodes read
cosine 0.770 where the means of her faces read 0.935 (docs/identities.md, session 43). A faceless group brings its
medoid look, weighted by its members, and, where its members hold faces (loose faces grouped by their look), their
mean as a row of the face space: the character whose few faces were grouped by look in one episode is found by its
face group in the next. Face spaces are matched before the others, one-to-one across all of them.
A store written before the ``weight`` column held one row per identity and space, the last film's: it loads with the
weight empty, and such a row counts as much as the identity's other rows on average (as one film).

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
                "prototype": pl.List(pl.Float32), "film": pl.String, "updated_at": pl.String, "weight": pl.Int64}
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
    store = with_store_schema(pl.read_parquet(path)) if path.exists() else pl.DataFrame(schema=STORE_SCHEMA)
    weakref.finalize(store, unlock_store, Path(path), token)  # a run that fails before update_store lets go too
    return store


def with_store_schema(store: pl.DataFrame) -> pl.DataFrame:
    """``store`` in STORE_SCHEMA's columns and order; a column an older store lacks (``weight``) is null."""
    return store.with_columns(pl.lit(None, dtype).alias(column) for column, dtype in STORE_SCHEMA.items()
                              if column not in store.columns).select(list(STORE_SCHEMA)).cast(STORE_SCHEMA)


def franchise_vectors(groups: list[dict[str, Any]], instance_ids: list[str], face_vectors: dict[str, np.ndarray],
                      face_space: str | None = None) -> None:
    """Sets each group's ``franchise``: {space: (unit vector, weight)}, what ``match_ids`` compares and
    ``merge_store`` folds into the store. A face group: the mean of its members' unit faces, weighted by their count.
    A faceless group: its ``vector`` weighted by its members, and, with ``face_space``, the mean of the faces its
    members hold (loose faces grouped by their look): a character seen faceless-grouped in one episode and as a face
    group in the next is then the same identity."""
    for group in groups:
        faces = [face_vectors[instance_ids[k]] for k in group["members"] if instance_ids[k] in face_vectors]
        mean = (_unit(_units(faces).sum(axis=0)), len(faces)) if faces else None
        if group["has_faces"]:
            group["franchise"] = {group["space"]: mean or (group["vector"], 1)}
            continue
        group["franchise"] = {group["space"]: (group["vector"], max(1, len(group["members"])))}
        if face_space is not None and mean is not None:
            group["franchise"][face_space] = mean


def _units(vectors) -> np.ndarray:
    unit = np.asarray(vectors, dtype=np.float64)
    return unit / np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-12)


def _unit(vector: np.ndarray) -> np.ndarray:
    return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)


def _franchise(group: dict[str, Any]) -> dict[str, tuple[np.ndarray, int]]:
    """{space: (vector, weight)}; a group ``franchise_vectors`` never saw stands for its own vector."""
    return group.get("franchise") or {group["space"]: (group["vector"], 1)}


def next_number(store: pl.DataFrame) -> int:
    numbers = [int(m.group(1)) for i in store["identity"].to_list() if (m := ID_PATTERN.match(i or ""))]
    return max(numbers) + 1 if numbers else 0


def match_ids(groups: list[dict[str, Any]], store: pl.DataFrame, thresholds: dict[str, float]) -> list[str]:
    """A stable id for every group (``space`` and unit ``vector`` keys, ``franchise`` where set), in group order
    (largest first). Face spaces are matched first, then each other space among the groups and ids left: one
    identity per group and one group per identity."""
    from scipy.optimize import linear_sum_assignment

    ids: list[str | None] = [None] * len(groups)
    spaces = {space for g in groups for space in _franchise(g)}
    for space in sorted(spaces, key=lambda s: (not s.startswith("face:"), s)):
        index = [i for i, g in enumerate(groups) if ids[i] is None and space in _franchise(g)]
        known, stored = prototypes(store.filter(~pl.col("identity").is_in([i for i in ids if i])), space)
        if not known or not index:
            continue
        current = np.stack([_franchise(groups[i])[space][0] for i in index]).astype(np.float32)
        if stored.shape[1] != current.shape[1]:
            continue
        sims = current @ stored.T
        rows, cols = linear_sum_assignment(-sims)
        threshold = thresholds.get(space.split(":")[0], 0.5)
        for r, c in zip(rows, cols):
            if sims[r, c] >= threshold:
                ids[index[r]] = known[int(c)]
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
    """The store with this film's rows (one per group and space) in place of the ones it gave before, and review
    names applied to the identities it keeps."""
    now = datetime.now(timezone.utc).isoformat()
    fresh = pl.DataFrame([{"identity": ids[i], "space": space, "name": names.get(ids[i]),
                           "prototype": np.asarray(vector, dtype=np.float32).tolist(), "film": film,
                           "updated_at": now, "weight": int(weight)}
                          for i, g in enumerate(groups) for space, (vector, weight) in _franchise(g).items()],
                         schema=STORE_SCHEMA)
    keep = store.join(fresh.select("identity", "space", "film"), on=["identity", "space", "film"], how="anti",
                      nulls_equal=True)
    renamed = keep.with_columns(pl.col("identity").replace_strict(names, default=None).fill_null(pl.col("name"))
                                .alias("name")) if names and keep.height else keep
    return pl.concat([renamed, fresh], how="vertical_relaxed").sort(["identity", "space", "film"], nulls_last=True)


def prototypes(store: pl.DataFrame, space: str) -> tuple[list[str], np.ndarray]:
    """The identities with rows in ``space`` and their prototypes there: the unit weighted mean of their films'
    rows. A row without a weight (a store from before them) counts as the identity's other rows do on average."""
    rows = store.filter(pl.col("space") == space)
    if rows.height == 0:
        return [], np.zeros((0, 0), dtype=np.float32)
    rows = rows.with_columns(pl.col("weight").cast(pl.Float64)
                             .fill_null(pl.col("weight").cast(pl.Float64).mean().over("identity")).fill_null(1.0))
    names = sorted(set(rows["identity"].to_list()))
    vectors = np.asarray(rows["prototype"].to_list(), dtype=np.float64)
    where = {name: k for k, name in enumerate(names)}
    sums = np.zeros((len(names), vectors.shape[1]))
    np.add.at(sums, [where[i] for i in rows["identity"].to_list()], vectors * rows["weight"].to_numpy()[:, None])
    return names, np.stack([_unit(v) for v in sums])


def stored_names(store: pl.DataFrame) -> dict[str, str]:
    named = store.filter(pl.col("name").is_not_null())
    return dict(zip(named["identity"].to_list(), named["name"].to_list()))
