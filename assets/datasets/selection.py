"""Which identified instances an export considers, with everything their crops and captions need, and the reasons
the others are left out. Polars only; no Dagster, no models."""

import re

import polars as pl

from assets.datasets.params import DatasetParams

DECISION_SCHEMA = {"instance_id": pl.String, "identity": pl.String, "trigger": pl.String, "crop": pl.String,
                   "decision": pl.String, "rule": pl.String, "reason": pl.String, "source_width": pl.Int32,
                   "source_height": pl.Int32}
FACE_COLUMNS = ("fx0", "fy0", "fx1", "fy1")
POSE_COLUMNS = ("view", "pose_bucket", "keypoints", "no_pose_reason")
OPTIONAL_COLUMNS = {"shot": pl.Int32, "caption_trigger": pl.String, "clip_tokens": pl.Int32,
                    "timestamp_s": pl.Float64, "frame_id": pl.String, "mask_path": pl.String, "crop_x0": pl.Int32,
                    "crop_y0": pl.Int32, "frame_width": pl.Int32, "frame_height": pl.Int32, "view": pl.String,
                    "pose_bucket": pl.String, "keypoints": pl.List(pl.Float32), "no_pose_reason": pl.String}
NUMBERED = re.compile(r"^(?:identity_)?(\d+)$")


