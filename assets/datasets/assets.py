import time

import numpy as np
import polars as pl
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets.datasets.core import export_datasets
from assets.datasets.effects import apply_frame_effects
from assets.datasets.images import contact_sheet
from assets.datasets.params import DatasetParams
from assets.datasets.pixel_reuse import PIXELS_FILE, PixelReuse
from assets.datasets.selection import export_candidates
from assets.datasets.summary import identity_summary
from assets.pose.selection import read_identified_instances
from assets.stage_contract import StageContract
from assets.stage_support import cached_result, counts_markdown, image_markdown, result
from resources.backends.memory import release_model
from resources.item_reuse import ItemReuse
from resources.protocols import ImageUpscaler
from resources.storage import FilmWorkspace
from resources.store import StorageResource

CONTRACT = StageContract("character_datasets", DatasetParams, optional_reads=(
    "filtered_instances", "instance_identities", "identities", "poses", "captions", "faces", "frames",
    "frame_effects"))


@asset(**CONTRACT.asset_args(group_name="characters"))
def character_datasets(context: AssetExecutionContext, config: CONTRACT.Config,
                       storage: StorageResource) -> MaterializeResult:
    """Training-ready exports per identity at training resolution: kohya / sd-scripts, HF Parquet, COCO, manifest."""
    film, catalog = context.partition_key, storage.catalog()
    workspace = storage.workspace(film)
    with CONTRACT.open(context, storage, config) as stage:
        params = stage.settings
        if stage.cached:
            return cached_result(stage)
        started = time.perf_counter()
        candidates, decisions, effect_decisions = film_candidates(workspace, film, params)
        # written in place, not staged: unchanged files must stay untouched across re-exports
        out_dir = workspace.artefact_dir("datasets")
        upscaler = sr_upscaler(params)
        reuse = PixelReuse(ItemReuse(workspace, stage), workspace.artefact_dir(PIXELS_FILE), out_dir,
                           workspace.absolute)
        try:
            table, decisions, manifest = export_datasets(
                candidates, decisions, workspace.read_optional_table("frames"), out_dir, film, params,
                workspace.absolute, workspace.relative, upscaler=upscaler, reuse=reuse)
        finally:
            if upscaler is not None:   # the super-resolution network is freed as soon as the export is written
                release_model(upscaler)
        stage.commit(identity_summary(table), {"dataset_items": table, "dataset_decisions": decisions},
                     **reuse.record())
        workspace.publish_dir("datasets")   # exports written in place: to the object store when configured
        return result(stage, {
            "items": table.height, "identities": len(manifest["identities"]),
            "instances": manifest["instances"], "upscale": params.upscale, "target_size": params.target_size,
            "source_sizes": MetadataValue.json(manifest["source_sizes"]),
            "exported": MetadataValue.json(manifest["exported"]), "skipped": MetadataValue.json(manifest["skipped"]),
            "files_written": manifest["files"]["written"], "files_unchanged": manifest["files"]["unchanged"],
            "files_removed": manifest["files"]["removed"], "candidates_reused": reuse.reused,
            "folders_renamed": manifest["files"]["renamed_folders"],
            "repeats": MetadataValue.json({label: v["repeats"] for label, v in manifest["identities"].items()}),
            "crops": counts_markdown(table, "crop"),
            "effects": params.effects, "tagged_or_dropped_for_effects": effect_decisions.height,
            "views": counts_markdown(table, "view"), "seconds": round(time.perf_counter() - started, 2),
            "note": (f"crops of {reuse.reused} of {len(reuse.made_ids)} candidates reused from the last run "
                     "(cut-out and settings unchanged)" if reuse.reused else ""),
            "preview": image_markdown(preview(table, workspace), "exported items") or MetadataValue.text("no items"),
            "folder": MetadataValue.path(str(out_dir)),
        })


def film_candidates(workspace: FilmWorkspace, film: str,
                    params: DatasetParams) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The export's candidates from the film's stored tables, every decision so far, and those the frame effects
    made (tagged or dropped)."""
    candidates, decisions = export_candidates(
        read_identified_instances(workspace), workspace.read_table("captions"),
        workspace.read_optional_table("poses"), workspace.read_optional_table("faces"),
        workspace.read_optional_table("identities"), film, params)
    candidates, effect_decisions = apply_frame_effects(candidates, workspace.read_optional_table("frame_effects"),
                                                       params.effects)
    return candidates, pl.concat([decisions, effect_decisions], how="vertical_relaxed"), effect_decisions


def sr_upscaler(params: DatasetParams) -> ImageUpscaler | None:
    """The super-resolution backend when ``upscale: sr`` (its weights must be local), else None."""
    if params.upscale != "sr":
        return None
    from resources.backends.esrgan_upscaler import EsrganUpscaler
    from resources.paths import find_model

    return EsrganUpscaler(find_model(params.sr_model) or params.sr_model, device=params.sr_device)


def preview(table: pl.DataFrame, workspace: FilmWorkspace) -> np.ndarray | None:
    """A contact sheet of up to 12 exported items, a few per crop type."""
    sample = table.group_by("crop", maintain_order=True).head(4).head(12) if table.height else table
    return contact_sheet([workspace.absolute(p) for p in sample["image_path"]],
                         [f"{c} {w}x{h}" for c, w, h in zip(sample["crop"], sample["source_width"],
                                                           sample["source_height"])])
