"""The browser tests' film: the knn_examples/train photos (real faces of 5 people), one instance per kept photo
(the whole photo as the cut-out, since `instances` is another stage), then the real `face_embeddings` and
`identity_clusters` assets."""

from pathlib import Path

import cv2
import numpy as np
import polars as pl

from resources.catalog import Catalog
from resources.lineage import stable_hash
from resources.storage import FilmWorkspace

FILM = "knn_train"
CLUSTER_CONFIG = {"ops": {"identity_clusters": {"config": {"min_cluster_size": 2, "min_samples": 1}}}}


def write_photo_instances(home: Path, film: str = FILM) -> pl.DataFrame:
    """One instance per kept frame: the whole photo as an opaque RGBA cut-out (what a segmenter would give for a
    portrait), written as `instances` and `filtered_instances` with stage records, in the architecture's schema."""
    workspace = FilmWorkspace(film, home)
    frames = workspace.read_table("frames").filter(pl.col("kept"))
    rows = []
    with workspace.staged_dir("instances") as staging:
        for frame in frames.iter_rows(named=True):
            bgr = cv2.imread(str(workspace.absolute(frame["path"])))
            rgba = cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)
            mask = np.full(bgr.shape[:2], 255, np.uint8)
            instance_id = stable_hash([film, frame["frame_id"], mask.tobytes().hex()[:64], bgr.shape])
            cv2.imwrite(str(staging / f"{instance_id}.png"), rgba)
            cv2.imwrite(str(staging / f"{instance_id}_mask.png"), mask)
            final = workspace.artefact_dir("instances")
            h, w = bgr.shape[:2]
            rows.append({"instance_id": instance_id, "frame_id": frame["frame_id"], "shot": frame["shot"],
                         "timestamp_s": frame["timestamp_s"], "x0": 0, "y0": 0, "x1": w, "y1": h,
                         "area": float(w * h), "alpha_coverage": 1.0, "score": 1.0, "backend": "photo",
                         "path": workspace.relative(final / f"{instance_id}.png"),
                         "mask_path": workspace.relative(final / f"{instance_id}_mask.png")})
    instances = pl.DataFrame(rows)
    filtered = instances.with_columns(pl.lit(True).alias("kept"), pl.lit(None, pl.String).alias("reason"),
                                      pl.lit("auto").alias("decided_by"))
    for relation, table in (("instances", instances), ("filtered_instances", filtered)):
        workspace.write_table(relation, table)
        workspace.write_stage_record(relation, {"asset": relation, "fingerprint": stable_hash([relation, rows]),
                                                "row_count": table.height})
    Catalog(home).refresh_views()
    return filtered


def materialise(names: list[str], film: str = FILM, run_config: dict | None = None):
    from dagster import DagsterInstance, materialize

    from orchestration.definitions import build_definitions
    from orchestration.selection import keys

    defs = build_definitions()
    result = materialize(list(defs.assets), selection=keys(names), partition_key=film,
                         instance=DagsterInstance.get(), resources=defs.resources, raise_on_error=False,
                         run_config=run_config or {})
    assert result.success, [e.message for e in result.all_events if e.is_step_failure]
    return result


