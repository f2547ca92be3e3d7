"""Moved to resources/ingest.py (a domain module that sensors and the CLI both use without importing orchestration);
this name stays for existing imports."""

from resources.ingest import IngestOutcome, content_hash, film_slug, ingest_source, probe  # noqa: F401
