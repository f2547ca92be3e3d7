"""`character_datasets`' effects setting: keep, tag (captions and metadata) or drop_heavy, with a decision each."""

from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from assets.datasets.core import export_datasets
from assets.datasets.effects import apply_frame_effects
from assets.datasets.params import DatasetParams
from assets.datasets.selection import export_candidates
from tests.unit.test_datasets import inputs, rel, yunet_face  # noqa: F401  (the fixture and its helper)


def _frame_effects() -> pl.DataFrame:
    """f0: heavy snow; f1: a light colour cast only; every other frame: nothing (as the effects stage writes it)."""
    return pl.DataFrame({"frame_id": ["f0", "f1", "f2"], "shot": [0, 0, 1], "timestamp_s": [0.0, 1.0, 2.0],
                         "effects": [["snow"], ["colour_cast"], []], "max_intensity": [0.9, 0.0, 0.0],
                         "heavy": [True, False, False]},
                        schema_overrides={"shot": pl.Int32, "effects": pl.List(pl.String)})


def _export(inputs, mode: str, frame_effects: pl.DataFrame | None):  # noqa: F811
    rows, captions, poses, faces, home = inputs
    params = DatasetParams(effects=mode, crops=("full",), dedup_distance=-1)
    candidates, decisions = export_candidates(rows, captions, poses, faces, None, "knn", params)
    candidates, effect_decisions = apply_frame_effects(candidates, frame_effects, params.effects)
    decisions = pl.concat([decisions, effect_decisions], how="vertical_relaxed")
    return export_datasets(candidates, decisions, None, home / "datasets" / mode, "knn", params, Path, rel(home))


def test_tag_puts_effects_in_captions_metadata_and_decisions(inputs):  # noqa: F811
    items, decisions, _ = _export(inputs, "tag", _frame_effects())
    by_instance = {row["instance_id"]: row for row in items.iter_rows(named=True)}
    assert by_instance["i0"]["caption"].endswith(", snow") and by_instance["i0"]["effects"] == "snow"
    assert by_instance["i1"]["caption"].endswith(", colour cast") and by_instance["i2"]["effects"] is None
    assert "snow" not in by_instance["i2"]["caption"]
    caption_file = inputs[4] / by_instance["i0"]["caption_path"]
    assert caption_file.read_text().strip().endswith("snow")
    tagged = decisions.filter(pl.col("decision") == "tagged").sort("instance_id")
    assert tagged["instance_id"].to_list() == ["i0", "i1"] and tagged["rule"].unique().to_list() == ["effect_tags"]
    assert "heavy" in tagged["reason"][0] and "colour_cast" in tagged["reason"][1]
    parquet = pq.read_table(inputs[4] / "datasets" / "tag" / "knn_dataset.parquet").to_pandas()
    assert parquet.set_index("instance_id").loc["i0", "effects"] == "snow"


def test_drop_heavy_leaves_out_heavy_frames_with_a_reason(inputs):  # noqa: F811
    items, decisions, manifest = _export(inputs, "drop_heavy", _frame_effects())
    assert "i0" not in items["instance_id"].to_list() and "i1" in items["instance_id"].to_list()
    dropped = decisions.filter(pl.col("rule") == "heavy_effect")
    assert dropped["instance_id"].to_list() == ["i0"] and dropped["decision"][0] == "skipped"
    assert "snow" in dropped["reason"][0] and "0.9" in dropped["reason"][0]
    assert manifest["skipped"].get("heavy_effect") == 1


@pytest.mark.parametrize("mode, frame_effects", [("keep", _frame_effects()), ("tag", None)])
def test_keep_or_no_effects_stage_changes_nothing(inputs, mode, frame_effects):  # noqa: F811
    items, decisions, _ = _export(inputs, mode, frame_effects)
    assert items["effects"].null_count() == items.height
    assert not any("snow" in caption for caption in items["caption"].to_list())
    assert decisions.filter(pl.col("rule").is_in(["effect_tags", "heavy_effect"])).height == 0


def test_an_unknown_mode_is_an_error():
    with pytest.raises(ValueError, match="effects must be one of"):
        DatasetParams(effects="blur_them")
