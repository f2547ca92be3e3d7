"""Probing and fingerprinting of source media: videos, audio files and image folders. Uses PyAV (FFmpeg)."""

import hashlib
import math
import os
import re
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from resources.alpha_video import alpha_decoder, decode_packet
from resources.errors import BadMediaError, shown_path

# images as users collect them: camera and web formats, AVIF, HEIC / HEIF (phones; through pillow-heif), GIF and
# APNG (in an image folder an animated GIF, APNG, WebP or AVIF gives its first frame; ingested alone, an animated GIF
# or APNG is a video film)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".jfif", ".png", ".apng", ".webp", ".bmp", ".tif", ".tiff", ".avif", ".gif", ".heic",
                  ".heif",
                  # game sprites (Targa), archives and scans (JPEG 2000, Netpbm), QOI: read by Pillow, alpha kept
                  ".tga", ".jp2", ".j2k", ".qoi", ".ppm", ".pgm", ".pnm",
                  ".jxl",  # JPEG XL (phones' and artists' newer exports): read through pillow-jxl-plugin
                  # artists' layered documents, read flattened (resources/layered_images.py)
                  ".psd", ".psb", ".kra", ".ora"}
# formats Pillow reads through a plugin: suffix -> (its module, its package, what the image is, the function that
# registers it, or None where importing the module registers it)
PILLOW_PLUGINS = {".heic": ("pillow_heif", "pillow-heif", "a HEIC / HEIF", "register_heif_opener"),
                  ".heif": ("pillow_heif", "pillow-heif", "a HEIC / HEIF", "register_heif_opener"),
                  ".jxl": ("pillow_jxl", "pillow-jxl-plugin", "a JPEG XL", None)}
AUDIO_SUFFIXES = {".wav", ".flac", ".mp3", ".ogg", ".m4a", ".aac", ".opus", ".mka", ".wma", ".ac3", ".eac3", ".dts",
                  ".aiff", ".aif", ".m4b"}
VIDEO_SUFFIXES = {".mp4", ".mkv", ".webm", ".mov", ".avi", ".m4v", ".mpg", ".mpeg", ".ts", ".m2ts", ".mts", ".wmv",
                  ".flv", ".ogv", ".3gp", ".vob",
                  # older fansub and archive containers, and the capture / editing ones
                  ".ogm", ".rm", ".rmvb", ".divx", ".asf", ".f4v", ".mk3d", ".m2t", ".mxf", ".dv", ".y4m", ".ivf"}
SIDECAR_SUFFIXES = (".srt", ".ass", ".ssa", ".vtt")  # subtitle files beside a film, read by the audio stage
# Images above this many pixels are decoded reduced (JPEG: in the DCT, 1/2 to 1/8, without the full image in
# memory; other formats: decoded, then resized). Above MAX_IMAGE_PIXELS (or a format with no reduced decoding above
# MAX_FULL_DECODE_PIXELS) an image is reported unusable by name instead of exhausting memory.
DECODE_PIXELS = 16_000_000
MAX_FULL_DECODE_PIXELS = 250_000_000
MAX_IMAGE_PIXELS = 2_000_000_000
_pil_limit = threading.Lock()


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
    unusable: tuple[str, ...] = field(default=(), compare=False)  # image folder: "name: reason" per unusable image

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


