"""character_datasets core on real photos as cut-outs (faces found by YuNet) and on a CC0 character with exact alpha
(keypoints from MoveNet): training resolution, upscale / skip decisions, near-duplicates, crops, trigger words,
balanced sampling and incremental re-export."""

import glob
import json
from pathlib import Path

import cv2
import numpy as np
import polars as pl
import pytest

from assets.datasets.core import export_datasets
from assets.datasets.crops import caption_variant, crop_boxes
from assets.datasets.params import DatasetParams
from assets.datasets.selection import export_candidates, export_triggers
from assets.datasets.summary import identity_summary


def yunet_face(shared: Path, bgr: np.ndarray) -> tuple[float, float, float, float] | None:
    detector = cv2.FaceDetectorYN_create(str(shared / "models/face/face_detection_yunet_2023mar.onnx"), "",
                                         (bgr.shape[1], bgr.shape[0]), 0.6)
    _, faces = detector.detect(bgr)
    if faces is None or not len(faces):
        return None
    x, y, w, h = max(faces, key=lambda f: f[2] * f[3])[:4]
    return float(x), float(y), float(x + w), float(y + h)


@pytest.fixture
def inputs(shared, tmp_path):
    """The knn_examples photos as 1/4-size cut-outs (a transparent top band), three unnamed identities, a caption
    each naming the identity as the captions stage does, poses without keypoints and real YuNet face boxes."""
    rows, captions, poses, faces = [], [], [], []
    for i, p in enumerate(sorted(glob.glob(str(shared / "media/faces/knn_examples/train/*/*")))):
        bgr = cv2.imread(p)
        bgr = cv2.resize(bgr, (bgr.shape[1] // 4, bgr.shape[0] // 4), interpolation=cv2.INTER_AREA)
        bgra = cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)
        bgra[:5, :, 3] = 0  # a transparent band: must become the background colour
        out = tmp_path / "cuts" / f"c{i}.png"
        out.parent.mkdir(exist_ok=True)
        cv2.imwrite(str(out), bgra)
        identity = f"identity_{i % 3:03d}"
        rows.append({"instance_id": f"i{i}", "identity": identity, "name": None, "label": identity,
                     "trigger": identity, "path": str(out), "x0": 0.0, "y0": 0.0, "x1": float(bgr.shape[1]),
                     "y1": float(bgr.shape[0]), "timestamp_s": float(i), "crop_x0": 0, "crop_y0": 0,
                     "frame_width": bgr.shape[1], "frame_height": bgr.shape[0], "frame_id": f"f{i}"})
        captions.append({"instance_id": f"i{i}", "trigger": identity, "clip_tokens": 14,
                         "caption": f"a photo, {identity}, close-up, front view"})
        poses.append({"instance_id": f"i{i}", "view": "front" if i % 2 else "profile",
                      "pose_bucket": f"pose_{i % 2:03d}", "keypoints": None, "no_pose_reason": "low confidence"})
        face = yunet_face(shared, bgr)
        if face is not None:
            faces.append({"instance_id": f"i{i}", "fx0": face[0], "fy0": face[1], "fx1": face[2], "fy1": face[3]})
    return (pl.DataFrame(rows), pl.DataFrame(captions), pl.DataFrame(poses, schema_overrides={
        "keypoints": pl.List(pl.Float32), "no_pose_reason": pl.String}), pl.DataFrame(faces), tmp_path)


def rel(home: Path):
    return lambda p: str(Path(p).relative_to(home))


def run(inputs, params: DatasetParams, film: str = "knn", captions=None, rows=None):
    base_rows, base_captions, poses, faces, home = inputs
    candidates, decisions = export_candidates(rows if rows is not None else base_rows,
                                              captions if captions is not None else base_captions, poses, faces,
                                              None, film, params)
    return export_datasets(candidates, decisions, None, home / "datasets", film, params, Path, rel(home))


def test_training_resolution_sizes_and_decisions(inputs):
    rows, *_, home = inputs
    params = DatasetParams(target_size=192, min_source_size=100, dedup_distance=-1)
    table, decisions, manifest = run(inputs, params)
    # every exported image has the target as its longer side: never a silent small image
    for item in table.iter_rows(named=True):
        png = cv2.imread(str(home / item["image_path"]))
        assert max(png.shape[:2]) == 192 and (png.shape[1], png.shape[0]) == (item["width"], item["height"])
        src = max(item["source_width"], item["source_height"])
        assert item["resize"] == ("area" if src > 192 else "none" if src == 192 else "lanczos")
        assert (home / item["caption_path"]).read_text().strip() == item["caption"]
    # every considered crop has a decision with a reason; the counts in the manifest add up
    assert decisions.filter(pl.col("reason").is_null()).height == 0
    assert sum(manifest["exported"].values()) == table.height
    assert sum(manifest["skipped"].values()) == decisions.filter(pl.col("decision") == "skipped").height
    sizes = manifest["source_sizes"]
    assert sizes["below_min_source_size"] + sizes["below_target_size"] + sizes["at_or_above_target_size"] == \
        sizes["crops_measured"]
    small = decisions.filter(pl.col("rule") == "too_small")
    assert small.height == sizes["below_min_source_size"] > 0  # head crops of the smaller photos
    assert all("below min_source_size 100" in r for r in small["reason"])
    # the transparent band is background, never the photo
    full = table.filter(pl.col("crop") == "full")
    assert (cv2.imread(str(home / full["image_path"][0]))[0] == 255).all()
    assert json.loads((home / "datasets" / "manifest.json").read_text())["items"] == table.height


@pytest.mark.parametrize("upscale, rule", [("lanczos", "upscaled_lanczos"), ("skip", "below_target")])
def test_small_sources_are_upscaled_or_skipped_by_configuration(inputs, upscale, rule):
    rows = inputs[0]
    largest = int(max(rows["x1"].max(), rows["y1"].max()))
    params = DatasetParams(target_size=largest + 64, min_source_size=16, crops=("full",), upscale=upscale,
                           dedup_distance=-1)
    table, decisions, manifest = run(inputs, params)
    assert decisions.filter(pl.col("rule") == rule).height == rows.height  # every source is below the target
    if upscale == "skip":
        assert table.height == 0 and manifest["skipped"] == {"below_target": rows.height}
        assert "upscale: skip" in decisions["reason"][0]
    else:
        assert (table["resize"] == "lanczos").all() and manifest["exported"] == {"upscaled_lanczos": rows.height}
        assert (table.select(pl.max_horizontal("width", "height"))[:, 0] == largest + 64).all()


def test_near_duplicates_keep_the_sharpest(inputs):
    rows, captions, poses, faces, home = inputs
    # a blurred copy of one cut-out, same identity: a near-duplicate the export must drop
    source = cv2.imread(rows["path"][3], cv2.IMREAD_UNCHANGED)
    blurred = home / "cuts" / "blurred.png"
    cv2.imwrite(str(blurred), np.dstack([cv2.GaussianBlur(source[:, :, :3], (7, 7), 2.0), source[:, :, 3]]))
    copy = rows[3].with_columns(pl.lit("i3blur").alias("instance_id"), pl.lit(str(blurred)).alias("path"))
    captions = pl.concat([captions, captions[3].with_columns(pl.lit("i3blur").alias("instance_id"))])
    params = DatasetParams(target_size=128, min_source_size=16, crops=("full",))
    table, decisions, manifest = run((pl.concat([rows, copy]), captions, poses, faces, home), params)
    dropped = decisions.filter(pl.col("rule") == "near_duplicate")
    assert dropped["instance_id"].to_list() == ["i3blur"] and "near-duplicate of i3 " in dropped["reason"][0]
    assert "i3" in table["instance_id"].to_list() and manifest["skipped"] == {"near_duplicate": 1}
    # different people in the same identity are not near-duplicates of each other
    assert table.height == rows.height


def test_head_and_upper_body_crops_from_real_faces(inputs):
    rows, _, _, faces, home = inputs
    params = DatasetParams(target_size=128, min_source_size=32, dedup_distance=-1)
    table, decisions, _ = run(inputs, params)
    heads = table.filter(pl.col("crop") == "head")
    assert heads.height >= len(faces) - 2  # a head crop per found face, but where it fills the photo
    face_by_id = {r["instance_id"]: r for r in faces.iter_rows(named=True)}
    for item in heads.iter_rows(named=True):
        face = face_by_id[item["instance_id"]]
        # the head crop is larger than the face box (hair, chin) and smaller than the photo
        assert item["source_height"] > face["fy1"] - face["fy0"]
        assert "portrait" in item["caption"] and "close-up" not in item["caption"]
        assert item["caption"].startswith(f"a photo, {item['trigger']}, portrait")
    for item in table.filter(pl.col("crop") == "upper_body").iter_rows(named=True):
        assert "upper body" in item["caption"]
    no_face = set(rows["instance_id"]) - set(faces["instance_id"])
    assert set(decisions.filter(pl.col("crop") == "head", pl.col("rule") == "crop_not_placed")["instance_id"]) \
        >= no_face


def test_crops_from_movenet_keypoints_on_a_full_body_character(shared):
    from resources.backends.litert_pose import LitertMoveNetPoseEstimator

    rgba = cv2.imread(str(shared / "media/characters_rgba/saha_front.png"), cv2.IMREAD_UNCHANGED)
    alpha = rgba[:, :, 3] > 38
    rgb = cv2.cvtColor(rgba[:, :, :3], cv2.COLOR_BGR2RGB)
    rgb[~alpha] = 127
    pad = 200  # the model expects context around a person, as the pose stage gives it
    kp = LitertMoveNetPoseEstimator(str(shared / "models/pose/movenet_singlepose_lightning_int8_4.tflite")).estimate(
        np.pad(rgb, ((pad, pad), (pad, pad), (0, 0)), constant_values=127))
    kp[:, :2] -= pad
    origin = (700, 40)  # the cut-out's place in a frame: keypoints come in frame pixels
    kp[:, 0] += origin[0]
    kp[:, 1] += origin[1]
    boxes = crop_boxes(alpha, origin, kp, None, (1920, 1080), None, ("full", "upper_body", "head"))
    h, w = alpha.shape
    assert boxes["full"] == (0, 0, w, h)
    hx0, hy0, hx1, hy1 = boxes["head"]
    ux0, uy0, ux1, uy1 = boxes["upper_body"]
    nose = kp[0, :2] - origin
    assert hx0 < nose[0] < hx1 and hy0 <= nose[1] < hy1 and hy1 < 0.5 * h  # the head, in the top half
    hips = kp[11:13, 1].mean() - origin[1]
    assert abs(uy1 - hips) <= 1 and uy0 == hy0 and uy1 < 0.85 * h  # head top to the hips
    # cut by the frame edge: the same character pushed off the frame's top gets no head crop
    edge = crop_boxes(alpha, (origin[0], -150), kp - [0, origin[1] + 150, 0], None, (1920, 1080), True, ("head",))
    assert edge["head"] == "head cut by the frame edge"
    # the instances table says which edges the character touches: only those cut it
    for edges, cut in (("top", True), ("bottom,left", False)):
        boxes = crop_boxes(alpha, (origin[0], -150), kp - [0, origin[1] + 150, 0], None, (1920, 1080), True,
                           ("head",), frame_edges=edges)
        assert (boxes["head"] == "head cut by the frame edge") == cut
    # the table has no touches_frame_edge column: the rule is not applied
    assert isinstance(crop_boxes(alpha, (origin[0], -150), kp - [0, origin[1] + 150, 0], None, (1920, 1080), None,
                                 ("head",))["head"], tuple)


# MoveNet's keypoints (x, y, score; frame pixels) on four Penny & Chip cut-outs of a session 44 run, with the
# cut-out's origin and size and the face the faces stage found there: a pose model trained on photos puts a drawn
# boy's hips at his eyes and his shoulders above his nose. Before session 44 each became an "upper body" crop that is
# a band across the face (the first: 607 x 123 px from Chip's hat to his nose).
PENNY_AND_CHIP_POSES = {
    "chip close-up, face found (YuNet)": ((247, 0), (289, 607), (471.8, 84.2, 592.7, 216.0), [
        [556.4, 106.9, .4], [537.8, 119.4, .4], [531.6, 113.1, .4], [587.5, 106.9, .4], [562.7, 63.4, .3],
        [606.2, 94.5, .5], [519.1, 88.3, .4], [587.5, 119.4, .4], [432.1, 82.1, .2], [556.4, 19.9, .2],
        [407.3, 26.1, .4], [587.5, 125.6, .5], [531.6, 131.8, .3], [537.8, 150.4, .4], [512.9, 150.4, .4],
        [525.4, 100.7, .2], [506.7, 162.9, .2]]),
    "penny standing, face found (AnimeFace)": ((229, 108), (276, 216), (298.0, 159.0, 341.0, 202.0), [
        [348.2, 195.0, .4], [362.3, 192.2, .5], [348.2, 197.8, .4], [368.0, 178.0, .4], [339.7, 169.5, .4],
        [376.4, 192.2, .4], [300.1, 195.0, .4], [393.4, 240.2, .4], [280.3, 226.1, .2], [384.9, 240.2, .4],
        [277.5, 228.9, .2], [359.5, 245.9, .3], [305.8, 226.1, .4], [351.0, 291.1, .3], [328.4, 282.6, .2],
        [339.7, 344.8, .4], [331.2, 342.0, .2]]),
    "penny close-up, no face found": ((175, 31), (278, 270), None, [
        [341.1, 161.3, .4], [349.7, 172.7, .5], [338.3, 167.0, .4], [352.5, 178.4, .3], [338.3, 135.8, .3],
        [378.1, 175.6, .4], [292.8, 127.2, .4], [369.6, 169.9, .3], [238.8, 175.6, .3], [344.0, 206.8, .4],
        [238.8, 184.1, .4], [341.1, 186.9, .5], [298.5, 164.2, .4], [324.1, 167.0, .4], [250.2, 178.4, .3],
        [272.9, 195.5, .2], [244.5, 186.9, .2]]),
    "penny standing, no face found": ((191, 133), (309, 244), None, [
        [326.0, 230.4, .4], [332.4, 230.4, .6], [326.0, 227.2, .4], [335.5, 220.9, .4], [332.4, 214.5, .4],
        [348.2, 230.4, .4], [288.0, 217.7, .2], [364.0, 255.7, .4], [250.0, 255.7, .3], [351.4, 274.7, .4],
        [253.2, 233.5, .5], [329.2, 293.7, .4], [275.4, 281.0, .2], [322.9, 312.7, .4], [269.0, 300.0, .4],
        [360.9, 363.4, .2], [246.9, 372.9, .4]]),
}


@pytest.mark.parametrize("case", list(PENNY_AND_CHIP_POSES))
def test_keypoints_that_draw_no_body_place_no_crop(case):
    origin, shape, face, keypoints = PENNY_AND_CHIP_POSES[case]
    alpha = np.ones(shape, bool)
    boxes = crop_boxes(alpha, origin, np.asarray(keypoints, np.float32), face, (854, 480), False,
                       ("upper_body", "head"))
    upper = boxes["upper_body"]
    if face is None:  # nothing to check the joints against: no crop placed by them
        assert isinstance(upper, str) and "no upright body" in upper
        assert isinstance(boxes["head"], str) and "place no head" in boxes["head"]
        return
    # with a face, the waist is placed from it: chin plus two face heights, past this close-up's bottom
    bottom = face[3] + 2 * (face[3] - face[1]) - origin[1]
    if bottom >= 0.85 * shape[0]:
        assert upper == "upper body is most of the cut-out (the full crop holds it)"
    else:
        x0, y0, x1, y1 = upper
        assert y1 == round(bottom) and y0 == boxes["head"][1] and (x1 - x0) <= 2.5 * (y1 - y0)


@pytest.mark.parametrize("caption, old, new, crop, expected", [
    ("pixar style, identity_000, close-up, front view", "identity_000", "film_char0", "head",
     "pixar style, film_char0, portrait, front view"),
    ("pixar style, identity_000, full body shot, arms raised", "identity_000", "film_char0", "upper_body",
     "pixar style, film_char0, upper body, arms raised"),
    ("Mira Vale, wide shot", "Mira Vale", "Mira Vale", "full", "Mira Vale, wide shot"),
    ("no trigger here", "identity_004", "film_char4", "full", "film_char4, no trigger here"),
])
def test_caption_variants(caption, old, new, crop, expected):
    phrases, _ = caption_variant(caption, old, new, crop)
    assert ", ".join(phrases) == expected


def test_names_in_any_script_keep_their_own_folders_and_one_name_shares_one():
    # session 38: every name without an ASCII letter became `<film>_named`, so two Japanese names shared one folder
    triggers = export_triggers(["identity_000", "identity_001", "identity_002", "identity_003", "identity_004"],
                               ["ペニー", "チップ", "Chip", " chip ", "Ch-ip"], "pc")
    assert triggers["identity_000"] == ("ペニー", "ペニー")
    assert triggers["identity_001"] == ("チップ", "チップ")
    # one name given twice is one character to the person who gave it: one folder
    assert triggers["identity_002"][1] == triggers["identity_003"][1] == "chip"
    # a different name whose slug meets another's gets the identity's number
    assert triggers["identity_004"] == ("Ch-ip", "ch_ip")
    clash = export_triggers(["identity_000", "identity_001"], ["Ch ip", "ch-ip"], "pc")
    assert clash["identity_000"][1] == "ch_ip" and clash["identity_001"][1] == "ch_ip_1"


def test_trigger_words_film_scoped_and_faceless_identities_left_out(inputs):
    triggers = export_triggers(["identity_000", "identity_002", "7", "abc", "xyz"],
                               [None, "Mira Vale", None, None, ""], "Sintel Trailer")
    assert triggers["identity_000"] == ("sintel_trailer_char0", "sintel_trailer_char0")
    assert triggers["identity_002"] == ("Mira Vale", "mira_vale")
    assert triggers["7"][0] == "sintel_trailer_char7"
    assert len({t for t, _ in triggers.values()}) == 5  # unique
    rows, captions, poses, faces, home = inputs
    # identity_001 loses its faces: with 3 instances it stays at min_instances 3, and leaves at 4
    faceless = faces.filter(~pl.col("instance_id").is_in(rows.filter(pl.col("identity") == "identity_001")
                                                           ["instance_id"].implode()))
    for min_instances, kept in ((3, True), (4, False)):
        params = DatasetParams(target_size=128, min_source_size=16, crops=("full",), min_instances=min_instances)
        table, decisions, _ = run((rows, captions, poses, faceless, home), params)
        assert ("knn_char1" in set(table["trigger"])) == kept
        left = decisions.filter(pl.col("rule") == "no_face_few_instances")
        assert left.height == (0 if kept else 3)
    assert set(table["trigger"]) == {"knn_char0", "knn_char2"}
    assert all(c.startswith(f"a photo, {t}, ") for c, t in zip(table["caption"], table["trigger"]))
    assert all(Path(p).parent.name == f"10_{t}" for p, t in zip(table["image_path"], table["trigger"]))


def test_reexport_rewrites_only_what_changed(inputs):
    rows, captions, poses, faces, home = inputs
    params = DatasetParams(target_size=96, min_source_size=16, crops=("full",))
    out = home / "datasets"
    table, _, first = run(inputs, params)
    assert first["files"]["written"] == 2 * table.height + 3  # images, captions, Parquet, COCO, toml
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    _, _, again = run(inputs, params)
    assert again["files"] == {"written": 0, "unchanged": 2 * table.height + 3, "removed": 0, "renamed_folders": 0}
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == mtimes
    # a review: one caption rewritten, one instance out of the export
    reviewed = captions.with_columns(pl.when(pl.col("instance_id") == "i1").then(pl.lit("a photo, identity_001, x"))
                                     .otherwise(pl.col("caption")).alias("caption"))
    reviewed = reviewed.filter(pl.col("instance_id") != "i2")
    table2, _, changed = run(inputs, params, captions=reviewed)
    assert changed["files"]["removed"] == 2 and "i2" not in table2["instance_id"].to_list()
    # i2's identity now has fewer instances: the balanced repeats of the identities change and their folders move
    # (renamed, not written again); the caption, the Parquet and the sd-scripts config are written
    rebalanced = {label for label, v in changed["identities"].items() if v["repeats"] != first["identities"][label]["repeats"]}
    assert rebalanced and changed["files"]["renamed_folders"] == len(rebalanced)
    assert changed["files"]["written"] == 1 + 1 + 1  # no frames table: COCO unchanged
    assert not any(p.stem == "i2" for p in out.rglob("*"))


def test_balanced_sampling_per_pose_bucket(inputs):
    rows, captions, poses, faces, _ = inputs
    candidates, decisions = export_candidates(rows, captions, poses, faces, None, "knn",
                                              DatasetParams(per_bucket=1, min_instances=1))
    counts = candidates.group_by(["identity", "pose_bucket"]).len()
    assert counts["len"].max() == 1
    assert counts.height == rows.join(poses, on="instance_id").select("identity", "pose_bucket").unique().height
    assert decisions.height == rows.height - candidates.height and (decisions["rule"] == "balanced_sampling").all()


def test_bad_input_gives_decisions_not_failures(inputs):
    rows, captions, poses, faces, home = inputs
    broken = rows.with_columns(pl.when(pl.col("instance_id") == "i0").then(pl.lit(str(home / "missing.png")))
                               .otherwise(pl.col("path")).alias("path"))
    table, decisions, _ = run(inputs, DatasetParams(target_size=128, min_source_size=16, crops=("full",)),
                              rows=broken)
    reason = decisions.filter(pl.col("instance_id") == "i0")["reason"][0]
    assert "missing.png" in reason and "i0" not in table["instance_id"].to_list()


def test_unknown_settings_are_errors():
    with pytest.raises(ValueError, match="upscale must be one of"):
        DatasetParams(upscale="bicubic")
    with pytest.raises(ValueError, match="crops must be"):
        DatasetParams.from_dict({"crops": ["feet"]})
    assert DatasetParams.from_dict({"upscale": False}).upscale == "skip"


def test_empty_export(tmp_path):
    empty_rows = pl.DataFrame(schema={"instance_id": pl.String, "identity": pl.String, "label": pl.String,
                                      "trigger": pl.String, "name": pl.String, "path": pl.String,
                                      "x0": pl.Float64, "y0": pl.Float64, "x1": pl.Float64, "y1": pl.Float64})
    candidates, decisions = export_candidates(
        empty_rows, pl.DataFrame(schema={"instance_id": pl.String, "caption": pl.String}), None, None, None, "none",
        DatasetParams())
    older = tmp_path / "d" / "none_dataset.parquet"   # an earlier export's items, all discarded since
    older.parent.mkdir()
    older.write_bytes(b"PAR1 an earlier export")
    table, decisions, manifest = export_datasets(candidates, decisions, None, tmp_path / "d", "none", DatasetParams(),
                                                 Path, str)
    assert table.height == 0 and manifest["items"] == 0 and identity_summary(table).height == 0
    # no 0-row Parquet file (datasets.load_dataset refuses one) and no earlier one left behind; the TOML stays
    assert not older.exists() and manifest["formats"]["parquet"] is None
    assert (tmp_path / "d" / "dataset_config.toml").exists()


def test_pad_to_square_keeps_the_character_centred(inputs):
    rows, *_, home = inputs
    params = DatasetParams(target_size=96, min_source_size=16, crops=("full",), pad_to_square=True,
                           background=(0, 0, 255), dedup_distance=-1)
    table, _, _ = run(inputs, params)
    for item in table.iter_rows(named=True):
        bgr = cv2.imread(str(home / item["image_path"]))
        assert bgr.shape == (96, 96, 3) and item["width"] == item["height"] == 96
        wide = item["source_width"] > item["source_height"]
        band = bgr[0] if wide else bgr[:, 0]  # the padded side shows the background colour
        assert (band == (255, 0, 0)).all() or item["source_width"] == item["source_height"]


def test_item_captions_stay_within_clip_tokens():
    from assets.captions.tokens import clip_token_count
    from assets.datasets.core import item_caption

    body = ", ".join(f"detail number {n}" for n in range(20))
    caption = f"a 3d animated character, pixar style, identity_000, {body}"
    tokens = clip_token_count(caption)
    assert tokens > 70  # the captions stage's limit is nearly used
    row = {"caption": caption, "caption_trigger": "identity_000", "trigger": "sintel_trailer_480x204_char0",
           "clip_tokens": tokens}
    text = item_caption(row, "upper_body")
    assert clip_token_count(text) <= 77
    assert text.startswith("a 3d animated character, pixar style, sintel_trailer_480x204_char0, upper body, detail")


@pytest.mark.parametrize("background", [(127, 127, 127), (255, 255, 255), (12, 200, 77)])
def test_load_cutout_composites_every_pixel_as_the_float_formula(shared, tmp_path, background):
    """Opaque and transparent pixels are copied and only the soft edge is computed in floats: every pixel equals
    ``rgb * a + background * (1 - a)`` rounded in float32, and the covered mask is ``a / 255 > COVERED``."""
    from assets.datasets.images import COVERED, load_cutout

    bgr = cv2.imread(sorted(glob.glob(str(shared / "media/faces/knn_examples/train/*/*")))[0])
    h, w = bgr.shape[:2]
    ramp = np.tile(np.linspace(-255, 510, w), (h, 1))   # transparent, soft, opaque across the image
    alpha = np.clip(ramp, 0, 255).astype(np.uint8)
    alpha[: h // 4] = 255 - alpha[: h // 4]             # and the other way round on top
    path = tmp_path / "cut.png"
    cv2.imwrite(str(path), np.dstack([bgr, alpha]))
    cut = load_cutout(path, background)
    a = alpha[:, :, None].astype(np.float32) / 255.0
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(np.float32)
    expected = np.clip(rgb * a + np.asarray(background, np.float32) * (1.0 - a) + 0.5, 0, 255).astype(np.uint8)
    assert {0, 255} < set(np.unique(alpha).tolist()) and ((alpha > 0) & (alpha < 255)).mean() > 0.1
    assert np.array_equal(cut.rgb, expected)
    assert np.array_equal(cut.alpha, a[:, :, 0] > COVERED)
