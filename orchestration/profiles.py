"""Resource sets per profile, chosen by CASTFORGE_PROFILE: ``local`` (default: CPU, offline backends) or ``gpu``.

Every module ``resources/<name>.py`` that defines ``profile_resources(profile)`` contributes its resources, so a
new capability plugs in without editing this file. Resource modules import no heavy library at import time.
"""

import importlib
import os
import pkgutil

from dagster import ConfigurableResource

import resources

PROFILES = ("local", "gpu")


def active_profile() -> str:
    profile = os.environ.get("CASTFORGE_PROFILE", "local")
    if profile not in PROFILES:
        raise ValueError(f"CASTFORGE_PROFILE={profile!r}: expected one of {PROFILES}")
    return profile


def resources_for(profile: str | None = None) -> dict[str, ConfigurableResource]:
    profile = profile or active_profile()
    merged: dict[str, ConfigurableResource] = {}
    for info in sorted(pkgutil.iter_modules(resources.__path__), key=lambda m: m.name):
        if info.ispkg:
            continue
        module = importlib.import_module(f"resources.{info.name}")
        provider = getattr(module, "profile_resources", None)
        if provider is None:
            continue
        for key, resource in provider(profile).items():
            if key in merged:
                raise ValueError(f"resource key {key!r} is defined twice (second in resources/{info.name}.py)")
            merged[key] = resource
    return merged
