"""A contact sheet of the reference sets: one row per identity, anchors then coverage then challenge, each image
framed in its set's colour and captioned with its bins. No Dagster."""

from pathlib import Path

import cv2
import numpy as np
import polars as pl

from resources.disk_space import write_image


TILE = 96
CAPTION = 28
COLOURS = {"anchors": (60, 170, 60), "coverage": (200, 140, 40), "challenge": (40, 60, 200)}  # BGR
ORDER = {"anchors": 0, "coverage": 1, "challenge": 2}


def contact_sheet(path: Path, references: pl.DataFrame, resolve, max_per_row: int = 16,
                  labels: dict[str, str] | None = None) -> bool:
    """Write the sheet to ``path`` (PNG); False when there is nothing to show. ``labels``: identity -> the name the
    character has in every export (``character_names``: ``<film>_char<n>`` until a person names it), shown above
    its stable id."""
    if references.height == 0:
        return False
    rows = []
    references = references.filter(pl.col("set") != "pairs") if "set" in references.columns else references
    if references.height == 0:
        return False
    for (identity,), group in references.sort("identity").group_by(["identity"], maintain_order=True):
        group = group.with_columns(pl.col("set").replace_strict(ORDER, default=3).alias("_order")).sort("_order")
        tiles = [_tile(resolve(r["path"]), r) for r in group.head(max_per_row).iter_rows(named=True)]
        label = np.full((TILE + CAPTION, 150, 3), 255, np.uint8)
        name = (labels or {}).get(identity) or group["name"][0] or identity
        cv2.putText(label, str(name)[:18], (4, 32), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
        if name != identity:
            cv2.putText(label, identity[:24], (4, 47), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (60, 60, 60), 1, cv2.LINE_AA)
        counts = ", ".join(f"{s[:3]} {group.filter(pl.col('set') == s).height}" for s in ORDER)
        cv2.putText(label, counts, (4, 62), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (60, 60, 60), 1, cv2.LINE_AA)
        row = np.hstack([label, *tiles])
        rows.append(row)
    width = max(r.shape[1] for r in rows)
    sheet = np.vstack([np.pad(r, ((0, 4), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows])
    path.parent.mkdir(parents=True, exist_ok=True)
    write_image(path, sheet)
    return True


def _tile(image_path: Path, row: dict) -> np.ndarray:
    tile = np.full((TILE + CAPTION, TILE + 4, 3), 255, np.uint8)
    image = cv2.imread(str(image_path))
    if image is not None:
        scale = (TILE - 4) / max(image.shape[:2])
        small = cv2.resize(image, (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale))),
                           interpolation=cv2.INTER_AREA)
        y, x = (TILE - small.shape[0]) // 2, (TILE + 4 - small.shape[1]) // 2
        tile[y:y + small.shape[0], x:x + small.shape[1]] = small
    cv2.rectangle(tile, (0, 0), (TILE + 3, TILE - 1), COLOURS.get(row["set"], (0, 0, 0)), 2)
    first = f"{row['yaw_bin'] or '?'} {row['pitch_bin'] or '?'}"
    second = f"{(row['expression'] or 'expr?')[:10]} {(row['lighting'] or '')[:5]}"
    cv2.putText(tile, first, (2, TILE + 11), cv2.FONT_HERSHEY_SIMPLEX, 0.32, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(tile, second, (2, TILE + 24), cv2.FONT_HERSHEY_SIMPLEX, 0.32, (0, 0, 0), 1, cv2.LINE_AA)
    return tile
