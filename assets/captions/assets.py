import time

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets.captions.core import CaptionParams, caption_facts, caption_instances
from assets.pose.selection import read_identified_instances
from assets.stage_contract import StageContract
from assets.stage_support import cached_result, result
from resources.captioner import CaptionerResource
from resources.store import StorageResource

CONTRACT = StageContract("captions", CaptionParams, optional_reads=(
    "filtered_instances", "instance_identities", "identities", "faces", "poses", "frames"))


@asset(**CONTRACT.asset_args(group_name="characters", pool="gpu"))
def captions(context: AssetExecutionContext, config: CONTRACT.Config, storage: StorageResource,
             captioner: CaptionerResource) -> MaterializeResult:
    """One training caption per kept, identified instance: film prefix, trigger word (the character's name in
    every export: its reviewed name, else ``<film>_char<n>``; assets/datasets/selection.py ``character_names``),
    description."""
    film, catalog = context.partition_key, storage.catalog()
    workspace = storage.workspace(film)
    with CONTRACT.open(context, storage, config) as stage:
        params = stage.settings
        if stage.cached:
            return cached_result(stage)
        started = time.perf_counter()
        rows = read_identified_instances(workspace)
        facts = caption_facts(rows, workspace.read_optional_table("poses"), workspace.read_optional_table("faces"),
                              workspace.read_optional_table("frames"), params)
        model = captioner.get() if rows.height else None
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
