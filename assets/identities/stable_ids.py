"""Stable identity ids across re-runs and films: a prototype store per franchise.

``$CASTFORGE_HOME/identities/<franchise>/prototypes.parquet`` holds, per known identity and embedding space
(``face:<model>`` or ``appearance:<model>``), its prototype (the medoid of its members), its name and the film
that last updated it. A run's groups are matched one-to-one to stored prototypes of the same space (Hungarian on
cosine similarity, above a threshold) before new ids are minted; minted ids continue the store's numbering, so on a
first run identity_000 is the largest group. Names given in review are written back and carry over.
"""

import os
import re
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

STORE_SCHEMA = {"identity": pl.String, "space": pl.String, "name": pl.String,
                "prototype": pl.List(pl.Float32), "film": pl.String, "updated_at": pl.String}
ID_PATTERN = re.compile(r"^identity_(\d+)$")


def store_path(home: Path, franchise: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", franchise)
    return Path(home) / "identities" / safe / "prototypes.parquet"


def load_store(path: Path) -> pl.DataFrame:
    return pl.read_parquet(path) if path.exists() else pl.DataFrame(schema=STORE_SCHEMA)


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
    """Upsert this film's prototypes and names; identities renamed in review keep their names for other films."""
    now = datetime.now(timezone.utc).isoformat()
    fresh = pl.DataFrame([{"identity": ids[i], "space": g["space"], "name": names.get(ids[i]),
                           "prototype": np.asarray(g["vector"], dtype=np.float32).tolist(), "film": film,
                           "updated_at": now} for i, g in enumerate(groups)], schema=STORE_SCHEMA)
    keep = store.join(fresh.select("identity", "space"), on=["identity", "space"], how="anti")
    renamed = keep.with_columns(pl.col("identity").replace_strict(names, default=None).fill_null(pl.col("name"))
                                .alias("name")) if names and keep.height else keep
    merged = pl.concat([renamed, fresh], how="vertical_relaxed").sort(["identity", "space"])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    merged.write_parquet(tmp)
    os.replace(tmp, path)
    return merged


def stored_names(store: pl.DataFrame) -> dict[str, str]:
    named = store.filter(pl.col("name").is_not_null())
    return dict(zip(named["identity"].to_list(), named["name"].to_list()))
