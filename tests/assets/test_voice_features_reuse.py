"""voice_features after a review (speakers renamed through speaker_identities) describes no voice again, and a
speaker whose turns changed is described again alone: the table equals a full recompute (pyannote's sample)."""

import json
from pathlib import Path

import polars as pl

from tests.conftest import build_film

SAMPLE = "media/audio/pyannote_sample/sample.wav"


def _voices(home: Path, shared: Path) -> tuple[pl.DataFrame, dict]:
    """voice_features materialised; its table and the materialization's metadata values."""
    from resources.storage import FilmWorkspace

    result = build_film(home, shared / SAMPLE, "sample", ["voice_features"])
    assert result.success
    events = result.asset_materializations_for_node("voice_features")
    metadata = {k: getattr(v, "value", v) for k, v in events[0].metadata.items()} if events else {}
    return FilmWorkspace("sample", home).read_table("voice_features"), metadata


def _full_recompute(home: Path, shared: Path) -> pl.DataFrame:
    from resources.storage import FilmWorkspace

    FilmWorkspace("sample", home).stage_record_path("voice_features").unlink()
    table, metadata = _voices(home, shared)
    assert metadata["speakers_reused"] == 0
    return table


def test_renamed_speakers_keep_their_voices_and_changed_turns_are_described_again(castforge_home, shared):
    from resources.storage import FilmWorkspace

    workspace = FilmWorkspace("sample", castforge_home)
    first, metadata = _voices(castforge_home, shared)
    assert first.height == 2 and metadata["speakers_reused"] == 0
    speakers = sorted(first["speaker"])

    # a review names the identities voice_map gave the speakers: nothing the voices were made from changed
    workspace.write_table("speaker_identities", pl.DataFrame(
        {"speaker": speakers, "identity": ["identity_000", "identity_001"], "name": ["ann", "bob"]}))
    record = workspace.read_stage_record("voice_map")   # as voice_map's run after the review leaves it
    workspace.write_stage_record("voice_map", {**record, "fingerprint": record["fingerprint"] + "-named",
                                             "outputs": {}})  # hand-written: keyed by its fingerprint
    renamed, metadata = _voices(castforge_home, shared)
    assert metadata["speakers_reused"] == 2
    assert renamed["name"].to_list() == ["ann", "bob"]
    assert renamed.equals(_full_recompute(castforge_home, shared))

    # the second speaker's last turn ends half a second earlier (a diarization run that changed it)
    segments = workspace.read_table("speech_segments").drop("film")
    last = segments.filter(pl.col("speaker") == speakers[1])["start_s"].max()
    shorter = pl.col("speaker").eq(speakers[1]) & pl.col("start_s").eq(last)
    segments = segments.with_columns(pl.when(shorter).then(pl.col("end_s") - 0.5).otherwise(pl.col("end_s"))
                                     .alias("end_s"),
                                     pl.when(shorter).then(pl.col("duration_s") - 0.5).otherwise(pl.col("duration_s"))
                                     .alias("duration_s"))
    workspace.write_table("speech_segments", segments)
    record = workspace.read_stage_record("diarization")
    workspace.write_stage_record("diarization", {**record, "fingerprint": record["fingerprint"] + "-edited",
                                               "outputs": {}})
    edited, metadata = _voices(castforge_home, shared)
    assert metadata["speakers_reused"] == 1
    assert edited.equals(_full_recompute(castforge_home, shared))
    voices = [c for c in edited.columns if c not in ("identity", "name")]   # voice_map ran again: names reset
    first_speaker, second_speaker = (pl.col("speaker") == speakers[0]), (pl.col("speaker") == speakers[1])
    assert edited.filter(first_speaker).select(voices).equals(renamed.filter(first_speaker).select(voices))
    assert not edited.filter(second_speaker).select(voices).equals(renamed.filter(second_speaker).select(voices))
    assert json.loads(workspace.stage_record_path("voice_features").read_text())["item_keys"].keys() == set(speakers)
