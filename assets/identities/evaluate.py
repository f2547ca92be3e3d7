"""Identity quality against reference labels: BCubed precision / recall / F, purity, coverage, noise ratio. No Dagster.

Labels are rows ``source,identity``: ``source`` is an image file name (image-folder films: the frame's source path,
or its last component) or a time range ``START-END`` in seconds (videos: every instance whose timestamp lies in it).
"""

import csv
import re
from pathlib import Path
from typing import Any

import polars as pl

from assets.identities.core import NOISE
from resources.errors import BadMediaError

RANGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s*$")


def read_labels(path: Path) -> list[tuple[str, str]]:
    try:
        with open(path, newline="") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or not {"source", "identity"} <= set(reader.fieldnames):
                raise BadMediaError(path, "labels CSV needs the columns source,identity")
            return [(row["source"].strip(), row["identity"].strip()) for row in reader if row["source"].strip()]
    except OSError as error:
        raise BadMediaError(path, f"cannot read labels: {error}") from error


def label_instances(instances: pl.DataFrame, labels: list[tuple[str, str]]) -> pl.DataFrame:
    """``instance_id, label`` for every instance a label covers. ``instances`` needs instance_id, source,
    timestamp_s. An instance covered by two different labels is ambiguous and left out."""
    found: dict[str, set[str]] = {}
    sources = instances["source"].to_list()
    names = [Path(s).name if s else None for s in sources]
    for source, identity in labels:
        match = RANGE.match(source)
        if match:
            start, end = float(match.group(1)), float(match.group(2))
            hits = instances.filter(pl.col("timestamp_s").is_between(start, end))["instance_id"].to_list()
        else:
            hits = [i for i, s, n in zip(instances["instance_id"], sources, names) if source in (s, n)]
        for instance_id in hits:
            found.setdefault(instance_id, set()).add(identity)
    rows = [(i, next(iter(v))) for i, v in found.items() if len(v) == 1]
    return pl.DataFrame(rows, schema={"instance_id": pl.String, "label": pl.String}, orient="row")


def scores(pairs: pl.DataFrame) -> dict[str, Any]:
    """``pairs``: instance_id, label (truth), identity (prediction; ``noise`` = unassigned)."""
    n = pairs.height
    if n == 0:
        return {"labelled_instances": 0}
    # noise is not a cluster: each noise item stands alone
    predicted = [f"{NOISE}#{i}" if c == NOISE or c is None else c
                 for i, c in zip(pairs["instance_id"], pairs["identity"])]
    truth = pairs["label"].to_list()
    cluster_size: dict[str, int] = {}
    label_size: dict[str, int] = {}
    joint: dict[tuple[str, str], int] = {}
    for c, t in zip(predicted, truth):
        cluster_size[c] = cluster_size.get(c, 0) + 1
        label_size[t] = label_size.get(t, 0) + 1
        joint[(c, t)] = joint.get((c, t), 0) + 1
    precision = sum(joint[(c, t)] / cluster_size[c] for c, t in zip(predicted, truth)) / n
    recall = sum(joint[(c, t)] / label_size[t] for c, t in zip(predicted, truth)) / n
    f = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    clustered = [(c, t) for c, t in zip(predicted, truth) if not c.startswith(f"{NOISE}#")]
    majority: dict[str, int] = {}
    for (c, t), count in joint.items():
        if not c.startswith(f"{NOISE}#"):
            majority[c] = max(majority.get(c, 0), count)
    purity = sum(majority.values()) / len(clustered) if clustered else 0.0
    dominant = {}
    for t in label_size:
        best = max(((count, c) for (c, tt), count in joint.items() if tt == t and not c.startswith(f"{NOISE}#")),
                   default=(0, None))
        dominant[t] = {"identity": best[1], "share": round(best[0] / label_size[t], 4)}
    return {
        "labelled_instances": n, "labels": len(label_size),
        "bcubed_precision": round(precision, 4), "bcubed_recall": round(recall, 4), "bcubed_f": round(f, 4),
        "purity": round(purity, 4),
        "coverage": round(len(clustered) / n, 4),
        "noise_ratio": round(1 - len(clustered) / n, 4),
        "identities_predicted": len({c for c, _ in clustered}),
        "per_label": dominant,
    }


def evaluate(instances: pl.DataFrame, instance_identities: pl.DataFrame, labels: list[tuple[str, str]]
             ) -> dict[str, Any]:
    labelled = label_instances(instances, labels)
    pairs = labelled.join(instance_identities.select("instance_id", "identity", "by"), on="instance_id", how="left")
    pairs = pairs.with_columns(pl.col("identity").fill_null(NOISE))
    report = scores(pairs)
    report["with_face_only"] = scores(pairs.filter(pl.col("by") == "face"))
    return report
