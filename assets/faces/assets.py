import time

import polars as pl
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets.faces.core import FaceParams, detect_faces, misses_table
from assets.faces.mixed_styles import shot_mix
from assets.faces.parallel import faces_in_pool, workers_for
from assets.faces.reuse import carry_crops, frame_keys, merged, previous_faces
from assets.frames.core import contact_sheet
from assets.stage_contract import StageContract
from assets.stage_support import (CountedCalls, cached_result, counts_markdown, film_record, image_markdown, result,
                                  staged_relative)
from resources.face_analyzer import FaceAnalyzerResource
from resources.item_reuse import ItemReuse
from resources.store import StorageResource

CONTRACT = StageContract("face_embeddings", FaceParams, reads=("frames", "filtered_instances"))


@asset(**CONTRACT.asset_args(group_name="identities", pool="gpu"))
def face_embeddings(context: AssetExecutionContext, config: CONTRACT.Config, storage: StorageResource,
                    face_analyzer: FaceAnalyzerResource) -> MaterializeResult:
    """Faces of kept instances: detection (fallback order), 5-point alignment, identity embeddings, quality, pose."""
    film, catalog = context.partition_key, storage.catalog()
    workspace = storage.workspace(film)
    film_record(catalog, film)
    params = CONTRACT.settings(film, config.model_dump())
    frames = workspace.read_table("frames")
    # preset auto: shots measured one by one; a film mixing drawn and rendered shots gets detectors per shot
    mix = shot_mix(film, frames, workspace.absolute, params.anime_detector, face_analyzer.drawn_detectors,
                   face_analyzer.backend, face_analyzer.detectors)
    analyzer = face_analyzer.get(anime=params.anime_detector, also=mix.also)
    # the key holds the resource's fields (detectors, det_threshold, det_size) and what it actually loaded
    backend = {"face_analyzer": {**face_analyzer.model_dump(), "backend": analyzer.name, "model": analyzer.model}}
    with CONTRACT.open(context, storage, config, backends=backend) as stage:
        if stage.cached:
            return cached_result(stage, backend=analyzer.name)
        started = time.perf_counter()
        instances = workspace.read_table("filtered_instances")
        all_kept = instances.filter(pl.col("kept")) if "kept" in instances.columns else instances
        # after a review most frames' kept cut-outs are as they were: those frames keep their last rows
        reuse = ItemReuse(workspace, stage)
        frame_keys(reuse, frames, all_kept, params, workspace.absolute, mix.detectors_for(), analyzer.detectors)
        reused = previous_faces(reuse, all_kept, workspace.read_optional_table("faces"),
                                workspace.read_optional_table("face_misses"), workspace.absolute)
        kept_frames = reused.to_compute["frame_id"]
        total, what = kept_frames.n_unique(), "frames' faces embedded"
        workers = workers_for(total)
        misses: dict[str, str] = {}
        with workspace.staged_dir("faces") as staging:
            carry_crops(reused.faces, workspace.absolute, staging)
            if workers > 1:   # frames on a pool of processes, each with its own analyzer (assets/faces/parallel.py)
                faces, misses = faces_in_pool(
                    film, workspace.home, frames, reused.to_compute, params, type(face_analyzer),
                    face_analyzer.model_dump(), params.anime_detector, mix.also, staging,
                    workspace.artefact_dir("faces"), workers, mix.detectors_for(),
                    lambda done: stage.progress(min(done, total), total, what))
            else:
                faces = detect_faces(frames, reused.to_compute, CountedCalls(analyzer, "embed", stage, total, what),
                                     params, workspace.absolute, staging, staged_relative(workspace, "faces", staging),
                                     misses, mix.detectors_for())
        faces = merged(reused.faces, faces)
        missed = merged(reused.misses, misses_table(misses, instances))
        # `faces` is the relation other stages read; `face_embeddings` (the asset's own table) keeps the vectors;
        # `face_misses` says why a kept instance has no face
        stage.commit(faces.select("face_id", "instance_id", "frame_id", "embedding"),
                     {"faces": faces, "face_misses": missed}, **reuse.record())
        kept = instances.filter(pl.col("kept")).height if "kept" in instances.columns else instances.height
        with_face = faces["instance_id"].n_unique() if faces.height else 0
        strip = contact_sheet([workspace.absolute(p) for p in faces["crop_path"].drop_nulls()], count=12)
        return result(stage, {
            "faces": faces.height, "kept_instances": kept, "instances_with_face": with_face,
            "frames_searched": total, "frames_reused": len(reused.frames),
            "no_face_ratio": round(1 - with_face / kept, 3) if kept else 0.0,
            "backend": analyzer.name, "model": analyzer.model, "embedding_dim": analyzer.embedding_dim,
            "mixed_styles": mix.mixed,
            "detectors": counts_markdown(faces, "detector") if faces.height else MetadataValue.text("no faces"),
            "why_no_face": (counts_markdown(missed.with_columns(pl.col("reason").str.replace(r":.*", "")), "reason")
                            if missed.height else MetadataValue.text("every kept instance has a face")),
            "seconds": round(time.perf_counter() - started, 2),
            "note": (f"faces of {len(reused.frames)} of {len(reuse.keys)} frames reused from the last run (frame, "
                     f"kept cut-outs and settings unchanged), {total} searched" if reused.frames else ""),
            "preview": image_markdown(strip, "face crops") or MetadataValue.text("no faces"),
        })
