import json
import time
from dataclasses import asdict, dataclass

import polars as pl
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from assets.audio.extract import LEAD_MIN_S, extract_audio, read_audio
from assets.audio.subtitle_streams import CUE_SCHEMA, TRACK_SCHEMA, film_subtitles, film_tracks
from assets.audio.tracks import AudioParams, choose_audio_track
from assets.audio.separation import separate_file
from assets.audio.speech import markdown_table, segments_table, speaker_clips, write_rttm
from assets.audio.voice_features import VoiceFeatureParams, speaker_reuse, voice_features as describe_voices
from assets.audio.active_speakers import EVIDENCE_SCHEMA, ActiveSpeakerParams, pooled_evidence
from assets.audio.mouth_reuse import STORE as MOUTH_STORE, MouthReuse
from assets.audio.mouth_tracks import DRAWN_DETECTORS, lip_sync_evidence
from assets.frames.picture import recorded_picture
from assets.audio.voice_map import VoiceMapParams, frame_spans, visible_identities, voice_map as map_voices
from assets.audio.voice_map import with_lip_sync
from assets.stage_contract import StageContract
from assets.stage_support import cached_result, film_record, result, staged_relative
from resources.backends.sample_source import SAMPLE_RATE, FileSamples
from resources.diarizer import DiarizerResource
from resources.ingest import source_file
from resources.item_reuse import ItemReuse
from resources.errors import BadMediaError, CastforgeError
from resources.face_analyzer import FaceAnalyzerResource
from resources.face_landmarker import FaceLandmarkerResource
from resources.media import media_origin_s
from resources.relations import FILM_SOURCE, SIDECAR_SUBTITLES
from resources.storage import FilmWorkspace
from resources.store import StorageResource
from resources.vocal_separator import VocalSeparatorResource

AUDIO_SCHEMA = {"has_audio": pl.Boolean, "separation_path": pl.String, "speech_path": pl.String,
                "duration_s": pl.Float64, "source_rate": pl.Int64, "source_channels": pl.Int64, "codec": pl.String,
                "loudness_lufs": pl.Float64, "peak_dbfs": pl.Float64, "note": pl.String, "track_index": pl.Int64,
                "track_position": pl.Int64, "track_language": pl.String, "track_title": pl.String,
                "track_reason": pl.String, "audio_tracks": pl.String, "subtitles": pl.String}
VOCALS_SCHEMA = {"vocals_path": pl.String, "rest_path": pl.String, "vocals16k_path": pl.String,
                 "duration_s": pl.Float64, "backend": pl.String, "model": pl.String, "vocals_rms_db": pl.Float64,
                 "rest_rms_db": pl.Float64}
IDENTITY_TABLES = ("instances", "instance_identities", "identities")


def _audio_row(workspace: FilmWorkspace) -> dict | None:
    table = workspace.read_table("audio")
    return table.row(0, named=True) if table.height else None


@dataclass(frozen=True)
class VocalsParams:
    chunk_s: float = 30.0            # separation runs segment by segment (memory stays flat on a feature film)
    overlap_s: float = 1.0           # neighbouring segments overlap by this and are cross-faded


@dataclass(frozen=True)
class DiarizationStageParams:
    source: str = "mix"              # mix: the 16 kHz soundtrack | vocals: the separated dialogue
    clips_per_speaker: int = 3       # sample clips (longest turns, up to 8 s each) written per speaker

    def __post_init__(self) -> None:
        if self.source not in ("mix", "vocals"):
            raise ValueError(f"diarization.source must be 'mix' or 'vocals', not {self.source!r}")


AUDIO = StageContract("audio", AudioParams, reads=(FILM_SOURCE, SIDECAR_SUBTITLES))  # Film.en.srt beside it
VOCALS = StageContract("vocals", VocalsParams, reads=("audio",))
# reads vocals only with source=vocals; a missing vocals table then names its writer
DIARIZATION = StageContract("diarization", DiarizationStageParams, reads=("audio",), optional_reads=("vocals",))
VOICE_MAP = StageContract("voice_map", VoiceMapParams, reads=("speech_segments", FILM_SOURCE),
                          optional_reads=("frames", "shots", "instances", "instance_identities", "identities",
                                          "faces"))
