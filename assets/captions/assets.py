import time
from dataclasses import asdict

from dagster import AssetExecutionContext, AssetKey, Config, MaterializeResult, MetadataValue, asset

from assets.captions.core import CaptionParams, caption_facts, caption_instances
from assets.pose.selection import read_identified_instances
from assets.stage_support import cached_result, result
from orchestration.partitions import film_partitions
from resources.captioner import CaptionerResource
from resources.film_settings import stage_params
from resources.lineage import StageRun, relation_fingerprint
from resources.store import StorageResource

CODE_VERSION = "captions-1"
INPUTS = ("filtered_instances", "instance_identities", "identities", "faces", "poses", "frames")


class CaptionsConfig(Config):
    """Leave a field empty to use the film's settings (configs/defaults.yaml `captions:`, preset, film file)."""

    prefix: str | None = None
    max_tokens: int | None = None


@asset(partitions_def=film_partitions, code_version=CODE_VERSION, group_name="characters", kinds={"python"},
       deps=[AssetKey("pose_subclusters"), AssetKey("identity_clusters"), AssetKey("filtered_instances")], pool="gpu")
def captions(context: AssetExecutionContext, config: CaptionsConfig, storage: StorageResource,
             captioner: CaptionerResource) -> MaterializeResult:
    """One training caption per kept, identified instance: film prefix, trigger word (identity name), description."""
    film, catalog = context.partition_key, storage.catalog()
    workspace = storage.workspace(film)
    params = CaptionParams.from_dict(stage_params(film, "captions", config.model_dump()))
    run_params = {**asdict(params), "backend": captioner.backend, "model": captioner.model,
                  "max_new_tokens": captioner.max_new_tokens}
    inputs = {name: relation_fingerprint(workspace, name) for name in INPUTS}
    with StageRun(workspace, catalog, "captions", CODE_VERSION, run_params, inputs,
                  run_id=context.run_id, logger=context.log) as stage:
        if stage.cached:
            return cached_result(stage)
        started = time.perf_counter()
        rows = read_identified_instances(workspace)
        facts = caption_facts(rows, workspace.read_optional_table("poses"), workspace.read_optional_table("faces"),
                              workspace.read_optional_table("frames"), params)
        model = captioner.captioner() if rows.height else None
        table = caption_instances(rows, facts, model, params, workspace.absolute)
        stage.commit(table)
        preview = ["| instance | caption | tokens |", "| --- | --- | ---: |"] + [
            f"| {i} | {c} | {n} |" for i, c, n in table.head(8).select("instance_id", "caption", "clip_tokens").iter_rows()]
        return result(stage, {
            "captions": table.height, "backend": captioner.backend,
            "model": str(getattr(model, "model", "") or ""),
            "max_clip_tokens": int(table["clip_tokens"].max() or 0) if table.height else 0,
            "seconds": round(time.perf_counter() - started, 2), "preview": MetadataValue.md("\n".join(preview)),
        })
