"""The `ingest_drop` job: hashes, probes and registers one dropped entry as a film (or rejects it with a reason).

The drop-folder sensor only looks at names, sizes and times; this run does the slow reading, so eight feature
films dropped at once cost eight runs, not a tick that times out. Once the film is in the catalog the sensor's
next tick requests its `film_pipeline` run.
"""

from pathlib import Path

import duckdb
from dagster import Config, MetadataValue, OpExecutionContext, Output, job, op

from assets.review.assets import observe_review_revision
from resources.errors import BadMediaError, CastforgeError, shown_path
from resources.review_state import review_revision
from resources.ingest import ingest_source
from resources.partitions import film_partitions
from resources.series import ingest_series, is_series
from resources.store import StorageResource
from sensors.scan import reject

INGEST_JOB = "ingest_drop"


class DroppedEntry(Config):
    path: str  # the entry in CASTFORGE_HOME/drop/


@op
def ingest_dropped(context: OpExecutionContext, config: DroppedEntry, storage: StorageResource) -> Output:
    """Register the dropped file or folder as a film; an unusable entry is moved to drop/rejected/ with a reason."""
    entry = Path(config.path)
    drop = storage.home_path() / "drop"
    if not entry.exists():
        context.log.info(f"{entry.name} is gone from {drop}; nothing to ingest")
        return Output(None, metadata={"note": "gone before its run"})
    if is_series(entry):
        return _ingest_series(context, entry, drop, storage)
    try:
        outcome = ingest_source(storage.catalog(), entry)
    except duckdb.Error:  # the catalog's trouble, not the entry's: fail the run, keep the file where it is
        raise
    except Exception as error:  # any failure is this entry's own: reject it with the reason, never loop on it
        reason = error.reason if isinstance(error, BadMediaError) else f"{error.__class__.__name__}: {error}"
        moved = reject(drop, entry, reason)
        context.log.warning(f"rejected {entry.name}: {reason} (moved to {moved})")
        return Output(None, metadata={"rejected": MetadataValue.path(str(moved)), "reason": reason})
    _add_partition(context, storage, outcome.film)
    context.log.info(outcome.message)
    return Output(outcome.film, metadata={"film": outcome.film, "created": outcome.created,
                                          "message": outcome.message})


def _add_partition(context: OpExecutionContext, storage: StorageResource, film: str) -> None:
    if not context.instance.has_dynamic_partition(film_partitions.name, film):
        context.instance.add_dynamic_partitions(film_partitions.name, [film])
        # its pipeline run then records the review revision it used, and the first decision shows it stale
        observe_review_revision(context.instance, film, review_revision(storage.catalog(), film))


def _ingest_series(context: OpExecutionContext, folder: Path, drop: Path, storage: StorageResource) -> Output:
    """A dropped folder of episodes: each a film (resources/series.py); an episode that cannot be used is moved to
    drop/rejected/ with its reason, and the others go on."""
    try:
        series = ingest_series(storage.catalog(), folder)
    except duckdb.Error:
        raise
    except CastforgeError as error:
        moved = reject(drop, folder, str(error))
        context.log.warning(f"rejected {folder.name}: {error} (moved to {moved})")
        return Output(None, metadata={"rejected": MetadataValue.path(str(moved)), "reason": str(error)})
    for episode, reason in series.refused:
        moved = reject(drop, episode, reason)
        context.log.warning(f"rejected {shown_path(episode.name)}: {reason} (moved to {shown_path(moved)})")
    for film in series.films:
        _add_partition(context, storage, film)
    context.log.info(series.message)
    return Output(series.films, metadata={"series": series.series, "films": ", ".join(series.films),
                                          "created": len(series.created), "message": series.message})


@job(name=INGEST_JOB, description="Ingest one entry dropped into CASTFORGE_HOME/drop/ (launched by the sensor).")
def ingest_drop_job() -> None:
    ingest_dropped()