VOICE_FEATURES = StageContract("voice_features", VoiceFeatureParams, reads=("speech_segments", "audio"),
                               optional_reads=("speaker_identities",))


@asset(**AUDIO.asset_args(group_name="audio"))
def audio(context: AssetExecutionContext, config: AUDIO.Config, storage: StorageResource) -> MaterializeResult:
    """The film's soundtrack (the chosen audio track) decoded once, 44.1 kHz stereo and 16 kHz mono, with loudness;
    its subtitles' cues (embedded text stream or sidecar file)."""
    film, catalog = context.partition_key, storage.catalog()
    workspace, source = storage.workspace(film), film_record(catalog, film)
    with AUDIO.open(context, storage, config) as stage:
        if stage.cached:
            return cached_result(stage)
        empty = {"subtitle_cues": pl.DataFrame(schema=CUE_SCHEMA), "subtitle_tracks": pl.DataFrame(schema=TRACK_SCHEMA)}
        if source["kind"] == "images" or not source["has_audio"]:
            note = f"{source['source_path']}: no audio track ({source['kind']}); audio stages yield empty tables"
            context.log.info(note)
            stage.commit(pl.DataFrame(schema=AUDIO_SCHEMA), empty, note=note)
            return result(stage, {"note": note})
        started, params, path = time.perf_counter(), stage.settings, source_file(workspace, source)
        tracks, embedded_subtitles = film_tracks(path)
        if not tracks:   # ingest saw one: the file changed or is damaged since
            raise BadMediaError(path, "has no audio stream")
        track, why = choose_audio_track(tracks, params, film)
        origin = media_origin_s(path)  # the film's clock: the frames' (assets/frames/decode.py), a player's
        cues, subtitle_tracks, subtitle_note = film_subtitles(path, embedded_subtitles, params.subtitle_language,
                                                              track.language, origin, params.subtitle_encoding)
        lead = track.start_s - origin if track.start_s - origin > LEAD_MIN_S else 0.0
        with workspace.staged_dir("audio") as staging:
            out = extract_audio(path, staging, track.position, lead_s=lead, speech_channel=params.speech_channel)
            rel = staged_relative(workspace, "audio", staging)
            note = "; ".join(filter(None, [out.timeline_note, out.speech_note, "" if out.loudness_lufs is not None
                                           else "silent soundtrack (below the -70 LUFS gate)"]))
            row = {"has_audio": True, "separation_path": rel(out.separation_path), "speech_path": rel(out.speech_path),
                   "duration_s": round(out.duration_s, 3), "source_rate": out.source_rate,
                   "source_channels": out.source_channels, "codec": out.codec, "loudness_lufs": out.loudness_lufs,
                   "peak_dbfs": out.peak_dbfs, "note": note, "track_index": track.index,
                   "track_position": track.position, "track_language": track.language, "track_title": track.title,
                   "track_reason": why, "audio_tracks": "; ".join(t.describe() for t in tracks),
                   "subtitles": subtitle_note}
        stage.commit(pl.DataFrame([row], schema=AUDIO_SCHEMA),
                     {"subtitle_cues": cues, "subtitle_tracks": subtitle_tracks})
        context.log.info(f"{film}: audio {track.describe()} ({why}); {subtitle_note}"
                         + (f"; its sound starts {lead:.3f} s after the film: led in by silence" if lead else ""))
        return result(stage, {"duration_s": row["duration_s"], "loudness_lufs": out.loudness_lufs or "silent",
                              "codec": out.codec, "note": note, "track": track.describe(), "track_reason": why,
                              "subtitles": subtitle_note, "subtitle_cues": cues.height,
                              "seconds": round(time.perf_counter() - started, 2)})


