"""Subtitles and audio tracks on a real Matroska film made here with /usr/bin/ffmpeg (tests/subtitled_film.py): the
AMI meeting as the default Japanese track, one speaker's stem as an English dub, SubRip and ASS tracks with cues on
the reference turns, a PGS track. Cues read exactly, signs told apart, the bitmap track skipped with its reason,
the track asked for decoded, each voice clip given the text of its cues, the audio asset recording all of it."""

import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import soundfile as sf

from tests.conftest import build_film
from tests.subtitled_film import AMI, DUB_SOURCE, ffmpeg, reference_turns, subtitled_film, write_srt

pytestmark = pytest.mark.skipif(ffmpeg() is None, reason="ffmpeg (/usr/bin/ffmpeg) is needed to make the test film")


@pytest.fixture(scope="module")
def film_file(shared: Path, tmp_path_factory) -> Path:
    return subtitled_film(shared, tmp_path_factory.mktemp("subtitled") / "media")


def test_tracks_and_cues_read_exactly(film_file: Path, shared: Path):
    from assets.audio.subtitle_streams import film_subtitles, film_tracks, read_cues

    audio, subtitles = film_tracks(film_file)
    assert [(t.index, t.language, t.title, t.default) for t in audio] == [(1, "jpn", "", True),
                                                                          (2, "eng", "English dub", False)]
    assert [(c.source, c.codec, c.language, c.skip_reason[:15]) for c in subtitles] == [
        ("stream 3", "srt", "eng", ""), ("stream 4", "ssa", "jpn", ""),
        ("stream 5", "pgssub", "eng", "bitmap subtitle")]
    turns = reference_turns(shared)
    english = read_cues(subtitles[0], film_file)
    assert english.select("start_s", "end_s", "text").rows() == [
        (round(r["start_s"], 3), round(r["end_s"], 3), r["line"]) for r in turns.iter_rows(named=True)]
    assert set(english["kind"]) == {"dialogue"}
    japanese = read_cues(subtitles[1], film_file)
    dialogue, signs = japanese.filter(pl.col("kind") == "dialogue"), japanese.filter(pl.col("kind") == "sign")
    assert dialogue["text"].to_list() == [f"jp: {line}" for line in turns["line"]]
    assert signs.select("text", "why").rows() == [("STATION", "style 'Sign'"), ("SHOP", "positioned on screen"),
                                                  ("Episode title", "style 'Top' sits at the top of the screen")]
    cues, tracks, note = film_subtitles(film_file, subtitles, "auto", "jpn", 0.0)
    assert note == "subtitles: stream 4 (ssa, jpn; matches the audio language jpn): 16 dialogue cues, 3 signs"
    assert tracks.filter(pl.col("source") == "stream 5")["reason"].item() == (
        "bitmap subtitles (pgssub): pictures of text, no OCR here")
    assert tracks["used"].to_list() == [False, True, False]


def test_a_sidecar_file_beside_the_film_is_found_and_preferred(film_file: Path, shared: Path, tmp_path: Path):
    from assets.audio.subtitle_streams import film_subtitles, film_tracks
    from resources.media import sidecar_fingerprint, sidecar_subtitle_files

    copy = tmp_path / "Kaiwa.mkv"
    copy.symlink_to(film_file)
    turns = reference_turns(shared).head(3).with_columns(pl.format("sidecar {}", pl.col("line")).alias("line"))
    write_srt(turns, tmp_path / "Kaiwa.en.srt")
    (tmp_path / "Other.en.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nnot ours\n")
    _, embedded = film_tracks(copy)
    cues, tracks, _ = film_subtitles(copy, embedded, "eng", "jpn", 0.0)
    assert tracks["source"].to_list()[0] == "sidecar Kaiwa.en.srt" and tracks["used"].to_list()[0]
    assert cues["text"].to_list() == [f"sidecar {line}" for line in reference_turns(shared).head(3)["line"]]
    assert [p.name for p in sidecar_subtitle_files(copy)] == ["Kaiwa.en.srt"]
    before = sidecar_fingerprint(copy)
    (tmp_path / "Kaiwa.en.srt").write_text((tmp_path / "Kaiwa.en.srt").read_text().replace("line 0", "line zero"))
    assert sidecar_fingerprint(copy) not in (before, "none") and sidecar_fingerprint(film_file) == "none"


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    return float(np.corrcoef(a[:n], b[:n])[0, 1])


