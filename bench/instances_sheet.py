"""Contact sheet of kept cut-outs (over a checkerboard, so the soft alpha shows) and the share of them that hold the
whole character, from labels a person gave by looking at them. Prints JSON; writes the sheet PNG.

Usage: .venv/bin/python bench/instances.py --backends characters --keep /tmp/run
       .venv/bin/python bench/instances_sheet.py /tmp/run/characters [--labels bench/data/sintel_whole_character.csv]
                                                   [--out docs/screenshots/instances_sintel.png]
Labels CSV: frame_id,inst,label,note with label one of whole | part | not_character (see the file's header).
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
COLOURS = {"whole": (60, 180, 75), "part": (0, 140, 255), "not_character": (40, 40, 230)}  # BGR


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


def main() -> None:
    import polars as pl

    parser = argparse.ArgumentParser()
    parser.add_argument("run", help="the --keep folder of bench/instances.py for one backend")
    parser.add_argument("--labels", help="CSV frame_id,inst,label,note")
    parser.add_argument("--out", default="docs/screenshots/instances_sintel.png")
    parser.add_argument("--columns", type=int, default=8)
    args = parser.parse_args()
    table = pl.read_parquet(Path(args.run) / "filtered_instances.parquet")
    table = table.filter(pl.col("kept")).sort("frame_id", "inst")
    labels = {}
    if args.labels:
        with open(args.labels) as handle:
            labels = {(r["frame_id"], int(r["inst"])): r["label"] for r in csv.DictReader(
                line for line in handle if not line.startswith("#"))}
    tiles, counts = [], {}
    for row in table.iter_rows(named=True):
        label = labels.get((row["frame_id"], row["inst"]))
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
    print(json.dumps({"kept": table.height, "labels": counts, "sheet": args.out,
                      "whole_share": round(counts.get("whole", 0) / labelled, 3) if labelled else None}, indent=2))


if __name__ == "__main__":
    main()
