import json

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from orchestration.ingest import ingest_source
from orchestration.jobs import film_pipeline_job
from orchestration.partitions import film_partitions
from resources.errors import CastforgeError
from resources.store import StorageResource
from sensors.scan import mark_handled, reject, scan_drop_folder


@sensor(job=film_pipeline_job, minimum_interval_seconds=15, default_status=DefaultSensorStatus.RUNNING)
def drop_folder_sensor(context: SensorEvaluationContext, storage: StorageResource) -> SensorResult | SkipReason:
    """Turns a video or image folder dropped into CASTFORGE_HOME/drop/ into a film partition and a run."""
    drop = storage.home_path() / "drop"
    drop.mkdir(parents=True, exist_ok=True)
    scan = scan_drop_folder(drop, context.cursor)
    new_films, run_requests = [], []
    for entry in scan.ready:
        try:
            outcome = ingest_source(storage.catalog(), entry)
        except CastforgeError as error:
            moved = reject(drop, entry, str(error))
            context.log.warning(f"rejected {entry.name}: {error} (moved to {moved})")
            scan.cursor["seen"].pop(entry.name, None)
            continue
        mark_handled(scan.cursor, entry)
        context.log.info(outcome.message)
        if not context.instance.has_dynamic_partition(film_partitions.name, outcome.film):
            new_films.append(outcome.film)
        run_requests.append(RunRequest(partition_key=outcome.film,
                                       run_key=f"{outcome.film}:{outcome.content_hash[:16]}"))
    cursor = json.dumps(scan.cursor, sort_keys=True)
    if not run_requests:
        waiting = ", ".join(p.name for p in scan.waiting)
        return SensorResult(skip_reason=SkipReason(f"waiting for {waiting} to stop growing" if waiting
                                                   else f"nothing new in {drop}"), cursor=cursor)
    return SensorResult(run_requests=run_requests, cursor=cursor,
                        dynamic_partitions_requests=[film_partitions.build_add_request(new_films)] if new_films else [])
