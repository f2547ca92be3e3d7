"""What the temporal assets read from a film's workspace, and how they write their pictures. No Dagster."""

import os
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import polars as pl

from assets.frames.handoff import read_handoff
from assets.frames.picture import recorded_picture
from assets.shot_analysis.core import Inputs
from resources.disk_space import write_image
from resources.ingest import source_file
from resources.storage import FilmWorkspace


def read_inputs(workspace: FilmWorkspace, source: dict[str, Any]) -> Inputs:
    """The film's source and every table shot_analysis uses; optional tables are None when absent; the frames
    stage's handoff when it is whole and of the current frames (else None: the film is decoded)."""
    audio = workspace.read_optional_table("audio")
    frames_record = workspace.read_stage_record("frames") or {}
    speech = None
    if audio is not None and audio.height and audio["speech_path"][0]:
        speech = workspace.absolute(audio["speech_path"][0])

    def reader(stored: str) -> np.ndarray | None:
        return cv2.imread(str(workspace.absolute(stored)))

    return Inputs(kind=source["kind"], source=source_file(workspace, source),
                  frames=workspace.read_table("frames"), shots=workspace.read_table("shots"),
                  instances=workspace.read_optional_table("filtered_instances"),
                  faces=workspace.read_optional_table("faces"),
                  instance_identities=workspace.read_optional_table("instance_identities"),
                  speech_segments=workspace.read_optional_table("speech_segments"), speech_wav=speech,
                  image_reader=reader,
                  handoff=read_handoff(workspace, frames_record.get("fingerprint")),
                  picture=recorded_picture(frames_record.get("picture")))


def write_picture(workspace: FilmWorkspace, folder: str, name: str, picture: np.ndarray | None) -> Path | None:
    """``picture`` (BGR) as PNG in the film's ``folder``, written aside and renamed (never half a file)."""
    if picture is None:
        return None
    target = workspace.artefact_dir(folder) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{name}.partial.png")
    write_image(partial, picture)
    os.replace(partial, target)
    return target


def table_markdown(table: pl.DataFrame, columns: list[str], limit: int = 40) -> Any:
    """The first ``limit`` rows of ``columns`` as a markdown table for the asset's metadata."""
    from dagster import MetadataValue

    if table.height == 0:
        return MetadataValue.text("no rows")
    shown = table.select([c for c in columns if c in table.columns]).head(limit)
    lines = ["| " + " | ".join(shown.columns) + " |", "|" + " --- |" * len(shown.columns)]
    lines += ["| " + " | ".join("" if v is None else str(round(v, 3) if isinstance(v, float) else v) for v in row)
              + " |" for row in shown.iter_rows()]
    if table.height > limit:
        lines.append(f"\n({table.height - limit} more rows)")
    return MetadataValue.md("\n".join(lines))


def thumbnails(workspace: FilmWorkspace, frames: pl.DataFrame, frame_ids: list[str], count: int = 12
               ) -> np.ndarray | None:
    """A strip of the kept key frames named by ``frame_ids`` (spread over them when there are more), for metadata."""
    from assets.frames.core import contact_sheet

    if not frame_ids or frames.height == 0:
        return None
    paths = dict(frames.filter(pl.col("path").is_not_null()).select("frame_id", "path").iter_rows())
    return contact_sheet([workspace.absolute(paths[f]) for f in frame_ids if f in paths], count=count)


def film_span(shots: pl.DataFrame) -> float:
    """Seconds from the film's start to the end of its last timed shot (0 for image folders and empty films)."""
    if shots.height == 0 or "end_s" not in shots.columns or shots["end_s"].null_count() == shots.height:
        return 0.0
    return float(shots["end_s"].max())
