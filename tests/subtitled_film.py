"""A Matroska film made at test time with /usr/bin/ffmpeg: the Sintel trailer's picture, two audio tracks (the AMI
meeting mix as the default-flagged Japanese track, speaker FEE013's stem alone as an English dub), an English SubRip
track and a Japanese ASS track whose cues sit on the AMI reference turns (mixture.rttm), and a PGS (bitmap) track.
Used by tests/assets/test_subtitle_tracks.py and the session 39 end-to-end run."""

import shutil
import struct
import subprocess
from pathlib import Path

import polars as pl

AMI = "media/audio/ami_seriously"
SINTEL = "media/video/sintel_trailer_480x204.mp4"
DUB_SOURCE = "sources/source1.wav"  # the English "dub": one speaker's stem alone
LENGTH_S = 52.0
ASS_HEADER = """[Script Info]
ScriptType: v4.00+
PlayResX: 640
PlayResY: 360

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,0,2,10,10,10,1
Style: Sign,Arial,16,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,0,8,10,10,10,1
Style: Top,Arial,16,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,0,8,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
"""


def ffmpeg() -> str | None:
    return shutil.which("ffmpeg", path="/usr/bin") or shutil.which("ffmpeg")


def reference_turns(shared: Path) -> pl.DataFrame:
    """The AMI excerpt's reference turns within the film, each with the line its cues carry."""
    from assets.audio.speech import read_rttm

    turns = read_rttm(shared / AMI / "mixture.rttm").filter(pl.col("start_s") < LENGTH_S - 0.5).sort("start_s")
    turns = turns.with_columns(pl.min_horizontal(pl.col("end_s"), pl.lit(LENGTH_S)).alias("end_s"))
    return turns.with_columns(pl.Series("line", [f"{s} says line {k}" for k, s in enumerate(turns["speaker"])]))


def _clock(seconds: float, comma: bool) -> str:
    centis = round(seconds * 1000)
    h, rest = divmod(centis, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}" if comma else f"{h}:{m:02d}:{s:02d}.{ms // 10:02d}"


def write_srt(turns: pl.DataFrame, path: Path) -> Path:
    """English cues: ``<i>`` tags and a two-line cue, as SubRip files have them."""
    blocks = []
    for k, row in enumerate(turns.iter_rows(named=True)):
        words = row["line"].split(" says ")
        text = f"<i>{words[0]}</i> says\n{words[1]}"
        blocks.append(f"{k + 1}\n{_clock(row['start_s'], True)} --> {_clock(row['end_s'], True)}\n{text}\n")
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def write_ass(turns: pl.DataFrame, path: Path) -> Path:
    """Japanese-track cues (``jp: `` before each line) with override tags and ``\\N`` breaks, plus typesetting the
    reader must drop: a sign-styled line, a positioned line, a drawing and a top-aligned caption."""
    events = []
    for row in turns.iter_rows(named=True):
        speaker, line = row["line"].split(" says ")
        events.append(f"Dialogue: 0,{_clock(row['start_s'], False)},{_clock(row['end_s'], False)},Default,,0,0,0,,"
                      f"{{\\i1}}jp: {speaker}{{\\i0}}\\Nsays {line}")
    events += ["Dialogue: 0,0:00:10.00,0:00:12.00,Sign,,0,0,0,,STATION",
               "Dialogue: 0,0:00:20.00,0:00:22.00,Default,,0,0,0,,{\\pos(320,40)\\fs30}SHOP",
               "Dialogue: 0,0:00:30.00,0:00:31.00,Default,,0,0,0,,{\\p1}m 0 0 l 100 0 100 100 0 100{\\p0}",
               "Dialogue: 0,0:00:40.00,0:00:42.00,Top,,0,0,0,,Episode title"]
    path.write_text(ASS_HEADER + "\n".join(events) + "\n", encoding="utf-8")
    return path


def write_pgs(path: Path) -> Path:
    """A minimal PGS (.sup) stream: presentation composition and end segments, enough for FFmpeg to mux a
    ``hdmv_pgs_subtitle`` track (the reader must skip it by its codec, never decode it)."""
    def segment(kind: int, data: bytes, pts: int) -> bytes:
        return b"PG" + struct.pack(">IIBH", pts, 0, kind, len(data)) + data
    composition = struct.pack(">HHBHBBBB", 640, 360, 0x10, 0, 0x80, 0, 0, 0)
    path.write_bytes(b"".join(segment(kind, data, pts) for pts in (90_000, 180_000)
                              for kind, data in ((0x16, composition), (0x80, b""))))
    return path


def subtitled_film(shared: Path, folder: Path, name: str = "subtitled.mkv") -> Path:
    """The MKV (streams: 0 video, 1 audio jpn default (mix), 2 audio eng "English dub" (one stem), 3 SubRip eng,
    4 ASS jpn, 5 PGS eng)."""
    folder.mkdir(parents=True, exist_ok=True)
    turns = reference_turns(shared)
    srt, ass = write_srt(turns, folder / "eng.srt"), write_ass(turns, folder / "jpn.ass")
    sup = write_pgs(folder / "b.sup")
    out = folder / name
    subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(shared / SINTEL),
                    "-i", str(shared / AMI / "mixture.wav"), "-i", str(shared / AMI / DUB_SOURCE),
                    "-i", str(srt), "-i", str(ass), "-i", str(sup), "-t", str(LENGTH_S),
                    "-map", "0:v", "-map", "1:a", "-map", "2:a", "-map", "3", "-map", "4", "-map", "5",
                    "-c:v", "copy", "-c:a", "flac", "-c:s:0", "srt", "-c:s:1", "ass", "-c:s:2", "copy",
                    "-metadata:s:a:0", "language=jpn", "-metadata:s:a:1", "language=eng",
                    "-metadata:s:a:1", "title=English dub", "-metadata:s:s:0", "language=eng",
                    "-metadata:s:s:1", "language=jpn", "-metadata:s:s:2", "language=eng",
                    "-disposition:a:0", "default", "-disposition:a:1", "0", "-disposition:s:0", "0",
                    "-disposition:s:1", "0", str(out)], check=True)
    return out
