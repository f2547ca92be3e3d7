"""The optional pair set: key frames where two characters are seen together, both faces stable to their identity's
prototype, with little mutual occlusion; for references of two characters in one image. Choice is pure (no Dagster);
``write_pairs`` saves the images."""

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import polars as pl

from resources.disk_space import write_image
from resources.errors import BadMediaError
from resources.storage import write_json_atomic


def box_overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over the smaller box: how much one character hides the other (0 apart, 1 one inside)."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(w * h / smaller) if smaller > 0 else 1.0


def relative_position(a: tuple[float, ...], b: tuple[float, ...]) -> str:
    """Where ``a`` stands relative to ``b`` in the image (left of / right of / above / below)."""
    dx = (a[0] + a[2]) / 2 - (b[0] + b[2]) / 2
    dy = (a[1] + a[3]) / 2 - (b[1] + b[3]) / 2
    if abs(dx) >= abs(dy):
        return "left of" if dx < 0 else "right of"
    return "above" if dy < 0 else "below"


def _weaker(a: float | None, b: float | None) -> float:
    """The lower of two qualities; NaN when either is unknown (``min`` with a NaN depends on the argument order)."""
    if a is None or b is None or math.isnan(a) or math.isnan(b):
        return math.nan
    return min(a, b)


def select_pairs(faces: pl.DataFrame, boxes: dict[str, tuple[float, ...]], min_stability: float,
                 max_overlap: float, per_couple: int) -> list[dict[str, Any]]:
    """The best ``per_couple`` key frames for each pair of identities. ``faces``: instance_id, frame_id, identity,
    stability, quality (one row per face); ``boxes``: instance_id -> its box. Both faces must be at least
    ``min_stability`` alike to their prototypes and the boxes overlap at most ``max_overlap``; the best frames have
    the clearest weaker face and the least overlap. A face of unknown quality (NaN: no pose angles) ranks below
    every known one. The same faces in any row order give the same pairs (polars' ``unique`` and an unstable sort
    otherwise hand ties and NaN out in a different order each run)."""
    stable = faces.filter(pl.col("stability").is_not_null() & (pl.col("stability") >= min_stability))
    best = (stable.sort(pl.col("quality").fill_nan(None), "instance_id", descending=[True, False], nulls_last=True)
            .unique(["frame_id", "identity"], keep="first", maintain_order=True)
            .filter(pl.col("instance_id").is_in(list(boxes))))
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for (frame_id,), group in best.sort("frame_id").group_by(["frame_id"], maintain_order=True):
        rows = sorted(group.iter_rows(named=True), key=lambda r: r["identity"])
        for i in range(len(rows)):
            for j in range(i + 1, len(rows)):
                a, b = rows[i], rows[j]
                box_a, box_b = boxes[a["instance_id"]], boxes[b["instance_id"]]
                overlap = box_overlap(box_a, box_b)
                if overlap > max_overlap:
                    continue
                found.setdefault((a["identity"], b["identity"]), []).append({
                    "frame_id": frame_id, "identities": [a["identity"], b["identity"]],
                    "instances": [a["instance_id"], b["instance_id"]],
                    "stability": [a["stability"], b["stability"]], "overlap": round(overlap, 3),
                    "position": f"{a['identity']} {relative_position(box_a, box_b)} {b['identity']}",
                    "score": _weaker(a["quality"], b["quality"]) * (1 - overlap)})
    out = []
    for couple in sorted(found):   # best score first, unknown last, then by frame
        out += sorted(found[couple], key=lambda p: (math.isnan(p["score"]), -p["score"], p["frame_id"]))[:per_couple]
    return out


def write_pairs(staging: Path, pairs: list[dict[str, Any]], boxes: dict[str, tuple[float, ...]],
                frame_paths: dict[str, str], resolve: Callable[[str], Path], folders: dict[str, str],
                relative: Callable[[Path], str], final_root: Path, context: float) -> list[dict[str, Any]]:
    """``pairs/<a>+<b>/<frame_id>.png`` (both boxes with ``context`` around them) and a ``.json`` each; returns
    reference_images rows (one per pair image, ``identity`` = the first, ``partner`` = the second)."""
    rows = []
    for pair in pairs:
        stored = frame_paths.get(pair["frame_id"])
        image = cv2.imread(str(resolve(stored))) if stored else None
        if image is None:
            raise BadMediaError(resolve(stored) if stored else Path(pair["frame_id"]),
                                "key frame image cannot be read; re-materialise `frames`")
        both = np.array([boxes[i] for i in pair["instances"]], dtype=np.float64)
        x0, y0 = both[:, 0].min(), both[:, 1].min()
        x1, y1 = both[:, 2].max(), both[:, 3].max()
        pad_x, pad_y = context * (x1 - x0) / 2, context * (y1 - y0) / 2
        crop = image[max(0, int(y0 - pad_y)):min(image.shape[0], int(np.ceil(y1 + pad_y))),
                     max(0, int(x0 - pad_x)):min(image.shape[1], int(np.ceil(x1 + pad_x)))]
        a, b = pair["identities"]
        target = staging / "pairs" / f"{folders.get(a, a)}+{folders.get(b, b)}" / f"{pair['frame_id']}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        write_image(target, crop)
        write_json_atomic(target.with_suffix(".json"), {**{k: v for k, v in pair.items() if k != "score"},
                                                        "type": "pair", "boxes": both.tolist()})
        rows.append({"identity": a, "partner": b, "set": "pairs", "frame_id": pair["frame_id"],
                     "instance_id": pair["instances"][0], "path": relative(final_root / target.relative_to(staging)),
                     "stability": float(min(pair["stability"])), "quality": float(pair["score"])})
    return rows
