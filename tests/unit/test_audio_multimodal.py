"""multimodal_datasets' build on real speech (pyannote sample, its RTTM as the speech segments) and drawn images:
triplets, LJSpeech voice folders, the Hugging Face export loaded back with datasets.load_dataset, renames, empty
films; Whisper's real code path with a tiny random model built here."""

import csv
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import soundfile as sf
from PIL import Image

from assets.audio.speech import read_rttm
from assets.multimodal.build import NO_SUBTITLES, Inputs, build
from assets.multimodal.core import MultimodalParams

SAMPLE = "media/audio/pyannote_sample"


def tiny_whisper(folder: Path) -> Path:
    """A random Whisper (2 layers, d_model 16) with a byte-level tokenizer: the real classes, no download."""
    import torch

    from resources.backends import torch_cpu_fixes

    torch_cpu_fixes.apply()
    from transformers import (WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration,
                              WhisperProcessor, WhisperTokenizer)
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    folder.mkdir(parents=True, exist_ok=True)
    vocab = {ch: i for i, ch in enumerate(bytes_to_unicode().values())}
    specials = ["<|endoftext|>", "<|startoftranscript|>", "<|en|>", "<|translate|>", "<|transcribe|>",
                "<|startoflm|>", "<|startofprev|>", "<|nocaptions|>", "<|notimestamps|>"]
    for token in specials:
        vocab[token] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = WhisperTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), unk_token=specials[0],
                                 bos_token=specials[0], eos_token=specials[0], pad_token=specials[0])
    tokenizer.add_special_tokens({"additional_special_tokens": specials[1:]})
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in specials}
    config = WhisperConfig(vocab_size=len(vocab), num_mel_bins=80, d_model=16, encoder_layers=1, decoder_layers=1,
                           encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32,
                           decoder_ffn_dim=32, max_source_positions=1500, max_target_positions=32,
                           pad_token_id=ids[specials[0]], bos_token_id=ids[specials[0]], eos_token_id=ids[specials[0]],
                           decoder_start_token_id=ids["<|startoftranscript|>"])
    torch.manual_seed(0)
    model = WhisperForConditionalGeneration(config)
    model.generation_config.decoder_start_token_id = ids["<|startoftranscript|>"]
    model.generation_config.max_length = 16
    model.save_pretrained(str(folder))
    WhisperProcessor(WhisperFeatureExtractor(feature_size=80), tokenizer).save_pretrained(str(folder))
    return folder


@pytest.fixture
def film(shared: Path, tmp_path: Path) -> dict:
    """A film's tables: the sample's two speakers mapped to two characters, each seen on frames while talking."""
    import librosa

    speech, _ = sf.read(str(shared / SAMPLE / "sample.wav"), dtype="float32")
    mix = tmp_path / "mix.wav"
    sf.write(mix, np.stack([librosa.resample(speech, orig_sr=16000, target_sr=44100)] * 2, axis=1), 44100)
    reference = read_rttm(shared / SAMPLE / "sample.rttm")
    segments = reference.with_columns((pl.col("end_s") - pl.col("start_s")).alias("duration_s"),
                                      pl.lit(1.0).alias("confidence")).drop("uri")
    speakers = sorted(segments["speaker"].unique().to_list())
    rows, faces = [], []
    for k, speaker in enumerate(speakers):
        for i, start in enumerate(segments.filter(pl.col("speaker") == speaker)["start_s"].to_list()[:3]):
            path = tmp_path / f"cut_{k}_{i}.png"
            Image.fromarray(np.full((24, 16, 4), 60 * (k + 1), np.uint8)).save(path)
            crop = tmp_path / f"face_{k}_{i}.png"
            Image.fromarray(np.full((12, 12, 3), 90 * (k + 1), np.uint8)).save(crop)
            rows.append({"instance_id": f"i{k}{i}", "identity": str(k), "timestamp_s": start + 0.2, "path": str(path)})
            faces.append({"instance_id": f"i{k}{i}", "crop_path": str(crop)})
    return {"segments": segments, "mix": mix, "instances": pl.DataFrame(rows), "faces": pl.DataFrame(faces),
            "speaker_identities": pl.DataFrame({"speaker": speakers, "identity": ["0", "1"], "name": [None, None],
                                                "confidence": [0.9, 0.8], "evidence": ["lip_sync", "cooccurrence"]}),
            "identities": pl.DataFrame({"identity": ["0", "1"], "name": ["Ada Lovelace", None]})}


