import polars as pl
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets.frames.handoff import remove_handoff
from assets.shot_analysis.core import Inputs, analyse
from assets.shot_analysis.params import ShotAnalysisParams
from assets.shot_analysis.timeline import structure_timeline
from assets.shot_analysis.reading import read_inputs, table_markdown, thumbnails, write_picture
from assets.shot_analysis.shot_reuse import ShotScanReuse
from assets.stage_contract import StageContract
from assets.stage_support import cached_result, counts_markdown, film_record, image_markdown, result
from resources.item_reuse import ItemReuse
from resources.relations import FILM_SOURCE
from resources.store import StorageResource

CONTRACT = StageContract("shot_analysis", ShotAnalysisParams, reads=(FILM_SOURCE, "frames", "shots"),
                         optional_reads=("filtered_instances", "faces", "instance_identities", "audio",
                                         "speech_segments"))


@asset(**CONTRACT.asset_args(group_name="temporal"))
def shot_analysis(context: AssetExecutionContext, config: CONTRACT.Config, storage: StorageResource) -> MaterializeResult:
    """Scene structure: shot type and camera motion per shot, scenes, sequences, a structure timeline."""
    film, catalog = context.partition_key, storage.catalog()
    workspace, source = storage.workspace(film), film_record(catalog, film)
    with CONTRACT.open(context, storage, config) as stage:
        if stage.cached:
            return cached_result(stage)
        inputs: Inputs = read_inputs(workspace, source)
        reuse = ShotScanReuse(ItemReuse(workspace, stage), workspace, stage.inputs[FILM_SOURCE])
        out = analyse(inputs, stage.settings, reuse)
        if out.note:
            context.log.info(f"{film}: {out.note}")
        picture = structure_timeline(out.shots)
        path = write_picture(workspace, "shot_analysis", "structure_timeline.png", picture)
        stage.commit(out.shots, {"scenes": out.scenes, "frame_signals": out.signals,
                                 "picture_change": out.picture_change},
                     note=out.note, decoded_frames=out.decoded_frames, handed_off=out.handed_off,
                     reused_shots=reuse.reused_shots, measured_by=reuse.measured_by, **reuse.reuse.record())
        if out.handed_off:  # read once: a later run (new instances) decodes the film itself
            remove_handoff(workspace)
        return result(stage, {
            "shots": out.shots.height, "scenes": out.scenes.height,
            "sequences": out.shots["sequence"].n_unique() if out.shots.height else 0,
            "decoded_frames": out.decoded_frames,
            "note": "; ".join(filter(None, [out.note, f"the scan of {reuse.reused_shots} of {out.shots.height} shots "
                                            "reused from the last run (film, shot bounds and boxes unchanged)"
                                            if reuse.reused_shots else None])),
            "frames_from": "frames stage's handoff" if out.handed_off else "own decode",
            "shot_types": counts_markdown(out.shots, "shot_type") if out.shots.height else MetadataValue.text("none"),
            "camera_motion": counts_markdown(out.shots, "camera_motion") if out.shots.height
            else MetadataValue.text("none"),
            "durations": MetadataValue.json(out.stats),
            "table": table_markdown(out.shots, ["shot", "scene", "sequence", "shot_type", "camera_motion",
                                                "motion_magnitude", "start_s", "end_s"]),
            "timeline": image_markdown(picture, "structure timeline") or MetadataValue.text("no timed shots"),
            "timeline_png": MetadataValue.path(str(path)) if path else MetadataValue.text("none"),
            "scenes_preview": image_markdown(thumbnails(workspace, inputs.frames, _first_key_frame_per_scene(
                out.key_frames, out.shots)), "first key frame of each scene") or MetadataValue.text("no key frames"),
        })


def _first_key_frame_per_scene(key_frames: pl.DataFrame, shots: pl.DataFrame) -> list[str]:
    if key_frames.height == 0 or shots.height == 0:
        return []
    joined = key_frames.join(shots.select("shot", "scene"), on="shot").sort("timestamp_s")
    return joined.group_by("scene", maintain_order=True).first()["frame_id"].to_list()
