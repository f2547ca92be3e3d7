import time

import polars as pl
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets.audio.speech import markdown_table
from assets.multimodal.build import Inputs, build
from assets.multimodal.clip_reuse import STORE, ClipReuse
from assets.multimodal.core import MultimodalParams
from assets.multimodal.transcripts import ASR, SUBTITLES, count_from
from assets.stage_contract import StageContract
from assets.stage_support import cached_result, result, staged_relative
from resources.errors import MissingWeightsError
from resources.item_reuse import ItemReuse
from resources.storage import FilmWorkspace
from resources.store import StorageResource

CONTRACT = StageContract("multimodal_datasets", MultimodalParams, reads=("speech_segments", "audio"), optional_reads=(
    "vocals", "speaker_identities", "identities", "instances", "instance_identities", "faces", "voice_features", "subtitle_cues"))


def _identified_instances(workspace: FilmWorkspace) -> pl.DataFrame | None:
    instances, assigned = workspace.read_optional_table("instances"), workspace.read_optional_table("instance_identities")
    if instances is None or assigned is None:
        return None
    return (instances.select("instance_id", "timestamp_s", "path")
            .join(assigned.select("instance_id", pl.col("identity").cast(pl.String))
                  .filter(pl.col("identity").is_not_null()), on="instance_id"))


def _transcriber(context: AssetExecutionContext, params: MultimodalParams):
    """The ASR backend and, where it cannot run, the reason recorded with every empty transcript."""
    if params.asr_model == "off":
        return None, "transcription off (multimodal_datasets.asr_model: off)"
    try:
        from resources.backends.whisper_asr import WhisperTranscriber

        return WhisperTranscriber(params.asr_model or None), ""
    except MissingWeightsError as error:
        context.log.info(str(error))
        return None, f"no ASR weights: {error}"


@asset(**CONTRACT.asset_args(group_name="audio"))
def multimodal_datasets(context: AssetExecutionContext, config: CONTRACT.Config,
                        storage: StorageResource) -> MaterializeResult:
    """Character-voice-face triplets per character: clips (vocals, mix), faces and cut-outs, HF and LJSpeech exports."""
    film, workspace = context.partition_key, storage.workspace(context.partition_key)
    with CONTRACT.open(context, storage, config) as stage:
        params = stage.settings
        if stage.cached:
            return cached_result(stage)
        started = time.perf_counter()
        audio, vocals = workspace.read_table("audio"), workspace.read_optional_table("vocals")
        transcriber, transcription_note = _transcriber(context, params)
        inputs = Inputs(
            segments=workspace.read_table("speech_segments"),
            speaker_identities=workspace.read_optional_table("speaker_identities"),
            identities=workspace.read_optional_table("identities"), instances=_identified_instances(workspace),
            faces=workspace.read_optional_table("faces"), voice_features=workspace.read_optional_table("voice_features"),
            vocals_path=workspace.absolute(vocals["vocals_path"][0]) if vocals is not None and vocals.height else None,
            mix_path=workspace.absolute(audio["separation_path"][0]) if audio.height else None,
            film=film, transcription_note=transcription_note, cues=workspace.read_optional_table("subtitle_cues"))
        # a review round renames and discards: the utterances' sound is as it was (clip_reuse.py)
        clips = ClipReuse(ItemReuse(workspace, stage), workspace.artefact_dir("multimodal") / STORE,
                          workspace.absolute, inputs.vocals_path or inputs.mix_path, inputs.mix_path)
        with workspace.staged_dir("multimodal") as staging:
            items, manifest, note = build(inputs, staging, staged_relative(workspace, "multimodal", staging),
                                          workspace.absolute, params, transcriber, reuse=clips)
            clips.keep(staging / STORE)
        context.log.info(f"{film}: {clips.note()}")
        if transcriber is not None:
            transcriber.release()  # free Whisper before the stage records its outputs
        if note:
            context.log.info(f"{film}: {note}")
        stage.commit(manifest, {"multimodal_items": items}, note=note, **clips.reuse.record())
        preview = manifest.select("character", "utterances", "speech_s", "images") if manifest.height else None
        return result(stage, {
            "characters": manifest.height, "utterances": items.height, "note": note,
            "speech_s": round(float(items["duration_s"].sum()), 2) if items.height else 0.0,
            "transcripts": int((items["transcript"].str.len_chars() > 0).sum()) if items.height else 0,
            "transcription": transcription_note or "whisper",
            "transcripts_from_subtitles": count_from(items, SUBTITLES), "transcripts_from_asr": count_from(items, ASR),
            "clips_reused": clips.reused, "clips_cut": clips.cut, "seconds": round(time.perf_counter() - started, 2),
            "preview": MetadataValue.md(markdown_table(preview)) if preview is not None else MetadataValue.text(note),
            "folder": MetadataValue.path(str(workspace.artefact_dir("multimodal")))})

