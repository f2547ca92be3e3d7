"""The audio assets materialised on real films: the Sintel trailer (AAC stereo), an audio-only film (pyannote's
two-speaker sample), an image-folder film (no audio) and a corrupt file."""

import shutil
from pathlib import Path

import polars as pl
import pytest
import soundfile as sf

from tests.conftest import KNN_TRAIN, SINTEL, build_film

AUDIO_STAGES = ["audio", "vocals", "diarization", "voice_features"]


def _failure_messages(result) -> str:
    return "\n".join(str(event.step_failure_data.error.to_string()) for event in result.all_events
                     if event.is_step_failure)


def test_sintel_soundtrack_end_to_end(castforge_home: Path, shared: Path):
    from resources.catalog import Catalog
    from resources.storage import FilmWorkspace

    result = build_film(castforge_home, shared / SINTEL, "sintel", AUDIO_STAGES)
    assert result.success, _failure_messages(result)
    workspace, catalog = FilmWorkspace("sintel", castforge_home), Catalog(castforge_home)
    audio = workspace.read_table("audio").row(0, named=True)
    assert audio["codec"] == "aac" and audio["duration_s"] == pytest.approx(52.15, abs=0.2)
    vocals = workspace.read_table("vocals").row(0, named=True)
    assert vocals["backend"] == "spectral"
    assert sf.info(str(workspace.absolute(vocals["vocals_path"]))).duration == pytest.approx(audio["duration_s"], abs=0.05)
    segments = catalog.query("SELECT * FROM speech_segments WHERE film = 'sintel' ORDER BY start_s")
    assert segments.height >= 1 and (segments["end_s"] > segments["start_s"]).all()
    assert segments["start_s"].min() > 5.0  # the trailer opens on music; the dialogue comes later
    speakers = workspace.read_table("diarization")
    assert all(workspace.absolute(p).exists() for clips in speakers["clip_paths"] for p in clips)
    rttm = workspace.artefact_dir("diarization") / "sintel.rttm"
    assert len(rttm.read_text().splitlines()) == segments.height
    features = workspace.read_table("voice_features")
    assert set(features["speaker"]) == set(speakers["speaker"]) and features["f0_median_hz"].drop_nans().len() >= 1
    again = build_film(castforge_home, shared / SINTEL, "sintel", AUDIO_STAGES)
    assert again.success
    runs = catalog.query("SELECT asset, status FROM materializations WHERE film = 'sintel' AND asset = 'diarization' "
                         "ORDER BY finished_at")
    assert runs["status"].to_list()[-1] == "cached"
    on_vocals = build_film(castforge_home, shared / SINTEL, "sintel", ["diarization"],
                           {"diarization": {"source": "vocals"}})
    assert on_vocals.success, _failure_messages(on_vocals)
    assert workspace.read_stage_record("diarization")["params"]["source"] == "vocals"
    assert workspace.read_table("speech_segments").height >= 1


def test_audio_only_film(castforge_home: Path, shared: Path):
    from resources.catalog import Catalog
    from resources.storage import FilmWorkspace

    result = build_film(castforge_home, shared / "media/audio/pyannote_sample/sample.wav", "sample",
                        ["audio", "diarization", "voice_features"])
    assert result.success, _failure_messages(result)
    assert Catalog(castforge_home).film("sample")["kind"] == "audio"
    workspace = FilmWorkspace("sample", castforge_home)
    assert workspace.read_table("audio")["source_channels"].to_list() == [1]
    assert workspace.read_table("diarization").height == 2
    features = workspace.read_table("voice_features")
    assert features.height == 2 and features["identity"].null_count() == 2  # no faces: speakers stay unnamed


def test_image_folder_film_has_no_audio(castforge_home: Path, shared: Path):
    from resources.storage import FilmWorkspace

    result = build_film(castforge_home, shared / KNN_TRAIN, "knn_train", AUDIO_STAGES)
    assert result.success, _failure_messages(result)
    workspace = FilmWorkspace("knn_train", castforge_home)
    assert workspace.read_table("audio").height == 0
    assert "no audio track" in workspace.read_stage_record("audio")["note"]
    for relation in ("vocals", "diarization", "speech_segments", "voice_features"):
        assert workspace.read_table(relation).height == 0


