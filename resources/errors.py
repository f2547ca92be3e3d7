"""Errors that name the file or film and say what to do."""

import difflib
import os
from collections.abc import Iterable
from pathlib import Path

from resources.relations import writer_of


def did_you_mean(word: str, choices: Iterable[str], n: int = 3) -> str:
    """``; did you mean 'a' or 'b'?`` for the names closest to a mistyped one, or an empty string."""
    close = difflib.get_close_matches(str(word), sorted(choices), n=n, cutoff=0.5)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def shown_path(path: Path | str) -> str:
    """A path as text that can be printed and stored: a name that is not UTF-8 (a Shift-JIS name from an old archive,
    held by Python as surrogate escapes) shows its odd bytes as ``\\x83``."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")


class CastforgeError(Exception):
    """Base class for errors castforge reports to a person."""


class BadMediaError(CastforgeError):
    """A video, audio or image file that cannot be used."""

    def __init__(self, path: Path | str, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{shown_path(self.path)}: {reason}")


class FilmNotFoundError(CastforgeError):
    def __init__(self, film: str):
        self.film = film
        super().__init__(f"film '{film}' is not ingested; run `castforge ingest PATH` first (see `castforge status`)")


class MissingWeightsError(CastforgeError):
    """A model backend whose weights are not on disk."""

    def __init__(self, backend: str, what: str, how: str):
        super().__init__(f"{backend}: missing weights: {what}. {how}")


class MissingUpstreamError(CastforgeError):
    """A stage's input table is not on disk; the advice names the asset that writes it."""

    def __init__(self, film: str, relation: str):
        self.film, self.relation, self.writer = film, relation, writer_of(relation)
        table = f"table '{relation}' (written by asset '{self.writer}')" if self.writer != relation else \
            f"asset '{relation}'"
        super().__init__(f"film '{film}': {table} has not been materialised yet; "
                         f"run `castforge materialize {film} --select {self.writer}`")


class ConfigError(CastforgeError):
    """A configuration layer or a run override that names an unknown section or key, or holds a bad value."""


FREE_SPACE_ADVICE = "Free space there (or set CASTFORGE_HOME to a folder on a larger disk) and run the same command again"


class DiskFullError(CastforgeError):
    """A stage that cannot write: the disk holding the film's folder is full (or under ``CASTFORGE_MIN_FREE_MB``)."""

    def __init__(self, film: str, asset: str, folder: Path | str, free: str, floor: str | None = None):
        self.film, self.asset, self.folder = film, asset, Path(folder)
        what = (f"has {free} free, under CASTFORGE_MIN_FREE_MB ({floor}): the stage did not start" if floor else
                f"is full ({free} free once the stage's partial output was removed): nothing of the stage was "
                f"kept, earlier results are intact")
        super().__init__(
            f"film '{film}', stage '{asset}': the disk holding {shown_path(self.folder)} {what}. {FREE_SPACE_ADVICE}: "
            f"finished stages are reused.")
