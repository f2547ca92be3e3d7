import polars as pl
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets.motion.core import MotionParams, character_motion, motion_energy
from assets.motion.tracks import POINT_SCHEMA, track_points
from assets.shot_analysis.reading import film_span, table_markdown, thumbnails, write_picture
from assets.shot_analysis.timeline import motion_timeline
from assets.stage_contract import StageContract
from assets.stage_support import cached_result, counts_markdown, image_markdown, result
from resources.store import StorageResource

CONTRACT = StageContract("motion", MotionParams, reads=("frames", "shot_analysis", "frame_signals"),
                         optional_reads=("filtered_instances", "instance_identities", "poses"))


@asset(**CONTRACT.asset_args(group_name="temporal"))
def motion(context: AssetExecutionContext, config: CONTRACT.Config, storage: StorageResource) -> MaterializeResult:
    """Character motion: tracks, speed and direction in frame and against the camera, movement labels, energy."""
    workspace = storage.workspace(context.partition_key)
    with CONTRACT.open(context, storage, config) as stage:
        if stage.cached:
            return cached_result(stage)
        frames, shots = workspace.read_table("frames"), workspace.read_table("shot_analysis")
        instances = workspace.read_optional_table("filtered_instances")
        note = None if instances is not None else "no filtered_instances: no characters to track"
        points = track_points(instances, frames, workspace.read_optional_table("instance_identities"),
                              workspace.read_table("frame_signals"), stage.settings.link_iou) \
            if instances is not None else pl.DataFrame(schema=POINT_SCHEMA)
        width, height = ((float(frames[c].drop_nulls().max() or 1.0) if frames.height else 1.0)
                         for c in ("width", "height"))
        tracks = character_motion(points, workspace.read_optional_table("poses"), shots, width, stage.settings,
                                  height)
        energy = motion_energy(tracks, shots)
        picture = motion_timeline(tracks, film_span(shots))
        path = write_picture(workspace, "motion", "motion_timeline.png", picture)
        # the asset's own table holds the energies; tracks and their points are the relations others read
        stage.commit(energy, {"character_motion": tracks, "track_points": points}, note=note)
        return result(stage, {
            "tracks": tracks.height, "points": points.height, "note": note or "",
            "movements": counts_markdown(tracks, "movement") if tracks.height else MetadataValue.text("no tracks"),
            "tracks_table": table_markdown(tracks, ["shot", "track_id", "identity", "points", "speed", "rel_speed",
                                                    "body_speed", "movement", "motion_energy"]),
            "energy": table_markdown(energy, ["scope", "key", "tracks", "motion_energy", "camera_magnitude"]),
            "timeline": image_markdown(picture, "movement per track") or MetadataValue.text("no labelled tracks"),
            "timeline_png": MetadataValue.path(str(path)) if path else MetadataValue.text("none"),
            "fastest": image_markdown(thumbnails(workspace, frames, _fastest_frames(tracks, points)),
                                      "a key frame of the fastest tracks") or MetadataValue.text("no moving track"),
        })


def _fastest_frames(tracks: pl.DataFrame, points: pl.DataFrame, count: int = 8) -> list[str]:
    """The first key frame of each of the ``count`` fastest tracks (body heights per second)."""
    fastest = tracks.drop_nulls("body_speed").sort("body_speed", descending=True).head(count)["track_id"]
    shown = points.filter(pl.col("track_id").is_in(fastest.implode())) if points.height else points
    return shown.group_by("track_id", maintain_order=True).first()["frame_id"].to_list() if shown.height else []
