"""An animated WebP (a chat sticker, an emote, a short loop saved from the web) as a film. FFmpeg, castforge's decoder,
cannot read animated WebP, but libwebp (through Pillow) can: at ingest its frames, composed on the canvas as the file
says, are written once into a lossless QuickTime Animation clip (``qtrle``, ARGB: alpha kept, so a transparent
sticker is cut by its own alpha) with each frame at its own time (WebP frames each carry a duration). The clip is the
film's source; its content hash stays the WebP's, so the same file again is a no-op. No Dagster."""

from fractions import Fraction
from pathlib import Path

from resources.errors import BadMediaError
from resources.media import open_image

MILLISECONDS = Fraction(1, 1000)
SHORTEST_FRAME_MS = 10  # browsers show a frame of 0-10 ms for 100 ms; a 0 ms frame would share its time with the next
SHOWN_AS_MS = 100
ANIMATION_FLAG = 0x02  # in the VP8X chunk's flags byte


def webp_header(path: Path) -> tuple[bool, int] | None:
    """(whether its VP8X header sets the animation flag, the file size its RIFF header declares) of a WebP, read
    from its first bytes (so a half-copied file still says what it is), else None."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(21)
    except OSError:
        return None
    if len(head) < 21 or head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        return None
    return head[12:16] == b"VP8X" and bool(head[20] & ANIMATION_FLAG), int.from_bytes(head[4:8], "little") + 8


def is_animated_webp(path: Path) -> bool:
    """Whether ``path`` is a WebP whose header says it is animated (whole or not)."""
    path = Path(path)
    if path.suffix.lower() != ".webp" or not path.is_file():
        return False
    header = webp_header(path)
    return header is not None and header[0]


def frame_duration_ms(declared: int | None) -> int:
    """A frame's display time as browsers show it: a duration of 10 ms or less is shown for 100 ms."""
    return SHOWN_AS_MS if not declared or declared <= SHORTEST_FRAME_MS else int(declared)


def write_webp_clip(webp: Path, clip: Path) -> int:
    """Write ``webp``'s frames into ``clip`` (a .mov, replaced atomically); returns the number of frames.
    BadMediaError naming the file when a frame cannot be decoded (a half-copied or damaged file)."""
    import av
    import numpy as np

    header, size = webp_header(webp), webp.stat().st_size
    if header is not None and size < header[1]:
        raise BadMediaError(webp, f"is truncated: it ends {size:,} bytes into the {header[1]:,} its header declares "
                                  "(a half-copied file?)")
    clip.parent.mkdir(parents=True, exist_ok=True)
    partial = clip.with_name(f".{clip.name}.writing")
    written = 0
    try:
        with open_image(webp) as image, av.open(str(partial), "w", format="mov") as container:
            stream = container.add_stream("qtrle", rate=1000)
            stream.width, stream.height, stream.pix_fmt = image.width, image.height, "argb"
            stream.time_base = MILLISECONDS
            declared, at_ms = getattr(image, "n_frames", 1), 0
            for index in range(declared):
                try:
                    image.seek(index)
                    rgba = np.asarray(image.convert("RGBA"))
                except (OSError, ValueError, EOFError) as error:
                    raise BadMediaError(webp, f"is truncated or damaged: its frame {index + 1} of {declared} cannot "
                                              f"be decoded ({error}; a half-copied file?)") from error
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