def test_the_track_asked_for_is_the_one_decoded(film_file: Path, shared: Path, tmp_path: Path):
    from assets.audio.extract import extract_audio

    mix, _ = sf.read(str(shared / AMI / "mixture.wav"), dtype="float32")
    dub, _ = sf.read(str(shared / AMI / DUB_SOURCE), dtype="float32")
    first = extract_audio(film_file, tmp_path / "first", 0)
    second = extract_audio(film_file, tmp_path / "second", 1)
    decoded_first, _ = sf.read(str(first.speech_path), dtype="float32")
    decoded_second, _ = sf.read(str(second.speech_path), dtype="float32")
    assert _correlation(decoded_first, mix) > 0.99 and _correlation(decoded_second, dub) > 0.99
    assert _correlation(decoded_second, mix) < 0.9
    assert abs(first.loudness_lufs - second.loudness_lufs) > 1.0


def test_each_clip_gets_the_text_of_its_cues(film_file: Path, shared: Path, tmp_path: Path):
    from assets.audio.extract import extract_audio
    from assets.audio.subtitle_streams import film_tracks, read_cues
    from assets.multimodal.build import Inputs, build
    from assets.multimodal.core import MultimodalParams

    _, subtitles = film_tracks(film_file)
    cues = read_cues(subtitles[0], film_file)
    mix = extract_audio(film_file, tmp_path / "audio", 0).separation_path
    turns = reference_turns(shared)
    segments = turns.select("speaker", "start_s", "end_s", (pl.col("end_s") - pl.col("start_s")).alias("duration_s"))
    speakers = sorted(turns["speaker"].unique())
    mapped = pl.DataFrame({"speaker": speakers, "identity": [str(k) for k in range(len(speakers))],
                           "confidence": [0.9] * len(speakers), "evidence": ["cooccurrence"] * len(speakers)})
    inputs = Inputs(segments=segments, speaker_identities=mapped, identities=None, instances=None, faces=None,
                    voice_features=None, vocals_path=None, mix_path=mix, film="kaiwa",
                    transcription_note="no ASR weights: test", cues=cues)
    items, manifest, _ = build(inputs, tmp_path / "out", lambda p: str(p), lambda s: Path(s), MultimodalParams())
    text = dict(zip(items["start_s"], items["transcript"]))
    assert text[5.18] == "MEO015 says line 2 FEE013 says line 3"   # 5.68-5.92 lies inside; 7.43-29.79 under half
    assert text[7.43] == "FEE013 says line 4 FEE016 says line 5"  # cut at 22.43 s: 18.52-18.98 inside, 22.32-22.69 not
    assert text[44.46] == "MEO015 says line 15"
    assert set(items["transcript_source"]) == {"subtitles"}
    assert manifest["from_subtitles"].sum() == items.height == manifest["transcribed"].sum()
    metadata = (tmp_path / "out" / "voices" / items["character"][0] / "metadata.csv").read_text().splitlines()
    assert metadata and all(line.split("|")[1] for line in metadata)
    no_cues = build(Inputs(**{**inputs.__dict__, "cues": cues.head(0)}), tmp_path / "bare", lambda p: str(p),
                    lambda s: Path(s), MultimodalParams())[0]
    assert set(no_cues["transcript"]) == {""} and no_cues["transcript_source"].null_count() == no_cues.height

    class FakeTranscriber:  # the ASR's place in the build: asked only for the clips no cue covers
        asked: list[str] = []

        def transcribe_file(self, path: Path) -> str:
            self.asked.append(Path(path).name)
            return "heard by the asr"

    early = cues.filter(pl.col("end_s") < 9.0)  # the cues of the first 9 s only
    mixed = build(Inputs(**{**inputs.__dict__, "cues": early}), tmp_path / "mixed", lambda p: str(p),
                  lambda s: Path(s), MultimodalParams(), FakeTranscriber())[0]
    by_start = {r["start_s"]: (r["transcript"], r["transcript_source"]) for r in mixed.iter_rows(named=True)}
    assert by_start[5.18] == ("MEO015 says line 2 FEE013 says line 3", "subtitles")
    assert by_start[44.46] == ("heard by the asr", "asr")
    assert len(FakeTranscriber.asked) == (mixed["transcript_source"] == "asr").sum() > 0


