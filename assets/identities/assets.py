import time
from dataclasses import asdict

import numpy as np
import polars as pl
from dagster import (AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, AssetExecutionContext,
                     AssetKey, Config, MaterializeResult, MetadataValue, asset, asset_check)

from assets.faces.core import embedding_matrix
from assets.identities.appearance import appearance_vectors
from assets.identities.core import IdentityParams, assign_identities, best_faces, identity_table, tables
from assets.identities.outputs import plot_map, write_folders, write_summary
from assets.identities.stable_ids import load_store, match_ids, store_path, stored_names, update_store
from assets.stage_support import cached_result, counts_markdown, film_record, result
from orchestration.partitions import film_partitions
from resources.film_settings import stage_params
from resources.image_embedder import ImageEmbedderResource
from resources.lineage import StageRun, upstream_fingerprint
from resources.store import StorageResource

CODE_VERSION = "identities-1"
NO_FACE_WARN_RATIO = 0.3


class IdentitiesConfig(Config):
    """Leave a field empty to use the film's settings (configs/defaults.yaml `identities:`, preset, film file)."""

    min_cluster_size: int | None = None
    min_cluster_fraction: float | None = None
    min_samples: int | None = None
    distance_threshold: float | None = None
    max_distance: float | None = None
    reduce: str | None = None
    appearance_threshold: float | None = None
    franchise: str | None = None
    copy: bool | None = None
    plot: str | None = None


def _review(catalog, film: str):
    """(revision, IdentityReview, apply function), or (0, None, None) when the review module is absent."""
    try:
        from resources import review_state
    except ImportError:
        return 0, None, None
    return (review_state.review_revision(catalog, film), review_state.identity_review(catalog, film),
            review_state.apply_identity_review)


@asset(partitions_def=film_partitions, code_version=CODE_VERSION, group_name="identities", kinds={"python"},
       deps=[AssetKey("face_embeddings"), AssetKey("filtered_instances"), AssetKey("review_decisions")], pool="gpu")
def identity_clusters(context: AssetExecutionContext, config: IdentitiesConfig, storage: StorageResource,
                      image_embedder: ImageEmbedderResource) -> MaterializeResult:
    """Identities: HDBSCAN over face embeddings, faceless instances placed by appearance, stable ids, review applied."""
    film, catalog = context.partition_key, storage.catalog()
    workspace = storage.workspace(film)
    film_record(catalog, film)
    params = IdentityParams.from_dict(stage_params(film, "identities", config.model_dump()))
    revision, review, apply_review = _review(catalog, film)
    inputs = {"face_embeddings": upstream_fingerprint(workspace, "face_embeddings"),
              "filtered_instances": upstream_fingerprint(workspace, "filtered_instances"),
              "review_revision": str(revision)}
    with StageRun(workspace, catalog, "identity_clusters", CODE_VERSION, asdict(params), inputs,
                  run_id=context.run_id, logger=context.log) as stage:
        if stage.cached:
            return cached_result(stage)
        started = time.perf_counter()
        instances = workspace.read_table("filtered_instances")
        kept = instances.filter(pl.col("kept")) if "kept" in instances.columns else instances
        faces = workspace.read_table("faces")
        chosen = best_faces(faces)
        face_vectors = dict(zip(chosen["instance_id"].to_list(), embedding_matrix(chosen)))
        ids_in_order = kept["instance_id"].to_list()
        embedder = None
        appearance = None
        if any(i not in face_vectors for i in ids_in_order):
            embedder = image_embedder.embedder()
            appearance = appearance_vectors(kept["path"].to_list(), embedder, workspace.absolute)
        assignment = assign_identities(ids_in_order, face_vectors, appearance, params)
        face_model = faces["model"][0] if faces.height else "none"
        for group in assignment.groups:
            group["space"] = (f"face:{face_model}" if group["space"] == "face"
                              else f"appearance:{embedder.model if embedder else 'none'}")
        store_file = store_path(storage.home_path(), params.franchise or film)
        store = load_store(store_file)
        ids = match_ids(assignment.groups, store, {"face": params.match_threshold,
                                                   "appearance": params.appearance_match_threshold})
        names = {**stored_names(store), **(review.names if review else {})}
        identities, instance_identities = tables(assignment, ids, names)
        messages: list[str] = []
        if review is not None and review.operations:
            instance_identities, messages = apply_review(instance_identities, review)
            groups = {ids[i]: g for i, g in enumerate(assignment.groups)}
            identities = identity_table(instance_identities, groups, ids_in_order, names)
        for message in messages:
            context.log.warning(f"review decision no longer applies: {message}")
        with workspace.staged_dir("identities") as staging:
            write_folders(staging, workspace.artefact_dir("identities"), instance_identities, kept, faces,
                          workspace.absolute, copy=params.copy)
            face_rows = [i for i, by in enumerate(assignment.by) if by == "face"]
            plotted = plot_map(staging / "identity_map.png",
                               np.stack([face_vectors[ids_in_order[i]] for i in face_rows]) if face_rows
                               else np.zeros((0, 1)),
                               [instance_identities["identity"][i] for i in face_rows], params.plot)
            summary = write_summary(staging / "identity_clustering.json", identities, instance_identities,
                                    asdict(params), assignment.stats,
                                    {"faces": face_model, "appearance": embedder.model if embedder else "unused"},
                                    messages)
        update_store(store_file, store, assignment.groups, ids, names, film)
        stage.commit(instance_identities, {"identities": identities, "instance_identities": instance_identities},
                     no_face_ratio=summary["no_face_ratio"], identities=identities.height)
        return result(stage, {
            "identities": identities.height, "faceless_groups": summary["faceless_groups"],
            "noise_ratio": summary["noise_ratio"], "no_face_ratio": summary["no_face_ratio"],
            "faceless_adopted": assignment.stats.get("faceless_adopted", 0),
            "sizes": _sizes_markdown(identities),
            "assigned_by": counts_markdown(instance_identities, "by"),
            "review_revision": revision, "review_messages": len(messages), "plot": plotted,
            "prototype_store": str(store_file), "seconds": round(time.perf_counter() - started, 2),
        })


def _sizes_markdown(identities: pl.DataFrame) -> MetadataValue:
    lines = ["| identity | name | size | faces |", "| --- | --- | ---: | --- |"]
    lines += [f"| {i} | {n or ''} | {s} | {'yes' if f else 'no'} |"
              for i, n, s, f in identities.select("identity", "name", "size", "has_faces").head(30).iter_rows()]
    return MetadataValue.md("\n".join(lines))


@asset_check(asset=identity_clusters, name="face_coverage", blocking=False, partitions_def=film_partitions)
def identity_face_coverage(context: AssetCheckExecutionContext, storage: StorageResource) -> AssetCheckResult:
    """Warns when more than 30% of kept instances have no face (their identity rests on appearance alone)."""
    film = context.partition_key if context.has_partition_key else None
    if film is None:
        return AssetCheckResult(passed=True, metadata={"note": "no film partition given"})
    table = storage.workspace(film).read_table("instance_identities")
    ratio = table.filter(pl.col("by") != "face").height / table.height if table.height else 0.0
    return AssetCheckResult(passed=ratio <= NO_FACE_WARN_RATIO, severity=AssetCheckSeverity.WARN,
                            metadata={"no_face_ratio": round(ratio, 3), "instances": table.height,
                                      "threshold": NO_FACE_WARN_RATIO})
