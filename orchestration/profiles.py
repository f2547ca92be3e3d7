"""Resource sets per profile, chosen by CASTFORGE_PROFILE: ``local`` (default: CPU, offline backends) or ``gpu``;
``cluster`` and ``k8s`` run one of those two sets on a distributed executor (orchestration/executors.py).

RESOURCE_MODULES lists, in one place, every module that configures a resource per profile with
``profile_resources(profile) -> {key: ConfigurableResource}``; ``resources_for`` builds the whole mapping (a test
checks that no such module is left out). A new capability adds its module here. Resource modules import no heavy
library at import time.
"""

import importlib
import os

from dagster import ConfigurableResource

from orchestration.executors import resource_profile

PROFILES = ("local", "gpu", "cluster", "k8s")  # cluster, k8s: distributed executors (orchestration/executors.py)
RESOURCE_MODULES = (
    "resources.store",            # storage: CASTFORGE_HOME, film workspaces, the DuckDB catalog
    "resources.segmenter",        # segmenter: characters (OpenCV + cue models) | sam2
    "resources.face_analyzer",    # face_analyzer: onnx (SCRFD/YuNet + MobileFaceNet) | insightface
    "resources.face_landmarker",  # face_landmarker: dense face landmarks
    "resources.image_embedder",   # image_embedder: tflite MobileNet | transformers (CLIP / DINOv2)
    "resources.pose_estimator",   # pose_estimator: movenet | rtmpose
    "resources.captioner",        # captioner: measured facts | qwen_vl
    "resources.vocal_separator",  # vocal_separator: offline separator | demucs
    "resources.diarizer",         # diarizer: silero_resemblyzer | pyannote
)


def active_profile() -> str:
    profile = os.environ.get("CASTFORGE_PROFILE", "local")
    if profile not in PROFILES:
        raise ValueError(f"CASTFORGE_PROFILE={profile!r}: expected one of {PROFILES}")
    return profile


def resources_for(profile: str | None = None) -> dict[str, ConfigurableResource]:
    """The profile's resources: one mapping, resource key -> configured resource."""
    profile = resource_profile(profile or active_profile())   # cluster and k8s run the local or gpu resource set
    merged: dict[str, ConfigurableResource] = {}
    for name in RESOURCE_MODULES:
        for key, resource in importlib.import_module(name).profile_resources(profile).items():
            if key in merged:
                raise ValueError(f"resource key {key!r} is defined twice (second in {name})")
            merged[key] = resource
    return merged
