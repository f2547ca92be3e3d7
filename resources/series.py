"""A folder of episodes is a series: each video in it (subfolders included, "Season 1/...") becomes its own film,
keyed ``<series>_<episode>``, whose identities are shared with the series' other episodes through the franchise
prototype store (``identity_clusters.franchise: <series>``, written into the episode's
``$CASTFORGE_HOME/configs/films/<film>.yaml`` unless the user has that file already). No Dagster here."""

import re
from dataclasses import dataclass, field
from pathlib import Path

from resources.catalog import Catalog
from resources.errors import CastforgeError, shown_path
from resources.media import VIDEO_SUFFIXES, film_slug, files_under, image_files, name_problem


@dataclass
class SeriesOutcome:
    series: str
    films: list[str] = field(default_factory=list)       # every episode's film, new or already ingested
    created: list[str] = field(default_factory=list)
    refused: list[tuple[Path, str]] = field(default_factory=list)  # (episode, reason)
    message: str = ""


def episode_files(folder: Path) -> list[Path]:
    """The videos under a folder, recursively, in name order; hidden files and folders skipped."""
    return sorted(files_under(folder, VIDEO_SUFFIXES))


def is_series(path: Path) -> bool:
    """Whether a dropped or ingested folder is a series (it holds videos) rather than an image set."""
    return Path(path).is_dir() and bool(episode_files(path))


TAGS = re.compile(r"\[[^\]]*\]|\([^)]*\)|\{[^}]*\}")  # release tags: [Group], [1080p], (BD), {CRC}


def episode_film(series: str, folder: Path, episode: Path) -> str:
    """``<series>_<episode>``: the episode's path inside the folder, without its suffix, release tags or the
    series' own name, as a slug ("Season 1/[Group] Show - 01 [1080p].mkv" in "Show" -> ``show_season_1_01``)."""
    name = str(episode.relative_to(folder).with_suffix(""))
    untagged = TAGS.sub(" ", name)
    short = film_slug(untagged) if re.search(r"[0-9A-Za-z]", untagged) else ""
    short = re.sub(rf"(^|_){re.escape(series)}(?=_|$)", "", short).strip("_")
    return f"{series}_{short or film_slug(name)}"


def franchise_settings(home: Path, film: str, series: str) -> Path | None:
    """Write ``configs/films/<film>.yaml`` naming the series as the film's franchise; None (nothing written) when
    the user already has a settings file for that film."""
    path = home / "configs" / "films" / f"{film}.yaml"
    if path.exists():
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (f"# written by `castforge ingest`: an episode of the series '{series}', its identities shared with the "
            f"series' other episodes\nidentity_clusters:\n  franchise: {series}\n")
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text)
    temporary.replace(path)
    return path


def ingest_series(catalog: Catalog, folder: Path, series: str | None = None) -> SeriesOutcome:
    """Each episode of ``folder`` ingested as its own film (``resources.ingest.ingest_source``); an episode that
    cannot be used is refused with its reason and the others go on. CastforgeError when none can be ingested."""
    from resources.ingest import ingest_source

    folder = Path(folder).expanduser().resolve()
    outcome = SeriesOutcome(film_slug(series) if series else film_slug(folder.name))
    for episode in episode_files(folder):
        if (problem := name_problem(episode)) is not None:
            outcome.refused.append((episode, problem))
            continue
        film = episode_film(outcome.series, folder, episode)
        try:
            ingested = ingest_source(catalog, episode, film)
        except CastforgeError as error:
            outcome.refused.append((episode, getattr(error, "reason", str(error))))
            continue
        franchise_settings(catalog.home, ingested.film, outcome.series)
        outcome.films.append(ingested.film)
        if ingested.created:
            outcome.created.append(ingested.film)
    if not outcome.films:
        reasons = "; ".join(f"{shown_path(e.name)}: {why}" for e, why in outcome.refused[:5])
        raise CastforgeError(f"{shown_path(folder)}: no episode of the series could be ingested: {reasons}")
    refused = ("; refused: " + "; ".join(f"{shown_path(e.relative_to(folder))}: {why}" for e, why in outcome.refused)
               if outcome.refused else "")
    images = image_files(folder)
    beside = (f"; {len(images)} image(s) beside the episodes left out (ingest their folder on its own)"
              if images else "")
    outcome.message = (f"ingested {folder.name} as the series '{outcome.series}': {len(outcome.films)} episode(s) "
                       f"({len(outcome.created)} new), identities shared through the franchise '{outcome.series}'"
                       f"{refused}{beside}")
    return outcome
