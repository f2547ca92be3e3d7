"""Subtitles as dialogue text: ASS / SSA override tags stripped, signs and typesetting told apart from dialogue,
the track to use chosen among a film's embedded streams and sidecar files. Pure functions, no PyAV (reading the
cues is ``assets/audio/subtitle_streams.py``).

FFmpeg hands every text subtitle (SubRip, ASS / SSA, mov_text, WebVTT) to its reader as an ASS event
(``ReadOrder,Layer,Style,Name,MarginL,MarginR,MarginV,Effect,Text``), so one cleaner serves them all. A line is a
sign (a shop name, a title card, karaoke) rather than dialogue when its style's name says so (``sign``, ``title``,
``song``, ``op``/``ed``, ``kara``...), when it draws (``{\\p1}``), when it is placed or moved on screen
(``\\pos``, ``\\move``, ``\\org``, ``\\clip``, ``\\fad`` with a position) or when its style is aligned to the top of
the screen (ASS numpad alignment 7-9, SSA 5-7): dialogue sits at the bottom, where the style puts it.
"""

import re
from dataclasses import dataclass

TEXT_CODECS = {"subrip", "srt", "ass", "ssa", "mov_text", "webvtt", "text", "microdvd", "subviewer", "jacosub",
               "realtext", "sami", "stl", "pjs", "mpl2", "vplayer"}
BITMAP_CODECS = {"hdmv_pgs_subtitle", "pgssub", "dvd_subtitle", "dvdsub", "dvb_subtitle", "dvbsub", "xsub",
                 "dvb_teletext"}
LANGUAGES = {"en": "eng", "ja": "jpn", "jp": "jpn", "fr": "fra", "fre": "fra", "de": "deu", "ger": "deu",
             "es": "spa", "it": "ita", "pt": "por", "ru": "rus", "zh": "zho", "chi": "zho", "ko": "kor",
             "english": "eng", "japanese": "jpn"}
SIGN_STYLE = re.compile(r"sign|title|song|^op\b|^ed\b|opening|ending|kara|lyric|note|typeset|^ts\b|insert", re.I)
PLACED = re.compile(r"\\(pos|move|org|clip|iclip)\s*\(")
DRAWING = re.compile(r"\\p[1-9]")
DRAWING_MODE = re.compile(r"\\p(\d)")
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


@dataclass(frozen=True)
class SubtitleCandidate:
    """An embedded subtitle stream (``stream_index`` set) or a sidecar file (``path`` set)."""

    source: str                 # "stream 3" | "sidecar Film.en.srt": the cues' ``source``
    codec: str
    language: str               # ISO 639-2 ("eng"), "" when untagged
    title: str = ""
    default: bool = False
    forced: bool = False
    stream_index: int | None = None
    path: str | None = None

    @property
    def is_text(self) -> bool:
        return self.codec in TEXT_CODECS

    @property
    def skip_reason(self) -> str:
        if self.codec in BITMAP_CODECS:
            return f"bitmap subtitles ({self.codec}): pictures of text, no OCR here"
        if not self.is_text:
            return f"not a text subtitle codec ({self.codec or 'unknown'})"
        return ""


def language_code(tag: str | None) -> str:
    """ISO 639-2/B-ish three-letter code for a stream tag or a file name part ("en" -> "eng"); "" for none."""
    tag = (tag or "").strip().lower()
    if tag in ("", "und", "unknown", "auto", "none"):
        return ""
    tag = tag.replace("_", "-").split("-")[0]  # en-US -> en
    return LANGUAGES.get(tag, tag)


def sidecar_language(file_name: str, film_stem: str) -> str:
    """The language a sidecar's name gives between the film's stem and the suffix (``Film.en.srt`` -> "eng";
    ``Film.srt`` -> "")."""
    middle = file_name[len(film_stem):].rsplit(".", 1)[0].strip(".")
    for part in middle.split("."):
        code = language_code(part)
        if len(code) == 3 and code.isalpha():
            return code
    return ""