def _build(film: dict, out: Path, transcriber=None, **changes) -> tuple[pl.DataFrame, pl.DataFrame, str]:
    inputs = Inputs(segments=film["segments"], speaker_identities=film["speaker_identities"],
                    identities=film["identities"], instances=film["instances"], faces=film["faces"],
                    voice_features=None, vocals_path=None, mix_path=film["mix"], film="pyannote",
                    transcription_note="" if transcriber else "no ASR weights: test")
    for key, value in changes.items():
        setattr(inputs, key, value)
    return build(inputs, out, lambda p: str(p), lambda s: Path(s), MultimodalParams(), transcriber)


def test_triplets_voice_folders_and_a_dataset_that_loads(film: dict, tmp_path: Path):
    import datasets

    items, manifest, note = _build(film, tmp_path / "out")
    assert note == "" and items.height >= 8 and set(items["character"]) == {"ada_lovelace", "pyannote_char1"}
    # the reviewed name, else the film-scoped word: the names the kohya folders and captions use
    assert (items["face_paths"].list.len() > 0).sum() >= 4 and (items["cutout_paths"].list.len() > 0).sum() >= 4
    assert (items["transcript"] == "").all() and (items["transcript_note"] == f"{NO_SUBTITLES}; no ASR weights: test").all()
    assert manifest.filter(pl.col("character") == "ada_lovelace")["speech_s"][0] == pytest.approx(
        items.filter(pl.col("identity") == "0")["duration_s"].sum(), abs=0.01)
    voice = tmp_path / "out/voices/ada_lovelace"
    # no transcripts: metadata.csv holds no line (an empty transcript is no LJSpeech line, session 38), the clips'
    # ids are in untranscribed.txt and the manifest says how many are transcribed and why the others are not
    assert (voice / "metadata.csv").read_text() == ""
    ids = (voice / "untranscribed.txt").read_text().split()
    assert ids == [Path(p).stem for p in items.filter(pl.col("identity") == "0")["voice_clip"]]
    ada = manifest.filter(pl.col("character") == "ada_lovelace").row(0, named=True)
    assert ada["transcribed"] == 0 and ada["note"] == (
        f"{len(ids)} of {len(ids)} clips have no transcript ({NO_SUBTITLES}; no ASR weights: test): left out of metadata.csv, their "
        "ids in untranscribed.txt")
    from orchestration.summary import voice_contents

    assert voice_contents(items).endswith(f"; 0 transcribed (metadata.csv), {items.height} not (untranscribed.txt): "
                                          f"{NO_SUBTITLES}; no ASR weights: test)")
    assert voice_contents(items).startswith(f" (LJSpeech: {items.height} clips: ")
    assert voice_contents(items.head(1)).startswith(" (LJSpeech: 1 clip: ")   # the Sintel trailer's one clip
    wav = voice / "wavs" / f"{ids[0]}.wav"
    info = sf.info(str(wav))
    assert info.samplerate == 22050 and info.channels == 1 and info.subtype == "PCM_16"
    import pyloudnorm

    longest = items.sort("duration_s", descending=True).row(0, named=True)
    data, rate = sf.read(str(longest["voice_clip"]))
    assert pyloudnorm.Meter(rate).integrated_loudness(data) == pytest.approx(-23.0, abs=1.5)
    loaded = datasets.load_dataset(str(tmp_path / "out/hf"), split="train")
    assert isinstance(loaded.features["image"], datasets.Image) and isinstance(loaded.features["audio"], datasets.Audio)
    with_image = loaded.filter(lambda row: row["image_kind"] == "face")
    assert with_image.num_rows >= 4 and with_image[0]["image"].size == (12, 12)
    audio = loaded.cast_column("audio", datasets.Audio(decode=False))[0]["audio"]
    assert audio["bytes"] and sf.info(__import__("io").BytesIO(audio["bytes"])).samplerate == 44100
    # written a row group at a time (a feature film's clips and images are never all in memory at once)
    import pyarrow.parquet as pq

    shard = pq.ParquetFile(tmp_path / "out/hf/data/train-00000-of-00001.parquet")
    assert loaded.num_rows > 16 and shard.metadata.num_row_groups == -(-loaded.num_rows // 16)


class FakeTranscriber:
    """Words for the clips of the first speaker, nothing heard in the others' (as an ASR returns "" on noise)."""

    def __init__(self, speaker_clips: set[str]):
        self.speaker_clips = speaker_clips

    def transcribe_file(self, path: Path) -> str:
        return " Hello,  World " if Path(path).name.removesuffix(".vocals.wav") in self.speaker_clips else ""


def test_ljspeech_metadata_holds_the_transcribed_clips_and_lists_the_others(film: dict, tmp_path: Path):
    items, _, _ = _build(film, tmp_path / "a")
    first = set(items.filter(pl.col("identity") == "0")["item_id"].head(2))
    items, manifest, _ = _build(film, tmp_path / "b", FakeTranscriber(first))
    voice = tmp_path / "b/voices/ada_lovelace"
    lines = list(csv.reader(open(voice / "metadata.csv"), delimiter="|"))
    assert sorted(line[0] for line in lines) == sorted(first)
    assert all(line[1:] == ["Hello,  World", "hello, world"] for line in lines)
    others = (voice / "untranscribed.txt").read_text().split()
    assert len(others) == items.filter(pl.col("identity") == "0").height - 2 and not set(others) & first
    assert all((voice / "wavs" / f"{clip}.wav").exists() for clip in [*first, *others])
    ada = manifest.filter(pl.col("character") == "ada_lovelace").row(0, named=True)
    assert ada["transcribed"] == 2 and "the ASR heard no words" in ada["note"]
    # every clip of the other character untranscribed; a character whose clips all have text has no list
    items, manifest, _ = _build(film, tmp_path / "c", FakeTranscriber(set(items["item_id"])))
    assert not list((tmp_path / "c/voices").glob("*/untranscribed.txt")) and (manifest["note"] == "").all()
    assert (manifest["transcribed"] == manifest["utterances"]).all()


def test_films_without_speech_or_faces_give_empty_tables_with_a_note(film: dict, tmp_path: Path):
    items, manifest, note = _build(film, tmp_path / "a", segments=film["segments"].head(0))
    assert items.is_empty() and manifest.is_empty() and "no speech" in note
    items, manifest, note = _build(film, tmp_path / "b", instances=None, faces=None)
    assert items.height >= 8 and (items["face_paths"].list.len() == 0).all() and "no identified characters" in note
    assert manifest["images"].sum() == 0
    items, _, note = _build(film, tmp_path / "c", speaker_identities=film["speaker_identities"].head(0))
    assert items.is_empty() and "not mapped" in note or "no speaker is mapped" in note


@pytest.mark.slow
def test_whisper_transcribes_through_transformers(film: dict, tmp_path: Path):
    from resources.backends.whisper_asr import WhisperTranscriber

    transcriber = WhisperTranscriber(tiny_whisper(tmp_path / "whisper"), max_new_tokens=4)
    items, _, _ = _build(film, tmp_path / "out", transcriber,
                         segments=film["segments"].filter(pl.col("duration_s") > 2).head(2))
    assert items.height == 2 and (items["transcript_note"] == "").all()
    assert all(isinstance(t, str) for t in items["transcript"])  # random weights: any text, but through generate


def test_missing_whisper_says_where_to_put_it(castforge_home: Path):
    from resources.backends.whisper_asr import WhisperTranscriber
    from resources.errors import MissingWeightsError

    with pytest.raises(MissingWeightsError, match="asr/whisper-small"):
        WhisperTranscriber()


def test_a_speaker_mapped_to_the_noise_bin_has_no_utterances():
    """voice_map can put a speaker on ``noise`` (its lip-synced faces were in no identity): a DVD-like Penny & Chip
    run (session 39, h35) then failed multimodal_datasets with KeyError 'noise'. Its speech is no character's voice."""
    from assets.multimodal.core import mapped_utterances

    segments = pl.DataFrame({"speaker": ["S0", "S1", "S0"], "start_s": [0.0, 2.0, 5.0], "end_s": [1.5, 4.0, 6.0],
                             "duration_s": [1.5, 2.0, 1.0]})
    speakers = pl.DataFrame({"speaker": ["S0", "S1"], "identity": ["identity_000", "noise"], "confidence": [0.9, 0.8]})
    identities = pl.DataFrame({"identity": ["identity_000", "identity_001"], "name": [None, None]},
                              schema={"identity": pl.String, "name": pl.String})
    out = mapped_utterances(segments, speakers, identities, MultimodalParams(), "dvd")
    assert out["speaker"].to_list() == ["S0", "S0"] and set(out["identity"]) == {"identity_000"}
    assert out["character"].to_list() == ["dvd_char0", "dvd_char0"]
