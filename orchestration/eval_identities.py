"""`castforge eval identities FILM --labels LABELS.csv`: identity quality of a film's `identity_clusters` as JSON."""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import polars as pl

from resources.errors import CastforgeError
from resources.storage import FilmWorkspace


def evaluate_film(film: str, labels_path: Path, home: Path | None = None) -> dict[str, Any]:
    from assets.identities.evaluate import evaluate, read_labels

    workspace = FilmWorkspace(film, home)
    if not workspace.root.exists():
        raise CastforgeError(f"film '{film}' has no workspace under {workspace.home}; ingest and materialise it first")
    instances = workspace.read_table("filtered_instances")
    if "kept" in instances.columns:
        instances = instances.filter(pl.col("kept"))
    frames = workspace.read_table("frames").select("frame_id", "source", "timestamp_s")
    table = instances.select("instance_id", "frame_id").join(frames, on="frame_id", how="left")
    report = evaluate(table, workspace.read_table("instance_identities"), read_labels(Path(labels_path)))
    return {"film": film, "labels_file": str(labels_path), **report}


def _run(args: argparse.Namespace) -> int:
    report = evaluate_film(args.film, Path(args.labels))
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def add_parser(evals_subparsers: argparse._SubParsersAction) -> None:
    parser = evals_subparsers.add_parser(
        "identities", help="BCubed P/R/F, purity, coverage and noise ratio of a film's identities (JSON)")
    parser.add_argument("film")
    parser.add_argument("--labels", required=True,
                        help="CSV with columns source,identity (source: image file name or START-END seconds)")
    parser.set_defaults(handler=_run)
