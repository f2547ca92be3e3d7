"""The pixel work of one export candidate, apart from the writing: its cut-out read and measured (for the
near-duplicate test), its crops placed, brought to training size and encoded as PNG, its COCO annotation made.
Each candidate's is independent of the others' and mostly outside the GIL (PNG inflate and encode, compositing,
resizing), so the export runs it on a thread per core (resources/ordered_map.py) while one thread writes the files
and rows in the candidates' order, exactly as one thread did alone. No Dagster."""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from assets.datasets.coco import coco_annotation, placed_mask
from assets.datasets.crops import crop_boxes
from assets.datasets.images import (Cutout, cutout_hash, encode_png, load_cutout, sharpness, size_decision,
                                    to_training_size)
from assets.datasets.params import DatasetParams
from assets.datasets.pieces import largest_piece_share
from assets.datasets.second_character import colour_palette, solid_palette
from resources.protocols import ImageUpscaler

HASH_BACKGROUND = (128, 128, 128)


@dataclass(frozen=True)
class CropPixels:
    crop: str
    size: tuple[int, int] | None = None   # the source crop's width x height (None: no crop placed)
    skip_rule: str | None = None          # skipped: the rule and the reason
    skip_reason: str | None = None
    method: str | None = None             # exported: the resize method, the PNG and its width x height
    png: bytes | None = None
    shape: tuple[int, int] | None = None


@dataclass(frozen=True)
class InstancePixels:
    crops: list[CropPixels] = field(default_factory=list)
    unreadable: str | None = None          # the cut-out could not be read: why
    coco: dict[str, Any] | None = None     # the instance's COCO annotation, its id given when it is written
    coco_error: str | None = None          # its mask could not be read: why


class CutoutMeasures(NamedTuple):
    """What the export's screening reads of one candidate's cut-out."""
    phash: int               # perceptual hash (near-duplicates)
    sharpness: float         # which near-duplicate is kept
    palette: np.ndarray      # colour palette (a second character's colours)
    piece_share: float       # the largest piece's share (scattered pieces)


def measure(row: dict[str, Any], absolute: Callable[[str], Path]) -> CutoutMeasures | str:
    """The ``CutoutMeasures`` of a candidate's cut-out on mid grey (the mask's outline against white would weigh more
    in the hash than the character), or why it cannot be read."""
    try:
        cut = load_cutout(absolute(row["path"]), HASH_BACKGROUND)
    except ValueError as error:
        return str(error)
    return CutoutMeasures(cutout_hash(cut), sharpness(cut), colour_palette(cut.rgb, cut.alpha),
                          largest_piece_share(cut.alpha))


def measure_solid_colours(row: dict[str, Any], absolute: Callable[[str], Path], colours: np.ndarray) -> np.ndarray:
    """A readable candidate's ``solid_palette`` of ``colours``, its cut-out read as ``measure`` reads it."""
    cut = load_cutout(absolute(row["path"]), HASH_BACKGROUND)
    return solid_palette(cut.rgb, cut.alpha, colours)


def instance_crops(row: dict[str, Any], cut: Cutout, params: DatasetParams) -> dict[str, tuple | str]:
    """The wanted crops' boxes (or reasons) of one candidate, from its keypoints, face box and place in the frame."""
    kp = None
    if row["keypoints"] is not None and row["no_pose_reason"] is None and len(row["keypoints"]) == 51:
        kp = np.asarray(row["keypoints"], np.float32).reshape(17, 3)
    face = (row["fx0"], row["fy0"], row["fx1"], row["fy1"]) if row["fx0"] is not None else None
    origin = (row["crop_x0"] if row["crop_x0"] is not None else int(row["x0"]),
              row["crop_y0"] if row["crop_y0"] is not None else int(row["y0"]))
    frame_size = (row["frame_width"], row["frame_height"]) if row["frame_width"] and row["frame_height"] else None
    return crop_boxes(cut.alpha, origin, kp, face, frame_size, row.get("touches_frame_edge"), params.crops,
                      frame_edges=row.get("frame_edges"))


def instance_pixels(row: dict[str, Any], params: DatasetParams, absolute: Callable[[str], Path],
                    upscaler: ImageUpscaler | None = None, image: dict[str, Any] | None = None,
                    category_id: int | None = None) -> InstancePixels:
    """Every wanted crop of one candidate, exported (PNG) or skipped with its rule; with ``image`` (the COCO image
    of its frame) also its COCO annotation."""
    try:
        cut = load_cutout(absolute(row["path"]), params.background)
    except ValueError as error:  # removed or damaged since it was measured
        return InstancePixels(unreadable=str(error))
    crops = []
    for crop, box in instance_crops(row, cut, params).items():
        if isinstance(box, str):
            crops.append(CropPixels(crop, skip_rule="cut_by_frame_edge" if "frame edge" in box else "crop_not_placed",
                                    skip_reason=box))
            continue
        source = cut.rgb[box[1]:box[3], box[0]:box[2]]
        size = (source.shape[1], source.shape[0])
        method, reason = size_decision(*size, params)
        if method is None:
            crops.append(CropPixels(crop, size, "too_small" if "min_source_size" in reason else "below_target",
                                    reason))
            continue
        rgb = to_training_size(source, method, params, upscaler)
        crops.append(CropPixels(crop, size, method=method, png=encode_png(rgb, row["path"]),
                                shape=(rgb.shape[1], rgb.shape[0])))
    if image is None or not row.get("mask_path"):
        return InstancePixels(crops)
    frame_size = (image["width"], image["height"])
    try:
        part, x0, y0 = placed_mask(row, frame_size, absolute)
    except ValueError as error:
        return InstancePixels(crops, coco_error=str(error))
    return InstancePixels(crops, coco=coco_annotation(part, x0, y0, frame_size, 0, image["id"], category_id,
                                                      row["instance_id"]))