@asset(**VOCALS.asset_args(group_name="audio", pool="gpu"))
def vocals(context: AssetExecutionContext, config: VOCALS.Config, storage: StorageResource,
           vocal_separator: VocalSeparatorResource) -> MaterializeResult:
    """Dialogue separated from music and effects (vocals / rest stems), segment by segment."""
    film, catalog, workspace = context.partition_key, storage.catalog(), storage.workspace(context.partition_key)
    with VOCALS.open(context, storage, config) as stage:
        params = asdict(stage.settings)
        if stage.cached:
            return cached_result(stage)
        row = _audio_row(workspace)
        if row is None:
            stage.commit(pl.DataFrame(schema=VOCALS_SCHEMA))
            return result(stage, {"note": "no audio track"})
        started, separator = time.perf_counter(), vocal_separator.get()
        with workspace.staged_dir("vocals") as staging:
            out = separate_file(workspace.absolute(row["separation_path"]), separator, staging,
                                params.get("chunk_s", 30.0), params.get("overlap_s", 1.0))
            rel = staged_relative(workspace, "vocals", staging)
            table = pl.DataFrame([{"vocals_path": rel(out.vocals_path), "rest_path": rel(out.rest_path),
                                   "vocals16k_path": rel(out.vocals16k_path), "duration_s": round(out.duration_s, 3),
                                   "backend": separator.name, "model": separator.model,
                                   "vocals_rms_db": out.vocals_rms_db, "rest_rms_db": out.rest_rms_db}],
                                 schema=VOCALS_SCHEMA)
        stage.commit(table)
        seconds = time.perf_counter() - started
        return result(stage, {"backend": separator.name, "model": separator.model, "segments": out.segments,
                              "vocals_rms_db": out.vocals_rms_db or "silent", "seconds": round(seconds, 2),
                              "real_time_factor": round(seconds / max(out.duration_s, 1e-9), 3)})


@asset(**DIARIZATION.asset_args(group_name="audio", pool="gpu"))
def diarization(context: AssetExecutionContext, config: DIARIZATION.Config, storage: StorageResource,
                diarizer: DiarizerResource) -> MaterializeResult:
    """Who speaks when: speech_segments (start, end, speaker, confidence), an RTTM file, sample clips per speaker."""
    film, catalog, workspace = context.partition_key, storage.catalog(), storage.workspace(context.partition_key)
    with DIARIZATION.open(context, storage, config) as stage:
        params = asdict(stage.settings)
        upstream = "vocals" if params["source"] == "vocals" else "audio"
        if stage.cached:
            return cached_result(stage)
        table = workspace.read_table(upstream)
        started = time.perf_counter()
        with workspace.staged_dir("diarization") as staging:
            if table.height:
                speech_path = workspace.absolute(table["vocals16k_path" if upstream == "vocals" else "speech_path"][0])
                model = diarizer.get()
                if callable(getattr(model, "diarize_file", None)):  # streamed: memory flat with the film's length
                    segments = segments_table(model.diarize_file(speech_path))
                else:
                    waveform, rate = read_audio(speech_path)
                    segments = segments_table(model.diarize(waveform[0], rate))
                backend = model.name
            else:
                speech_path, segments, backend = None, segments_table([]), diarizer.backend
            write_rttm(segments, film, staging / f"{film}.rttm")
            speakers = speaker_clips(segments, speech_path, staging, staged_relative(workspace, "diarization", staging),
                                     params["clips_per_speaker"]) if speech_path else speaker_clips(segments, None, staging, None)
        stage.commit(speakers, {"speech_segments": segments}, backend=backend)
        preview = markdown_table(speakers.select("speaker", "turns", "speech_s")) \
            if speakers.height else "no speech found"
        return result(stage, {"backend": backend, "speakers": speakers.height, "turns": segments.height,
                              "speech_s": round(float(segments["duration_s"].sum()), 2) if segments.height else 0.0,
                              "seconds": round(time.perf_counter() - started, 2), "preview": MetadataValue.md(preview)})