def test_corrupt_audio_fails_naming_the_file(castforge_home: Path, shared: Path, tmp_path: Path):
    from dagster import DagsterInstance

    from orchestration.cli import materialize_film
    from orchestration.ingest import ingest_source
    from resources.catalog import Catalog

    copy = tmp_path / "damaged_trailer.mp4"
    shutil.copy(shared / SINTEL, copy)
    film = ingest_source(Catalog(castforge_home), copy).film
    DagsterInstance.get().add_dynamic_partitions("film", [film])
    copy.write_bytes((shared / SINTEL).read_bytes()[:60_000])  # damaged after ingest: cut short
    result = materialize_film(film, ["audio"])
    assert not result.success
    assert "damaged_trailer.mp4" in _failure_messages(result) and "truncated" in _failure_messages(result)


def test_voice_map_on_sintel_with_identities(copy_home, sintel_frames_home: Path):
    """Identity tables are hand-made over the real frames (the identity stage is another issue's)."""
    from dagster import AssetKey, DagsterInstance, materialize

    from orchestration.cli import materialize_film
    from orchestration.definitions import build_definitions
    from resources.catalog import Catalog
    from resources.storage import FilmWorkspace

    home = copy_home(sintel_frames_home)
    assert materialize_film("sintel", ["diarization"]).success
    workspace = FilmWorkspace("sintel", home)
    segments = workspace.read_table("speech_segments")
    frames = workspace.read_table("frames").filter(pl.col("kept"))
    talker = segments.sort("duration_s", descending=True).row(0, named=True)
    on_screen = frames.with_columns(
        pl.when(pl.col("timestamp_s").is_between(talker["start_s"] - 1, talker["end_s"] + 1))
        .then(pl.lit("id_hero")).otherwise(pl.lit("id_other")).alias("identity"))
    instances = on_screen.select(("i_" + pl.col("frame_id")).alias("instance_id"), "frame_id", "timestamp_s")
    for relation, table in {
        "instances": instances,
        "instance_identities": on_screen.select(("i_" + pl.col("frame_id")).alias("instance_id"), "identity",
                                                pl.lit("auto").alias("source"), pl.lit(0.9).alias("confidence")),
        "identities": pl.DataFrame({"identity": ["id_hero", "id_other"], "name": ["Hero", None]}),
    }.items():
        workspace.write_table(relation, table)
        workspace.write_stage_record(relation, {"fingerprint": f"handmade-{relation}"})
    defs = build_definitions()
    result = materialize(list(defs.assets), selection=[AssetKey("voice_map")], partition_key="sintel",
                         resources=defs.resources, instance=DagsterInstance.get())
    assert result.success, _failure_messages(result)
    mapped = Catalog(home).query("SELECT * FROM speaker_identities WHERE film = 'sintel'")
    hero = mapped.filter(pl.col("speaker") == talker["speaker"]).row(0, named=True)
    assert (hero["identity"], hero["name"]) == ("id_hero", "Hero") and 0 < hero["confidence"] <= 1
    assert hero["frames"] >= 1
    # the multimodal dataset: the hero's lines with the hero's cut-outs, exported for datasets and TTS trainers
    import datasets

    workspace.write_table("instances", instances.with_columns(pl.lit("").alias("path")))
    result = materialize(list(defs.assets), selection=[AssetKey("multimodal_datasets")], partition_key="sintel",
                         resources=defs.resources, instance=DagsterInstance.get())
    assert result.success, _failure_messages(result)
    items = workspace.read_table("multimodal_items")
    hero_items = items.filter(pl.col("speaker") == talker["speaker"])
    assert hero_items.height >= 1 and set(hero_items["character"]) == {"hero"} and set(hero_items["name"]) == {"Hero"}
    assert all(workspace.absolute(p).exists() for p in hero_items["vocals_clip"].to_list() + hero_items["mix_clip"].to_list())
    assert (hero_items["transcript_note"].str.contains("no ASR weights")).all()  # no Whisper in ../shared
    manifest = Catalog(home).query("SELECT * FROM multimodal_datasets WHERE film = 'sintel'")
    assert manifest.filter(pl.col("character") == "hero")["utterances"][0] == hero_items.height
    folder = workspace.artefact_dir("multimodal")
    assert (folder / "voices/hero/metadata.csv").exists()   # the folder the kohya export names 10_hero
    assert datasets.load_dataset(str(folder / "hf"), split="train").num_rows >= hero_items.height
