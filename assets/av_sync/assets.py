import time

import cv2
import polars as pl
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets.audio.extract import read_audio
from assets.audio.speech import markdown_table
from assets.av_sync.core import (AvSyncParams, SUMMARY_SCHEMA, EVENT_SCHEMA, audio_onsets, change_signal, summarise,
                                 timeline_png)
from assets.av_sync.onset_reuse import STORE, OnsetReuse
from assets.stage_contract import StageContract
from assets.stage_support import cached_result, film_record, image_markdown, result
from resources.item_reuse import ItemReuse
from resources.relations import FILM_SOURCE
from resources.store import StorageResource

CONTRACT = StageContract("av_sync", AvSyncParams, reads=(FILM_SOURCE, "audio", "picture_change"),
                         optional_reads=("shots", "speech_segments", "voice_map"))


@asset(**CONTRACT.asset_args(group_name="audio"))
def av_sync(context: AssetExecutionContext, config: CONTRACT.Config, storage: StorageResource) -> MaterializeResult:
    """Audio-visual timing: lip-sync offset, music beats against shot cuts, sound onsets against motion (timeline)."""
    film, workspace = context.partition_key, storage.workspace(context.partition_key)
    source = film_record(storage.catalog(), film)
    with CONTRACT.open(context, storage, config) as stage:
        params = stage.settings
        if stage.cached:
            return cached_result(stage)
        audio = workspace.read_table("audio")
        if source["kind"] != "video" or audio.is_empty():
            note = f"{film}: needs both a picture and a soundtrack ({source['kind']}, audio rows {audio.height})"
            stage.commit(pl.DataFrame([{**{k: None for k in SUMMARY_SCHEMA}, "note": note}], schema=SUMMARY_SCHEMA),
                         {"av_events": pl.DataFrame(schema=EVENT_SCHEMA)}, note=note)
            return result(stage, {"note": note})
        started = time.perf_counter()
        times, change, change_rate = change_signal(workspace.read_table("picture_change"))
        speech = workspace.absolute(audio["speech_path"][0])
        # a review round changes voice_map only: the soundtrack's analysis is taken from the last run (onset_reuse.py)
        reuse = OnsetReuse(ItemReuse(workspace, stage), workspace.artefact_dir("av_sync") / STORE)
        strength, onsets, tempo, beats = reuse.analysis(
            speech, times, lambda: _onsets(speech, times))
        shots = workspace.read_optional_table("shots")
        cuts = (shots.filter(pl.col("start_s") > 0)["start_s"].drop_nulls().to_numpy()
                if shots is not None and shots.height else times[:0])
        summary, events = summarise(workspace.read_optional_table("voice_map"), times, change, strength, onsets,
                                    tempo, beats, cuts, params, change_rate)
        with workspace.staged_dir("av_sync") as staging:
            plot = timeline_png(times, change, strength, events, workspace.read_optional_table("speech_segments"),
                                staging / "timeline.png")
            preview = image_markdown(cv2.imread(str(plot)), "audio-visual timeline")
            reuse.keep(staging / STORE)
        context.log.info(f"{film}: {reuse.note()}")
        stage.commit(summary, {"av_events": events}, **reuse.reuse.record())
        row = summary.row(0, named=True)
        return result(stage, {**{k: v for k, v in row.items() if v is not None}, "timeline": preview,
                              "summary": MetadataValue.md(markdown_table(summary.drop("note"))),
                              "soundtrack_reused": reuse.reused, "seconds": round(time.perf_counter() - started, 2)})


def _onsets(speech, times):
    waveform, sample_rate = read_audio(speech)
    return audio_onsets(waveform[0], sample_rate, times)
