"""The export formats load where users load them: Hugging Face `datasets` (image decoded as an Image), sd-scripts'
dataset_config.toml (TOML a trainer reads without flags) and COCO instance segmentation (pycocotools decodes the
exact masks). Built from the CC0 characters with exact alpha pasted onto a real Sintel trailer frame."""

import json
import tomllib
from pathlib import Path

import cv2
import numpy as np
import polars as pl
import pytest

from assets.datasets.core import export_datasets
from assets.datasets.formats import HfParquetWriter
from assets.datasets.params import DatasetParams
from assets.datasets.selection import export_candidates


def sintel_frame(shared: Path) -> np.ndarray:
    capture = cv2.VideoCapture(str(shared / "media/video/sintel_trailer_480x204.mp4"))
    capture.set(cv2.CAP_PROP_POS_MSEC, 20_000)
    ok, bgr = capture.read()
    capture.release()
    assert ok, "the Sintel trailer did not decode"
    return cv2.resize(bgr, (960, 408), interpolation=cv2.INTER_LINEAR)


@pytest.fixture
def film(shared, tmp_path):
    """Two characters on one frame (one cut by the frame's left edge) and one on a second frame, with their exact
    masks (frame size), cut-outs (box size, exact alpha) and the tables the export reads."""
    frame = sintel_frame(shared)
    placements = [("f0", "saha_front", (120, 20), 380), ("f0", "sita_front", (-60, 60), 340),
                  ("f1", "saha_side", (500, 10), 390)]
    frames, rows, captions = {}, [], []
    for n, (frame_id, name, (x, y), height) in enumerate(placements):
        rgba = cv2.imread(str(shared / f"media/characters_rgba/{name}.png"), cv2.IMREAD_UNCHANGED)
        scale = height / rgba.shape[0]
        rgba = cv2.resize(rgba, (round(rgba.shape[1] * scale), height), interpolation=cv2.INTER_AREA)
        canvas = frames.setdefault(frame_id, frame.copy())
        fx0, fy0 = max(0, x), max(0, y)
        fx1, fy1 = min(canvas.shape[1], x + rgba.shape[1]), min(canvas.shape[0], y + rgba.shape[0])
        part = rgba[fy0 - y:fy1 - y, fx0 - x:fx1 - x]
        alpha = part[:, :, 3:] / 255.0
        canvas[fy0:fy1, fx0:fx1] = (part[:, :, :3] * alpha + canvas[fy0:fy1, fx0:fx1] * (1 - alpha)).astype(np.uint8)
        mask = np.zeros(canvas.shape[:2], np.uint8)
        mask[fy0:fy1, fx0:fx1] = (part[:, :, 3] > 127) * 255
        paths = {k: tmp_path / k / f"i{n}.png" for k in ("cuts", "masks")}
        for path in paths.values():
            path.parent.mkdir(exist_ok=True)
        cv2.imwrite(str(paths["cuts"]), part)
        cv2.imwrite(str(paths["masks"]), mask)
        identity = f"identity_{n % 2:03d}"
        rows.append({"instance_id": f"i{n}", "identity": identity, "name": None, "label": identity,
                     "trigger": identity, "frame_id": frame_id, "path": str(paths["cuts"]),
                     "mask_path": str(paths["masks"]), "x0": float(fx0), "y0": float(fy0), "x1": float(fx1),
                     "y1": float(fy1), "crop_x0": fx0, "crop_y0": fy0, "frame_width": canvas.shape[1],
                     "frame_height": canvas.shape[0], "timestamp_s": 20.0 + n, "touches_frame_edge": x < 0})
        captions.append({"instance_id": f"i{n}", "trigger": identity, "clip_tokens": 10,
                         "caption": f"a 2d cartoon character, {identity}, full body shot"})
    frame_rows = []
    for frame_id, canvas in frames.items():
        path = tmp_path / "frames" / f"{frame_id}.jpg"
        path.parent.mkdir(exist_ok=True)
        cv2.imwrite(str(path), canvas)
        frame_rows.append({"frame_id": frame_id, "path": str(path), "width": canvas.shape[1],
                           "height": canvas.shape[0]})
    # a face found at the left edge on the character the edge cuts: its head (hair around the face) leaves the frame
    faces = pl.DataFrame({"instance_id": ["i1"], "fx0": [2.0], "fy0": [90.0], "fx1": [62.0], "fy1": [160.0]})
    return pl.DataFrame(rows), pl.DataFrame(captions), faces, pl.DataFrame(frame_rows), tmp_path


def export(film, params: DatasetParams, upscaler=None):
    rows, captions, faces, frames, home = film
    candidates, decisions = export_candidates(rows, captions, None, faces, None, "Sintel", params)
    out = home / "datasets"
    return (*export_datasets(candidates, decisions, frames, out, "sintel", params, Path,
                             lambda p: str(Path(p).relative_to(home)), upscaler=upscaler), out)


