"""A sidecar subtitle file's text in whatever encoding its author saved it: fansubs and DVD rips come in Shift-JIS,
GB18030, Big5, EUC-KR or Windows-1252 as often as in UTF-8, and UTF-16 from Windows tools. FFmpeg's subtitle
demuxers take UTF-8 (with or without a byte-order mark) only: any other file failed with "Invalid data". The file is
decoded here (its byte-order mark, else strict UTF-8, else the encoding charset-normalizer finds most coherent, or
the one ``audio.subtitle_encoding`` names) and handed to FFmpeg as UTF-8 from memory."""

import codecs
import io
from pathlib import Path

# the demuxer for each sidecar suffix (resources/media.py SIDECAR_SUFFIXES)
SIDECAR_FORMATS = {".srt": "srt", ".ass": "ass", ".ssa": "ass", ".vtt": "webvtt"}
# where charset-normalizer finds several encodings equally coherent (short files: a French line reads the same in
# cp1250 and cp1252 but for its accents), the most used for subtitles wins, in this order
COMMON_ENCODINGS = ("cp1252", "cp932", "gb18030", "big5", "cp949", "cp1251", "cp1250", "cp1253", "cp1254", "cp1255",
                    "cp1256", "cp874", "euc_jp", "euc_kr", "gb2312", "koi8_r", "latin_1")
BYTE_ORDER_MARKS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
                    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class SubtitleEncodingError(ValueError):
    """The text of a subtitle file cannot be decoded in any encoding tried."""


def decode_subtitle_bytes(data: bytes, encoding: str = "auto") -> tuple[str, str]:
    """(text, the encoding it was read in). ``encoding``: "auto" or a Python codec name (cp1252, shift_jis...)."""
    if encoding not in ("", "auto"):
        try:
            return data.decode(encoding), codecs.lookup(encoding).name
        except (LookupError, UnicodeDecodeError) as error:
            raise SubtitleEncodingError(f"cannot be read as {encoding} (audio.subtitle_encoding): {error}") from error
    for mark, name in BYTE_ORDER_MARKS:  # UTF-32 LE before UTF-16 LE: its mark begins with UTF-16 LE's
        if data.startswith(mark):
            return data.decode(name), name
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise SubtitleEncodingError("is not text in any encoding charset-normalizer knows; name its encoding in "
                                    "audio.subtitle_encoding (e.g. cp1252, shift_jis, gb18030)")
    tied = [m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    chosen = min(tied, key=lambda m: min((COMMON_ENCODINGS.index(name) for name in (m.encoding, *m.could_be_from_charset)
                                          if name in COMMON_ENCODINGS), default=len(COMMON_ENCODINGS)))
    return str(chosen), chosen.encoding


def sidecar_as_utf8(path: Path, encoding: str = "auto") -> tuple[io.BytesIO, str, str]:
    """(the file's text as UTF-8 bytes to open with PyAV, its demuxer's name, the encoding it was read in)."""
    path = Path(path)
    text, read_as = decode_subtitle_bytes(path.read_bytes(), encoding)
    return io.BytesIO(text.encode("utf-8")), SIDECAR_FORMATS.get(path.suffix.lower(), "ass"), read_as
