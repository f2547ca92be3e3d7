import time

import polars as pl
from dagster import (AssetCheckExecutionContext, AssetCheckResult, AssetExecutionContext, MaterializeResult,
                     MetadataValue, asset, asset_check)

from assets.faces.mixed_styles import filter_by_shot_style
from assets.instances.carry import carried_frame_count
from assets.instances.core import InstanceParams, read_rgb
from assets.instances.filtering import FilterParams
from assets.instances.image_alpha import MASK_SOURCE
from assets.instances.parallel import segment_film
from assets.stage_contract import StageContract
from assets.stage_support import cached_result, counts_markdown, image_markdown, result
from resources.backends.segmenter_code import segmenter_code_version
from resources.partitions import film_partitions
from resources.relations import REVIEW
from resources.segmenter import SegmenterResource
from resources.store import StorageResource

CONTRACT = StageContract("instances", InstanceParams, reads=("frames",),
                         per_shot_presets=True,  # drawn shots of a mixed film: the anime analysis cap
                         extra_code=segmenter_code_version)  # its rules live under resources/backends/
FILTERED_CONTRACT = StageContract("filtered_instances", FilterParams, reads=("instances", REVIEW),
                                   optional_reads=("frames",), per_shot_presets=True)  # mixed films


def _review_state():
    try:
        from resources import review_state
    except ImportError as error:
        raise ImportError("filtered_instances applies review decisions through resources/review_state.py "
                          "(the review UI's module), which could not be imported") from error
    return review_state


@asset(**CONTRACT.asset_args(group_name="instances", kinds={"python", "opencv"}, pool="gpu"))
def instances(context: AssetExecutionContext, config: CONTRACT.Config, storage: StorageResource,
              segmenter: SegmenterResource) -> MaterializeResult:
    """Every character in each kept frame as its own soft-edged RGBA cut-out, with its mask, box and scores."""
    film, catalog = context.partition_key, storage.catalog()
    workspace = storage.workspace(film)
    described = segmenter.describe()
    with CONTRACT.open(context, storage, config) as stage:
        params = stage.settings
        if stage.cached:
            return cached_result(stage, backend=described["backend"])
        started = time.perf_counter()
        frames = workspace.read_table("frames")
        total = int(frames["kept"].sum())
        with workspace.staged_dir("instances") as staging:
            # across cores: a pool of processes, each with its own segmenter (CASTFORGE_WORKERS; parallel.py)
            table, pool = segment_film(film, frames, workspace, segmenter, params.anime_faces, staging,
                                       workspace.artefact_dir("instances"), described["backend"],
                                       described["model"], params,
                                       lambda done: stage.progress(min(done, total), total, "frames segmented"))
        # `instance_misses`: the kept frames that gave no instance, each with the reason (issue #13)
        misses = pool["misses"]
        # key frames of transparent images cut by their own alpha, not segmented (image_alpha.py), in the lineage
        own_alpha = table.filter(pl.col("seed") == MASK_SOURCE)["frame_id"].n_unique()
        stage.commit(table, {"instance_misses": misses}, backend=described["backend"], model=described["model"],
                     frames_without_instances=misses.height,
                     **({"frames_cut_by_image_alpha": own_alpha} if own_alpha else {}))
        seconds = time.perf_counter() - started
        preview = table["overlay_path"].drop_nulls().unique(maintain_order=True).head(1).to_list()
        return result(stage, {
            "instances": table.height, "frames_with_instances": table["frame_id"].n_unique(),
            "frames_without_instances": misses.height,   # each with the reason in `instance_misses`
            "frames_cut_by_image_alpha": own_alpha,
            # the soft edges' colour: the character's own (edge_colour.py) or the frame's pixels
            "edge_colour": counts_markdown(table, "edge_colour") if table.height else params.edge_colour,
            "backend": described["backend"], "model": described["model"], "seconds": round(seconds, 2),
            "workers": pool["workers"], "worker_peak_rss_mb": max(pool["peak_rss_mb_per_worker"]),
            "seeds": counts_markdown(table, "seed") if table.height else MetadataValue.text("none"),
            # key frames whose masks came from the shot's last segmented key frame by flow (carry_max, carry.py)
            "carried_frames": carried_frame_count(table),
            "preview": image_markdown(read_rgb(workspace.absolute(preview[0]))[..., ::-1], "overlay")
            if preview else MetadataValue.text("no instances"),
        })


@asset(**FILTERED_CONTRACT.asset_args(group_name="instances"))
def filtered_instances(context: AssetExecutionContext, config: FILTERED_CONTRACT.Config,
                       storage: StorageResource) -> MaterializeResult:
    """Characters kept, objects and fragments dropped, each with its reason; a person's review decisions win."""
    film, catalog = context.partition_key, storage.catalog()
    workspace, review_state = storage.workspace(film), _review_state()
    with FILTERED_CONTRACT.open(context, storage, config) as stage:
        params, inputs = stage.settings, stage.inputs
        if stage.cached:
            return cached_result(stage)
        decided = filter_by_shot_style(film, workspace.read_table("instances").drop("film"),  # per-shot preset
                                       workspace.read_table("frames") if workspace.has_table("frames") else None,
                                       workspace.absolute, params)
        table, missing = review_state.apply_instance_review(decided, review_state.instance_review(catalog, film))
        for message in missing:
            context.log.warning(f"film '{film}': {message}")
        stage.commit(table, review_revision=inputs["review"], review_missing=len(missing))
        kept = table.filter(pl.col("kept"))
        return result(stage, {
            "kept": kept.height, "dropped": table.height - kept.height,
            "decided_by_review": table.filter(pl.col("decided_by") == "review").height,
            "review_revision": inputs["review"], "review_missing": len(missing),
            "reasons": counts_markdown(table.with_columns(pl.col("reason").str.replace(r":.*", "")), "reason")
            if table.height else MetadataValue.text("no instances"),
        })


@asset_check(asset=instances, name="artefacts_on_disk", blocking=True, partitions_def=film_partitions)
def instances_artefacts_on_disk(context: AssetCheckExecutionContext, storage: StorageResource) -> AssetCheckResult:
    """Every instance's cut-out and mask file exists: downstream stages read them."""
    film = context.partition_key if context.has_partition_key else None
    if film is None:
        return AssetCheckResult(passed=True, metadata={"note": "no film partition given"})
    workspace = storage.workspace(film)
    table = workspace.read_table("instances")
    missing = [p for p in table["path"].to_list() + table["mask_path"].to_list()
               if not workspace.absolute(p).exists()]
    return AssetCheckResult(passed=not missing, metadata={"instances": table.height, "missing": len(missing),
                                                          "first_missing": missing[0] if missing else ""})
