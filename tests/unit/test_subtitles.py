"""Subtitles as transcripts, pure parts: ASS text cleaning, sign detection from real script headers, the choice of
subtitle track and audio track, and the overlap rule that gives a clip its cues' text."""

import polars as pl
import pytest

from assets.audio.subtitle_streams import AudioTrack
from assets.audio.subtitles import (SubtitleCandidate, ass_styles, choose_subtitles, dialogue_text, language_code,
                                    sidecar_language, sign_reason, split_event)
from assets.audio.tracks import AudioParams, choose_audio_track
from assets.multimodal.transcripts import dialogue_cues, overlapping_text
from resources.errors import CastforgeError
from tests.subtitled_film import ASS_HEADER

SSA_HEADER = """[Script Info]
ScriptType: v4.00

[V4 Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, TertiaryColour, BackColour, Bold, Italic, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, AlphaLevel, Encoding
Style: Default,Arial,20,16777215,65535,65535,0,0,0,1,2,0,2,10,10,10,0,0
Style: Caption,Arial,20,16777215,65535,65535,0,0,0,1,2,0,6,10,10,10,0,0
"""


def test_ass_text_loses_tags_breaks_and_drawings():
    assert dialogue_text(r"{\i1}Konnichiwa{\i0}\Nmina-san") == "Konnichiwa mina-san"
    assert dialogue_text(r"{\an8\fs30\c&H00FF00&}Wait\hfor\nme!") == "Wait for me!"
    assert dialogue_text(r"{\p1}m 0 0 l 100 0 100 100 0 100{\p0}") == ""
    assert dialogue_text(r"{\p2}m 0 0 l 5 5{\p0}Hi there") == "Hi there"
    assert dialogue_text("<i>Hello</i> <font color=\"red\">you</font>,\nsecond line") == "Hello you, second line"
    assert dialogue_text("a {b") == "a {b"  # an unclosed brace is text


def test_ffmpeg_events_split_into_style_and_text():
    assert split_event(r"12,0,Sign,,0,0,0,,{\pos(320,50)}STATION, left") == ("Sign", r"{\pos(320,50)}STATION, left")
    assert split_event("no commas") == ("Default", "no commas")


def test_styles_and_signs_from_real_headers():
    styles = ass_styles(ASS_HEADER)
    assert styles == {"Default": 2, "Sign": 8, "Top": 8}
    assert ass_styles(SSA_HEADER) == {"Default": 2, "Caption": 8}  # SSA's 6: top centre
    assert sign_reason("Default", "Just talking", styles) == ""
    assert sign_reason("Sign", "STATION", styles) == "style 'Sign'"
    assert sign_reason("OP Romaji", "la la", {}) == "style 'OP Romaji'"
    assert sign_reason("Default", r"{\pos(320,40)}SHOP", styles) == "positioned on screen"
    assert sign_reason("Default", r"{\move(0,0,100,100)}x", styles) == "positioned on screen"
    assert sign_reason("Default", r"{\p1}m 0 0 l 1 1{\p0}", styles) == "drawing"
    assert sign_reason("Top", "Episode title", styles) == "style 'Top' sits at the top of the screen"
    assert sign_reason("Caption", "x", ass_styles(SSA_HEADER)).endswith("top of the screen")


def test_language_codes_and_sidecar_names():
    assert [language_code(t) for t in ("en", "eng", "ja", "JPN", "und", None, "en-US")] == \
        ["eng", "eng", "jpn", "jpn", "", "", "eng"]
    assert sidecar_language("Film.en.srt", "Film") == "eng"
    assert sidecar_language("Film.srt", "Film") == ""
    assert sidecar_language("Film.jpn.forced.ass", "Film") == "jpn"


def _candidates() -> list[SubtitleCandidate]:
    return [SubtitleCandidate("stream 3", "subrip", "eng", stream_index=3),
            SubtitleCandidate("stream 4", "ass", "jpn", default=True, stream_index=4),
            SubtitleCandidate("stream 5", "hdmv_pgs_subtitle", "eng", stream_index=5),
            SubtitleCandidate("stream 6", "ass", "eng", "Signs", forced=True, stream_index=6)]


