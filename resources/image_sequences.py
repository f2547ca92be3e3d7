"""An animated WebP or AVIF (a chat sticker, an emote, a short loop saved from the web) as a film. FFmpeg, castforge's
decoder, cannot read an animated WebP and reads only an AVIF sequence's first picture, without its alpha; libwebp and
libavif (through Pillow) read them whole: at ingest the frames, composed on the canvas as the file says, are written
once into a lossless QuickTime Animation clip (``qtrle``, ARGB: alpha kept, so a transparent sticker is cut by its own
alpha), each frame at its own time (both formats give every frame a duration). The clip is the film's source; its
content hash stays the image's, so the same file again is a no-op. No Dagster."""

import os
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

from resources.errors import BadMediaError
from resources.media import open_image

MILLISECONDS = Fraction(1, 1000)
SHORTEST_FRAME_MS = 10  # browsers show a frame of 0-10 ms for 100 ms; a 0 ms frame would share its time with the next
SHOWN_AS_MS = 100
ANIMATION_FLAG = 0x02  # in the VP8X chunk's flags byte
SEQUENCE_SUFFIXES = {".webp", ".avif"}


def sequence_header(path: Path) -> tuple[bool, int] | None:
    """(whether the header says the image is animated, the file size its header declares) of a WebP (its RIFF
    header and VP8X flags) or an AVIF (its ``ftyp`` brands: ``avis`` is a sequence; its top-level boxes' sizes),
    read from its first bytes, so a half-copied file still says what it is; None for anything else."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(64)
            size = os.fstat(handle.fileno()).st_size
            if head[:4] == b"RIFF" and head[8:12] == b"WEBP" and len(head) >= 21:
                animated = head[12:16] == b"VP8X" and bool(head[20] & ANIMATION_FLAG)
                return animated, int.from_bytes(head[4:8], "little") + 8
            if head[4:8] == b"ftyp":
                length = int.from_bytes(head[:4], "big")
                brands = {head[i:i + 4] for i in range(8, min(length, len(head)), 4)}
                return b"avis" in brands, _boxes_end(handle, size)
    except OSError:
        return None
    return None


def _boxes_end(handle: BinaryIO, size: int) -> int:
    """Where an ISO-BMFF file's top-level boxes end by their own sizes (past ``size`` when the last one is cut)."""
    offset = 0
    while offset + 8 <= size:
        handle.seek(offset)
        header = handle.read(16)
        length = int.from_bytes(header[:4], "big")
        if length == 1 and len(header) == 16:
            length = int.from_bytes(header[8:16], "big")
        if length == 0:  # the last box runs to the file's end
            return size
        if length < 8:
            return size  # not boxes: nothing to say
        offset += length
    return max(offset, size)


def is_image_sequence(path: Path) -> bool:
    """Whether ``path`` is a WebP or AVIF whose header says it is animated (whole or not)."""
    path = Path(path)
    if path.suffix.lower() not in SEQUENCE_SUFFIXES or not path.is_file():
        return False
    header = sequence_header(path)
    return header is not None and header[0]


def frame_duration_ms(declared: int | None) -> int:
    """A frame's display time as browsers show it: a duration of 10 ms or less is shown for 100 ms."""
    return SHOWN_AS_MS if not declared or declared <= SHORTEST_FRAME_MS else int(declared)


def write_sequence_clip(image_path: Path, clip: Path) -> int:
    """Write the animated image's frames into ``clip`` (a .mov, replaced atomically); returns the number of frames.
    BadMediaError naming the file when a frame cannot be decoded (a half-copied or damaged file)."""
    import av
    import numpy as np

    header, size = sequence_header(image_path), image_path.stat().st_size
    if header is not None and size < header[1]:
        raise BadMediaError(image_path, f"is truncated: it ends {size:,} bytes into the {header[1]:,} its header "
                                        "declares (a half-copied file?)")
    clip.parent.mkdir(parents=True, exist_ok=True)
    partial = clip.with_name(f".{clip.name}.writing")
    written = 0
    try:
        with open_image(image_path) as image, av.open(str(partial), "w", format="mov") as container:
            stream = container.add_stream("qtrle", rate=1000)
            stream.width, stream.height, stream.pix_fmt = image.width, image.height, "argb"
            stream.time_base = MILLISECONDS
            declared, at_ms = getattr(image, "n_frames", 1), 0
            for index in range(declared):
                try:
                    image.seek(index)
                    rgba = np.asarray(image.convert("RGBA"))
                except (OSError, ValueError, EOFError) as error:
                    raise BadMediaError(image_path, f"is truncated or damaged: its frame {index + 1} of {declared} "
                                                    f"cannot be decoded ({error}; a half-copied file?)") from error
                frame = av.VideoFrame.from_ndarray(rgba, format="rgba").reformat(format="argb")
                frame.pts, frame.time_base = at_ms, MILLISECONDS
                duration = frame_duration_ms(image.info.get("duration"))
                for packet in stream.encode(frame):  # qtrle holds no frame back: this frame's packet
                    packet.duration = duration  # the last frame keeps its time too
                    container.mux(packet)
                at_ms += duration
                written += 1
            for packet in stream.encode():
                container.mux(packet)
        partial.replace(clip)
    finally:
        partial.unlink(missing_ok=True)
    return written