def film_slug(name: str) -> str:
    """A film key from a file or folder name: ASCII lower-case, words joined by underscores."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")
    return slug or "film_" + hashlib.sha1(name.encode()).hexdigest()[:8]


def name_problem(path: Path) -> str | None:
    """Why a path cannot be a film's or an image's name, or None: one that is not UTF-8 text (a Shift-JIS or cp1252
    name unpacked from an old archive) cannot be stored in the catalog or a table, so it is named, with what its
    bytes likely say, for the user to rename."""
    try:
        str(path).encode("utf-8")
        return None
    except UnicodeEncodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(os.fsencode(Path(path).name)).best()
    guess = f" (read as {best.encoding} it is '{best}')" if best is not None and best.encoding not in (
        "utf_8", "ascii") else ""
    return f"its name is not UTF-8 text{guess}; rename it (e.g. with convmv) for castforge to store it"


def files_under(folder: Path, suffixes: set[str]) -> Iterator[Path]:
    """Files under a folder, recursively, whose suffix is one of ``suffixes``; hidden files and folders skipped."""
    folder = Path(folder)
    return (p for p in folder.rglob("*")
            if p.is_file() and p.suffix.lower() in suffixes
            and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def image_files(folder: Path) -> list[Path]:
    """Images under a folder, recursively, in a stable order; hidden files and folders are skipped, and so are
    images whose names are not UTF-8 (``misnamed_images``)."""
    return sorted(p for p in files_under(folder, IMAGE_SUFFIXES) if name_problem(p) is None)


def misnamed_images(folder: Path) -> list[Path]:
    """The images under a folder ``image_files`` leaves out for their names (``name_problem``)."""
    return sorted(p for p in files_under(folder, IMAGE_SUFFIXES) if name_problem(p) is not None)


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
    if (problem := name_problem(path)) is not None:
        raise BadMediaError(path, problem)
    if not path.exists():
        raise BadMediaError(path, "does not exist")
    if path.is_dir():
        return _probe_image_folder(path)
    if path.stat().st_size == 0:
        raise BadMediaError(path, "is empty (zero bytes); was the copy interrupted?")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        from resources.animation import is_animated_image, probe_animation

        if not is_animated_image(path):
            raise BadMediaError(path, "is a single image; ingest the folder that holds it")
        return probe_animation(path)
    return probe_av(path)


@contextmanager
def open_image(path: Path) -> Iterator:
    """A PIL image opened for its header only (size, mode), past PIL's decompression-bomb refusal, which would
    otherwise stop at any image over 179 MP with an error that does not name the file. BadMediaError when the file
    is not an image or claims more than MAX_IMAGE_PIXELS. A layered document (Photoshop, Krita, OpenRaster) is
    its flattened picture, decoded."""
    from PIL import Image, UnidentifiedImageError

    from resources.layered_images import flattened_image, is_layered

    if is_layered(path):
        with flattened_image(path, MAX_FULL_DECODE_PIXELS) as picture:
            yield picture
        return
    if Path(path).suffix.lower() in PILLOW_PLUGINS:
        _register_plugin(path)
    try:
        with _pil_limit:  # PIL reads the limit from a module global when opening
            previous, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, MAX_IMAGE_PIXELS // 2
            try:
                handle = Image.open(path)
            finally:
                Image.MAX_IMAGE_PIXELS = previous
    except Image.DecompressionBombError as error:
        raise BadMediaError(path, f"claims too many pixels to decode ({error})") from error
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise BadMediaError(path, f"is not a readable image ({error.__class__.__name__}: {error})") from error
    with handle:
        yield handle


def _register_plugin(path: Path) -> None:
    """Pillow reads HEIC / HEIF once pillow-heif registers its opener, JPEG XL once pillow-jxl-plugin is imported
    (install/requirements.txt has both); without the package the image is refused naming it."""
    import importlib

    module_name, package, kind, register = PILLOW_PLUGINS[Path(path).suffix.lower()]
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise BadMediaError(path, f"is {kind} image, which needs the {package} package "
                                  f"(`pip install {package}`)") from error
    if register is not None:
        getattr(module, register)()


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) from the header, without decoding pixels."""
    with open_image(path) as handle:
        return handle.size


