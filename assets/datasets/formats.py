"""Export formats users load directly: Hugging Face Parquet (with the `datasets` feature schema), an sd-scripts
dataset_config.toml, and COCO's compressed RLE (used by coco.py). No Dagster; pyarrow and numpy only.

Every file is written beside its final name and moved into place only when its bytes differ from what is there,
so an unchanged re-export leaves files (and their mtimes) alone.
"""

import filecmp
import json
import os
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

# the `datasets` library's feature schema: stored under the "huggingface" key of the Arrow schema metadata, it makes
# `datasets.load_dataset("parquet", ...)` decode `image` as a PIL image instead of a {bytes, path} dict
HF_COLUMNS: dict[str, tuple[pa.DataType, dict[str, str]]] = {
    "image": (pa.struct([("bytes", pa.binary()), ("path", pa.string())]), {"_type": "Image"}),
    "caption": (pa.string(), {"dtype": "string", "_type": "Value"}),
    "trigger": (pa.string(), {"dtype": "string", "_type": "Value"}),
    "identity": (pa.string(), {"dtype": "string", "_type": "Value"}),
    "crop": (pa.string(), {"dtype": "string", "_type": "Value"}),
    "view": (pa.string(), {"dtype": "string", "_type": "Value"}),
    "pose_bucket": (pa.string(), {"dtype": "string", "_type": "Value"}),
    "film": (pa.string(), {"dtype": "string", "_type": "Value"}),
    "timestamp_s": (pa.float64(), {"dtype": "float64", "_type": "Value"}),
    "instance_id": (pa.string(), {"dtype": "string", "_type": "Value"}),
    "width": (pa.int32(), {"dtype": "int32", "_type": "Value"}),
    "height": (pa.int32(), {"dtype": "int32", "_type": "Value"}),
    "source_width": (pa.int32(), {"dtype": "int32", "_type": "Value"}),
    "source_height": (pa.int32(), {"dtype": "int32", "_type": "Value"}),
    "resize": (pa.string(), {"dtype": "string", "_type": "Value"}),
    "effects": (pa.string(), {"dtype": "string", "_type": "Value"}),
}


HfColumns = dict[str, tuple[pa.DataType, dict[str, str]]]


def hf_schema(columns: HfColumns = HF_COLUMNS) -> pa.Schema:
    features = {name: feature for name, (_, feature) in columns.items()}
    metadata = {"huggingface": json.dumps({"info": {"features": features}})}
    return pa.schema([(name, dtype) for name, (dtype, _) in columns.items()], metadata=metadata)


def replace_if_changed(tmp: Path, final: Path) -> bool:
    """Move ``tmp`` onto ``final`` unless both hold the same bytes (then ``tmp`` is removed); True when replaced."""
    if final.exists() and filecmp.cmp(tmp, final, shallow=False):
        tmp.unlink()
        return False
    os.replace(tmp, final)
    return True


def write_bytes_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` atomically unless the file already holds exactly these bytes; True when written."""
    if path.exists() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


class HfParquetWriter:
    """Streams rows into ``final`` (``<film>_dataset.parquet``, or another export's ``columns``) a row group at a
    time (images and clips are never all in memory)."""

    def __init__(self, final: Path, row_group: int = 64, columns: HfColumns = HF_COLUMNS):
        self.final, self.row_group = final, row_group
        final.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
        self.schema = hf_schema(columns)
        self.writer = pq.ParquetWriter(self.tmp, self.schema)
        self.pending: list[dict[str, Any]] = []
        self.rows = 0

    def add(self, row: dict[str, Any]) -> None:
        self.pending.append(row)
        if len(self.pending) >= self.row_group:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            self.writer.write_table(pa.Table.from_pylist(self.pending, schema=self.schema))
            self.rows += len(self.pending)
            self.pending = []

    def close(self) -> bool:
        """Finish the file; True when it replaced a different one. With no rows there is no file (an older one is
        removed): ``datasets.load_dataset`` refuses a 0-row Parquet file (``Instruction "train" corresponds to no
        data!``), where a missing one is named as missing and the run's summary says why the dataset is empty."""
        self._flush()
        self.writer.close()
        if self.rows == 0:
            self.tmp.unlink(missing_ok=True)
            existed = self.final.exists()
            self.final.unlink(missing_ok=True)
            return existed
        return replace_if_changed(self.tmp, self.final)

    def abort(self) -> None:
        self.writer.close()
        self.tmp.unlink(missing_ok=True)


def sd_scripts_config(folders: Iterable[tuple[Path, int]], params_target: int) -> str:
    """kohya-ss/sd-scripts ``--dataset_config`` TOML: captions in ``.txt``, the training resolution and aspect
    buckets around it, one subset per identity folder (absolute paths, so the trainer runs from anywhere)."""
    lines = ["# written by castforge character_datasets: train_network.py --dataset_config <this file>",
             "[general]", 'caption_extension = ".txt"', "shuffle_caption = false",
             "", "[[datasets]]", f"resolution = {params_target}", "batch_size = 1", "enable_bucket = true",
             f"min_bucket_reso = {max(64, params_target // 2 // 64 * 64)}",
             f"max_bucket_reso = {params_target * 2}", "bucket_reso_steps = 64", "bucket_no_upscale = false"]
    for folder, repeats in folders:
        lines += ["", "  [[datasets.subsets]]", f"  image_dir = {json.dumps(str(folder))}",
                  f"  num_repeats = {int(repeats)}"]
    return "\n".join(lines) + "\n"


def rle_counts(mask: np.ndarray) -> list[int]:
    """COCO run lengths of a bool mask: column-major, starting with a (possibly empty) background run."""
    flat = np.asarray(mask, bool).ravel(order="F")
    if not flat.size:
        return [0]
    changes = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    counts = np.diff(np.concatenate([[0], changes, [flat.size]])).tolist()
    return [0, *counts] if flat[0] else counts


def compress_counts(counts: list[int]) -> str:
    """pycocotools' compressed RLE string (maskApi.c rleToString): each count, less the one two before it, as
    5-bit groups with a continuation bit, offset into printable ASCII."""
    out = []
    for i, count in enumerate(counts):
        x = count - counts[i - 2] if i > 2 else count
        more = True
        while more:
            c = x & 0x1F
            x >>= 5  # arithmetic shift: negative differences end at -1
            more = x != -1 if c & 0x10 else x != 0
            out.append(chr((c | 0x20 if more else c) + 48))
    return "".join(out)


def placed_rle_counts(part: np.ndarray, x0: int, y0: int, height: int, width: int) -> list[int]:
    """``rle_counts`` of a ``height`` x ``width`` mask that is empty except ``part`` (bool, inside the frame) with
    its top-left corner at (``x0``, ``y0``): the columns ``part`` spans are run through padded to the frame's
    height, the empty columns either side add to the first and last background runs (a 1080p frame's mask is not
    built for an instance that covers a fraction of it)."""
    h, w = part.shape
    if not w:
        return [height * width] if height * width else [0]
    # the spanned columns one after another (column-major order) without a column-major copy of them
    columns = np.zeros((w, height), bool)
    columns[:, y0:y0 + h] = part.T
    counts = rle_counts(columns.T)
    before, after = x0 * height, (width - x0 - w) * height
    counts[0] += before                   # a leading 0 (the region starts covered) becomes the empty columns' run
    if len(counts) % 2:                   # odd: the region ends on background, which the empty columns extend
        counts[-1] += after
    elif after:
        counts.append(after)
    return counts