@asset(**VOICE_MAP.asset_args(group_name="audio"))
def voice_map(context: AssetExecutionContext, config: VOICE_MAP.Config, storage: StorageResource,
              face_landmarker: FaceLandmarkerResource, face_analyzer: FaceAnalyzerResource) -> MaterializeResult:
    """Speakers mapped to the characters on screen: mouths moving with each voice (lip sync), co-occurrence as prior."""
    film, catalog, workspace = context.partition_key, storage.catalog(), storage.workspace(context.partition_key)
    # the mouth readers are built only where a shot needs them: their settings key the cache, not a loaded model
    backends = {"face_landmarker": face_landmarker.model_dump(), "face_analyzer": face_analyzer.model_dump()}
    with VOICE_MAP.open(context, storage, config, backends=backends) as stage:
        params = asdict(stage.settings)
        if stage.cached:
            return cached_result(stage)
        segments = workspace.read_table("speech_segments")
        have = {r: workspace.has_table(r) for r in ("frames", "shots", *IDENTITY_TABLES)}
        # the picture's geometry (crop, pixel aspect, rotation) decides which pixels a mouth series reads
        picture = json.dumps(_picture_summary(workspace), sort_keys=True, default=str)
        mouths = MouthReuse(ItemReuse(workspace, stage), workspace.artefact_dir("voice_map") / MOUTH_STORE,
                            f"{stage.inputs[FILM_SOURCE]}:{picture}")
        if segments.is_empty():
            pairs, best = map_voices(segments, segments.head(0), segments.head(0), None)
            note = "no speech in this film: nothing to map"
        elif have["frames"] and have["instances"] and have["instance_identities"]:
            frames = workspace.read_table("frames")
            spans = frame_spans(frames, workspace.read_table("shots") if have["shots"] else None,
                                params["max_frame_span_s"])
            visible = visible_identities(workspace.read_table("instances"), workspace.read_table("instance_identities"))
            settings = VoiceMapParams(**params)
            pairs, best = map_voices(segments, spans, visible,
                                     workspace.read_table("identities") if have["identities"] else None, settings)
            sync, note = _lip_sync(context, workspace, film_record(catalog, film), segments, settings,
                                   MouthReaders(face_landmarker, face_analyzer, settings, context.log), mouths)
            pairs, best = with_lip_sync(pairs, best, pooled_evidence(sync, _sync_params(settings)), settings)
        else:
            pairs, best = map_voices(segments.head(0), segments.head(0), segments.head(0), None)
            note = "no identity tables (instances / instance_identities) for this film yet: nothing to map"
            context.log.info(note)
        stage.commit(pairs, {"speaker_identities": best}, note=note, **mouths.reuse.record())
        preview = markdown_table(best.select("speaker", "identity", "name", "confidence", "evidence",
                                        "sync_correlation", "sync_lag_s")) if best.height else (note or "no speaker mapped")
        return result(stage, {"pairs": pairs.height, "mapped_speakers": best.height, "note": note,
                              "lip_sync_mapped": int((best["evidence"] == "lip_sync").sum()) if best.height else 0,
                              "mouths_reused": mouths.reused, "mouths_read": mouths.read,
                              "preview": MetadataValue.md(preview)})


def _sync_params(settings: VoiceMapParams) -> ActiveSpeakerParams:
    return ActiveSpeakerParams(rate=settings.sync_rate, max_lag_s=settings.max_lag_s,
                               min_correlation=settings.min_sync_correlation,
                               drawn_first_misses=settings.drawn_first_misses)


class MouthReaders:
    """The mouth readers voice_map asks its resources for, each built on first use; a reader whose weights or
    environment are missing is logged once and replaced by lower-face motion (None)."""

    def __init__(self, landmarker: FaceLandmarkerResource, analyzer: FaceAnalyzerResource, settings: VoiceMapParams,
                 log):
        self.landmarker, self.analyzer, self.settings, self.log = landmarker, analyzer, settings, log
        self.used: list[str] = []

    def _build(self, what: str, build) -> object | None:
        try:
            reader = build()
        except CastforgeError as error:
            self.log.warning(f"voice_map: {what} unavailable, lower-face motion instead: {error}")
            return None
        self.used.append(what)
        return reader

    def mesh(self):
        from resources.backends.mouth_landmarks import MeshMouth

        return self._build("face mesh", lambda: MeshMouth(self.landmarker.get())) \
            if self.settings.face_mesh_mouths else None

    def drawn(self):
        from resources.backends.mouth_landmarks import DrawnMouth

        return self._build("2D mouth corners", lambda: DrawnMouth(self.analyzer.get(anime=True))) \
            if self.settings.drawn_mouths else None


