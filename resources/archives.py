"""A zip archive of images (a fan-art pack, a screenshot dump, a comic book's .cbz) as an image set: its images are
unpacked once into the home and the film is that folder, its content hash the archive's (the same archive again is a
no-op). Unpacking takes image members only, never a path outside the folder (an absolute name or ``..``), hidden
files or macOS's ``__MACOSX`` forks; a damaged archive is refused by name. No Dagster."""

import shutil
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from resources.errors import BadMediaError
from resources.media import IMAGE_SUFFIXES

ARCHIVE_SUFFIXES = {".zip", ".cbz"}
SKIPPED_FOLDERS = {"__MACOSX"}


def is_archive(path: Path) -> bool:
    return Path(path).suffix.lower() in ARCHIVE_SUFFIXES


def unpack_root(home: Path, archive: Path) -> Path:
    """Where an archive's images go: beside the drop folder's entries (hidden from its scan) for a dropped archive,
    so its film counts as dropped, else under ``sources/``."""
    drop = (home / "drop").resolve()
    return drop / ".unpacked" if drop in Path(archive).resolve().parents else home / "sources"


def image_members(archive: zipfile.ZipFile) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """The archive's image members and the safe relative path each is unpacked to."""
    members = []
    for member in archive.infolist():
        name = PurePosixPath(member.filename.replace("\\", "/"))
        if (member.is_dir() or name.is_absolute() or ".." in name.parts or not name.parts
                or any(part.startswith(".") or part in SKIPPED_FOLDERS for part in name.parts)
                or name.suffix.lower() not in IMAGE_SUFFIXES):
            continue
        members.append((member, name))
    return members


def unpack_images(archive: Path, into: Path) -> int:
    """Unpack the archive's images into ``into`` (replaced whole, through a staging folder); returns how many.
    BadMediaError when the file is no readable zip, a member cannot be read, or it holds no image."""
    try:
        opened = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as error:
        raise BadMediaError(archive, f"is not a readable zip archive ({error}); a half-copied file?") from error
    staging = into.with_name(f".{into.name}.unpacking")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        with opened:
            members = image_members(opened)
            for member, name in members:
                target = staging.joinpath(*name.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    with opened.open(member) as source, open(target, "wb") as out:
                        shutil.copyfileobj(source, out)
                except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
                    raise BadMediaError(archive, f"is damaged: its member {member.filename} cannot be read "
                                                 f"({error})") from error
        if not members:
            raise BadMediaError(archive, f"holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
        shutil.rmtree(into, ignore_errors=True)
        staging.rename(into)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return len(members)
