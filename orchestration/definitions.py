"""The one Definitions of the castforge code location.

Every ``assets/<stage>/assets.py`` is discovered; loading this module imports no model library.
"""

import importlib
import pkgutil

from dagster import Definitions, in_process_executor, load_asset_checks_from_modules, load_assets_from_modules
from dagster import multiprocess_executor

import assets
from orchestration.jobs import film_pipeline_job
from orchestration.profiles import active_profile, resources_for
from sensors.drop_folder import drop_folder_sensor


def stage_modules() -> list:
    return [
        importlib.import_module(f"assets.{info.name}.assets")
        for info in sorted(pkgutil.iter_modules(assets.__path__), key=lambda m: m.name)
        if info.ispkg and importlib.util.find_spec(f"assets.{info.name}.assets") is not None
    ]


def build_definitions(profile: str | None = None) -> Definitions:
    profile = profile or active_profile()
    modules = stage_modules()
    return Definitions(
        assets=load_assets_from_modules(modules),
        asset_checks=load_asset_checks_from_modules(modules),
        jobs=[film_pipeline_job],
        sensors=[drop_folder_sensor],
        resources=resources_for(profile),
        # local: one process, so one model instance serves the whole run; gpu: parallel, GPU assets share a pool
        executor=in_process_executor if profile == "local" else multiprocess_executor,
    )


defs = build_definitions()
