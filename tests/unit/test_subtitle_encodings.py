"""Sidecar subtitle files as their authors saved them (assets/audio/subtitle_text.py): Windows-1252 (French,
Spanish, German), Shift-JIS, GB18030, Big5, EUC-KR / cp949 and Windows-1251 without a byte-order mark, UTF-16 with
one. FFmpeg's demuxers read UTF-8 only: each of these failed with "Invalid data" and took the film's audio stage
down with it. Read through PyAV as the audio stage reads them, every cue comes back as written."""

import polars as pl
import pytest

from assets.audio.subtitle_streams import film_subtitles, read_cues
from assets.audio.subtitle_text import decode_subtitle_bytes
from assets.audio.subtitles import SubtitleCandidate

LINES = {
    "cp1252": ["Où est passé le chat ? Je l'ai cherché partout.", "Ça ne fait rien, on le retrouvera demain matin.",
               "¿Dónde está la estación? Necesito llegar antes de las ocho.", "Señor, ¡qué sorpresa verlo aquí!",
               "Grüß dich! Möchtest du ein Stück Kuchen?", "Élève-toi au-dessus des nuages, petit dragon."],
    "shift_jis": ["お前、ここで何をしているんだ？", "ちょっと待って！まだ話は終わってないよ。", "明日の朝、駅の前で会おう。",
                  "ありがとう、本当に助かったよ。", "この剣は父から受け継いだものだ。", "もう二度と逃げたりしない。"],
    "gb18030": ["你在这里做什么？快回家吧。", "等一下！我们的话还没说完呢。", "明天早上在车站前面见面。",
                "谢谢你，真的帮了我大忙。", "这把剑是我父亲留给我的。", "我再也不会逃跑了。"],
    "big5": ["你在這裡做什麼？快回家吧。", "等一下！我們的話還沒說完呢。", "明天早上在車站前面見面。",
             "謝謝你，真的幫了我大忙。", "這把劍是我父親留給我的。", "我再也不會逃跑了。"],
    "cp949": ["너 여기서 뭐 하고 있어? 빨리 집에 가.", "잠깐만! 아직 얘기 안 끝났어.", "내일 아침에 역 앞에서 만나자.",
              "고마워, 정말 큰 도움이 됐어.", "이 검은 아버지께 물려받은 거야.", "다시는 도망치지 않을 거야."],
    "cp1251": ["Что ты здесь делаешь? Иди домой.", "Подожди! Мы ещё не договорили.", "Встретимся завтра утром у вокзала.",
               "Спасибо, ты мне очень помог.", "Этот меч достался мне от отца.", "Я больше никогда не убегу."],
}


def _srt(lines: list[str]) -> str:
    return "".join(f"{k + 1}\n00:00:{2 * k + 1:02d},000 --> 00:00:{2 * k + 2:02d},500\n{line}\n\n"
                   for k, line in enumerate(lines))


def _sidecar(path) -> SubtitleCandidate:
    return SubtitleCandidate(f"sidecar {path.name}", "subrip", "", path=str(path))


@pytest.mark.parametrize("encoding, text_encoding", [(name, name) for name in LINES] +
                         [("utf-16", "shift_jis"), ("utf-8-sig", "cp1251")])
def test_a_sidecar_in_its_authors_encoding_reads_as_written(encoding, text_encoding, tmp_path):
    lines = LINES[text_encoding]
    path = tmp_path / f"Film.{encoding}.srt"
    path.write_bytes(_srt(lines).encode(encoding))
    cues = read_cues(_sidecar(path), tmp_path / "Film.mkv")
    assert cues["text"].to_list() == lines
    assert cues["start_s"].to_list() == [2.0 * k + 1 for k in range(len(lines))]


def _film(shared, folder):
    film = folder / "Film.mp4"
    film.symlink_to(shared / "media/video/2d/penny_and_chip_26shots_480p.mp4")
    return film


def test_the_film_s_note_says_which_encoding_and_a_named_one_wins(shared, tmp_path):
    film = _film(shared, tmp_path)
    (tmp_path / "Film.fr.srt").write_bytes(_srt(LINES["cp1252"]).encode("cp1252"))
    cues, tracks, note = film_subtitles(film, [], "auto", "", 0.0)
    assert cues["text"].to_list() == LINES["cp1252"]
    assert note.startswith("subtitles: sidecar Film.fr.srt (subrip, fra; ") and "read as cp1252" in note
    # the user names the encoding: it is used as named, even where detection would differ
    cues, _, _ = film_subtitles(film, [], "auto", "", 0.0, encoding="latin-1")
    assert cues["text"].to_list()[1] == LINES["cp1252"][1]


def test_an_unreadable_sidecar_gives_no_cues_and_says_why(shared, tmp_path):
    film = _film(shared, tmp_path)
    (tmp_path / "Film.srt").write_bytes(_srt(LINES["shift_jis"]).encode("shift_jis"))
    cues, tracks, note = film_subtitles(film, [], "auto", "", 0.0, encoding="ascii")
    assert cues.height == 0
    assert "unreadable: cannot be read as ascii (audio.subtitle_encoding)" in note
    assert tracks.filter(pl.col("used"))["source"].item() == "sidecar Film.srt"
    assert "cannot be read as ascii" in tracks.filter(pl.col("used"))["reason"].item()


def test_utf_8_is_read_as_utf_8_before_any_guess():
    text = _srt(["plain", "Café"])
    assert decode_subtitle_bytes(text.encode("utf-8")) == (text, "utf-8")
    assert decode_subtitle_bytes(text.encode("utf-8-sig")) == (text, "utf-8-sig")
