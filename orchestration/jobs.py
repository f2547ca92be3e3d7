"""Every job of the code location (the sensors define the jobs they launch)."""

from sensors.film_job import film_pipeline_job
from sensors.ingest_job import ingest_drop_job
from sensors.sidecar_sensor import sidecar_subtitles_job

JOBS = [film_pipeline_job, ingest_drop_job, sidecar_subtitles_job]
