"""The one Definitions of the castforge code location.

Every asset and asset check under ``assets/`` (the defs folder, ``[tool.dg]`` in pyproject.toml) is loaded by
Dagster's own loader (``dg.load_defs``), so a new stage needs no edit here; the jobs, the sensors and the active
profile's resources (orchestration/profiles.py) are added to it. Loading this module imports no model library.
"""

import dagster as dg

import assets
from orchestration.executors import executor_for, gpu_pool_steps
from orchestration.jobs import JOBS
from orchestration.profiles import active_profile, resources_for
from sensors.drop_folder import drop_folder_sensor
from sensors.sidecar_sensor import sidecar_subtitles_sensor


def build_definitions(profile: str | None = None) -> dg.Definitions:
    profile = profile or active_profile()
    asset_defs = dg.load_defs(assets)
    return dg.Definitions.merge(
        asset_defs,
        dg.Definitions(
            jobs=JOBS,
            sensors=[drop_folder_sensor, sidecar_subtitles_sensor],
            resources=resources_for(profile),
            # local: one process, so one model instance serves the whole run; gpu: parallel, GPU assets share a
            # pool; cluster: Celery, gpu-pool steps on the gpu queue; k8s: a pod per step (orchestration/executors.py)
            executor=executor_for(profile, gpu_pool_steps(asset_defs)),
        ),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
