"""A film's tracks read with PyAV: its audio and subtitle streams described, sidecar subtitle files found beside
it, and a text subtitle track's cues decoded (FFmpeg demuxes .srt / .ass / .vtt files as well as embedded streams,
so both go through one reader). No Dagster.
"""

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from assets.audio.subtitles import (SubtitleCandidate, ass_styles, dialogue_text, language_code,
                                    sidecar_language, sign_reason, split_event)
from assets.audio.subtitle_text import SubtitleEncodingError, sidecar_as_utf8
from resources.errors import BadMediaError
from resources.media import sidecar_subtitle_files

CUE_SCHEMA = {"start_s": pl.Float64, "end_s": pl.Float64, "text": pl.String, "source": pl.String,
              "style": pl.String, "kind": pl.String, "why": pl.String}
TRACK_SCHEMA = {"source": pl.String, "codec": pl.String, "language": pl.String, "title": pl.String,
                "default": pl.Boolean, "forced": pl.Boolean, "used": pl.Boolean, "reason": pl.String}


@dataclass(frozen=True)
class AudioTrack:
    index: int          # the container's stream index
    position: int       # among the audio streams (0 = the first audio track)
    codec: str
    language: str
    title: str
    default: bool
    start_s: float = 0.0  # the stream's first timestamp (its sound begins this long after the film's start)

    def describe(self) -> str:
        flags = ", default" if self.default else ""
        return f"#{self.position} (stream {self.index}, {self.language or 'untagged'}, {self.title or 'no title'}, " \
               f"{self.codec}{flags})"


def _flags(stream) -> tuple[bool, bool]:
    disposition = int(stream.disposition)
    return bool(disposition & 0x1), bool(disposition & 0x40)  # AV_DISPOSITION_DEFAULT, AV_DISPOSITION_FORCED


def film_tracks(source: Path) -> tuple[list[AudioTrack], list[SubtitleCandidate]]:
    """The audio tracks and embedded subtitle streams of a media file."""
    import av

    try:
        container = av.open(str(source))
    except (av.error.FFmpegError, UnicodeDecodeError) as error:
        raise BadMediaError(source, f"cannot be opened to read its tracks ({error})") from error
    with container:
        audio = []
        for position, stream in enumerate(container.streams.audio):
            default, _ = _flags(stream)
            audio.append(AudioTrack(stream.index, position, stream.codec_context.name,
                                    language_code(stream.metadata.get("language")),
                                    stream.metadata.get("title", ""), default,
                                    float(stream.start_time * stream.time_base) if stream.start_time else 0.0))
        subtitles = []
        for stream in container.streams.subtitles:
            default, forced = _flags(stream)
            codec = stream.codec.name if stream.codec else ""
            subtitles.append(SubtitleCandidate(f"stream {stream.index}", codec,
                                               language_code(stream.metadata.get("language")),
                                               stream.metadata.get("title", ""), default, forced,
                                               stream_index=stream.index))
    return audio, subtitles


def sidecar_candidates(source: Path) -> list[SubtitleCandidate]:
    return [SubtitleCandidate(f"sidecar {p.name}", {".srt": "subrip", ".vtt": "webvtt"}.get(p.suffix.lower(), "ass"),
                              sidecar_language(p.name, Path(source).stem), path=str(p))
            for p in sidecar_subtitle_files(source)]


def read_cues(candidate: SubtitleCandidate, source: Path, offset_s: float = 0.0, encoding: str = "auto") -> pl.DataFrame:
    """Every event of a text subtitle track: start, end (seconds on the film's clock: an embedded stream's times
    have ``offset_s``, the film's start in its container's timestamps, subtracted; a sidecar file's are already a
    player's times), cleaned text, source, style, ``kind`` (dialogue | sign) and why it is a sign. Empty events are
    dropped. A sidecar file is read in its own encoding (``encoding``: auto, or a codec name; subtitle_text.py)."""
    return read_track(candidate, source, offset_s, encoding)[0]