def test_subtitle_choice_follows_the_audio_then_the_default_then_the_first():
    candidates = _candidates()
    assert choose_subtitles(candidates, "auto", "eng")[0].source == "stream 3"  # the forced (signs) track last
    assert choose_subtitles(candidates, "auto", "jpn") == (candidates[1], "matches the audio language jpn")
    assert choose_subtitles(candidates, "auto", "fra") == (candidates[1], "default-flagged")
    assert choose_subtitles([candidates[0], candidates[2]], "auto", "")[1] == "first text track"
    assert choose_subtitles(candidates, "en", "jpn")[0].source == "stream 3"
    assert choose_subtitles(candidates, "none", "jpn") == (None, "subtitles off (audio.subtitle_language: none)")
    chosen, why = choose_subtitles(candidates, "fra", "jpn")
    assert chosen is None and "no text subtitle track in 'fra'" in why and "stream 4 (jpn)" in why
    sidecar = SubtitleCandidate("sidecar Film.en.srt", "subrip", "eng", path="/films/Film.en.srt")
    assert choose_subtitles([*candidates, sidecar], "auto", "eng")[0] is sidecar  # beside the film: the user's


def test_bitmap_only_film_says_why_it_has_no_subtitles():
    bitmap = [SubtitleCandidate("stream 2", "dvd_subtitle", "eng", stream_index=2)]
    chosen, why = choose_subtitles(bitmap, "auto", "eng")
    assert chosen is None and why == ("no text subtitle track (stream 2: bitmap subtitles (dvd_subtitle): pictures "
                                      "of text, no OCR here)")


def _tracks() -> list[AudioTrack]:
    return [AudioTrack(1, 0, "aac", "jpn", "", False), AudioTrack(2, 1, "aac", "eng", "English dub", True)]


def test_audio_track_choice_and_the_error_naming_the_tracks():
    tracks = _tracks()
    assert choose_audio_track(tracks, AudioParams(), "film") == (tracks[1], "default-flagged")
    assert choose_audio_track(tracks[:1] + [AudioTrack(2, 1, "aac", "eng", "", False)], AudioParams(), "f")[1] == \
        "first audio track"
    assert choose_audio_track(tracks, AudioParams(language="ja"), "film") == (tracks[0], "language jpn as asked")
    assert choose_audio_track(tracks, AudioParams(track=0, language="eng"), "film")[0] is tracks[0]
    with pytest.raises(CastforgeError, match=r"film 'film' has no audio track in 'fra'.*#0 \(stream 1, jpn, no "
                                             r"title, aac\); #1 \(stream 2, eng, English dub, aac, default\)"):
        choose_audio_track(tracks, AudioParams(language="fr"), "film")
    with pytest.raises(CastforgeError, match="film 'film' has no audio track #2 .audio.track."):
        choose_audio_track(tracks, AudioParams(track=2), "film")
    with pytest.raises(ValueError, match="audio.track"):
        AudioParams(track=-2)


def test_a_clip_takes_the_cues_overlapping_half_of_it_or_half_of_the_cue():
    cues = dialogue_cues(pl.DataFrame({"start_s": [1.0, 4.0, 4.5, 9.0, 20.0], "end_s": [3.5, 6.0, 5.0, 19.0, 21.0],
                                       "text": ["first", "second", "SIGN", "long", "long"],
                                       "kind": ["dialogue", "dialogue", "sign", "dialogue", "dialogue"]}))
    assert overlapping_text(1.0, 3.5, cues) == "first"
    assert overlapping_text(0.5, 6.5, cues) == "first second"          # both wholly inside; the sign never counts
    assert overlapping_text(3.0, 5.0, cues) == "second"               # 0.5 s of "first" (2.5 s) is under half
    assert overlapping_text(2.2, 4.4, cues) == "first"                # 1.3 of 2.5 s of "first"; 0.4 of 2.2 s clip
    assert overlapping_text(12.0, 13.0, cues) == "long"               # a short clip inside a long cue
    assert overlapping_text(18.0, 21.0, cues) == "long"               # the same text twice in a row: once
    assert overlapping_text(6.5, 8.5, cues) == ""
    assert dialogue_cues(pl.DataFrame({"start_s": [1.0], "end_s": [2.0], "text": ["x"], "kind": ["sign"]})) is None
