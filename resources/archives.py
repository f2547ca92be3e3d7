"""An archive of images (a fan-art pack, a screenshot dump, a comic book) as an image set: its images are unpacked
once into the home and the film is that folder, its content hash the archive's (the same archive again is a no-op).
Zip (``.zip`` / ``.cbz``) is read by Python's zipfile; 7-Zip, RAR and tar archives (``.7z .cb7 .rar .cbr .tar .cbt``
and gzip / bzip2 / xz compressed tars) by libarchive (libarchive-c over the system's libarchive). Unpacking takes
image members only, never a path outside the folder (an absolute name or ``..``), links, hidden files or macOS's
``__MACOSX`` forks; a damaged, half-copied, encrypted or multi-volume archive is refused by name. No Dagster."""

import re
import shutil
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from resources.errors import BadMediaError
from resources.media import IMAGE_SUFFIXES

ZIP_SUFFIXES = (".zip", ".cbz")
LIBARCHIVE_SUFFIXES = (".7z", ".cb7", ".rar", ".cbr", ".tar", ".cbt", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2",
                       ".tar.xz", ".txz")
ARCHIVE_SUFFIXES = ZIP_SUFFIXES + LIBARCHIVE_SUFFIXES
SKIPPED_FOLDERS = {"__MACOSX"}
VOLUME = re.compile(r"\.part\d+\.rar$", re.IGNORECASE)  # WinRAR's volumes: name.part1.rar, name.part2.rar, ...


def archive_suffix(path: Path) -> str | None:
    """The archive suffix the name ends with (the longest: ``.tar.gz`` before ``.gz``), else None."""
    name = Path(path).name.lower()
    return max((s for s in ARCHIVE_SUFFIXES if name.endswith(s) and len(name) > len(s)), key=len, default=None)


def is_archive(path: Path) -> bool:
    return archive_suffix(path) is not None


def archive_stem(path: Path) -> str:
    """The name without its archive suffix (``Pack.tar.gz`` -> ``Pack``)."""
    suffix = archive_suffix(path)
    name = Path(path).name
    return name[:-len(suffix)] if suffix else Path(path).stem


def unpack_root(home: Path, archive: Path) -> Path:
    """Where a source castforge derives from a file goes (an archive's images, an animated image's clip): beside
    the drop folder's entries (hidden from its scan) for a dropped file, so its film counts as dropped, else under
    ``sources/``."""
    drop = (home / "drop").resolve()
    return drop / ".unpacked" if drop in Path(archive).resolve().parents else home / "sources"


def safe_image_name(member_name: str) -> PurePosixPath | None:
    """The relative path an image member is unpacked to, or None for a member that is not taken (no image, a path
    outside the folder, a hidden file or a macOS fork)."""
    name = PurePosixPath(member_name.replace("\\", "/"))
    if (name.is_absolute() or ".." in name.parts or not name.parts
            or any(part.startswith(".") or part in SKIPPED_FOLDERS for part in name.parts)
            or name.suffix.lower() not in IMAGE_SUFFIXES):
        return None
    return name


def unpack_images(archive: Path, into: Path) -> int:
    """Unpack the archive's images into ``into`` (replaced whole, through a staging folder); returns how many.
    BadMediaError when the file is no readable archive, a member cannot be read, or it holds no image."""
    if VOLUME.search(archive.name):
        raise BadMediaError(archive, "is one volume of a multi-volume archive: unpack its volumes together (from "
                                     "the first) and ingest the folder")
    reader = _zip_members if archive_suffix(archive) in ZIP_SUFFIXES else _libarchive_members
    staging = into.with_name(f".{into.name}.unpacking")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    count = 0
    try:
        for name, chunks in reader(archive):
            target = staging.joinpath(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
            count += 1
        if not count:
            raise BadMediaError(archive, f"holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
        shutil.rmtree(into, ignore_errors=True)
        staging.rename(into)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return count


def _zip_members(archive: Path) -> Iterator[tuple[PurePosixPath, Iterator[bytes]]]:
    """The image members of a zip and their bytes, read as the caller writes them."""
    try:
        opened = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as error:
        raise BadMediaError(archive, f"is not a readable zip archive ({error}); a half-copied file?") from error
    with opened:
        for member in opened.infolist():
            name = None if member.is_dir() else safe_image_name(member.filename)
            if name is not None:
                yield name, _zip_chunks(opened, member, archive)


def _zip_chunks(opened: zipfile.ZipFile, member: zipfile.ZipInfo, archive: Path) -> Iterator[bytes]:
    try:
        with opened.open(member) as source:
            while chunk := source.read(1 << 20):
                yield chunk
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as error:
        raise BadMediaError(archive, _member_problem(member.filename, error)) from error


def _libarchive_members(archive: Path) -> Iterator[tuple[PurePosixPath, Iterator[bytes]]]:
    """The image members of a 7-Zip, RAR or tar archive and their bytes (libarchive reads them in order)."""
    try:
        import libarchive
        from libarchive.exception import ArchiveError
    except (ImportError, OSError) as error:  # OSError: the package is there, the system's libarchive is not
        raise ImportError(f"{archive.name}: reading 7-Zip, RAR and tar archives needs libarchive-c and the "
                          "system's libarchive (`make setup`; Debian: apt-get install libarchive13); or unpack it "
                          "yourself and ingest the folder") from error
    member = None
    try:
        with libarchive.file_reader(str(archive)) as entries:
            for entry in entries:
                member = entry.pathname
                name = safe_image_name(member) if entry.isfile and not (entry.issym or entry.islnk) else None
                if name is not None:
                    yield name, _libarchive_chunks(entry.get_blocks(), archive, member, ArchiveError)
    except ArchiveError as error:
        if member is None:
            raise BadMediaError(archive, f"is not a readable {_kind(archive)} archive ({_libarchive_message(error)})"
                                         "; a half-copied file?") from error
        raise BadMediaError(archive, _member_problem(member, _libarchive_message(error))) from error


def _libarchive_chunks(blocks: Iterator[bytes], archive: Path, member: str, errors: type) -> Iterator[bytes]:
    try:
        yield from blocks
    except errors as error:
        raise BadMediaError(archive, _member_problem(member, _libarchive_message(error))) from error


def _kind(archive: Path) -> str:
    suffix = archive_suffix(archive) or ""
    return "7-Zip" if suffix in (".7z", ".cb7") else "RAR" if suffix in (".rar", ".cbr") else "tar"


def _member_problem(member: str, error: object) -> str:
    text = str(error)
    if re.search(r"encrypt|passphrase|password", text, re.IGNORECASE):
        return f"is encrypted (its member {member} needs a password): unpack it yourself and ingest the folder"
    return f"is damaged or half-copied: its member {member} cannot be read ({text})"


def _libarchive_message(error: Exception) -> str:
    return re.sub(r"\s*\(errno=.*\)\s*$", "", str(error))  # libarchive's text without its codes and pointer
