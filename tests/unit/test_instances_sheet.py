"""bench/instances_sheet.py's labels: the Sintel whole-character labels of session 8 land on a re-run's cut-outs by
instance id, else by frame and box (a re-segmentation or another film name changes the ids), and never on another
cut-out of the frame."""

from tests.conftest import BENCH_DIR as BENCH, load_bench

LABELS = BENCH / "data" / "sintel_whole_character_s8.csv"


def sheet_module():
    return load_bench("instances_sheet")


def kept_rows(labels: list[dict], rename: str = "", shift: int = 0) -> list[dict]:
    """The kept rows a run would give for the labelled cut-outs: ids prefixed with ``rename``, boxes moved right by
    ``shift`` pixels."""
    return [{"instance_id": rename + r["instance_id"], "frame_id": r["frame_id"], "inst": int(r["inst"]),
             "x0": int(r["x0"]) + shift, "y0": int(r["y0"]), "x1": int(r["x1"]) + shift, "y1": int(r["y1"])}
            for r in labels]


def test_sintel_labels_file_labels_every_kept_cut_out_once():
    sheet = sheet_module()
    labels = sheet.read_labels(str(LABELS))
    assert len(labels) == 52 and len({r["instance_id"] for r in labels}) == 52
    assert {r["label"] for r in labels} == set(sheet.COLOURS)
    assert sum(r["label"] == "whole" for r in labels) == 16
    assert all(0 <= int(r["x0"]) < int(r["x1"]) <= 480 and 0 <= int(r["y0"]) < int(r["y1"]) <= 204 for r in labels)


def test_labels_land_by_id_else_by_frame_and_box_and_not_on_another_cut_out():
    sheet = sheet_module()
    labels = sheet.read_labels(str(LABELS))
    found, ways = sheet.match_labels(kept_rows(labels), labels)
    assert ways == {"instance_id": 52, "frame_and_box": 0, "frame_and_inst": 0, "not_landed": 0}
    assert [f["instance_id"] for f in found] == [r["instance_id"] for r in labels]

    # the pipeline names the film otherwise (other ids) and a re-segmentation moves a mask a little
    rows = kept_rows(labels, rename="other_", shift=1)
    found, ways = sheet.match_labels(rows, labels)
    assert ways["frame_and_box"] == 52 and ways["not_landed"] == 0
    assert [f["instance_id"] for f in found] == [r["instance_id"] for r in labels]  # each on its own cut-out
    two = [i for i, r in enumerate(labels) if r["frame_id"] == "scene0005_pos2_frame00544"]
    assert len(two) == 2 and {found[i]["label"] for i in two} == {"part", "not_character"}

    # a cut-out that moved elsewhere in its frame keeps no label, and its label goes to no other cut-out
    moved = kept_rows(labels, rename="other_")
    moved[two[1]]["x0"], moved[two[1]]["x1"] = 400, 470
    found, ways = sheet.match_labels(moved, labels)
    assert ways["not_landed"] == 1 and found[two[1]] is None and found[two[0]]["label"] == labels[two[0]]["label"]


def test_older_labels_without_boxes_land_by_frame_and_instance_number():
    sheet = sheet_module()
    labels = sheet.read_labels(str(LABELS))
    old = [{"frame_id": r["frame_id"], "inst": r["inst"], "label": r["label"]} for r in labels]
    found, ways = sheet.match_labels(kept_rows(labels, rename="other_", shift=200), old)
    assert ways["frame_and_inst"] == 52 and [f["label"] for f in found] == [r["label"] for r in labels]
