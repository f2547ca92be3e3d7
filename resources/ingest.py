"""Registering a source (video or audio file, or image folder) as a film in the catalog. No Dagster here: callers add the
dynamic partition (the CLI through the instance, the sensor through its SensorResult)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from resources.archives import archive_stem, is_archive, unpack_images, unpack_root
from resources.catalog import Catalog
from resources.errors import BadMediaError, CastforgeError
from resources.image_sequences import is_image_sequence, write_sequence_clip
from resources.media import MediaInfo, content_hash, film_slug, name_problem, probe
from resources.storage import FilmWorkspace


@dataclass(frozen=True)
class IngestOutcome:
    film: str
    created: bool
    message: str
    content_hash: str


def ingest_source(catalog: Catalog, path: Path, film: str | None = None) -> IngestOutcome:
    """Probe ``path``, then record it as film ``film`` (default: a slug of its name).

    The same content ingested again is a no-op that says so; a film name already used for other content is an
    error (pick another with ``--film``). A file that is not usable media raises BadMediaError naming it.
    """
    path = Path(path).expanduser().resolve()
    if is_archive(path) and path.is_file():
        return _ingest_archive(catalog, path, film)
    if is_image_sequence(path):
        return _ingest_sequence_clip(catalog, path, film)
    info = probe(path)
    # kind "audio" (an audio-only film) is accepted: the audio stages handle it; image stages have no frames to use
    film = film_slug(film) if film else film_slug(path.stem if path.is_file() else path.name)
    digest = content_hash(path)
    if (known := _known(catalog, path, film, digest, repoint=True)) is not None:
        return known
    _record(catalog, film, path, digest, info)
    return IngestOutcome(film, True, f"ingested {path.name} as film '{film}' ({info.kind}){_skipped(info)}", digest)


def _known(catalog: Catalog, path: Path, film: str, digest: str, repoint: bool) -> IngestOutcome | None:
    """The outcome when ``digest`` is already a film's content (a no-op; with ``repoint``, a film whose recorded
    source is gone is read from ``path`` from now on: the film library moved); a CastforgeError when ``film`` names
    other content; None for new content under a free name."""
    same_content = catalog.film_by_hash(digest)
    if same_content is not None:
        known, recorded = same_content["film"], Path(same_content["source_path"])
        if repoint and recorded != path and not recorded.exists():
            catalog.execute("UPDATE films SET source_path = ? WHERE film = ?", [str(path), known])
            return IngestOutcome(known, False, f"film '{known}' (same content) was read from {recorded}, which is "
                                               f"gone: it is read from {path} now; its results stay", digest)
        return IngestOutcome(known, False, f"already ingested as film '{known}' (same content); nothing to do", digest)
    existing = catalog.film(film)
    if existing is not None:
        raise CastforgeError(f"{path}: film '{film}' already exists for other content ({existing['source_path']}); "
                             f"choose another name with --film")
    return None


def _record(catalog: Catalog, film: str, source: Path, digest: str, info: MediaInfo) -> None:
    catalog.insert_rows("films", [{
        "film": film, "source_path": str(source), "content_hash": digest, "kind": info.kind,
        "duration_s": info.duration_s, "fps": info.fps, "width": info.width, "height": info.height,
        "frame_count": info.frame_count, "image_count": info.image_count, "has_audio": info.has_audio,
        "size_bytes": info.size_bytes, "ingested_at": datetime.now(timezone.utc).replace(tzinfo=None),
    }])


def _skipped(info: MediaInfo) -> str:
    return (f"; {len(info.unusable)} unusable image(s) will be skipped: " + "; ".join(info.unusable[:10])
            if info.unusable else "")


def _ingest_archive(catalog: Catalog, archive: Path, film: str | None) -> IngestOutcome:
    """An archive of images: unpacked into the home (resources/archives.py), the film that folder."""
    def unpack(root: Path, key: str) -> tuple[Path, str]:
        folder = root / key
        return folder, f"images: {unpack_images(archive, folder)} unpacked into {folder}"

    return _ingest_derived(catalog, archive, film, archive_stem(archive), unpack)


def _ingest_sequence_clip(catalog: Catalog, image: Path, film: str | None) -> IngestOutcome:
    """An animated WebP or AVIF, which FFmpeg cannot decode whole: its frames written once into a lossless clip in
    the home (resources/image_sequences.py), the film that clip."""
    def write(root: Path, key: str) -> tuple[Path, str]:
        clip = root / f"{key}.mov"
        frames = write_sequence_clip(image, clip)
        kind = image.suffix.lstrip(".").upper()
        return clip, f"an animated {kind}: {frames} frames written as a clip FFmpeg reads into {clip}"

    return _ingest_derived(catalog, image, film, image.stem, write)


def _ingest_derived(catalog: Catalog, given: Path, film: str | None, stem: str,
                    derive: Callable[[Path, str], tuple[Path, str]]) -> IngestOutcome:
    """A file castforge reads through a source it derives once into the home (``derive(root, film)`` -> that source
    and what it says of it): the film's content hash is the given file's, so the same file again is a no-op, and
    the film is never re-pointed at the given file."""
    if (problem := name_problem(given)) is not None:
        raise BadMediaError(given, problem)
    film = film_slug(film) if film else film_slug(stem)
    digest = content_hash(given)
    if (known := _known(catalog, given, film, digest, repoint=False)) is not None:
        return known
    source, said = derive(unpack_root(catalog.home, given), film)
    info = probe(source)
    _record(catalog, film, source, digest, info)
    length = f"; {info.duration_s:.2f} s" if info.kind == "video" and info.duration_s else ""
    return IngestOutcome(film, True, f"ingested {given.name} as film '{film}' ({said}{length}){_skipped(info)}",
                         digest)


def source_file(workspace: FilmWorkspace, record: dict[str, Any]) -> Path:
    """The film's source (file or image folder) as its catalog row names it; BadMediaError saying what to do when it
    is no longer there (a film library moved or renamed: ingesting the same content from its new place points the
    film at it, and every result made from it stays)."""
    path = workspace.absolute(record["source_path"])
    if not path.exists():
        raise BadMediaError(path, f"is gone (moved, renamed or deleted?); `castforge ingest NEW_PATH` points film "
                                  f"'{record['film']}' at where it is now")
    return path
