import time
from dataclasses import asdict

import numpy as np
import polars as pl
from dagster import (AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, AssetExecutionContext,
                     MaterializeResult, MetadataValue, asset, asset_check)

from assets.identities.assignment import identity_table, tables
from assets.identities.core import NOISE, IdentityParams
from assets.identities.cutout_reuse import ROWS_FILE, CutoutRowReuse
from assets.identities.noise_reasons import with_noise_reasons
from assets.identities.reassign import assign_film
from assets.identities.map_reuse import MapReuse
from assets.identities.outputs import FACE_BY, write_folders, write_summary
from assets.identities.review_effects import (identity_changes, nearest_identities, place_kept,
                                             reviewed_identities)
from assets.identities.stable_ids import (franchise_vectors, load_store, match_ids, store_path, stored_names,
                                          update_store)
from assets.stage_contract import StageContract
from assets.stage_support import cached_result, counts_markdown, film_record, result
from resources.partitions import film_partitions
from resources.image_embedder import ImageEmbedderResource
from resources.item_reuse import ItemReuse
from resources.relations import REVIEW
from resources.store import StorageResource

CONTRACT = StageContract("identity_clusters", IdentityParams,
                         reads=("faces", "face_misses", "filtered_instances", REVIEW))
NO_FACE_WARN_RATIO = 0.3


def _review(catalog, film: str):
    """(revision, IdentityReview, apply function), or (0, None, None) when the review module is absent."""
    try:
        from resources import review_state
    except ImportError:
        return 0, None, None
    return (review_state.review_revision(catalog, film), review_state.identity_review(catalog, film),
            review_state.apply_identity_review)


