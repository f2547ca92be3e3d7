"""Which audio track of a film castforge decodes and which subtitles it reads: the ``audio`` stage's settings and
the choice among a film's audio tracks. Pure functions, no PyAV (the tracks come from
``assets/audio/subtitle_streams.film_tracks``)."""

from dataclasses import dataclass

from assets.audio.dialogue_channel import checked_choice
from assets.audio.subtitle_streams import AudioTrack
from assets.audio.subtitles import language_code
from resources.errors import CastforgeError


@dataclass(frozen=True)
class AudioParams:
    language: str = "auto"           # audio track by language (eng, jpn, en...); auto: default-flagged, else first
    track: int = -1                  # audio track by position among the audio tracks (0 = first); -1: by language
    subtitle_language: str = "auto"  # auto: the audio's language, else default-flagged, else first text | none | eng
    subtitle_encoding: str = "auto"  # a sidecar file's text: auto (byte-order mark, UTF-8, else detected) | cp1252...
    speech_channel: str = "auto"     # the speech track: auto (a surround mix's front centre, its dialogue) | mix

    def __post_init__(self) -> None:
        checked_choice(self.speech_channel)
        if self.track < -1:
            raise ValueError(f"audio.track must be -1 (choose by language / default) or a track number, "
                             f"not {self.track}")


def choose_audio_track(tracks: list[AudioTrack], params: AudioParams, film: str) -> tuple[AudioTrack, str]:
    """The track to decode and why: ``track`` when set, else the first track in ``language``, else the
    default-flagged track, else the first. A track asked for that the film lacks is a CastforgeError naming the
    film and the tracks it has."""
    if not tracks:
        raise CastforgeError(f"film '{film}' has no audio track")
    have = "; ".join(t.describe() for t in tracks)
    if params.track >= 0:
        if params.track >= len(tracks):
            raise CastforgeError(f"film '{film}' has no audio track #{params.track} (audio.track); its audio "
                                 f"tracks: {have}")
        return tracks[params.track], f"track #{params.track} as asked"
    if params.language not in ("", "auto"):
        code = language_code(params.language)
        chosen = next((t for t in tracks if t.language == code), None)
        if chosen is None:
            raise CastforgeError(f"film '{film}' has no audio track in {code!r} (audio.language: "
                                 f"{params.language}); its audio tracks: {have}")
        return chosen, f"language {code} as asked"
    chosen = next((t for t in tracks if t.default), None)
    if chosen is not None:
        return chosen, "default-flagged"
    return tracks[0], "first audio track"
