"""COCO instance segmentation of the exported instances: the frames as images, the identities as categories and
each instance's full-resolution mask as compressed RLE (what pycocotools and FiftyOne's COCODetectionDataset load).
Streamed: the header first, then one annotation at a time. No Dagster."""

import json
import logging
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import polars as pl

from assets.datasets.formats import compress_counts, placed_rle_counts, replace_if_changed
from resources.image_codec import read_image

log = logging.getLogger(__name__)


def read_mask(path: Path) -> np.ndarray:
    mask = read_image(path, cv2.IMREAD_GRAYSCALE)   # cv2.imread's pixels (a 1-bit mask by libdeflate)
    if mask is None:
        raise ValueError(f"{path}: missing or not a readable mask image")
    return mask > 127


def placed_mask(row: dict[str, Any], frame_size: tuple[int, int],
                absolute: Callable[[str], Path]) -> tuple[np.ndarray, int, int]:
    """The instance's mask within the frame and its top-left corner in frame pixels: a mask stored at cut-out size
    sits at the cut-out's origin (clipped to the frame), one stored at frame size at (0, 0)."""
    mask = read_mask(absolute(row["mask_path"]))
    width, height = frame_size
    if mask.shape == (height, width):
        return mask, 0, 0
    x0 = row["crop_x0"] if row["crop_x0"] is not None else int(row["x0"])
    y0 = row["crop_y0"] if row["crop_y0"] is not None else int(row["y0"])
    return mask[:max(0, height - y0), :max(0, width - x0)], x0, y0


def coco_header(survivors: pl.DataFrame, frames: pl.DataFrame | None, out_dir: Path,
                absolute: Callable[[str], Path]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    """(images, categories, images folder): the frames the instances come from, ``file_name`` relative to the
    folder that holds them all (FiftyOne's ``data_path`` looks names up under it), that folder relative to
    ``out_dir``, and one category per identity (``name``: its trigger word)."""
    images: list[dict[str, Any]] = []
    root = out_dir
    if frames is not None and frames.height and {"frame_id", "path", "width", "height"} <= set(frames.columns):
        wanted = frames.filter(pl.col("frame_id").is_in(survivors["frame_id"].implode())
                               & pl.col("path").is_not_null()).sort("frame_id")
        paths = [absolute(p) for p in wanted["path"]]
        root = Path(os.path.commonpath([p.parent for p in paths])) if paths else out_dir
        for n, (frame, path) in enumerate(zip(wanted.iter_rows(named=True), paths), start=1):
            images.append({"id": n, "width": int(frame["width"]), "height": int(frame["height"]),
                           "file_name": path.relative_to(root).as_posix(), "castforge_frame_id": frame["frame_id"]})
    identities = survivors.select("identity", "trigger", "label").unique("identity").sort("label")
    categories = [{"id": n, "name": trigger, "supercategory": "character", "castforge_identity": identity}
                  for n, (identity, trigger, _) in enumerate(identities.iter_rows(), start=1)]
    return images, categories, Path(os.path.relpath(root, out_dir)).as_posix()


def coco_annotation(part: np.ndarray, x0: int, y0: int, frame_size: tuple[int, int], annotation_id: int,
                    image_id: int, category_id: int, instance_id: str) -> dict[str, Any] | None:
    """One COCO instance annotation of the frame-sized mask that holds ``part`` at (``x0``, ``y0``) and nothing
    else (RLE segmentation, bbox x, y, w, h, area), None for an empty mask."""
    rows, cols = np.flatnonzero(part.any(axis=1)), np.flatnonzero(part.any(axis=0))  # no index of every pixel
    if not len(cols):
        return None
    width, height = frame_size
    left, top = int(cols[0]) + x0, int(rows[0]) + y0
    return {"id": annotation_id, "image_id": image_id, "category_id": category_id, "iscrowd": 0,
            "segmentation": {"counts": compress_counts(placed_rle_counts(part, x0, y0, height, width)),
                             "size": [height, width]},
            "area": int(np.count_nonzero(part)),
            "bbox": [left, top, int(cols[-1]) + x0 - left + 1, int(rows[-1]) + y0 - top + 1],
            "castforge_instance_id": instance_id}


class CocoWriter:
    """Streams a COCO instance-segmentation file: images (the frames) and categories (the identities) up front,
    then one annotation per exported instance, so masks are never all in memory."""

    def __init__(self, final: Path, images: list[dict[str, Any]], categories: list[dict[str, Any]], film: str,
                 images_dir: str = "."):
        self.final = final
        final.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
        self.file = self.tmp.open("w")
        head = {"info": {"description": f"castforge character instances of {film}", "version": "1",
                         "castforge_images_dir": images_dir},  # file_name is relative to it (from this file)
                "licenses": [], "images": images, "categories": categories}
        self.file.write(json.dumps(head, sort_keys=True)[:-1] + ', "annotations": [')
        self.annotations = 0

    def add(self, annotation: dict[str, Any]) -> None:
        self.file.write(("," if self.annotations else "") + "\n" + json.dumps(annotation, sort_keys=True))
        self.annotations += 1

    def close(self) -> bool:
        self.file.write("\n]}\n")
        self.file.close()
        return replace_if_changed(self.tmp, self.final)

    def abort(self) -> None:
        self.file.close()
        self.tmp.unlink(missing_ok=True)
