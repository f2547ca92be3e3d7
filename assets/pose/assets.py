import time

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets.pose.core import PoseParams, assign_subclusters, bucket_inputs, estimate_poses, subcluster_table, \
    write_subcluster_folders
from assets.pose.pose_reuse import PoseReuse
from assets.pose.selection import read_identified_instances
from assets.pose.track_views import track_ids
from assets.frames.core import contact_sheet
from assets.stage_contract import StageContract
from assets.stage_support import cached_result, counts_markdown, image_markdown, result
from resources.item_reuse import ItemReuse
from resources.pose_estimator import PoseEstimatorResource
from resources.store import StorageResource

CONTRACT = StageContract("pose_subclusters", PoseParams,
                          optional_reads=("filtered_instances", "instance_identities", "identities", "faces"))


@asset(**CONTRACT.asset_args(group_name="characters", pool="gpu"))
def pose_subclusters(context: AssetExecutionContext, config: CONTRACT.Config, storage: StorageResource,
                     pose_estimator: PoseEstimatorResource) -> MaterializeResult:
    """COCO-17 keypoints, view (front / three-quarter / profile / back) and pose sub-clusters per identity."""
    film, catalog = context.partition_key, storage.catalog()
    workspace = storage.workspace(film)
    with CONTRACT.open(context, storage, config) as stage:
        params = stage.settings
        if stage.cached:
            return cached_result(stage)
        started = time.perf_counter()
        rows = read_identified_instances(workspace)
        estimator = pose_estimator.get() if rows.height else None
        # an unchanged cut-out keeps its keypoints and overlay (from the last run's folder, read before the swap)
        reuse = ItemReuse(workspace, stage)
        reused = PoseReuse(reuse, workspace.read_optional_table("poses") if reuse.previous else None,
                           workspace.artefact_dir("pose_subclusters"), estimator, params)
        with workspace.staged_dir("pose_subclusters") as staging:
            overlays = staging / ".overlays"  # drawn while each cut-out is decoded for its estimate, then filed
            overlays.mkdir()
            # silhouette buckets: the silhouettes come from the cut-outs the estimate decodes, not a second decode
            seen = {} if params.bucket_features == "silhouette" else None
            poses = estimate_poses(rows, workspace.read_optional_table("faces"), estimator, params,
                                   workspace.absolute, overlays, reused, seen,
                                   track_ids(workspace.read_optional_table("instance_identities")))
            poses = assign_subclusters(poses, params, *bucket_inputs(rows, params, workspace.absolute, seen))
            write_subcluster_folders(staging, poses, rows, params, workspace.absolute, overlays)
        stage.commit(subcluster_table(poses), {"poses": poses}, **reuse.record())
        overlays = sorted(workspace.artefact_dir("pose_subclusters").glob("*/*_pose.jpg"))
        return result(stage, {
            "instances": poses.height, "no_pose": int(poses["no_pose_reason"].is_not_null().sum()),
            "backend": pose_estimator.backend, "model": getattr(estimator, "model", "") or "",
            "views": counts_markdown(poses, "view"), "subclusters": counts_markdown(poses, "folder"),
            "cutouts_estimated": reused.estimated, "cutouts_reused": reused.reused,
            "seconds": round(time.perf_counter() - started, 2),
            "note": reused.note() if reused.reused else "",
            "folder": MetadataValue.path(str(workspace.artefact_dir("pose_subclusters"))),
            "preview": image_markdown(contact_sheet(overlays), "keypoint overlays")
            or MetadataValue.text("no keypoint overlays"),
        })
