"""The `sidecar_subtitles_sensor`: a subtitle file put beside a registered film (``Film.srt``, ``Film.en.srt``,
``Film.ass``, ``Film.vtt``), edited or removed asks for one run of what it makes stale, the `audio` stage and the
assets downstream of it, for that film's partition. A tick lists and stats the films' folders (sensors/sidecars.py);
the run hashes the files (the `audio` stage's declared read ``SIDECAR_SUBTITLES``)."""

import json

from dagster import (
    AssetKey,
    AssetSelection,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    define_asset_job,
    sensor,
)

from resources.partitions import film_partitions
from resources.store import StorageResource
from sensors.sidecars import compare_sidecars, sidecar_signatures, signature_key

AUDIO = AssetKey("audio")

sidecar_subtitles_job = define_asset_job(
    "sidecar_subtitles_changed",
    selection=AssetSelection.assets(AUDIO).downstream(),
    partitions_def=film_partitions,
    description="The audio stage and everything downstream of it, for one film whose sidecar subtitle files "
                "changed (what the sidecar_subtitles_sensor launches).",
)


def _film_sources(storage: StorageResource, registered: set[str]) -> dict:
    """Film -> source path, for the registered films that have a source file (not image folders)."""
    rows = storage.catalog().query("SELECT film, source_path FROM films WHERE kind <> 'images' ORDER BY film")
    home = storage.home_path()
    return {row["film"]: home / row["source_path"]  # an absolute stored path stays itself
            for row in rows.iter_rows(named=True) if row["film"] in registered}


@sensor(jobs=[sidecar_subtitles_job], minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING)
def sidecar_subtitles_sensor(context: SensorEvaluationContext, storage: StorageResource) -> SensorResult:
    """Runs `audio` and its downstream assets for a film whose sidecar subtitle files (Film.srt, Film.en.srt,
    Film.ass, Film.vtt beside its source) were added, edited or removed: once per change, after it has stayed the
    same for two ticks; a film whose `audio` was never materialised is left to its first run."""
    registered = set(context.instance.get_dynamic_partitions(film_partitions.name))
    scan = compare_sidecars(sidecar_signatures(_film_sources(storage, registered)), context.cursor)
    materialised = context.instance.get_materialized_partitions(AUDIO) if scan.changed else set()
    run_requests = []
    for film, change in scan.changed.items():
        if film not in materialised:
            context.log.info(f"{film}: {change}; its audio was never materialised, so its first run reads them")
            continue
        context.log.info(f"{film}: {change}; requesting audio and its downstream assets")
        run_key = f"sidecars:{film}:{signature_key(scan.cursor[film]['settled'])}"
        run_requests.append(RunRequest(job_name=sidecar_subtitles_job.name, partition_key=film, run_key=run_key,
                                       tags={"castforge/sidecar_change": change[:200]}))
    cursor = json.dumps(scan.cursor, sort_keys=True)
    if run_requests:
        return SensorResult(run_requests=run_requests, cursor=cursor)
    waiting = ", ".join(scan.waiting)
    return SensorResult(skip_reason=SkipReason(f"sidecar subtitles changed for {waiting}; waiting for them to settle"
                                               if waiting else "no sidecar subtitle file added, edited or removed"),
                        cursor=cursor)
