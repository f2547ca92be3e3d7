"""Every table castforge writes between stages: its name, the asset that writes it and the columns readers rely on.

This is the one place that says which asset writes a relation. Stage contracts (assets/stage_contract.py) derive
their Dagster ``deps`` and input fingerprints from the relations they read; the advice of a missing table
(``MissingUpstreamError``) names the writing asset; a stage may only commit the relations registered to it, with at
least the listed columns. A new stage appends its relations here (see docs/architecture.md). No Dagster import.
"""

from dataclasses import dataclass

# What a stage can read that is not a table: the film's source (content hash) and its review revision.
FILM_SOURCE = "film"
REVIEW = "review"
SIDECAR_SUBTITLES = "sidecar_subtitles"  # subtitle files beside the film's source (names and bytes hashed)


@dataclass(frozen=True)
class Relation:
    name: str
    writer: str                      # the asset whose materialisation writes it
    columns: tuple[str, ...]         # columns readers rely on (the table may hold more)
    description: str


def _relations(*items: Relation) -> dict[str, Relation]:
    return {item.name: item for item in items}


RELATIONS: dict[str, Relation] = _relations(
    Relation("frames", "frames", ("frame_id", "shot", "pos", "frame_index", "timestamp_s", "path", "width", "height",
                                  "kept", "drop_reason"), "key frames, kept and dropped, with quality measures"),
    Relation("shots", "frames", ("shot", "start_frame", "end_frame", "start_s", "end_s"), "shot boundaries"),
    Relation("instances", "instances", ("instance_id", "frame_id", "shot", "timestamp_s", "x0", "y0", "x1", "y1",
                                        "area", "alpha_coverage", "score", "backend", "path", "mask_path"),
             "one RGBA cut-out per character per frame"),
    Relation("instance_misses", "instances", ("frame_id", "shot", "timestamp_s", "reason"),
             "kept frames that gave no instance, with why (no seed: the best face and person box; cuts too small)"),
    Relation("filtered_instances", "filtered_instances", ("instance_id", "frame_id", "path", "kept", "reason",
                                                          "decided_by"), "instances with a keep/drop decision"),
    Relation("face_embeddings", "face_embeddings", ("face_id", "instance_id", "frame_id", "embedding"),
             "identity embedding per face"),
    Relation("faces", "face_embeddings", ("face_id", "instance_id", "frame_id", "det_score", "embedding", "model"),
             "faces of kept instances: boxes, landmarks, quality, head pose, embedding"),
    Relation("face_misses", "face_embeddings", ("instance_id", "frame_id", "reason"),
             "kept instances without a face, with why (none found, too small, no frame image)"),
    Relation("identity_clusters", "identity_clusters", ("instance_id", "identity"), "instance -> identity"),
    Relation("identities", "identity_clusters", ("identity", "name", "size", "has_faces"), "one row per identity"),
    Relation("instance_identities", "identity_clusters", ("instance_id", "identity", "source", "confidence", "by",
                                                          "track_id", "stability", "why"),
             "instance -> identity with how it was decided, its track within the shot, cos(face, prototype) and, "
             "for noise, why"),
    Relation("identity_changes", "identity_clusters", ("instance_id", "from_identity", "to_identity", "revision"),
             "changes a re-run made to reviewed identities, until a reviewer accepts or undoes them"),
    Relation("identity_references", "identity_references", ("identity", "set", "path"),
             "reference images per identity (the asset's own table; reference_images is the same rows)"),
    Relation("reference_images", "identity_references", ("identity", "set", "path", "face_id", "instance_id"),
             "reference images per identity: anchors, coverage and challenge sets with their bins and quality"),
    Relation("pose_subclusters", "pose_subclusters", ("identity", "subcluster"), "pose sub-clusters per identity"),
    Relation("poses", "pose_subclusters", ("instance_id", "view"), "keypoints and view per identified instance"),
    Relation("captions", "captions", ("instance_id", "caption", "clip_tokens"), "one training caption per instance"),
    Relation("character_datasets", "character_datasets", ("identity",),
             "identities exported, each with its item count"),
    Relation("dataset_items", "character_datasets", ("instance_id", "identity"), "every exported item"),
    Relation("dataset_decisions", "character_datasets", ("instance_id", "crop", "decision", "rule", "reason"),
             "every export decision (exported: resize method; skipped: why)"),
    Relation("audio", "audio", ("has_audio", "separation_path", "speech_path", "duration_s"), "decoded soundtrack"),
    Relation("subtitle_cues", "audio", ("start_s", "end_s", "text", "source", "kind"),
             "the chosen subtitle track's cues (embedded text stream or sidecar file): dialogue and signs"),
    Relation("subtitle_tracks", "audio", ("source", "codec", "language", "used", "reason"),
             "every subtitle stream and sidecar file of the film: used or why not (bitmap, another chosen)"),
    Relation("vocals", "vocals", ("vocals_path", "rest_path", "vocals16k_path"), "separated dialogue stems"),
    Relation("diarization", "diarization", ("speaker",), "one row per speaker with sample clips"),
    Relation("speech_segments", "diarization", ("speaker", "start_s", "end_s", "duration_s"), "who speaks when"),
    Relation("voice_map", "voice_map", ("speaker", "identity"), "every speaker-identity pair with its evidence"),
    Relation("speaker_identities", "voice_map", ("speaker", "identity", "name"), "best identity per speaker"),
    Relation("voice_features", "voice_features", ("speaker",), "voice description per speaker"),
    Relation("multimodal_datasets", "multimodal_datasets", ("character", "identity", "name", "utterances", "speech_s",
                                                            "images"), "manifest: speech, utterances, images per character"),
    Relation("multimodal_items", "multimodal_datasets", ("item_id", "identity", "name", "character", "speaker",
                                                         "start_s", "end_s", "vocals_clip", "mix_clip", "voice_clip",
                                                         "face_paths", "cutout_paths", "transcript"),
             "character-voice-face triplets: one mapped utterance with its clips and images"),
    Relation("av_sync", "av_sync", ("lip_sync_offset_s", "onset_motion_offset_s", "cuts_on_beat", "note"),
             "a film's audio-visual timing: offsets, beats against cuts, onsets against motion"),
    Relation("av_events", "av_sync", ("time_s", "kind", "nearest_s"), "beats, cuts, sound onsets and motion events"),
    Relation("shot_analysis", "shot_analysis", ("shot", "scene", "sequence", "shot_type", "shot_type_shares",
                                                "camera_motion", "motion_magnitude", "start_s", "end_s"),
             "shot type, camera motion, scene and sequence per shot"),
    Relation("scenes", "shot_analysis", ("scene", "sequence", "first_shot", "last_shot", "start_s", "end_s"),
             "consecutive shots grouped by visual and audio continuity"),
    Relation("frame_signals", "shot_analysis", ("frame_index", "timestamp_s", "shot", "luma", "dx", "dy",
                                                "log_scale"), "light, colour and background motion of every frame"),
    Relation("picture_change", "shot_analysis", ("frame_index", "time_s", "change", "rate_hz"),
             "the grey picture's change between samples taken at rate_hz (av_sync reads it)"),
    Relation("character_motion", "motion", ("shot", "track_id", "identity", "start_s", "end_s", "speed",
                                            "direction_deg", "movement", "motion_energy"),
             "one row per character track: speed, direction, movement label"),
    Relation("track_points", "motion", ("track_id", "instance_id", "frame_id", "timestamp_s"),
             "each tracked instance with its velocity"),
    Relation("motion", "motion", ("scope", "key", "motion_energy"), "motion energy per shot and per identity"),
    Relation("effects", "effects", ("start_s", "end_s", "effect", "intensity", "confidence", "frame_ids"),
             "visual effects with the measurement behind each"),
    Relation("frame_effects", "effects", ("frame_id", "timestamp_s", "effects"), "effect tags per key frame"),
)


def relation(name: str) -> Relation:
    """The registered relation, or a KeyError that lists the registered names."""
    try:
        return RELATIONS[name]
    except KeyError:
        raise KeyError(f"relation {name!r} is not registered in resources/relations.py "
                       f"(registered: {', '.join(sorted(RELATIONS))})") from None


def writer_of(name: str) -> str:
    """The asset that writes ``name``; an unregistered name is taken to be an asset's own table."""
    return RELATIONS[name].writer if name in RELATIONS else name


def written_by(asset: str) -> tuple[str, ...]:
    return tuple(name for name, item in RELATIONS.items() if item.writer == asset)