def read_track(candidate: SubtitleCandidate, source: Path, offset_s: float = 0.0,
               encoding: str = "auto") -> tuple[pl.DataFrame, str]:
    """``read_cues`` and the encoding a sidecar file was read in ("" for an embedded stream: UTF-8 by its
    container's rules); BadMediaError naming the file when its text cannot be read."""
    import av

    if candidate.path:
        offset_s = 0.0
    path = candidate.path or str(source)
    read_as = ""
    try:
        if candidate.path:
            text, demuxer, read_as = sidecar_as_utf8(Path(path), encoding)
            container = av.open(text, format=demuxer)
        else:
            container = av.open(path)
    except SubtitleEncodingError as error:
        raise BadMediaError(Path(path), str(error)) from error
    except (av.error.FFmpegError, UnicodeDecodeError) as error:
        raise BadMediaError(Path(path), f"its subtitles cannot be read ({error})") from error
    rows = []
    with container:
        stream = (container.streams.subtitles[0] if candidate.path else
                  next(s for s in container.streams if s.index == candidate.stream_index))
        styles = ass_styles((stream.codec_context.extradata or b"").decode("utf-8", "replace"))
        time_base = float(stream.time_base)
        try:
            for packet in container.demux(stream):
                if packet.pts is None or packet.size == 0:
                    continue
                for subtitle in stream.codec_context.decode(packet):
                    event = bytes(getattr(subtitle, "ass", b"") or b"").decode("utf-8", "replace")
                    style, raw = split_event(event)
                    text = dialogue_text(raw)
                    if not text:
                        continue
                    start = packet.pts * time_base - offset_s
                    end = start + (packet.duration or 0) * time_base
                    why = sign_reason(style, raw, styles)
                    rows.append({"start_s": round(start, 3), "end_s": round(end, 3), "text": text,
                                 "source": candidate.source, "style": style, "kind": "sign" if why else "dialogue",
                                 "why": why})
        except av.error.FFmpegError as error:
            raise BadMediaError(Path(path), f"its subtitles cannot be read past cue {len(rows)} ({error})") from error
    return pl.DataFrame(rows, schema=CUE_SCHEMA).sort("start_s"), read_as


def film_subtitles(source: Path, embedded: list[SubtitleCandidate], wanted: str, audio_language: str,
                   offset_s: float, encoding: str = "auto") -> tuple[pl.DataFrame, pl.DataFrame, str]:
    """(cues of the chosen track, one row per candidate track, note): sidecar files beside ``source`` and its
    embedded streams, chosen by ``choose_subtitles``. A chosen track whose text cannot be read gives no cues and
    says why (the transcripts then come from speech), never a failure of the film's audio."""
    from assets.audio.subtitles import choose_subtitles

    candidates = sidecar_candidates(source) + embedded
    chosen, why = choose_subtitles(candidates, wanted, audio_language)
    cues, read_as = pl.DataFrame(schema=CUE_SCHEMA), ""
    if chosen is not None:
        try:
            cues, read_as = read_track(chosen, source, offset_s, encoding)
        except BadMediaError as error:
            why = f"{why}; unreadable: {error.reason}"
            return cues, track_rows(candidates, chosen, why), f"subtitles: none ({chosen.source}, {why})"
    if chosen is not None:
        dialogue = int((cues["kind"] == "dialogue").sum())
        read = f"; read as {read_as}" if read_as and read_as not in ("utf-8", "utf-8-sig") else ""
        note = f"subtitles: {chosen.source} ({chosen.codec}, {chosen.language or 'untagged'}; {why}{read}): " \
               f"{dialogue} dialogue cues, {cues.height - dialogue} signs"
    else:
        note = f"subtitles: none ({why})"
    return cues, track_rows(candidates, chosen, why), note


def track_rows(candidates: list[SubtitleCandidate], chosen: SubtitleCandidate | None, why: str) -> pl.DataFrame:
    """One row per subtitle candidate: used or not, and why (the choice's reason, or why it was skipped)."""
    rows = [{"source": c.source, "codec": c.codec, "language": c.language, "title": c.title, "default": c.default,
             "forced": c.forced, "used": c is chosen,
             "reason": why if c is chosen else (c.skip_reason or "another track was chosen")} for c in candidates]
    return pl.DataFrame(rows, schema=TRACK_SCHEMA)
