"""``character_datasets`` after a review: a candidate whose inputs did not change keeps its measured hash, its crops'
PNG bytes and its COCO mask from the last export. No Dagster.

Making the crops' pixels (cut-out read twice, pHash and sharpness, crops resized to training size and encoded as
PNG, the full-resolution mask as RLE) is the step's costly part, and it depends only on the cut-out and mask files,
the candidate's keypoints, face box, place in the frame and frame size, the stage's code version and every setting
(``StageRun.config_hash``: a settings change recomputes every item): never on the trigger word, the label or the
caption, which a rename changes. An item is a candidate instance; its key hashes those inputs
(resources/item_reuse.py). What was made is kept, with its key, in ``PIXELS_FILE`` (the PNGs themselves stay where
the export wrote them, each with its digest); an item is taken only where the stage record's key, the stored key and
every stored PNG's digest agree, so the export's files equal a full recompute's byte for byte.
"""

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from assets.datasets.params import DatasetParams
from assets.datasets.pixels import CropPixels, CutoutMeasures, InstancePixels, instance_pixels, measure
from resources.item_reuse import ItemReuse, file_digest
from resources.protocols import ImageUpscaler

PIXELS_FILE = "dataset_pixels.json"   # in the film's folder: per candidate its key, hash and crops (PNG paths)
SHAPING = ("path", "mask_path", "keypoints", "no_pose_reason", "fx0", "fy0", "fx1", "fy1", "crop_x0", "crop_y0",
           "x0", "y0", "frame_width", "frame_height", "touches_frame_edge", "frame_edges")


def png_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


class PixelReuse:
    """The export's pixel work (``measure``, ``pixels``) with the last run's result of an unchanged candidate;
    ``remember`` notes what this run wrote and ``save`` keeps it for the next run."""

    def __init__(self, reuse: ItemReuse, store: Path, out_dir: Path, absolute: Callable[[str], Path]):
        self.reuse, self.store, self.out_dir, self.absolute = reuse, store, out_dir, absolute
        self.stored = _stored(store)
        self.entries: dict[str, dict[str, Any]] = {}
        self.made_ids: set[str] = set()     # candidates whose crops were asked for (set.add: safe from threads)
        self.reused_ids: set[str] = set()   # those taken from the last run

    def _taken(self, row: dict[str, Any]) -> dict[str, Any] | None:
        entry = self.stored.get(row["instance_id"])
        ok = entry is not None and self.reuse.reusable(row["instance_id"]) and \
            entry.get("key") == self.reuse.keys[row["instance_id"]]
        return entry if ok else None

    def measure(self, row: dict[str, Any]) -> CutoutMeasures | str:
        """``pixels.measure``, from the last run when the candidate's key is unchanged (the key is made here)."""
        mask = row.get("mask_path")
        self.reuse.key(row["instance_id"], [row.get(name) for name in SHAPING],
                       file_digest(self.absolute(row["path"])),
                       file_digest(self.absolute(mask)) if mask else None)
        entry = self._taken(row)
        measured = (CutoutMeasures(int(entry["phash"]), float(entry["sharpness"]),
                                   np.asarray(entry["palette"], np.float32), float(entry["piece"]))
                    if entry and "piece" in entry else measure(row, self.absolute))
        if not isinstance(measured, str):
            self.entries[row["instance_id"]] = {"key": self.reuse.keys[row["instance_id"]], "phash": measured.phash,
                                                "sharpness": measured.sharpness, "palette": measured.palette.tolist(),
                                                "piece": measured.piece_share}
        return measured

    def pixels(self, row: dict[str, Any], params: DatasetParams, upscaler: ImageUpscaler | None,
               image: dict[str, Any] | None, category_id: int | None) -> InstancePixels:
        """``pixels.instance_pixels``, from the last run when the candidate's key, its frame's size and every
        stored PNG's bytes are unchanged."""
        self.made_ids.add(row["instance_id"])
        size = [image["width"], image["height"]] if image is not None else None
        entry = self._taken(row)
        made = _stored_pixels(entry, self.out_dir) if entry and entry.get("image") == size else None
        if made is None:
            return instance_pixels(row, params, self.absolute, upscaler, image, category_id)
        self.reused_ids.add(row["instance_id"])
        if made.coco is None or image is None:
            return made
        return InstancePixels(made.crops, coco={**made.coco, "image_id": image["id"], "category_id": category_id})

    def remember(self, row: dict[str, Any], made: InstancePixels, image: dict[str, Any] | None,
                 image_paths: dict[str, Path]) -> None:
        """Notes the candidate's pixels as this run wrote them (``image_paths``: crop -> PNG file)."""
        entry = self.entries.get(row["instance_id"])
        if entry is None or made.unreadable is not None:
            return
        entry["image"] = [image["width"], image["height"]] if image is not None else None
        entry["coco"], entry["coco_error"] = made.coco, made.coco_error
        entry["crops"] = [{"crop": c.crop, "size": c.size, "skip_rule": c.skip_rule, "skip_reason": c.skip_reason,
                           "method": c.method, "shape": c.shape,
                           "png": image_paths[c.crop].relative_to(self.out_dir).as_posix() if c.png else None,
                           "digest": png_digest(c.png) if c.png else None} for c in made.crops]

    def record(self) -> dict[str, Any]:
        """The stage record's item fields (``stage.commit(..., **record())``)."""
        return self.reuse.record()

    @property
    def reused(self) -> int:
        return len(self.reused_ids)

    def save(self) -> None:
        tmp = self.store.with_name(f".{self.store.name}.tmp")
        tmp.write_text(json.dumps(self.entries, sort_keys=True))
        tmp.replace(self.store)


def _stored(path: Path) -> dict[str, dict[str, Any]]:
    """The last run's entries; empty when there are none or they cannot be read (every item is then made)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _stored_pixels(entry: dict[str, Any], out_dir: Path) -> InstancePixels | None:
    """The crops of a stored entry with their PNG bytes read back; None when pixels were not stored or a PNG is
    missing or changed."""
    if "crops" not in entry:
        return None
    crops = []
    for c in entry["crops"]:
        png = None
        if c["png"] is not None:
            try:
                png = (out_dir / c["png"]).read_bytes()
            except OSError:
                return None
            if png_digest(png) != c["digest"]:
                return None
        crops.append(CropPixels(c["crop"], tuple(c["size"]) if c["size"] else None, c["skip_rule"],
                                c["skip_reason"], c["method"], png, tuple(c["shape"]) if c["shape"] else None))
    return InstancePixels(crops, coco=entry["coco"], coco_error=entry["coco_error"])
