import time
from dataclasses import asdict

import polars as pl
from dagster import AssetExecutionContext, AssetKey, Config, MaterializeResult, MetadataValue, asset

from assets.faces.core import FaceParams, detect_faces
from assets.frames.core import contact_sheet
from assets.stage_support import cached_result, counts_markdown, film_record, image_markdown, result, staged_relative
from orchestration.partitions import film_partitions
from resources.face_analyzer import FaceAnalyzerResource
from resources.film_settings import stage_params
from resources.lineage import StageRun, upstream_fingerprint
from resources.store import StorageResource

CODE_VERSION = "faces-1"


class FacesConfig(Config):
    """Leave a field empty to use the film's settings (configs/defaults.yaml `faces:`, preset, films/<film>.yaml)."""

    min_face_size: int | None = None
    min_face_fraction: float | None = None
    min_containment: float | None = None
    anime_detector: bool | None = None
    save_crops: bool | None = None


@asset(partitions_def=film_partitions, code_version=CODE_VERSION, group_name="identities", kinds={"python"},
       deps=[AssetKey("frames"), AssetKey("filtered_instances")], pool="gpu")
def face_embeddings(context: AssetExecutionContext, config: FacesConfig, storage: StorageResource,
                    face_analyzer: FaceAnalyzerResource) -> MaterializeResult:
    """Faces of kept instances: detection (fallback order), 5-point alignment, identity embeddings, quality, pose."""
    film, catalog = context.partition_key, storage.catalog()
    workspace = storage.workspace(film)
    film_record(catalog, film)
    params = FaceParams.from_dict(stage_params(film, "faces", config.model_dump()))
    analyzer = face_analyzer.analyzer(anime=params.anime_detector)
    inputs = {"frames": upstream_fingerprint(workspace, "frames"),
              "filtered_instances": upstream_fingerprint(workspace, "filtered_instances")}
    stage_config = {**asdict(params), "backend": analyzer.name, "model": analyzer.model}
    with StageRun(workspace, catalog, "face_embeddings", CODE_VERSION, stage_config, inputs,
                  run_id=context.run_id, logger=context.log) as stage:
        if stage.cached:
            return cached_result(stage, backend=analyzer.name)
        started = time.perf_counter()
        frames, instances = workspace.read_table("frames"), workspace.read_table("filtered_instances")
        with workspace.staged_dir("faces") as staging:
            faces = detect_faces(frames, instances, analyzer, params, workspace.absolute, staging,
                                 staged_relative(workspace, "faces", staging))
        # `faces` is the relation other stages read; `face_embeddings` (the asset's own table) keeps the vectors
        stage.commit(faces.select("face_id", "instance_id", "frame_id", "embedding"), {"faces": faces})
        kept = instances.filter(pl.col("kept")).height if "kept" in instances.columns else instances.height
        with_face = faces["instance_id"].n_unique() if faces.height else 0
        strip = contact_sheet([workspace.absolute(p) for p in faces["crop_path"].drop_nulls()], count=12)
        return result(stage, {
            "faces": faces.height, "kept_instances": kept, "instances_with_face": with_face,
            "no_face_ratio": round(1 - with_face / kept, 3) if kept else 0.0,
            "backend": analyzer.name, "model": analyzer.model, "embedding_dim": analyzer.embedding_dim,
            "detectors": counts_markdown(faces, "detector") if faces.height else MetadataValue.text("no faces"),
            "seconds": round(time.perf_counter() - started, 2),
            "preview": image_markdown(strip, "face crops") or MetadataValue.text("no faces"),
        })
