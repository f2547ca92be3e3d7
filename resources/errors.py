"""Errors that name the file or film and say what to do."""

from pathlib import Path


class CastforgeError(Exception):
    """Base class for errors castforge reports to a person."""


class BadMediaError(CastforgeError):
    """A video, audio or image file that cannot be used."""

    def __init__(self, path: Path | str, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class FilmNotFoundError(CastforgeError):
    def __init__(self, film: str):
        self.film = film
        super().__init__(f"film '{film}' is not ingested; run `castforge ingest PATH` first (see `castforge status`)")


class MissingWeightsError(CastforgeError):
    """A model backend whose weights are not on disk."""

    def __init__(self, backend: str, what: str, how: str):
        super().__init__(f"{backend}: missing weights: {what}. {how}")


class MissingUpstreamError(CastforgeError):
    def __init__(self, film: str, asset: str):
        super().__init__(
            f"film '{film}': asset '{asset}' has not been materialised yet; "
            f"run `castforge materialize {film} --select {asset}`"
        )
