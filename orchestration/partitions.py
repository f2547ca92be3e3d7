"""Moved to resources/partitions.py (assets and sensors import it from there, never from orchestration);
this name stays for existing imports."""

from resources.partitions import film_partitions  # noqa: F401
