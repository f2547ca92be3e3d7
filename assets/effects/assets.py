import cv2
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets.effects.core import catalogue
from assets.effects.frame_reuse import STORE, FrameReuse
from assets.effects.params import EffectParams
from assets.effects.temporal import read_rgba
from assets.shot_analysis.reading import film_span, table_markdown, thumbnails, write_picture
from assets.shot_analysis.timeline import effects_timeline
from assets.stage_contract import StageContract
from assets.stage_support import cached_result, counts_markdown, film_record, image_markdown, result
from resources.image_codec import read_image
from resources.item_reuse import ItemReuse
from resources.store import StorageResource

CONTRACT = StageContract("effects", EffectParams, reads=("frames", "shots", "frame_signals"),
                         optional_reads=("filtered_instances", "track_points"))


@asset(**CONTRACT.asset_args(group_name="temporal"))
def effects(context: AssetExecutionContext, config: CONTRACT.Config, storage: StorageResource) -> MaterializeResult:
    """Visual effects catalogue: flashes, lighting, colour casts, weather, fire, flares, focus, blur, transformations."""
    film, catalog = context.partition_key, storage.catalog()
    workspace = storage.workspace(film)
    film_record(catalog, film)
    with CONTRACT.open(context, storage, config) as stage:
        if stage.cached:
            return cached_result(stage)
        frames, shots, signals = (workspace.read_table(name) for name in ("frames", "shots", "frame_signals"))
        fps = _fps(signals)
        reuse = FrameReuse(ItemReuse(workspace, stage), workspace.artefact_dir("effects") / STORE, workspace.absolute)
        out = catalogue(frames, signals, fps, workspace.read_optional_table("filtered_instances"),
                        workspace.read_optional_table("track_points"),
                        lambda stored: cv2.imread(str(workspace.absolute(stored))),
                        lambda stored: read_rgba(workspace.absolute(stored)), stage.settings,
                        lambda stored: read_image(workspace.absolute(stored), cv2.IMREAD_GRAYSCALE), reuse)
        reuse.keep()
        context.log.info(reuse.note())
        total = film_span(shots)
        picture = effects_timeline(out.effects, total) if total else None
        path = write_picture(workspace, "effects", "effects_timeline.png", picture)
        stage.commit(out.effects, {"frame_effects": out.frame_effects}, note=out.note, **reuse.reuse.record())
        return result(stage, {
            "events": out.effects.height, "heavy_frames": int(out.frame_effects["heavy"].sum())
            if out.frame_effects.height else 0, "key_frames": out.frame_effects.height, "note": out.note or "",
            "key_frames_reused": reuse.reused, "key_frames_measured": reuse.measured,
            "effects": counts_markdown(out.effects, "effect") if out.effects.height else MetadataValue.text("none"),
            "table": table_markdown(out.effects, ["event", "effect", "start_s", "end_s", "intensity", "confidence",
                                                  "measure", "detail"]),
            "timeline": image_markdown(picture, "effects timeline") or MetadataValue.text("no events"),
            "timeline_png": MetadataValue.path(str(path)) if path else MetadataValue.text("none"),
            "preview": image_markdown(thumbnails(workspace, frames, [ids[len(ids) // 2] for ids in out.effects[
                "frame_ids"].to_list() if ids is not None and len(ids)]), "a key frame of each event")
            or MetadataValue.text("no event on a key frame"),
        })


def _fps(signals) -> float:
    """Frames per second of the analysed stream, from its timestamps (24 when there are too few)."""
    if signals.height < 2:
        return 24.0
    span = float(signals["timestamp_s"].max() - signals["timestamp_s"].min())
    return (signals.height - 1) / span if span > 0 else 24.0
