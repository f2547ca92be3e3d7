"""Which instances the character stages work on: kept by the filter and assigned to an identity. Polars over the film's stored tables."""

import numpy as np
import polars as pl

from assets.datasets.selection import NOT_CHARACTERS, character_names
from resources.errors import CastforgeError
from resources.storage import FilmWorkspace

def identified_instances(filtered: pl.DataFrame, assignments: pl.DataFrame,
                         identities: pl.DataFrame | None, film: str) -> pl.DataFrame:
    """Kept instances joined with their identity (``identity``, ``name``, ``label``, ``trigger``), sorted by id.
    ``trigger`` and ``label`` (folder names) are the character's name in every export (``character_names``): the
    reviewed name, else the film-scoped ``<film>_char<n>``; ``identity`` stays the stable key."""
    for table, needed, relation in ((filtered, ("instance_id", "kept", "path", "x0", "y0", "x1", "y1"),
                                     "filtered_instances"), (assignments, ("instance_id", "identity"),
                                                             "instance_identities")):
        missing = [c for c in needed if c not in table.columns]
        if missing:
            raise CastforgeError(f"table '{relation}' lacks columns {missing} (see docs/architecture.md)")
    kept = filtered.filter(pl.col("kept").fill_null(False)).drop("film", strict=False)
    assigned = assignments.select("instance_id", "identity").filter(pl.col("identity").is_not_null())
    if assigned.schema["identity"].is_numeric():
        assigned = assigned.filter(pl.col("identity") >= 0)  # -1: noise / unassigned
    else:
        assigned = assigned.filter(~pl.col("identity").cast(pl.String).is_in(list(NOT_CHARACTERS)))
    rows = kept.join(assigned, on="instance_id", how="inner")
    if identities is not None and identities.height and "identity" in identities.columns:
        names = identities.select("identity", pl.col("name") if "name" in identities.columns
                                  else pl.lit(None, pl.String).alias("name"))
        rows = rows.join(names.with_columns(pl.col("identity").cast(rows.schema["identity"])),
                         on="identity", how="left")
    else:
        rows = rows.with_columns(pl.lit(None, pl.String).alias("name"))
    names = character_names(identities, film, dict(zip(rows["identity"].cast(pl.String), rows["name"])))
    ids = rows["identity"].cast(pl.String).to_list()
    return rows.with_columns(pl.Series("label", [names[i][1] for i in ids], pl.String),
                             pl.Series("trigger", [names[i][0] for i in ids], pl.String)).sort("instance_id")


def _largest_faces(faces: pl.DataFrame | None) -> pl.DataFrame | None:
    """Each instance's largest face (``_size``, ``_height`` added), or None without faces."""
    if faces is None or faces.height == 0 or "instance_id" not in faces.columns:
        return None
    size = pl.col("face_size") if "face_size" in faces.columns else (pl.col("fy1") - pl.col("fy0"))
    return (faces.filter(pl.col("instance_id").is_not_null())
            .with_columns(size.cast(pl.Float64).alias("_size"),
                          (pl.col("fy1") - pl.col("fy0")).cast(pl.Float64).alias("_height")
                          if "fy1" in faces.columns else size.cast(pl.Float64).alias("_height"))
            .sort("_size", descending=True).unique("instance_id", keep="first"))


def face_boxes(faces: pl.DataFrame | None) -> dict[str, tuple[float, float, float, float]]:
    """instance_id -> (x0, y0, x1, y1) of its largest face, in frame pixels."""
    ranked = _largest_faces(faces)
    if ranked is None or not {"fx0", "fy0", "fx1", "fy1"} <= set(ranked.columns):
        return {}
    return {r["instance_id"]: (r["fx0"], r["fy0"], r["fx1"], r["fy1"])
            for r in ranked.select("instance_id", "fx0", "fy0", "fx1", "fy1").iter_rows(named=True)}


def face_yaws(faces: pl.DataFrame | None) -> dict[str, tuple[float, float]]:
    """instance_id -> (yaw, face height in pixels) of its largest face."""
    ranked = _largest_faces(faces)
    if ranked is None:
        return {}
    yaw = ranked["yaw"] if "yaw" in ranked.columns else pl.Series([None] * ranked.height)
    return {i: (float(y) if y is not None else float("nan"), float(h))
            for i, y, h in zip(ranked["instance_id"], yaw, ranked["_height"])}


def face_landmarks(faces: pl.DataFrame | None) -> dict[str, np.ndarray]:
    """instance_id -> the five landmarks (5 x 2, frame pixels) of its largest face, where that face has them."""
    ranked = _largest_faces(faces)
    if ranked is None or "landmarks" not in ranked.columns:
        return {}
    return {i: np.asarray(points, np.float64).reshape(5, 2)
            for i, points in zip(ranked["instance_id"], ranked["landmarks"])
            if points is not None and len(points) == 10}


def read_identified_instances(workspace: FilmWorkspace) -> pl.DataFrame:
    """``identified_instances`` of a film's stored filter and identity tables (what the character stages read)."""
    return identified_instances(workspace.read_table("filtered_instances"), workspace.read_table("instance_identities"),
                                workspace.read_optional_table("identities"), workspace.film)
