"""What every asset body shares: the film's record, cached results, metadata previews. Dagster-side helpers."""

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import polars as pl
from dagster import DataVersion, MaterializeResult, MetadataValue

from resources.catalog import Catalog
from resources.errors import FilmNotFoundError
from resources.lineage import StageRun
from resources.storage import FilmWorkspace


def film_record(catalog: Catalog, film: str) -> dict[str, Any]:
    record = catalog.film(film)
    if record is None:
        raise FilmNotFoundError(film)
    return record


def staged_relative(workspace: FilmWorkspace, name: str, staging: Path) -> Callable[[Path], str]:
    """Maps a file written in a staging folder to the path it will have once swapped in, relative to home."""
    return workspace.relative_once_moved(staging, workspace.artefact_dir(name))


def cached_result(stage: StageRun, **metadata: Any) -> MaterializeResult:
    record = stage.cached_record or {}
    return MaterializeResult(
        metadata={"cached": True, "rows": record.get("row_count", 0), "fingerprint": stage.fingerprint, **metadata},
        data_version=DataVersion(stage.fingerprint),
    )


def result(stage: StageRun, metadata: dict[str, Any]) -> MaterializeResult:
    return MaterializeResult(
        metadata={"cached": False, "rows": stage.row_count, "fingerprint": stage.fingerprint,
                  "params": MetadataValue.json(stage.params), **metadata},
        data_version=DataVersion(stage.fingerprint),
    )


def counted(function: Callable[..., Any], stage: StageRun, total: int, what: str) -> Callable[..., Any]:
    """``function``, reporting ``stage.progress`` after each call: progress for a core loop that takes a callable
    per item (a frame to segment, a crop batch to embed) without the core knowing about it."""
    done = 0

    def call(*args: Any, **kwargs: Any) -> Any:
        nonlocal done
        value = function(*args, **kwargs)
        done += 1
        stage.progress(min(done, total), total, what)
        return value

    return call


class CountedCalls:
    """``target`` with one method counted by :func:`counted` (e.g. a face analyzer's per-frame ``embed``)."""

    def __init__(self, target: Any, method: str, stage: StageRun, total: int, what: str):
        self._target = target
        setattr(self, method, counted(getattr(target, method), stage, total, what))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


def image_markdown(bgr: np.ndarray | None, alt: str = "preview", max_width: int = 960) -> MetadataValue | None:
    """An inline JPEG (data URI) for the UI's metadata panel."""
    if bgr is None:
        return None
    if bgr.shape[1] > max_width:
        bgr = cv2.resize(bgr, (max_width, round(bgr.shape[0] * max_width / bgr.shape[1])))
    ok, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:
        return None
    return MetadataValue.md(f"![{alt}](data:image/jpeg;base64,{base64.b64encode(jpeg.tobytes()).decode()})")


def counts_markdown(table: pl.DataFrame, column: str) -> MetadataValue:
    counts = table.group_by(column).len().sort("len", descending=True)
    lines = [f"| {column} | count |", "| --- | ---: |"]
    lines += [f"| {value if value is not None else '(kept)'} | {n} |" for value, n in counts.iter_rows()]
    return MetadataValue.md("\n".join(lines))
