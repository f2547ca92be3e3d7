"""The review's data version: one per film, the film's review revision (no Dagster import)."""

from typing import Any

DATA_VERSION_TAG = "dagster/data_version"  # dagster's DATA_VERSION_TAG (kept literal: core imports no dagster)


def data_version(revision: int) -> str:
    return f"review-r{int(revision)}"


def data_version_tags(revision: int) -> dict[str, Any]:
    return {DATA_VERSION_TAG: data_version(revision)}