def film_slug(film: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", film.lower()).strip("_") or "film"


def export_triggers(identities: list[str], names: list[str | None], film: str) -> dict[str, tuple[str, str]]:
    """identity -> (trigger word, folder label). A named identity keeps its name (label: its slug, letters of any
    script kept: ``ペニー`` stays ``ペニー``); an unnamed one gets a film-scoped word, ``<film>_char<n>``, n from its
    stable id (``identity_003`` -> 3) so it survives re-runs, else its rank among the unnamed. Two identities share a
    folder only when a person gave them one name (case and spacing aside); different names whose slugs meet, or a
    name that reads as an unnamed one's word, get the identity's number after the slug."""
    out: dict[str, tuple[str, str]] = {}
    slug = film_slug(film)
    taken: set[int] = set()
    unnamed = []
    named: list[tuple[str, str]] = []
    for identity, name in sorted(zip(identities, names), key=lambda pair: str(pair[0])):
        if name and str(name).strip():
            named.append((str(identity), str(name).strip()))
            continue
        match = NUMBERED.match(str(identity))
        if match and int(match.group(1)) not in taken:
            taken.add(int(match.group(1)))
            out[str(identity)] = (f"{slug}_char{int(match.group(1))}",) * 2
        else:
            unnamed.append(str(identity))
    n = 0
    for identity in unnamed:
        while n in taken:
            n += 1
        taken.add(n)
        out[identity] = (f"{slug}_char{n}",) * 2
    owners = {label: label for label, _ in out.values()}   # folder label -> the name that holds it
    for identity, name in named:
        key = " ".join(name.casefold().split())
        label = re.sub(r"\W+", "_", key).strip("_") or f"{slug}_named"
        if owners.setdefault(label, key) != key:
            match = NUMBERED.match(identity)
            suffix = str(int(match.group(1))) if match else re.sub(r"\W+", "_", identity).strip("_")
            label = f"{label}_{suffix}"
            owners.setdefault(label, key)
        out[identity] = (name, label)
    return out


NOT_CHARACTERS = ("noise", "", "-1")   # the noise bin and unassigned rows: never a character, never a name


def character_names(identities: pl.DataFrame | None, film: str,
                    present: dict[str, str | None] | None = None) -> dict[str, tuple[str, str]]:
    """``export_triggers`` of every identity of a film: the ``identities`` table's, with their reviewed names, and the
    ids of ``present`` (id -> name where a table lacks it). The one name each character has wherever castforge
    names it (kohya folders and captions, the Parquet, COCO, the captions table, pose folders, reference sets, voice
    folders, the summary, the review), so an unnamed id gets the same ``<film>_char<n>`` in every export."""
    named: dict[str, str | None] = {}
    if identities is not None and "identity" in identities.columns:
        names = identities["name"] if "name" in identities.columns else [None] * identities.height
        named = {str(i): n for i, n in zip(identities["identity"], names) if i is not None}
    for identity, name in (present or {}).items():
        if identity is not None and not named.get(str(identity)):
            named[str(identity)] = name
    named = {i: n for i, n in named.items() if i not in NOT_CHARACTERS}
    return export_triggers(list(named), list(named.values()), film)


def _largest_faces(faces: pl.DataFrame | None) -> pl.DataFrame:
    schema = {"instance_id": pl.String, **{c: pl.Float64 for c in FACE_COLUMNS}}
    if faces is None or faces.height == 0 or not set(FACE_COLUMNS) <= set(faces.columns):
        return pl.DataFrame(schema=schema)
    area = (pl.col("fx1") - pl.col("fx0")) * (pl.col("fy1") - pl.col("fy0"))
    return (faces.filter(pl.col("instance_id").is_not_null())
            .with_columns(*(pl.col(c).cast(pl.Float64) for c in FACE_COLUMNS), area.alias("_area"))
            .sort(["_area", "instance_id"], descending=[True, False]).unique("instance_id", keep="first")
            .select(list(schema)))


def export_candidates(rows: pl.DataFrame, captions: pl.DataFrame, poses: pl.DataFrame | None,
                      faces: pl.DataFrame | None, identities: pl.DataFrame | None, film: str,
                      params: DatasetParams) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(candidates, decisions): identified, captioned instances of identities worth exporting, one row each, with
    their trigger, caption, view, pose bucket, keypoints and largest face box; and one decision row per instance
    left out here (identity without a face and too few instances, balanced sampling)."""
    cap_cols = [c for c in ("caption", "trigger", "clip_tokens") if c in captions.columns]
    table = rows.drop([c for c in ("caption", "clip_tokens") if c in rows.columns]).join(
        captions.select("instance_id", *cap_cols).rename({"trigger": "caption_trigger"} if "trigger" in cap_cols
                                                         else {}), on="instance_id", how="inner")
    pose_cols = [c for c in POSE_COLUMNS if poses is not None and c in poses.columns]
    if pose_cols:
        table = table.join(poses.select("instance_id", *pose_cols), on="instance_id", how="left")
    # what older or partial upstream tables lack is unknown, never guessed
    table = table.with_columns(pl.lit(None, dtype).alias(column) for column, dtype in OPTIONAL_COLUMNS.items()
                               if column not in table.columns)
    table = table.join(_largest_faces(faces), on="instance_id", how="left").with_columns(
        pl.col("view").fill_null("unknown"), pl.col("pose_bucket").fill_null("noise"),
        pl.col("identity").cast(pl.String), pl.col("fx0").is_not_null().alias("has_face"))
    names = dict(zip(table["identity"], table["name"] if "name" in table.columns else [None] * table.height))
    triggers = character_names(identities, film, names)
    table = table.with_columns(
        pl.col("identity").replace_strict({k: v[0] for k, v in triggers.items()}, return_dtype=pl.String)
        .alias("trigger"),
        pl.col("identity").replace_strict({k: v[1] for k, v in triggers.items()}, return_dtype=pl.String)
        .alias("label")).sort("instance_id")

    faced = set(table.filter(pl.col("has_face"))["identity"])
    if identities is not None and {"identity", "has_faces"} <= set(identities.columns):
        faced |= set(identities.filter(pl.col("has_faces").fill_null(False))["identity"].cast(pl.String))
    sizes = dict(table.group_by("identity").len().iter_rows())
    too_few = [i for i, n in sizes.items() if i not in faced and n < params.min_instances]
    left_out = table.filter(pl.col("identity").is_in(too_few)).with_columns(
        pl.lit("no_face_few_instances").alias("rule"),
        pl.lit(f"identity has no face and fewer than min_instances ({params.min_instances}) instances").alias("reason"))
    table = table.filter(~pl.col("identity").is_in(too_few))
    if params.per_bucket:
        # the largest crops first: more pixels for the trainer
        ranked = table.with_columns(((pl.col("x1") - pl.col("x0")) * (pl.col("y1") - pl.col("y0"))).alias("_area"))
        ranked = ranked.sort(["_area", "instance_id"], descending=[True, False]).with_columns(
            pl.int_range(pl.len()).over(["identity", "pose_bucket"]).alias("_rank"))
        sampled = ranked.filter(pl.col("_rank") >= params.per_bucket).drop("_area", "_rank")
        left_out = pl.concat([left_out, sampled.with_columns(pl.lit("balanced_sampling").alias("rule"), pl.lit(
            f"balanced sampling: more than per_bucket ({params.per_bucket}) in its pose bucket").alias("reason"))],
            how="diagonal_relaxed")
        table = table.filter(~pl.col("instance_id").is_in(sampled["instance_id"].implode()))
    return table, instance_decisions(left_out)


def instance_decisions(table: pl.DataFrame) -> pl.DataFrame:
    """Decision rows (``skipped``, crop ``*``) for whole instances left out, from their ``rule`` and ``reason``."""
    if table.height == 0:
        return pl.DataFrame(schema=DECISION_SCHEMA)
    return table.select(pl.col("instance_id"), pl.col("identity").cast(pl.String), pl.col("trigger"),
                        pl.lit("*").alias("crop"), pl.lit("skipped").alias("decision"), pl.col("rule"),
                        pl.col("reason"), pl.lit(None, pl.Int32).alias("source_width"),
                        pl.lit(None, pl.Int32).alias("source_height"))