def test_hugging_face_parquet_decodes_images(film):
    datasets = pytest.importorskip("datasets", reason="the `datasets` package (install/requirements.txt)")
    table, _, _, out = export(film, DatasetParams(target_size=256, min_source_size=32, crops=("full",),
                                                  min_instances=1))
    loaded = datasets.load_dataset("parquet", data_files=str(out / "sintel_dataset.parquet"), split="train")
    assert isinstance(loaded.features["image"], datasets.Image)
    assert loaded.num_rows == table.height == 3
    for row, item in zip(loaded, table.iter_rows(named=True)):
        assert row["image"].size == (item["width"], item["height"]) and max(row["image"].size) == 256
        assert row["caption"] == item["caption"] and row["trigger"].startswith("sintel_char")
    # paths are relative to the Parquet file
    assert all((out / v["path"]).is_file() for v in pl.read_parquet(out / "sintel_dataset.parquet")["image"])
    # path mode: no bytes, each path resolves against the Parquet file's folder
    export(film, DatasetParams(target_size=256, min_source_size=32, crops=("full",), parquet_images="path",
                               min_instances=1))
    stored = pl.read_parquet(out / "sintel_dataset.parquet")["image"]
    assert all(v["bytes"] is None and (out / v["path"]).is_file() for v in stored)


def test_parquet_is_written_a_row_group_at_a_time(tmp_path):
    writer = HfParquetWriter(tmp_path / "x.parquet", row_group=2)
    for i in range(5):
        writer.add({"image": {"bytes": b"png", "path": f"{i}.png"}, "caption": str(i)})
    assert writer.close()
    import pyarrow.parquet as pq

    assert pq.ParquetFile(tmp_path / "x.parquet").num_row_groups == 3


def test_sd_scripts_config_needs_no_flags(film):
    table, _, _, out = export(film, DatasetParams(target_size=256, min_source_size=32, repeats=7, min_instances=1))
    config = tomllib.loads((out / "dataset_config.toml").read_text())
    assert config["general"]["caption_extension"] == ".txt"
    dataset = config["datasets"][0]
    assert dataset["resolution"] == 256 and dataset["enable_bucket"] is True
    assert dataset["min_bucket_reso"] == 128 and dataset["max_bucket_reso"] == 512
    subsets = dataset["subsets"]
    instances = {t: g["instance_id"].n_unique() for (t,), g in table.group_by(["trigger"])}
    assert len(instances) == 2 and len(set(instances.values())) == 2  # two characters seen unequally often
    most = max(instances.values())
    # balanced repeats: the character with the most instances keeps repeats = 7, the other is drawn as often an
    # epoch (instances x repeats), so one character does not train several times as often as the other
    repeats = {t: (7 if n == most else round(7 * most / n)) for t, n in instances.items()}
    assert {Path(s["image_dir"]).name for s in subsets} == {f"{repeats[t]}_{t}" for t in instances}
    assert sorted(repeats.values())[0] == 7 < sorted(repeats.values())[1]
    # the keys and types sd-scripts' ConfigSanitizer accepts (library/config_util.py, DreamBooth-style subsets with
    # caption files): an unknown key or a wrong type makes train_network.py refuse the file
    general_schema = {"caption_extension": str, "shuffle_caption": bool}
    dataset_schema = {"resolution": int, "batch_size": int, "enable_bucket": bool, "min_bucket_reso": int,
                      "max_bucket_reso": int, "bucket_reso_steps": int, "bucket_no_upscale": bool, "subsets": list}
    subset_schema = {"image_dir": str, "num_repeats": int}
    for values, schema in [(config["general"], general_schema), (dataset, dataset_schema),
                           *[(s, subset_schema) for s in subsets]]:
        assert set(values) <= set(schema) and all(isinstance(v, schema[k]) for k, v in values.items())
    assert set(config) == {"general", "datasets"}
    for subset in subsets:
        assert subset["num_repeats"] == int(Path(subset["image_dir"]).name.split("_", 1)[0])
        images = sorted(Path(subset["image_dir"]).glob("*.png"))
        assert images and all(p.with_suffix(".txt").is_file() for p in images)


def test_repeats_are_one_value_when_balancing_is_off_and_capped_when_on(film):
    table, _, manifest, out = export(film, DatasetParams(target_size=256, min_source_size=32, repeats=7,
                                                         min_instances=1, balance_repeats=False))
    config = tomllib.loads((out / "dataset_config.toml").read_text())
    assert {s["num_repeats"] for s in config["datasets"][0]["subsets"]} == {7}
    assert {v["repeats"] for v in manifest["identities"].values()} == {7}
    _, _, capped, _ = export(film, DatasetParams(target_size=256, min_source_size=32, repeats=7, max_repeats=8,
                                                 min_instances=1))
    assert sorted(v["repeats"] for v in capped["identities"].values()) == [7, 8]
    assert all(v["folder"] == f"kohya/{v['repeats']}_{label}" for label, v in capped["identities"].items())
    with pytest.raises(ValueError, match="max_repeats"):
        DatasetParams(repeats=50)


