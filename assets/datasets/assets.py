import time
from dataclasses import asdict

from dagster import AssetExecutionContext, AssetKey, Config, MaterializeResult, MetadataValue, asset

from assets.datasets.core import DatasetParams, export_datasets, export_rows, identity_summary
from assets.pose.selection import read_identified_instances
from assets.stage_support import cached_result, counts_markdown, result
from orchestration.partitions import film_partitions
from resources.film_settings import stage_params
from resources.lineage import StageRun, relation_fingerprint
from resources.store import StorageResource

CODE_VERSION = "datasets-1"
INPUTS = ("filtered_instances", "instance_identities", "identities", "poses", "captions")


class DatasetsConfig(Config):
    """Leave a field empty to use the film's settings (configs/defaults.yaml `datasets:`, preset, film file)."""

    target_size: int | None = None
    repeats: int | None = None
    per_bucket: int | None = None
    parquet_images: str | None = None


@asset(partitions_def=film_partitions, code_version=CODE_VERSION, group_name="characters", kinds={"python"},
       deps=[AssetKey("captions"), AssetKey("pose_subclusters"), AssetKey("identity_clusters")])
def character_datasets(context: AssetExecutionContext, config: DatasetsConfig,
                       storage: StorageResource) -> MaterializeResult:
    """Training-ready exports per identity: kohya_ss folders (image + caption), Parquet, manifest."""
    film, catalog = context.partition_key, storage.catalog()
    workspace = storage.workspace(film)
    params = DatasetParams.from_dict(stage_params(film, "datasets", config.model_dump()))
    inputs = {name: relation_fingerprint(workspace, name) for name in INPUTS}
    with StageRun(workspace, catalog, "character_datasets", CODE_VERSION, asdict(params), inputs,
                  run_id=context.run_id, logger=context.log) as stage:
        if stage.cached:
            return cached_result(stage)
        started = time.perf_counter()
        rows = read_identified_instances(workspace)
        items = export_rows(rows, workspace.read_table("captions"), workspace.read_optional_table("poses"), params)
        # written in place, not staged: unchanged files must stay untouched across re-exports
        out_dir = workspace.artefact_dir("datasets")
        table, manifest = export_datasets(items, out_dir, film, params, workspace.absolute, workspace.relative)
        stage.commit(identity_summary(table), {"dataset_items": table})
        return result(stage, {
            "items": table.height, "identities": len(manifest["identities"]),
            "files_written": manifest["files"]["written"], "files_unchanged": manifest["files"]["unchanged"],
            "files_removed": manifest["files"]["removed"], "views": counts_markdown(table, "view"),
            "seconds": round(time.perf_counter() - started, 2),
            "folder": MetadataValue.path(str(out_dir)),
        })
