import time
from pathlib import Path

import polars as pl
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets.datasets.selection import character_names
from assets.identities.prototypes import face_quality
from assets.references.core import ReferenceParams, select_references
from assets.references.face_reuse import STORE, FaceReuse
from assets.references.pairs import select_pairs, write_pairs
from assets.references.sheet import contact_sheet
from assets.references.measure import REFERENCE_SCHEMA, measure_faces, note, unique_folders, write_sets
from assets.stage_contract import StageContract
from assets.stage_support import cached_result, result
from resources.face_landmarker import FaceLandmarkerResource
from resources.image_embedder import ImageEmbedderResource
from resources.item_reuse import ItemReuse
from resources.store import StorageResource

CONTRACT = StageContract("identity_references", ReferenceParams,
                         reads=("instance_identities", "identities", "faces", "filtered_instances", "frames"))


@asset(**CONTRACT.asset_args(group_name="identities"))
def identity_references(context: AssetExecutionContext, config: CONTRACT.Config, storage: StorageResource,
                        face_landmarker: FaceLandmarkerResource,
                        image_embedder: ImageEmbedderResource) -> MaterializeResult:
    """Reference sets per identity: anchors, pose/expression/occlusion/lighting coverage and challenge images."""
    film = context.partition_key
    workspace = storage.workspace(film)
    with CONTRACT.open(context, storage, config) as stage:
        params = stage.settings
        if stage.cached:
            return cached_result(stage)
        started = time.perf_counter()
        identities = workspace.read_table("identities")
        members = workspace.read_table("instance_identities").filter(pl.col("identity") != "noise")
        faces = face_quality(workspace.read_table("faces"),
                             _identity_params(film)).join(members.select("instance_id", "identity", "stability"),
                                                          on="instance_id")
        rows: list[dict] = []
        skipped: dict[str, str] = {}
        items, reuse_note, reuse_counts = ItemReuse(workspace, stage), "", (0, 0)
        with workspace.staged_dir("references") as staging:
            if faces.height == 0:
                note(staging / "summary.json", f"film '{film}' has no faces of any identity: no reference sets")
            else:
                rows, skipped, reuse = _build(workspace, faces, identities, params, staging, face_landmarker,
                                              image_embedder, items)
                reuse_note, reuse_counts = reuse.note(), (reuse.reused, reuse.measured)
                context.log.info(reuse_note)
            table = pl.DataFrame(rows, schema=REFERENCE_SCHEMA)
            root = workspace.artefact_dir("references")
            sheet = contact_sheet(staging / "contact_sheet.png", table,
                                  lambda stored: staging / workspace.absolute(stored).relative_to(root),
                                  labels={identity: label for identity, (_, label)
                                          in character_names(identities, film).items()})
        stage.commit(table, {"reference_images": table}, identities=table["identity"].n_unique(), **items.record())
        return result(stage, {
            "images": table.height, "identities": table["identity"].n_unique(),
            "per_set": MetadataValue.json({s: table.filter(pl.col("set") == s).height
                                           for s in ("anchors", "coverage", "challenge", "pairs")}),
            "skipped": MetadataValue.json(skipped) if skipped else "none",
            "faces_reused": reuse_counts[0], "faces_measured": reuse_counts[1],
            "note": "no faces: no reference sets" if faces.height == 0 else reuse_note,
            "contact_sheet": str(workspace.artefact_dir("references") / "contact_sheet.png") if sheet else "none",
            "seconds": round(time.perf_counter() - started, 2)})


def _identity_params(film: str):
    """The identities stage's settings for the film, so 'gated' means the same here as for prototypes."""
    from assets.identities.assets import CONTRACT as IDENTITIES

    return IDENTITIES.settings(film)


def _build(workspace, faces, identities, params, staging, face_landmarker, image_embedder, items):
    film = workspace.film
    frames = workspace.read_table("frames")
    instances = workspace.read_table("filtered_instances")
    offsets = [pl.col(c) if c in instances.columns else pl.lit(0).alias(c) for c in ("crop_x0", "crop_y0")]
    masks = pl.col("mask_path") if "mask_path" in instances.columns else pl.lit(None, pl.String).alias("mask_path")
    cutouts = {i: (p, x, y, m) for i, p, x, y, m in instances.select("instance_id", "path", *offsets, masks).iter_rows()}
    embedder = image_embedder.get()
    landmarker = face_landmarker.get()
    versions = {"faces": str(faces["model"][0]), "landmarks": Path(landmarker.model).name,
                "novelty": Path(embedder.model).name}
    reuse = FaceReuse(items, workspace.artefact_dir("references") / STORE, workspace.absolute, embedder,
                      {"landmarks": versions["landmarks"], "novelty": versions["novelty"]})
    measured, vectors, images = measure_faces(faces, dict(zip(frames["frame_id"], frames["path"])), cutouts,
                                              workspace.absolute, landmarker, embedder, params, reuse)
    reuse.keep(staging)
    names = dict(zip(identities["identity"], identities["name"]))
    folders = unique_folders({identity: label for identity, (_, label) in character_names(identities, film).items()})
    rows, skipped = [], {}
    root = workspace.artefact_dir("references")
    for (identity,), group in measured.with_row_index("_i").group_by(["identity"], maintain_order=True):
        if group.height < params.min_faces:
            skipped[identity] = f"{group.height} face(s) < min_faces {params.min_faces}"
            continue
        picked, meta = select_references(group.drop("_i"), vectors[group["_i"].to_numpy()], params)
        rows += write_sets(staging, identity, names.get(identity), folders.get(identity, identity), picked, meta,
                           images, versions, workspace.relative, root)
    for identity in identities["identity"]:
        if identity not in set(measured["identity"]):
            skipped[identity] = "no face of this identity was found (faceless or placed by appearance only)"
    for identity, why in skipped.items():
        note(staging / folders.get(identity, identity) / "meta.json", f"no reference sets: {why}",
             identity=identity, name=names.get(identity))
    if params.pairs_per_couple > 0:
        boxes = {i: (x0, y0, x1, y1) for i, x0, y0, x1, y1 in
                 instances.select("instance_id", "x0", "y0", "x1", "y1").iter_rows()}
        pairs = select_pairs(measured, boxes, params.min_stability, params.pair_max_overlap, params.pairs_per_couple)
        rows += [{**row, "name": names.get(row["identity"])} for row in write_pairs(
            staging, pairs, boxes, dict(zip(frames["frame_id"], frames["path"])), workspace.absolute, folders,
            workspace.relative, root, params.context)]
    return rows, skipped, reuse