def test_coco_instance_segmentation_loads_with_pycocotools(film):
    coco_api = pytest.importorskip("pycocotools.coco", reason="pycocotools (install/requirements.txt)")
    rows, *_ = film
    table, decisions, _, out = export(film, DatasetParams(target_size=256, min_source_size=32, min_instances=1))
    coco = coco_api.COCO(str(out / "coco_instances.json"))
    images_dir = out / coco.dataset["info"]["castforge_images_dir"]
    # FiftyOne's COCODetectionDataset looks each file_name up among the files under its data_path
    listed = {p.relative_to(images_dir).as_posix() for p in images_dir.rglob("*") if p.is_file()}
    assert {image["file_name"] for image in coco.dataset["images"]} <= listed
    assert sorted(c["name"] for c in coco.loadCats(coco.getCatIds())) == ["sintel_char0", "sintel_char1"]
    assert len(coco.getImgIds()) == 2 and len(coco.getAnnIds()) == rows.height
    for ann in coco.loadAnns(coco.getAnnIds()):
        image = coco.loadImgs(ann["image_id"])[0]
        assert cv2.imread(str(images_dir / image["file_name"])).shape[:2] == (image["height"], image["width"])
        row = rows.filter(pl.col("instance_id") == ann["castforge_instance_id"]).row(0, named=True)
        truth = cv2.imread(row["mask_path"], cv2.IMREAD_GRAYSCALE) > 127
        assert np.array_equal(coco.annToMask(ann).astype(bool), truth)  # exact masks
        assert coco.loadCats(ann["category_id"])[0]["castforge_identity"] == row["identity"]
        assert ann["area"] == int(truth.sum())
    # the character cut by the frame edge: full crop exported, its head crop not
    cut = decisions.filter(pl.col("instance_id") == "i1", pl.col("crop") == "head")
    assert cut["rule"][0] == "cut_by_frame_edge" and cut["reason"][0] == "head cut by the frame edge"
    assert table.filter(pl.col("instance_id") == "i1", pl.col("crop") == "full")["touches_frame_edge"][0] is True
    assert json.loads((out / "manifest.json").read_text())["formats"]["coco"] == "coco_instances.json"


@pytest.mark.parametrize("place", ["inside", "left_top", "right_bottom", "whole_frame", "starts_covered",
                                   "one_column", "empty"])
def test_placed_rle_counts_equal_the_frame_masks(place):
    """The COCO runs of an instance's mask placed in its frame, counted without building the frame-sized mask,
    equal those of the frame-sized mask: wherever it sits, whether its first or last pixel is covered."""
    from assets.datasets.formats import placed_rle_counts, rle_counts

    rng = np.random.default_rng(7)
    height, width = 48, 64
    h, w, x0, y0 = {"inside": (20, 30, 9, 11), "left_top": (20, 30, 0, 0), "right_bottom": (20, 30, 34, 28),
                    "whole_frame": (48, 64, 0, 0), "starts_covered": (20, 30, 5, 0), "one_column": (48, 1, 63, 0),
                    "empty": (20, 30, 9, 11)}[place]
    part = rng.random((h, w)) > 0.4
    part[:, :: 3] = cv2.erode(part.astype(np.uint8), np.ones((3, 1), np.uint8))[:, :: 3] > 0  # runs, not noise
    if place in ("starts_covered", "whole_frame", "one_column", "right_bottom"):
        part[0, 0] = part[-1, -1] = True
    if place == "empty":
        part[:] = False
    frame = np.zeros((height, width), bool)
    frame[y0:y0 + h, x0:x0 + w] = part
    assert placed_rle_counts(part, x0, y0, height, width) == rle_counts(frame)
    assert sum(rle_counts(frame)) == height * width


def test_the_export_on_threads_writes_the_bytes_one_thread_writes(film, tmp_path):
    # each candidate's pixels on two threads, the files and rows written in order: every file and row the same
    rows, captions, faces, frames, home = film
    params = DatasetParams(target_size=256, min_source_size=32, min_instances=1)
    candidates, decisions = export_candidates(rows, captions, None, faces, None, "Sintel", params)
    outputs = {}
    for workers in (1, 2):
        out = tmp_path / f"workers{workers}" / "datasets"
        table, all_decisions, _ = export_datasets(candidates, decisions, frames, out, "sintel", params, Path,
                                                  lambda p, out=out: str(Path(p).relative_to(out.parent)),
                                                  workers=workers)
        files = {p.relative_to(out).as_posix(): p.read_bytes().replace(str(out).encode(), b"OUT")
                 for p in sorted(out.rglob("*")) if p.is_file()}
        outputs[workers] = (table, all_decisions, files)
    (table_1, decisions_1, files_1), (table_2, decisions_2, files_2) = outputs[1], outputs[2]
    assert table_1.height >= 3 and any(name.endswith(".png") for name in files_1)
    assert json.loads(files_1["coco_instances.json"])["annotations"]   # the masks' annotations are among them
    assert table_1.equals(table_2) and decisions_1.equals(decisions_2)
    assert files_1 == files_2
