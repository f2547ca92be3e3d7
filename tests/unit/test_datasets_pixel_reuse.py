"""character_datasets after a review takes an unchanged candidate's pixels from the last export, and its files equal
a full recompute's byte for byte (real photos as cut-outs, real masks, a frames table for COCO)."""

from pathlib import Path
from types import SimpleNamespace

import cv2
import polars as pl

from assets.datasets.core import export_datasets
from assets.datasets.params import DatasetParams
from assets.datasets.pixel_reuse import PixelReuse
from assets.datasets.selection import export_candidates
from resources.item_reuse import ItemReuse
from tests.unit.test_datasets import inputs, rel  # noqa: F401  (the fixture)


class Records:
    """The stage record store ItemReuse reads (the workspace's, without Dagster)."""

    def __init__(self):
        self.record = None

    def read_stage_record(self, asset):
        return self.record

    def has_table(self, asset):
        return self.record is not None


def with_masks_and_frames(inputs):
    rows, captions, poses, faces, home = inputs
    masks = []
    for row in rows.iter_rows(named=True):
        alpha = cv2.imread(row["path"], cv2.IMREAD_UNCHANGED)[:, :, 3]
        mask = Path(row["path"]).with_suffix(".mask.png")
        cv2.imwrite(str(mask), (alpha > 0).astype("uint8") * 255)
        masks.append(str(mask))
    rows = rows.with_columns(pl.Series("mask_path", masks))
    frames = pl.DataFrame({"frame_id": rows["frame_id"], "path": rows["path"], "width": rows["frame_width"],
                           "height": rows["frame_height"]})
    return rows, captions, poses, faces, home, frames


def export(data, out: Path, params, rows=None, records=None, config="a"):
    base_rows, captions, poses, faces, home, frames = data
    candidates, decisions = export_candidates(rows if rows is not None else base_rows, captions, poses, faces, None,
                                              "knn", params)
    reuse = None
    if records is not None:
        stage = SimpleNamespace(asset="character_datasets", code_version="v", config_hash=config)
        reuse = PixelReuse(ItemReuse(records, stage), out.parent / "dataset_pixels.json", out, Path)
    result = export_datasets(candidates, decisions, frames, out, "knn", params, Path, rel(out.parent), reuse=reuse)
    if reuse is not None:
        records.record = reuse.reuse.record()
    return result, reuse


def files(out: Path) -> dict[str, bytes]:
    """Every exported file's bytes (the TOML names its folders by absolute path: that part made neutral)."""
    return {p.relative_to(out).as_posix(): p.read_bytes().replace(str(out.resolve()).encode(), b"OUT")
            for p in sorted(out.rglob("*")) if p.is_file()}


def test_review_rerun_reuses_pixels_and_equals_a_full_recompute(inputs):  # noqa: F811
    data = with_masks_and_frames(inputs)
    rows, home = data[0], data[4]
    params = DatasetParams(target_size=96, min_source_size=16, crops=("full", "head"))
    records, out = Records(), home / "mine" / "datasets"
    (first, _, _), reuse = export(data, out, params, records=records)
    assert reuse.reused == 0 and first.height > 4
    # a review: identity_000 renamed (trigger and label), one instance discarded
    gone = first["instance_id"][1]
    reviewed = rows.filter(pl.col("instance_id") != gone).with_columns(
        pl.when(pl.col("identity") == "identity_000").then(pl.lit("penny_pig")).otherwise(pl.col("name"))
        .alias("name"))
    (table, decisions, manifest), reuse = export(data, out, params, rows=reviewed, records=records)
    kept = table["instance_id"].unique().len()
    assert reuse.reused >= kept > 0
    assert any(p.parent.name.endswith("penny_pig") for p in out.rglob("*.png"))
    (full_table, full_decisions, full_manifest), _ = export(data, home / "full" / "datasets", params, rows=reviewed)
    assert files(out) == files(home / "full" / "datasets")
    assert table.equals(full_table) and decisions.equals(full_decisions)
    # a cut-out replaced by another's bytes: made again, and still equal to a full recompute
    changed = rows["path"][rows["instance_id"].to_list().index(table["instance_id"][0])]
    other = rows["path"][rows["instance_id"].to_list().index(table["instance_id"][-1])]
    Path(changed).write_bytes(Path(other).read_bytes())
    (_, _, _), reuse = export(data, out, params, rows=reviewed, records=records)
    assert reuse.reused < kept
    export(data, home / "full2" / "datasets", params, rows=reviewed)
    assert files(out) == files(home / "full2" / "datasets")
    # a settings change recomputes every item
    (_, _, _), reuse = export(data, out, params, rows=reviewed, records=records, config="b")
    assert reuse.reused == 0
