"""Animated images as films: an animated GIF or APNG ingested alone (or dropped loose in the watched folder) is a
short clip, a video film without sound, which FFmpeg decodes (an animated WebP or AVIF, which FFmpeg cannot decode
whole, is written as a clip at ingest: resources/image_sequences.py). Its frames are counted at ingest, so a
half-copied file is refused by name."""

from pathlib import Path

from resources.errors import BadMediaError
from resources.media import MediaInfo, open_image, probe_av

# animated images FFmpeg decodes as a clip: GIF, and APNG (often named .png); an animated WebP it cannot (ingest
# writes it as a clip first)
ANIMATION_FORMATS = {"GIF", "PNG"}
GIF_TRAILER = b";"  # the byte a whole GIF ends with


def is_animated_image(path: Path) -> bool:
    """Whether an image file holds more than one frame (an animated GIF, APNG or WebP: a short clip), from Pillow's
    header reading (a GIF is read to its second frame); False for a file that is not a readable image."""
    try:
        with open_image(path) as handle:
            return bool(getattr(handle, "is_animated", False))
    except BadMediaError:
        return False


def probe_animation(path: Path) -> MediaInfo:
    """An animated image as a video film without sound, or a BadMediaError saying why it cannot be one. Its frames
    are counted by demuxing (no decoding): an APNG declares its frame count, which a cut copy falls short of; a GIF
    declares none, but a whole one ends with its trailer byte."""
    import av

    with open_image(path) as handle:
        image_format, declared = handle.format, getattr(handle, "n_frames", 1)
    if image_format not in ANIMATION_FORMATS:
        raise BadMediaError(path, f"is an animated {image_format} image, whose frames FFmpeg (castforge's decoder) "
                                  "cannot read; save it as a video, an animated GIF or PNG, or its frames as a folder "
                                  "of images")
    if image_format == "GIF":
        with open(path, "rb") as handle:
            handle.seek(-1, 2)
            if handle.read(1) != GIF_TRAILER:
                raise BadMediaError(path, "is truncated: the animated GIF does not end with its trailer byte "
                                          "(a half-copied file?)")
    times: list[tuple[int, int]] = []  # (pts, duration) of each frame's packet
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            time_base = float(stream.time_base)
            times.extend((packet.pts, packet.duration or 0) for packet in container.demux(stream)
                         if packet.size and packet.pts is not None)
    except (av.error.FFmpegError, IndexError) as error:
        read = f"after {len(times)} of its {declared} frames" if declared > 1 else "its frames"
        raise BadMediaError(path, f"is truncated or damaged: FFmpeg stops reading {read} ({error.__class__.__name__}"
                                  f": {getattr(error, 'strerror', None) or error}; a half-copied file?)") from error
    if image_format == "PNG" and len(times) < declared:
        raise BadMediaError(path, f"is truncated: the animated PNG declares {declared} frames but holds "
                                  f"{len(times)} (a half-copied file?)")
    info = probe_av(path)
    end_s = max(pts + duration for pts, duration in times) * time_base - min(pts for pts, _ in times) * time_base
    fps = len(times) / end_s if end_s > 0 else info.fps
    return MediaInfo("video", round(end_s, 6) or info.duration_s, fps, info.width, info.height, len(times), None,
                     False, info.size_bytes)
