import json
import os
import time
from pathlib import Path

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from resources.errors import shown_path
from resources.partitions import film_partitions
from resources.store import StorageResource
from sensors.film_job import film_pipeline_job
from sensors.ingest_job import INGEST_JOB, ingest_drop_job
from sensors.scan import DEFAULT_QUIET_S, mark_requested, paths_open_for_writing, retry_changed_rejections, scan_drop_folder

QUIET_ENV = "CASTFORGE_DROP_QUIET_S"


def quiet_period_s() -> float:
    """Seconds an entry must stay unchanged before it is ingested (``CASTFORGE_DROP_QUIET_S``, default 30)."""
    return float(os.environ.get(QUIET_ENV) or DEFAULT_QUIET_S)


def _dropped_films(storage: StorageResource, drop: Path, launched: set[str]) -> list[dict]:
    """Films ingested from the drop folder whose pipeline run was not requested yet."""
    films = storage.catalog().query(
        "SELECT film, content_hash FROM films WHERE starts_with(source_path, ?) ORDER BY ingested_at",
        [str(drop.resolve()) + os.sep])
    return [row for row in films.iter_rows(named=True) if f"{row['film']}:{row['content_hash'][:16]}" not in launched]


@sensor(jobs=[film_pipeline_job, ingest_drop_job], minimum_interval_seconds=15,
        default_status=DefaultSensorStatus.RUNNING)
def drop_folder_sensor(context: SensorEvaluationContext, storage: StorageResource) -> SensorResult | SkipReason:
    """Turns a video, audio file or image folder dropped into CASTFORGE_HOME/drop/ into a film and its run: an
    `ingest_drop` run once the entry has been quiet for CASTFORGE_DROP_QUIET_S and nobody writes it, then the
    film's `film_pipeline` run."""
    drop = storage.home_path() / "drop"
    drop.mkdir(parents=True, exist_ok=True)
    cursor = json.loads(context.cursor) if context.cursor else {}
    for entry in retry_changed_rejections(drop):
        context.log.info(f"{entry.name} changed after it was rejected: considering it again")
    scan = scan_drop_folder(drop, json.dumps(cursor), time.time(), quiet_period_s(), paths_open_for_writing(drop))
    for entry in scan.unknown:
        context.log.warning(f"{shown_path(entry.name)}: not a video, audio file or image folder; left alone "
                            "(reported once)")
    for name, why in scan.misnamed:
        context.log.warning(f"{name}: {why}; left alone (reported once)")
    run_requests = []
    for entry in scan.ready:
        signature = scan.cursor["seen"][entry.name][0]
        run_requests.append(RunRequest(
            job_name=INGEST_JOB, run_key=f"ingest:{entry.name}:{signature[1]}:{signature[2]}",
            run_config={"ops": {"ingest_dropped": {"config": {"path": str(entry)}}}},
            tags={"castforge/drop_entry": entry.name[:200]}))
        mark_requested(scan.cursor, entry)
    launched = set(scan.cursor.get("launched", []))
    new_films = []
    for film in _dropped_films(storage, drop, launched):
        key = f"{film['film']}:{film['content_hash'][:16]}"
        launched.add(key)
        if not context.instance.has_dynamic_partition(film_partitions.name, film["film"]):
            new_films.append(film["film"])
        run_requests.append(RunRequest(job_name=film_pipeline_job.name, partition_key=film["film"], run_key=key))
    scan.cursor["launched"] = sorted(launched)
    cursor_json = json.dumps(scan.cursor, sort_keys=True)
    if not run_requests:
        waiting = "; ".join(f"{entry.name}: {why}" for entry, why in scan.waiting)
        return SensorResult(skip_reason=SkipReason(f"waiting for {waiting}" if waiting else f"nothing new in {drop}"),
                            cursor=cursor_json)
    return SensorResult(run_requests=run_requests, cursor=cursor_json,
                        dynamic_partitions_requests=[film_partitions.build_add_request(new_films)] if new_films else [])
