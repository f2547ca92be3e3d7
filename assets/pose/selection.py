"""Which instances the character stages work on: kept by the filter and assigned to an identity. Polars over the film's stored tables."""

import re

import polars as pl

from resources.errors import CastforgeError
from resources.storage import FilmWorkspace

NOISE_IDENTITIES = ("noise", "", "-1")


def identity_label(identity: object, name: str | None) -> str:
    """Folder and trigger label: the identity's name (slugged) when it has one, else ``identity_007``."""
    if name and str(name).strip():
        slug = re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")
        if slug:
            return slug
    if isinstance(identity, int) or (isinstance(identity, str) and identity.isdigit()):
        return f"identity_{int(identity):03d}"
    text = re.sub(r"[^a-zA-Z0-9]+", "_", str(identity)).strip("_")
    return text if text.startswith("identity_") else f"identity_{text}"


def trigger_word(identity: object, name: str | None) -> str:
    """The caption trigger: the identity's name as written, or its folder label when unnamed."""
    return str(name).strip() if name and str(name).strip() else identity_label(identity, None)


def identified_instances(filtered: pl.DataFrame, assignments: pl.DataFrame,
                         identities: pl.DataFrame | None) -> pl.DataFrame:
    """Kept instances joined with their identity (``identity``, ``name``, ``label``, ``trigger``), sorted by id."""
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
        assigned = assigned.filter(~pl.col("identity").cast(pl.String).is_in(list(NOISE_IDENTITIES)))
    rows = kept.join(assigned, on="instance_id", how="inner")
    if identities is not None and identities.height and "identity" in identities.columns:
        names = identities.select("identity", pl.col("name") if "name" in identities.columns
                                  else pl.lit(None, pl.String).alias("name"))
        rows = rows.join(names.with_columns(pl.col("identity").cast(rows.schema["identity"])),
                         on="identity", how="left")
    else:
        rows = rows.with_columns(pl.lit(None, pl.String).alias("name"))
    labels = [identity_label(i, n) for i, n in zip(rows["identity"].to_list(), rows["name"].to_list())]
    triggers = [trigger_word(i, n) for i, n in zip(rows["identity"].to_list(), rows["name"].to_list())]
    return rows.with_columns(pl.Series("label", labels, pl.String),
                             pl.Series("trigger", triggers, pl.String)).sort("instance_id")


def face_yaws(faces: pl.DataFrame | None) -> dict[str, tuple[float, float]]:
    """instance_id -> (yaw, face height in pixels) of its largest face."""
    if faces is None or faces.height == 0 or "instance_id" not in faces.columns:
        return {}
    size = pl.col("face_size") if "face_size" in faces.columns else (pl.col("fy1") - pl.col("fy0"))
    ranked = (faces.filter(pl.col("instance_id").is_not_null())
              .with_columns(size.cast(pl.Float64).alias("_size"),
                            (pl.col("fy1") - pl.col("fy0")).cast(pl.Float64).alias("_height")
                            if "fy1" in faces.columns else size.cast(pl.Float64).alias("_height"))
              .sort("_size", descending=True).unique("instance_id", keep="first"))
    yaw = ranked["yaw"] if "yaw" in ranked.columns else pl.Series([None] * ranked.height)
    return {i: (float(y) if y is not None else float("nan"), float(h))
            for i, y, h in zip(ranked["instance_id"], yaw, ranked["_height"])}


def read_identified_instances(workspace: FilmWorkspace) -> pl.DataFrame:
    """``identified_instances`` of a film's stored filter and identity tables (what the character stages read)."""
    return identified_instances(workspace.read_table("filtered_instances"), workspace.read_table("instance_identities"),
                                workspace.read_optional_table("identities"))