@asset(**CONTRACT.asset_args(group_name="identities", pool="gpu"))
def identity_clusters(context: AssetExecutionContext, config: CONTRACT.Config, storage: StorageResource,
                      image_embedder: ImageEmbedderResource) -> MaterializeResult:
    """Identities: HDBSCAN over face embeddings, faceless instances placed by appearance, stable ids, review applied."""
    film, catalog = context.partition_key, storage.catalog()
    workspace = storage.workspace(film)
    film_record(catalog, film)
    revision, review, apply_review = _review(catalog, film)
    with CONTRACT.open(context, storage, config) as stage:
        params = stage.settings
        if stage.cached:
            return cached_result(stage)
        started = time.perf_counter()
        faces = workspace.read_table("faces")
        cutout_reuse = CutoutRowReuse(ItemReuse(workspace, stage), workspace.artefact_dir("identities") / ROWS_FILE)
        film_assignment = assign_film(workspace, params, faces, image_embedder.get, cutout_reuse)
        kept, face_vectors, appearance = film_assignment.kept, film_assignment.face_vectors, film_assignment.appearance
        embedder, assignment = film_assignment.embedder, film_assignment.assignment
        ids_in_order = kept["instance_id"].to_list()
        face_model = faces["model"][0] if faces.height else "none"
        for group in assignment.groups:
            group["space"] = (f"face:{face_model}" if group["space"] == "face"
                              else f"appearance:{embedder.model if embedder else 'none'}")
        franchise_vectors(assignment.groups, assignment.instance_ids, face_vectors, f"face:{face_model}")
        store_file = store_path(storage.home_path(), params.franchise or film)
        store = load_store(store_file)
        ids = match_ids(assignment.groups, store, {"face": params.match_threshold,
                                                   "appearance": params.appearance_match_threshold})
        names = {**stored_names(store), **(review.names if review else {})}
        identities, instance_identities = tables(assignment, ids, names)
        messages: list[str] = []
        if review is not None and review.operations:
            instance_identities, messages = apply_review(instance_identities, review)
        instance_identities, changes, kept_messages = _honour_review(
            workspace, catalog, film, review, revision, context.run_id, instance_identities, assignment, ids,
            face_vectors, appearance)
        messages += kept_messages
        noise = instance_identities.filter(pl.col("identity") == NOISE)["instance_id"].to_list()
        instance_identities = with_noise_reasons(
            instance_identities, workspace.read_optional_table("face_misses"),
            nearest_identities(assignment, ids, face_vectors, appearance, noise), params,
            sum(1 for group in assignment.groups if group["has_faces"]), assignment.notes)
        identities = identity_table(instance_identities, {ids[i]: g for i, g in enumerate(assignment.groups)},
                                    ids_in_order, names)
        for message in messages:
            context.log.warning(f"review decision no longer applies: {message}")
        with workspace.staged_dir("identities") as staging:
            write_folders(staging, workspace.artefact_dir("identities"), instance_identities, kept, faces,
                          workspace.absolute, copy=params.copy)
            face_rows = [i for i, by in enumerate(assignment.by) if by == "face"]
            map_reuse = MapReuse(cutout_reuse.reuse, workspace.artefact_dir("identities"))
            plotted = map_reuse.plot(staging / "identity_map.png",
                                     np.stack([face_vectors[ids_in_order[i]] for i in face_rows]) if face_rows
                                     else np.zeros((0, 1)),
                                     [instance_identities["identity"][i] for i in face_rows], params.plot)
            summary = write_summary(staging / "identity_clustering.json", identities, instance_identities,
                                    asdict(params), assignment.stats,
                                    {"faces": face_model, "appearance": embedder.model if embedder else "unused"},
                                    messages, {"review_revision": revision, "changes_to_review": changes.height})
            cutout_reuse.save(staging / ROWS_FILE)
        update_store(store_file, store, assignment.groups, ids, names, film)
        # the value HDBSCAN ran with (small sets lower the configured one: min_cluster_fraction)
        effective = {"min_cluster_size": assignment.stats.get("face_clustering", {}).get("min_cluster_size")}
        stage.commit(instance_identities, {"identities": identities, "instance_identities": instance_identities,
                                           "identity_changes": changes},
                     no_face_ratio=summary["no_face_ratio"], identities=identities.height, effective=effective,
                     **cutout_reuse.record())
        return result(stage, {
            "effective_min_cluster_size": effective["min_cluster_size"] or "no faces clustered",
            "identities": identities.height, "faceless_groups": summary["faceless_groups"],
            "noise_ratio": summary["noise_ratio"], "no_face_ratio": summary["no_face_ratio"],
            "faceless_adopted": assignment.stats.get("faceless_adopted", 0),
            "sizes": _sizes_markdown(identities),
            "assigned_by": counts_markdown(instance_identities, "by"),
            "review_revision": revision, "review_messages": len(messages), "plot": plotted,
            "changes_to_review": changes.height, "tracks": assignment.stats.get("tracks", 0),
            "track_inherited": assignment.stats.get("track_inherited", 0),
            "prototype_store": str(store_file), "seconds": round(time.perf_counter() - started, 2),
            "cutouts_reused": cutout_reuse.reused, "map_reused": map_reuse.reused,
            "note": "; ".join(
                ([f"appearance of {cutout_reuse.reused} of {len(cutout_reuse.reuse.keys)} cut-outs reused from the "
                  "last run (cut-out and settings unchanged)"] if cutout_reuse.reused else [])
                + (["the identity map copied from the last run (its faces and labels unchanged)"]
                   if map_reuse.reused else [])),
        })


def _honour_review(workspace, catalog, film: str, review, revision: int, run_id: str, table: pl.DataFrame,
                   assignment, ids: list[str], face_vectors: dict, appearance) -> tuple[pl.DataFrame, pl.DataFrame,
                                                                                          list[str]]:
    """Kept instances join their nearest identity; changes to reviewed identities are listed until accepted."""
    from resources import review_state

    kept = {i for i, state in review_state.instance_review(catalog, film).items() if state["kept"]}
    kept &= set(table["instance_id"].to_list())
    nearest = nearest_identities(assignment, ids, face_vectors, appearance, sorted(kept))
    table, messages = place_kept(table, kept, nearest)
    previous = workspace.read_table("instance_identities") if workspace.has_table("instance_identities") else None
    carried = workspace.read_table("identity_changes") if workspace.has_table("identity_changes") else None
    reviewed = reviewed_identities(review, kept, previous)
    changes = identity_changes(previous, table, reviewed, carried, review.accepted if review else set(), revision,
                               run_id)
    return table, changes, messages


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
    ratio = table.filter(~pl.col("by").is_in(FACE_BY)).height / table.height if table.height else 0.0
    return AssetCheckResult(passed=ratio <= NO_FACE_WARN_RATIO, severity=AssetCheckSeverity.WARN,
                            metadata={"no_face_ratio": round(ratio, 3), "instances": table.height,
                                      "threshold": NO_FACE_WARN_RATIO})
