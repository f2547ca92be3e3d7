"""The faces stage after a review: a key frame whose faces cannot have changed keeps its last rows. No Dagster.

A frame's faces depend only on the frame (assets/faces/parallel.py splits the work on that): its image, the boxes
(and, with ``min_mask_share``, the masks) of its kept cut-outs and its detector order, under the stage's code,
parameters and backends (resources/item_reuse.py). Discarding one cut-out changes one frame's key: that frame is
searched again, every other one is taken from the last run with its crop file, and the merged tables equal a full
recompute's (rows in frame order, each frame's rows in the order they were found).
"""

import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from assets.faces.core import FACE_SCHEMA, FaceParams
from resources.item_reuse import ItemReuse, file_digest

MISS_SCHEMA = {"instance_id": pl.String, "frame_id": pl.String, "reason": pl.String}


@dataclass(frozen=True)
class ReusedFaces:
    """The frames whose faces come from the last run (their rows) and the kept cut-outs still to search."""

    frames: frozenset[str]
    faces: pl.DataFrame
    misses: pl.DataFrame
    to_compute: pl.DataFrame      # kept instances of the frames to search again


def frame_keys(reuse: ItemReuse, frames: pl.DataFrame, kept: pl.DataFrame, params: FaceParams,
               resolve: Callable[[str], Path], detectors_for: Callable[[str], Sequence[str]] | None,
               default_order: Sequence[str]) -> None:
    """Records each kept frame's key in ``reuse``: the image file's content, its kept cut-outs' ids and boxes (and
    mask contents when masks decide; the cut-out step's face cue, which a miss's reason names) and the frame's
    detector order."""
    paths = dict(zip(frames["frame_id"], frames["path"]))
    with_masks = params.min_mask_share > 0 and "mask_path" in kept.columns
    for (frame_id,), group in kept.sort("frame_id").group_by(["frame_id"], maintain_order=True):
        path = paths.get(frame_id)
        boxes = sorted((r["instance_id"], [float(r[c]) for c in ("x0", "y0", "x1", "y1")],
                        file_digest(resolve(r["mask_path"])) if with_masks and r["mask_path"] else None,
                        r.get("face_count"), r.get("face_score"))
                       for r in group.iter_rows(named=True))
        order = list(detectors_for(frame_id)) if detectors_for else list(default_order)
        reuse.key(frame_id, path, file_digest(resolve(path)) if path else "no image", boxes, order)


def previous_faces(reuse: ItemReuse, kept: pl.DataFrame, faces: pl.DataFrame | None, misses: pl.DataFrame | None,
                   resolve: Callable[[str], Path]) -> ReusedFaces:
    """Splits the kept instances into frames reusable from the last run's ``faces`` / ``face_misses`` (keys
    recorded by :func:`frame_keys`; a frame whose crop file is gone is searched again) and frames to search."""
    candidates = {frame_id for frame_id in reuse.keys if reuse.reusable(frame_id)}
    if faces is None or misses is None or not candidates:
        return ReusedFaces(frozenset(), pl.DataFrame(schema=FACE_SCHEMA), pl.DataFrame(schema=MISS_SCHEMA), kept)
    faces = faces.select(list(FACE_SCHEMA)).cast(FACE_SCHEMA)
    lost = faces.filter(pl.col("frame_id").is_in(list(candidates)) & pl.col("crop_path").is_not_null())
    lost_frames = {f for f, p in zip(lost["frame_id"], lost["crop_path"]) if not resolve(p).is_file()}
    reused = frozenset(candidates - lost_frames)
    return ReusedFaces(reused, faces.filter(pl.col("frame_id").is_in(list(reused))),
                       misses.select(list(MISS_SCHEMA)).cast(MISS_SCHEMA).filter(pl.col("frame_id").is_in(list(reused))),
                       kept.filter(~pl.col("frame_id").is_in(list(reused))))


def carry_crops(faces: pl.DataFrame, resolve: Callable[[str], Path], staging: Path) -> None:
    """Links (or copies) the reused faces' crop files into the stage's staging folder (crops lie flat in it, as
    ``detect_faces`` writes them), so they keep their stored paths once it is swapped in."""
    for stored in faces["crop_path"].drop_nulls():
        source, target = resolve(stored), staging / Path(stored).name
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)


def merged(reused: pl.DataFrame, computed: pl.DataFrame) -> pl.DataFrame:
    """Reused and newly computed rows in the full run's order: by frame, each frame's rows as found."""
    return pl.concat([reused, computed]).sort("frame_id", maintain_order=True)