def _picture_summary(workspace: FilmWorkspace) -> dict | None:
    """The picture geometry the frames stage recorded (assets/frames/picture.py), None where none was."""
    return (workspace.read_stage_record("frames") or {}).get("picture")


def _lip_sync(context: AssetExecutionContext, workspace: FilmWorkspace, source: dict, segments: pl.DataFrame,
              settings: VoiceMapParams, readers: MouthReaders, mouths: MouthReuse) -> tuple[pl.DataFrame, str]:
    """Mouth evidence for the film (active_speakers.EVIDENCE_SCHEMA) and a note saying why there is none; the
    series of faces whose inputs did not change come from the last run (``mouths``), which keeps this run's."""
    empty = pl.DataFrame(schema=EVIDENCE_SCHEMA)
    if not settings.lip_sync:
        return empty, "lip sync off (voice_map.lip_sync): co-occurrence only"
    if source["kind"] != "video" or not workspace.has_table("faces") or not workspace.has_table("shots"):
        return empty, "no video faces for this film: co-occurrence only"
    faces = workspace.read_table("faces")
    drawn_faces = "detector" in faces.columns and faces["detector"].is_in(list(DRAWN_DETECTORS)).any()
    photo_faces = "detector" not in faces.columns or (~faces["detector"].is_in(list(DRAWN_DETECTORS))).any()
    started = time.perf_counter()
    evidence = lip_sync_evidence(source_file(workspace, source), segments, workspace.read_table("shots"),
                                 workspace.read_table("frames"), faces, workspace.read_table("instance_identities"),
                                 readers.mesh() if photo_faces else None, _sync_params(settings),
                                 drawn=readers.drawn() if drawn_faces else None, reuse=mouths,
                                 picture=recorded_picture(_picture_summary(workspace)))
    mouths.keep()
    context.log.info(f"lip sync: {evidence.height} speaker-face-shot measurements in "
                     f"{time.perf_counter() - started:.1f} s (mouths: {', '.join(readers.used) or 'lower-face motion'});"
                     f" {mouths.note()}")
    return evidence, "" if evidence.height else "no identified face seen while someone speaks: co-occurrence only"


@asset(**VOICE_FEATURES.asset_args(group_name="audio"))
def voice_features(context: AssetExecutionContext, config: VOICE_FEATURES.Config, storage: StorageResource) -> MaterializeResult:
    """Per speaker (and its character, once voice_map has run): F0 distribution, speaking rate, timbre, speech time."""
    film, catalog, workspace = context.partition_key, storage.catalog(), storage.workspace(context.partition_key)
    with VOICE_FEATURES.open(context, storage, config) as stage:
        params = asdict(stage.settings)
        if stage.cached:
            return cached_result(stage)
        started, segments, row = time.perf_counter(), workspace.read_table("speech_segments"), _audio_row(workspace)
        reuse, known = None, {}
        if row is None or segments.height == 0:
            table = describe_voices(None, 16000, segments.head(0))
        else:
            # a review renames or merges identities: the speakers' voices are as they were (speaker_reuse)
            reuse = ItemReuse(workspace, stage)
            known = speaker_reuse(reuse, segments, workspace.absolute(row["speech_path"]),
                                  workspace.read_optional_table("voice_features"))
            with FileSamples(workspace.absolute(row["speech_path"])) as speech:  # only the analysed turns are read
                table = describe_voices(speech, SAMPLE_RATE, segments, VoiceFeatureParams(**params), known)
        mapped = (workspace.read_table("speaker_identities").select("speaker", "identity", "name")
                  if workspace.has_table("speaker_identities")
                  else pl.DataFrame(schema={"speaker": pl.String, "identity": pl.String, "name": pl.String}))
        table = table.join(mapped.cast({"identity": pl.String, "name": pl.String}), on="speaker", how="left")
        stage.commit(table, **(reuse.record() if reuse else {}))
        return result(stage, {"speakers": table.height, "speakers_reused": len(known),
                              "seconds": round(time.perf_counter() - started, 2)})