def _failures(result) -> str:
    return "\n".join(str(e.step_failure_data.error.to_string()) for e in result.all_events if e.is_step_failure)


def test_audio_asset_records_the_track_and_the_cues(castforge_home: Path, film_file: Path):
    from resources.storage import FilmWorkspace

    result = build_film(castforge_home, film_file, "kaiwa", ["audio"])
    assert result.success, _failures(result)
    workspace = FilmWorkspace("kaiwa", castforge_home)
    row = workspace.read_table("audio").row(0, named=True)
    assert (row["track_index"], row["track_language"], row["track_reason"]) == (1, "jpn", "default-flagged")
    assert row["subtitles"].startswith("subtitles: stream 4 (ssa, jpn")
    assert workspace.read_table("subtitle_cues")["source"].unique().to_list() == ["stream 4"]
    assert workspace.read_table("subtitle_tracks")["reason"].to_list()[2].startswith("bitmap subtitles (pgssub)")
    dub = build_film(castforge_home, film_file, "kaiwa", ["audio"], {"audio": {"language": "eng"}})
    assert dub.success, _failures(dub)
    row = workspace.read_table("audio").row(0, named=True)
    assert (row["track_index"], row["track_title"]) == (2, "English dub")
    cues = workspace.read_table("subtitle_cues")
    assert cues["source"].unique().to_list() == ["stream 3"] and cues["text"][0] == "FEE016 says line 0"
    missing = build_film(castforge_home, film_file, "kaiwa", ["audio"], {"audio": {"language": "fra"}})
    assert not missing.success
    assert "film 'kaiwa' has no audio track in 'fra'" in _failures(missing)
    assert "#1 (stream 2, eng, English dub, flac)" in _failures(missing)


def test_a_sidecar_added_later_makes_audio_stale_and_is_read(castforge_home: Path, film_file: Path, shared: Path,
                                                             tmp_path: Path):
    from orchestration.selection import stale_reason
    from resources.catalog import Catalog
    from resources.storage import FilmWorkspace

    film = Path(shutil.copy(film_file, tmp_path / "Later.mkv"))  # ingest resolves links: sidecars sit by the file
    assert build_film(castforge_home, film, "later", ["audio"], {"audio": {"language": "eng"}}).success
    workspace, catalog = FilmWorkspace("later", castforge_home), Catalog(castforge_home)
    assert stale_reason(workspace, catalog, "audio", {"language": "eng"}) is None
    write_srt(reference_turns(shared).head(2).with_columns(pl.format("own {}", pl.col("line")).alias("line")),
              tmp_path / "Later.en.srt")
    assert stale_reason(workspace, catalog, "audio", {"language": "eng"}) == "sidecar_subtitles changed"
    assert build_film(castforge_home, film, "later", ["audio"], {"audio": {"language": "eng"}}).success
    cues = workspace.read_table("subtitle_cues")
    assert cues["source"].unique().to_list() == ["sidecar Later.en.srt"]
    assert cues["text"].to_list() == ["own FEE016 says line 0", "own FEE013 says line 1"]
