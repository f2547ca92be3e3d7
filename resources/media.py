"""Probing and fingerprinting of source media: videos, audio files and image folders. Uses PyAV (FFmpeg)."""

import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from resources.errors import BadMediaError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}
AUDIO_SUFFIXES = {".wav", ".flac", ".mp3", ".ogg", ".m4a", ".aac", ".opus"}


@dataclass(frozen=True)
class MediaInfo:
    kind: str  # video | images | audio
    duration_s: float | None
    fps: float | None
    width: int | None
    height: int | None
    frame_count: int | None
    image_count: int | None
    has_audio: bool
    size_bytes: int

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


def film_slug(name: str) -> str:
    """A film key from a file or folder name: ASCII lower-case, words joined by underscores."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")
    return slug or "film_" + hashlib.sha1(name.encode()).hexdigest()[:8]


def image_files(folder: Path) -> list[Path]:
    """Images under a folder, recursively, in a stable order; hidden files and folders are skipped."""
    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def content_hash(path: Path) -> str:
    """sha256 of a file's bytes, or of an image folder's (relative path, file hash) list."""
    path = Path(path)
    if path.is_dir():
        digest = hashlib.sha256()
        for image in image_files(path):
            digest.update(str(image.relative_to(path)).encode())
            digest.update(_file_sha256(image).encode())
        return digest.hexdigest()
    return _file_sha256(path)


def _file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def probe(path: Path) -> MediaInfo:
    """What a source is, or a BadMediaError naming the file and why it cannot be used."""
    path = Path(path)
    if not path.exists():
        raise BadMediaError(path, "does not exist")
    if path.is_dir():
        return _probe_image_folder(path)
    if path.stat().st_size == 0:
        raise BadMediaError(path, "is empty (zero bytes); was the copy interrupted?")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        raise BadMediaError(path, "is a single image; ingest the folder that holds it")
    return _probe_av(path)


def _probe_image_folder(folder: Path) -> MediaInfo:
    from PIL import Image, UnidentifiedImageError

    images = image_files(folder)
    if not images:
        raise BadMediaError(folder, f"holds no images ({', '.join(sorted(IMAGE_SUFFIXES))}), nor any in subfolders")
    readable = 0
    for image in images:
        try:
            with Image.open(image) as handle:
                handle.verify()
            readable += 1
        except (UnidentifiedImageError, OSError):
            continue
    if readable == 0:
        raise BadMediaError(folder, "none of its images can be decoded")
    return MediaInfo("images", None, None, None, None, None, len(images), False,
                     sum(p.stat().st_size for p in images))


def end_tolerance_s(duration_s: float) -> float:
    """How far before its declared end a file's decoding may stop and still count as whole."""
    return max(2.0, 0.01 * duration_s)


def _decoded_end(container, stream, duration_s: float) -> float | None:
    """Seek to a few seconds before the declared end and decode on until a frame at most ``end_tolerance_s``
    from that end; returns the last time reached (None: nothing decodes there). A half-copied file whose
    header still declares the whole duration, or one whose seek lands early (a WebM cut in the middle), ends
    short."""
    import av

    reach = duration_s - end_tolerance_s(duration_s)
    last = None
    try:
        container.seek(int(max(0.0, duration_s - 3.0) * 1_000_000), any_frame=False, backward=True)
        for frame in container.decode(stream):
            if frame.time is not None:
                last = frame.time
                if last >= reach:
                    break
    except av.error.FFmpegError:
        pass
    return last


def _probe_av(path: Path) -> MediaInfo:
    import av

    try:
        container = av.open(str(path))
    except (av.error.InvalidDataError, av.error.FFmpegError, UnicodeDecodeError) as error:
        raise BadMediaError(path, f"is not a readable video or audio file ({error.__class__.__name__}: "
                                  f"{getattr(error, 'strerror', None) or error})") from error
    with container:
        video = next(iter(container.streams.video), None)
        audio = next(iter(container.streams.audio), None)
        if video is None and audio is None:
            raise BadMediaError(path, "has no video or audio stream")
        duration = float(container.duration / 1_000_000) if container.duration else None
        if video is None:
            return MediaInfo("audio", duration, None, None, None, None, None, True, path.stat().st_size)
        try:
            first = next(container.decode(video=0))
        except (StopIteration, av.error.FFmpegError) as error:
            raise BadMediaError(path, f"its video stream cannot be decoded ({error or 'no frames'}); "
                                      "the file may be truncated or corrupt") from error
        if duration and duration > 2.0:
            end = _decoded_end(container, video, duration)
            if end is None or end < duration - end_tolerance_s(duration):
                reached = f"decoding ends at {end:.1f} s" if end is not None else "nothing decodes near its end"
                raise BadMediaError(path, f"is truncated: it declares {duration:.1f} s but {reached} "
                                          "(a half-copied or damaged file?)")
        fps = float(video.average_rate) if video.average_rate else (float(video.guessed_rate or 0) or None)
        if duration is None and video.duration and video.time_base:
            duration = float(video.duration * video.time_base)
        frames = video.frames or (round(duration * fps) if duration and fps else None)
        return MediaInfo("video", duration, fps, first.width, first.height, frames, None, audio is not None,
                         path.stat().st_size)