def ass_styles(header: str) -> dict[str, int]:
    """Style name -> numpad alignment (1-9) from an ASS / SSA script header's styles section (SSA's legacy
    alignment 5-7 (top) and 9-11 (middle) mapped to numpad)."""
    styles, fields, legacy = {}, None, False
    for line in (header or "").splitlines():
        line = line.strip()
        if line.lower().startswith("[v4 styles]"):
            legacy = True
        if line.lower().startswith("format:") and fields is None and "name" in line.lower():
            fields = [f.strip().lower() for f in line.split(":", 1)[1].split(",")]
        elif line.lower().startswith("style:") and fields:
            values = [v.strip() for v in line.split(":", 1)[1].split(",", len(fields) - 1)]
            row = dict(zip(fields, values))
            try:
                alignment = int(row.get("alignment", "2"))
            except ValueError:
                alignment = 2
            if legacy:
                alignment = {5: 7, 6: 8, 7: 9, 9: 4, 10: 5, 11: 6}.get(alignment, alignment)
            styles[row.get("name", "")] = alignment
    return styles


def split_event(ass_line: str) -> tuple[str, str]:
    """(style, text) of FFmpeg's ASS event ``ReadOrder,Layer,Style,Name,MarginL,MarginR,MarginV,Effect,Text``."""
    parts = ass_line.split(",", 8)
    if len(parts) < 9:
        return "Default", ass_line
    return parts[2].strip(), parts[8]


def sign_reason(style: str, raw_text: str, styles: dict[str, int]) -> str:
    """Why the event is a sign or typesetting rather than dialogue ("" for dialogue)."""
    if DRAWING.search(raw_text):
        return "drawing"
    if SIGN_STYLE.search(style or ""):
        return f"style {style!r}"
    if PLACED.search(raw_text):
        return "positioned on screen"
    if styles.get(style, 2) >= 7:
        return f"style {style!r} sits at the top of the screen"
    return ""


def dialogue_text(raw_text: str) -> str:
    """The words of an ASS event's text: override blocks (``{\\i1}``), drawing commands (between ``{\\p1}`` and
    ``{\\p0}``) and HTML-like tags removed, ``\\N`` / ``\\n`` breaks and hard spaces (``\\h``) as spaces,
    whitespace collapsed."""
    words, drawing = [], False
    for block, text in re.findall(r"(\{[^}]*\})|([^{]+|\{)", raw_text):
        if block:
            modes = DRAWING_MODE.findall(block)
            drawing = bool(modes) and modes[-1] != "0" if modes else drawing
        elif not drawing:
            words.append(text)
    text = "".join(words).replace("\\N", " ").replace("\\n", " ").replace("\\h", " ")
    return " ".join(HTML_TAG.sub("", text).split())


def choose_subtitles(candidates: list[SubtitleCandidate], wanted: str,
                     audio_language: str) -> tuple[SubtitleCandidate | None, str]:
    """The track to read and why; ``wanted``: "auto", "none" or a language. ``auto``: the text track in the audio's
    language, else the default-flagged text track, else the first text one. Forced tracks (signs only) come last,
    and a sidecar file before an embedded stream of the same language (a user put it there)."""
    if wanted == "none":
        return None, "subtitles off (audio.subtitle_language: none)"
    text = [c for c in candidates if not c.skip_reason]
    if not text:
        skipped = "; ".join(f"{c.source}: {c.skip_reason}" for c in candidates)
        return None, f"no text subtitle track ({skipped})" if skipped else "no subtitle track or sidecar file"
    ranked = sorted(text, key=lambda c: (c.forced, c.path is None))
    if wanted != "auto":
        code = language_code(wanted)
        chosen = next((c for c in ranked if c.language == code), None)
        if chosen is None:
            have = ", ".join(f"{c.source} ({c.language or 'untagged'})" for c in text)
            return None, f"no text subtitle track in {code!r} (audio.subtitle_language); text tracks: {have}"
        return chosen, f"language {code} as asked"
    if audio_language:
        chosen = next((c for c in ranked if c.language == audio_language), None)
        if chosen is not None:
            return chosen, f"matches the audio language {audio_language}"
    chosen = next((c for c in ranked if c.default), None)
    if chosen is not None:
        return chosen, "default-flagged"
    return ranked[0], "first text track"
