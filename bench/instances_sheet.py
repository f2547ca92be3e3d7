"""Contact sheet of kept cut-outs (over a checkerboard, so the soft alpha shows) and the share of them that hold the
whole character, from labels a person gave by looking at them. Prints JSON; writes the sheet PNG.

Usage: .venv/bin/python bench/instances.py --backends characters --keep /tmp/run
       .venv/bin/python bench/instances_sheet.py /tmp/run/characters
           [--labels bench/data/sintel_whole_character_s10.csv]
           [--out docs/screenshots/instances_sintel.png] [--template T.csv]
Labels CSV: label one of whole | with_background | part | not_character (see the file's header), keyed by
instance_id,frame_id,x0,y0,x1,y1 (the id, else the same frame and a box at IoU >= 0.7, so a label survives a
re-segmentation that moves the mask a little; the ids also change with the film's name) or, in the older files,
frame_id,inst. --template writes the kept cut-outs as a labels CSV (label and note from --labels where one lands)
to fill in by eye.
"""

import argparse
import csv
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TILE = 160
COLOURS = {"whole": (60, 180, 75), "with_background": (90, 90, 90), "part": (0, 140, 255),
           "not_character": (40, 40, 230)}  # BGR
BOX_IOU = 0.7  # a label keyed by frame and box lands on a kept cut-out of that frame whose box overlaps this much
KEY = ("instance_id", "frame_id", "inst", "x0", "y0", "x1", "y1")


def checkerboard(height: int, width: int, cell: int = 8) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    return np.where(((yy // cell + xx // cell) % 2 == 0)[..., None], 200, 150).astype(np.uint8).repeat(3, -1)


def tile(path: str, caption: str, label: str | None) -> np.ndarray:
    rgba = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    scale = (TILE - 20) / max(rgba.shape[:2])
    rgba = cv2.resize(rgba, (max(1, round(rgba.shape[1] * scale)), max(1, round(rgba.shape[0] * scale))),
                      interpolation=cv2.INTER_AREA)
    canvas = checkerboard(TILE, TILE)
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    y0, x0 = (TILE - 20 - rgba.shape[0]) // 2, (TILE - rgba.shape[1]) // 2
    region = canvas[y0:y0 + rgba.shape[0], x0:x0 + rgba.shape[1]].astype(np.float32)
    blended = rgba[..., :3] * alpha + region * (1 - alpha)
    canvas[y0:y0 + rgba.shape[0], x0:x0 + rgba.shape[1]] = blended.astype(np.uint8)
    colour = COLOURS.get(label or "", (90, 90, 90))
    cv2.rectangle(canvas, (0, TILE - 20), (TILE - 1, TILE - 1), colour, -1)
    cv2.putText(canvas, caption[:26], (3, TILE - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.36, (255, 255, 255), 1, cv2.LINE_AA)
    return canvas


def read_labels(path: str) -> list[dict]:
    with open(path) as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def match_labels(rows: list[dict], labels: list[dict]) -> tuple[list[dict | None], dict]:
    """The label row of each kept row (or None) and how many landed by which key. Each label lands at most once:
    by instance id, else on the same frame's kept row with the best box IoU >= BOX_IOU, else (older files without
    boxes) by frame id and instance number."""
    from resources.backends.character_cues import box_iou

    found: list[dict | None] = [None] * len(rows)
    ways = {"instance_id": 0, "frame_and_box": 0, "frame_and_inst": 0, "not_landed": 0}
    by_id = {r["instance_id"]: i for i, r in enumerate(rows)}
    left = []
    for label in labels:
        index = by_id.get(label.get("instance_id") or "")
        if index is not None and found[index] is None:
            found[index] = label
            ways["instance_id"] += 1
        else:
            left.append(label)
    for label in left:
        candidates = [i for i, r in enumerate(rows) if found[i] is None and r["frame_id"] == label["frame_id"]]
        index, way = None, None
        if label.get("x0"):
            box = [float(label[k]) for k in ("x0", "y0", "x1", "y1")]
            scored = [(box_iou(box, [rows[i][k] for k in ("x0", "y0", "x1", "y1")]), i) for i in candidates]
            best = max(scored, default=(0.0, None))
            index, way = (best[1], "frame_and_box") if best[0] >= BOX_IOU else (None, None)
        elif label.get("inst"):
            index = next((i for i in candidates if rows[i]["inst"] == int(label["inst"])), None)
            way = "frame_and_inst"
        if index is None:
            ways["not_landed"] += 1
        else:
            found[index] = label
            ways[way] += 1
    return found, ways


def write_template(path: str, rows: list[dict], found: list[dict | None]) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*KEY, "label", "note"])
        for row, label in zip(rows, found):
            writer.writerow([*(row[k] for k in KEY), (label or {}).get("label", ""), (label or {}).get("note", "")])


def main() -> None:
    import polars as pl

    parser = argparse.ArgumentParser()
    parser.add_argument("run", help="the --keep folder of bench/instances.py for one backend")
    parser.add_argument("--labels", help="labels CSV (see above)")
    parser.add_argument("--template", help="write the kept cut-outs as a labels CSV to fill in")
    parser.add_argument("--out", default="docs/screenshots/instances_sintel.png")
    parser.add_argument("--columns", type=int, default=8)
    args = parser.parse_args()
    table = pl.read_parquet(Path(args.run) / "filtered_instances.parquet")
    table = table.filter(pl.col("kept")).sort("frame_id", "inst")
    rows = list(table.iter_rows(named=True))
    found, landed = match_labels(rows, read_labels(args.labels)) if args.labels else ([None] * len(rows), None)
    if args.template:
        write_template(args.template, rows, found)
    tiles, counts = [], {}
    for row, labelled_row in zip(rows, found):
        label = labelled_row["label"] if labelled_row else None
        counts[label or "unlabelled"] = counts.get(label or "unlabelled", 0) + 1
        edge = "|edge" if row.get("touches_frame_edge") else ""
        tiles.append(tile(row["path"], f"{row['frame_id'][-11:]}#{row['inst']} {label or ''}{edge}", label))
    if not tiles:
        sys.exit(f"{args.run}: no kept instances")
    columns = args.columns
    tiles += [np.full_like(tiles[0], 255)] * (-len(tiles) % columns)
    sheet = np.vstack([np.hstack(tiles[i:i + columns]) for i in range(0, len(tiles), columns)])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(args.out, sheet, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    labelled = sum(v for k, v in counts.items() if k != "unlabelled")
    print(json.dumps({"kept": table.height, "labels": counts, "landed": landed, "sheet": args.out,
                      "whole_share": round(counts.get("whole", 0) / labelled, 3) if labelled else None}, indent=2))


if __name__ == "__main__":
    main()
