import time
from dataclasses import asdict

from dagster import AssetExecutionContext, AssetKey, Config, MaterializeResult, MetadataValue, asset

from assets.pose.core import PoseParams, assign_subclusters, estimate_poses, subcluster_table, write_subcluster_folders
from assets.pose.selection import read_identified_instances
from assets.frames.core import contact_sheet
from assets.stage_support import cached_result, counts_markdown, image_markdown, result
from orchestration.partitions import film_partitions
from resources.lineage import StageRun, relation_fingerprint
from resources.film_settings import stage_params
from resources.pose_estimator import PoseEstimatorResource
from resources.store import StorageResource

CODE_VERSION = "pose-2"
INPUTS = ("filtered_instances", "instance_identities", "identities", "faces")


class PoseConfig(Config):
    """Leave a field empty to use the film's settings (configs/defaults.yaml `pose:`, preset, film file)."""

    method: str | None = None
    n_clusters: int | None = None
    min_cluster_size: int | None = None
    min_confidence: float | None = None
    view_weight: float | None = None


@asset(partitions_def=film_partitions, code_version=CODE_VERSION, group_name="characters", kinds={"python"},
       deps=[AssetKey("filtered_instances"), AssetKey("face_embeddings"), AssetKey("identity_clusters")], pool="gpu")
def pose_subclusters(context: AssetExecutionContext, config: PoseConfig, storage: StorageResource,
                     pose_estimator: PoseEstimatorResource) -> MaterializeResult:
    """COCO-17 keypoints, view (front / three-quarter / profile / back) and pose sub-clusters per identity."""
    film, catalog = context.partition_key, storage.catalog()
    workspace = storage.workspace(film)
    params = PoseParams.from_dict(stage_params(film, "pose", config.model_dump()))
    run_params = {**asdict(params), "backend": pose_estimator.backend, "model": pose_estimator.model,
                  "variant": pose_estimator.variant}
    inputs = {name: relation_fingerprint(workspace, name) for name in INPUTS}
    with StageRun(workspace, catalog, "pose_subclusters", CODE_VERSION, run_params, inputs,
                  run_id=context.run_id, logger=context.log) as stage:
        if stage.cached:
            return cached_result(stage)
        started = time.perf_counter()
        rows = read_identified_instances(workspace)
        estimator = pose_estimator.estimator() if rows.height else None
        poses = assign_subclusters(estimate_poses(rows, workspace.read_optional_table("faces"), estimator, params,
                                                  workspace.absolute), params)
        with workspace.staged_dir("pose_subclusters") as staging:
            write_subcluster_folders(staging, poses, rows, params, workspace.absolute)
        stage.commit(subcluster_table(poses), {"poses": poses})
        overlays = sorted(workspace.artefact_dir("pose_subclusters").glob("*/*_pose.jpg"))
        return result(stage, {
            "instances": poses.height, "no_pose": int(poses["no_pose_reason"].is_not_null().sum()),
            "backend": pose_estimator.backend, "model": getattr(estimator, "model", "") or "",
            "views": counts_markdown(poses, "view"), "subclusters": counts_markdown(poses, "folder"),
            "seconds": round(time.perf_counter() - started, 2),
            "folder": MetadataValue.path(str(workspace.artefact_dir("pose_subclusters"))),
            "preview": image_markdown(contact_sheet(overlays), "keypoint overlays")
            or MetadataValue.text("no keypoint overlays"),
        })