def read_image_rgb(path: Path, max_pixels: int = DECODE_PIXELS):
    """An image as an RGB uint8 array (EXIF orientation applied), decoded reduced to at most ``max_pixels``."""
    import numpy as np
    from PIL import Image, ImageOps

    with open_image(path) as handle:
        width, height = handle.size
        try:
            if width * height > max_pixels:
                scale = math.sqrt(max_pixels / (width * height))
                target = (max(1, int(width * scale)), max(1, int(height * scale)))
                # JPEG decodes at 1/2..1/8 scale, the smallest at least the size asked: asking half the target
                # gives between half and all of it without decoding more (a no-op for other formats)
                handle.draft("RGB", (max(1, target[0] // 2), max(1, target[1] // 2)))
                if handle.size[0] * handle.size[1] > MAX_FULL_DECODE_PIXELS:
                    raise BadMediaError(path, f"is {width}x{height} px and its format cannot be decoded reduced")
                image = opaque_rgb(handle)
                image.thumbnail(target, Image.Resampling.BILINEAR)  # from at most 4x the pixels: fast, enough
            else:
                image = opaque_rgb(handle)
            image = ImageOps.exif_transpose(image)
        except (OSError, ValueError, SyntaxError) as error:
            raise BadMediaError(path, f"cannot be decoded ({error.__class__.__name__}: {error})") from error
        return np.asarray(image)


def has_transparency(image) -> bool:
    """Whether a Pillow image carries an alpha channel or a transparent palette / colour key."""
    return image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info


def opaque_rgb(image):
    """A Pillow image as RGB; a transparent one (a cut-out character in RGBA, LA or a palette with transparency)
    laid on white, as trainers' loaders do: Pillow's plain conversion keeps the hidden colour under the alpha,
    black in most exports, which merges with dark hair and outlines."""
    from PIL import Image

    if image.mode.startswith("I") or image.mode == "F":
        image = eight_bit_grey(image)
    if not has_transparency(image):
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")


def eight_bit_grey(image):
    """A 16-bit (``I;16``: PNG, TIFF scans), 32-bit integer (``I``) or float (``F``) grey image as 8-bit ``L``, its
    range kept: Pillow's own conversion clips each value to 255, so a 16-bit image came out white but for its
    darkest tones."""
    import numpy as np
    from PIL import Image

    values = np.asarray(image, dtype=np.float64)
    if image.mode.startswith("I;16") or (image.mode == "I" and values.max(initial=0) > 255):
        values = values / 257.0
    elif image.mode == "F" and values.max(initial=0) <= 1.0:
        values = values * 255.0
    return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8), "L")


def _image_problem(path: Path) -> str | None:
    """Why an image cannot be used, from its header and a structural check (no full decode), or None."""
    from PIL import ImageFile

    try:
        with open_image(path) as handle:
            width, height = handle.size
            if handle.format != "JPEG" and width * height > MAX_FULL_DECODE_PIXELS:
                return f"{width}x{height} px and its format cannot be decoded reduced"
            if isinstance(handle, ImageFile.ImageFile):  # a layered document's picture is decoded already
                handle.verify()
            if handle.format == "JPEG" and not _jpeg_ends(path):
                return "is truncated: it ends without JPEG's end-of-image marker (a half-copied or cut file)"
    except BadMediaError as error:
        return error.reason
    except Exception as error:  # verify() raises format-specific errors on damaged files
        return f"{error.__class__.__name__}: {error}"
    return None


def _jpeg_ends(path: Path, tail_bytes: int = 65536) -> bool:
    """Whether the JPEG's end-of-image marker (FF D9) is in its last ``tail_bytes``: entropy-coded data never holds
    it (an FF there is followed by 00 or a restart marker), so a cut file lacks it; data some cameras append after
    the image rarely runs to 64 KB. Pillow's verify() does not look (it decodes only the header)."""
    with open(path, "rb") as handle:
        handle.seek(max(0, path.stat().st_size - tail_bytes))
        return b"\xff\xd9" in handle.read()


def _probe_image_folder(folder: Path) -> MediaInfo:
    images = image_files(folder)
    misnamed = tuple(f"{shown_path(image.relative_to(folder))}: {name_problem(image)}"
                     for image in misnamed_images(folder))
    if not images:
        found = "; ".join(misnamed[:5]) if misnamed else \
            f"({', '.join(sorted(IMAGE_SUFFIXES))}), nor any in subfolders"
        raise BadMediaError(folder, f"holds no usable images {found}" if misnamed else f"holds no images {found}")
    broken = tuple(f"{image.relative_to(folder)}: {problem}" for image in images
                   if (problem := _image_problem(image)) is not None)
    if len(broken) == len(images):
        raise BadMediaError(folder, "none of its images can be decoded: " + "; ".join((broken + misnamed)[:5]))
    return MediaInfo("images", None, None, None, None, None, len(images), False,
                     sum(p.stat().st_size for p in images), broken + misnamed)


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
        for frame in decoded_frames(container, stream):
            if frame.time is not None:
                last = frame.time
                if last >= reach:
                    break
    except av.error.FFmpegError:
        pass
    return last


def mp4_cut_before_index(path: Path) -> str | None:
    """Why an MP4 / MOV file FFmpeg cannot open is a cut copy, or None: its top-level boxes end inside a box (most
    often 'mdat', the media data) before any 'moov' box, the index a player needs. A film written without
    faststart keeps its index at the end, so a half-copied one has none and FFmpeg only says "invalid data"."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        offset = 0
        while offset + 8 <= size:
            handle.seek(offset)
            header = handle.read(16)
            length, kind = int.from_bytes(header[:4], "big"), header[4:8].decode("latin-1")
            if length == 1 and len(header) == 16:
                length = int.from_bytes(header[8:16], "big")
            # not an ISO-BMFF file (the first box is 'ftyp'), a box to the file's end (0), a broken length, or the
            # index found: nothing to say
            if not kind.isprintable() or (offset == 0 and kind != "ftyp") or length < 8 or kind == "moov":
                return None
            if offset + length > size:
                return (f"is truncated: it ends {size - offset:,} bytes into its {length:,}-byte '{kind}' box "
                        "and has no 'moov' box (the index a player needs; a half-copied file?)")
            offset += length
    return None


MAX_FRAME_RATE = 1000.0  # above this an average rate is a clock, not frames (a DV file's reads 60000)


def frame_rate(stream: Any) -> float | None:
    """A video stream's frames per second: its average rate, else FFmpeg's guess from its timestamps (the rate
    players assume); None when neither is known. A DV stream's average rate reads its clock's 60000 ticks a second
    through PyAV, where the frames come 30000/1001 times a second."""
    average = float(stream.average_rate) if stream.average_rate else None
    if average and average <= MAX_FRAME_RATE:
        return average
    guessed = float(stream.guessed_rate) if stream.guessed_rate else None
    return guessed if guessed and guessed <= MAX_FRAME_RATE else average


def held_picture(packet: Any) -> bool:
    """Whether a demuxed packet is an empty one inside a stream: Ogg Theora's and AVI's way to show the previous
    picture on (a repeated or dropped frame). PyAV decodes an empty packet as the end of the stream, after which the
    decoder refuses every later packet; the stream's own last, timeless empty packet is that end."""
    return packet.size == 0 and packet.pts is not None


def decoded_frames(container: Any, stream: Any) -> Iterator[Any]:
    """``container.decode(stream)`` without the held pictures' empty packets (``held_picture``): every frame a
    player shows, once, with its alpha where a WebM carries it (resources/alpha_video.py). Used wherever castforge
    decodes a film's pictures."""
    decoder = alpha_decoder(stream)  # a transparent WebM's alpha layer decoded too
    for packet in container.demux(stream):
        if not held_picture(packet):
            yield from decode_packet(packet, decoder)


ATTACHED_PICTURE = 1024  # AV_DISPOSITION_ATTACHED_PIC: a cover picture (album art) stored as a one-frame video stream


def main_video_stream(container: Any) -> Any | None:
    """The film's picture stream, as a player picks it (FFmpeg's av_find_best_stream among the video streams), never
    a cover picture (an MP3's or M4A's album art, flagged as attached): None when there is no other. A Matroska file
    whose first video stream is a one-frame still before the film gives the film's stream."""
    videos = [stream for stream in container.streams.video if not int(stream.disposition) & ATTACHED_PICTURE]
    if not videos:
        return None
    best = container.streams.best("video")
    return best if best in videos else videos[0]


def film_origin_s(container: Any) -> float:
    """The time a film's clock starts from, in its streams' timestamps: the container's start (its earliest stream's
    first timestamp), as a player shows a film from 0:00. A broadcast capture (MPEG-TS) or a Blu-ray stream (M2TS)
    starts at an arbitrary time (hundreds or thousands of seconds), which the audio, decoded from its first sample,
    and subtitle cues never carry; a negative start (audio priming) is no later start: 0."""
    start = container.start_time
    return max(0.0, start / 1_000_000) if start else 0.0


def media_origin_s(path: Path) -> float:
    """``film_origin_s`` of a media file (0 when it cannot be opened: reading it then fails with its own error)."""
    import av

    try:
        with av.open(str(path)) as container:
            return film_origin_s(container)
    except (av.error.FFmpegError, UnicodeDecodeError):
        return 0.0


def probe_av(path: Path) -> MediaInfo:
    """A video or audio file as FFmpeg reads it, or a BadMediaError naming the file and why it cannot be used."""
    import av

    try:
        container = av.open(str(path))
    except (av.error.InvalidDataError, av.error.FFmpegError, UnicodeDecodeError) as error:
        cut = mp4_cut_before_index(path)
        if cut:
            raise BadMediaError(path, cut) from error
        raise BadMediaError(path, f"is not a readable video or audio file ({error.__class__.__name__}: "
                                  f"{getattr(error, 'strerror', None) or error})") from error
    with container:
        video = main_video_stream(container)
        audio = next(iter(container.streams.audio), None)
        if video is None and audio is None:
            raise BadMediaError(path, "has no video or audio stream")
        duration = float(container.duration / 1_000_000) if container.duration else None
        if video is None:
            return MediaInfo("audio", duration, None, None, None, None, None, True, path.stat().st_size)
        try:
            first = next(decoded_frames(container, video))
        except (StopIteration, av.error.FFmpegError) as error:
            raise BadMediaError(path, f"its video stream cannot be decoded ({error or 'no frames'}); "
                                      "the file may be truncated or corrupt") from error
        if duration and duration > 2.0:
            end = _decoded_end(container, video, duration)
            if end is None or end < duration - end_tolerance_s(duration):
                reached = f"decoding ends at {end:.1f} s" if end is not None else "nothing decodes near its end"
                raise BadMediaError(path, f"is truncated: it declares {duration:.1f} s but {reached} "
                                          "(a half-copied or damaged file?)")
        fps = frame_rate(video)
        if duration is None and video.duration and video.time_base:
            duration = float(video.duration * video.time_base)
        frames = video.frames or (round(duration * fps) if duration and fps else None)
        return MediaInfo("video", duration, fps, first.width, first.height, frames, None, audio is not None,
                         path.stat().st_size)


def sidecar_subtitle_files(source: Path) -> list[Path]:
    """Subtitle files beside a film named after it: ``Film.srt``, ``Film.en.srt``, ``Film.ass``, ``Film.vtt``."""
    source = Path(source)
    if not source.is_file():
        return []
    return sorted(p for p in source.parent.iterdir() if is_sidecar_of(p.name, source.stem) and p.is_file())


def is_sidecar_of(file_name: str, film_stem: str) -> bool:
    """Whether a file's name makes it a sidecar subtitle file of the film whose file name's stem is ``film_stem``."""
    stem, dot, suffix = file_name.rpartition(".")
    return bool(dot) and f".{suffix.lower()}" in SIDECAR_SUFFIXES and (stem == film_stem
                                                                     or stem.startswith(film_stem + "."))


def sidecar_fingerprint(source: Path) -> str:
    """The names and bytes of a film's sidecar subtitle files, hashed ("none" without any): a stage input, so a new
    or edited ``Film.en.srt`` makes the audio stage stale."""
    files = sidecar_subtitle_files(source)
    if not files:
        return "none"
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
