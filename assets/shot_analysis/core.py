"""Scene structure of a film: shot types, camera motion, scenes and sequences. No Dagster, no models.

Inputs are the upstream tables (``frames``, ``shots``, optionally ``filtered_instances``, ``faces``,
``instance_identities``, ``speech_segments``) and the film's source; every optional input that is missing only
removes its cue. Image folders, audio-only films and one-frame films give trivial rows with a note.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from assets.frames.handoff import Handoff
from assets.frames.picture import PictureGeometry
from assets.shot_analysis.camera import ShotCamera, camera_row, classify_shot_motion
from assets.shot_analysis.params import ShotAnalysisParams
from assets.shot_analysis.picture_change import PICTURE_CHANGE_SCHEMA
from assets.shot_analysis.scenes import (ShotFeatures, band_energies, duration_stats,
                                         features_from_appearance, group_scenes, scene_table, sequences_of)
from assets.shot_analysis.shot_types import key_frame_shot_types, shot_type_summary
from assets.shot_analysis.stream import SIGNAL_SCHEMA, ShotLookup, StreamScan, scan_images, scan_video
from resources.review_state import NOISE  # instances no identity claimed

SHOT_ANALYSIS_SCHEMA = {
    "shot": pl.Int32, "scene": pl.Int32, "sequence": pl.Int32, "shot_type": pl.String,
    "shot_type_shares": pl.String, "establishing": pl.Boolean, "characters": pl.Int32, "camera_motion": pl.String,
    "motion_magnitude": pl.Float64, "pan_rate": pl.Float64, "tilt_rate": pl.Float64, "zoom_rate": pl.Float64,
    "camera_jitter": pl.Float64, "motion_pairs": pl.Int32, "motion_note": pl.String, "continuity": pl.Float64,
    "continuity_cues": pl.String, "start_s": pl.Float64, "end_s": pl.Float64, "duration_s": pl.Float64,
    "key_frames": pl.Int32,
}


@dataclass
class Inputs:
    kind: str  # video | images | audio
    source: Path | None
    frames: pl.DataFrame
    shots: pl.DataFrame
    instances: pl.DataFrame | None = None
    faces: pl.DataFrame | None = None
    instance_identities: pl.DataFrame | None = None
    speech_segments: pl.DataFrame | None = None
    speech_wav: Path | None = None
    image_reader: Callable[[str], np.ndarray | None] | None = None  # stored frame path -> BGR (image folders)
    handoff: Handoff | None = None  # what the frames stage's decode measured of every frame (read, not decoded)
    picture: PictureGeometry | None = None  # the frames stage's picture geometry: a decode here shows the same picture


@dataclass
class ShotAnalysis:
    shots: pl.DataFrame  # relation shot_analysis
    scenes: pl.DataFrame
    signals: pl.DataFrame  # relation frame_signals (every decoded frame; empty for image folders)
    key_frames: pl.DataFrame  # shot type per key frame
    note: str | None
    decoded_frames: int = 0
    stats: dict[str, Any] = field(default_factory=dict)
    picture_change: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PICTURE_CHANGE_SCHEMA))
    handed_off: bool = False  # the frames stage's handoff was read instead of decoding the film


def _boxes_by_shot(frames: pl.DataFrame, instances: pl.DataFrame | None) -> dict[int, list]:
    if instances is None or instances.height == 0 or frames.height == 0:
        return {}
    chars = instances.filter(pl.col("kept")) if "kept" in instances.columns else instances
    joined = chars.join(frames.select("frame_id", "frame_index"), on="frame_id", how="inner")
    grouped: dict[int, dict[int, list]] = {}
    for row in joined.iter_rows(named=True):
        grouped.setdefault(row["shot"], {}).setdefault(row["frame_index"], []).append(
            (row["x0"], row["y0"], row["x1"], row["y1"]))
    return {shot: list(by_frame.items()) for shot, by_frame in grouped.items()}


def _identities_by_shot(instances: pl.DataFrame | None, assigned: pl.DataFrame | None) -> dict[int, frozenset]:
    if instances is None or assigned is None or not instances.height or not assigned.height:
        return {}
    joined = assigned.select("instance_id", "identity").join(instances.select("instance_id", "shot"), on="instance_id")
    out: dict[int, set] = {}
    for identity, shot in joined.drop_nulls("identity").filter(pl.col("identity").cast(pl.String) != NOISE).select(
            "identity", "shot").iter_rows():
        out.setdefault(shot, set()).add(str(identity))
    return {shot: frozenset(ids) for shot, ids in out.items()}


def _add_audio_cues(features: list[ShotFeatures], spans: list[tuple[float, float]], inputs: Inputs,
                    params: ShotAnalysisParams) -> None:
    """The soundtrack either side of each cut, and speech turns that run across it."""
    if inputs.speech_wav is not None and inputs.speech_wav.exists():
        import soundfile as sf

        samples, rate = sf.read(str(inputs.speech_wav), dtype="float32", always_2d=True)
        mono = samples.mean(axis=1)
        window = int(params.audio_window_s * rate)
        for feature, (start, end) in zip(features, spans):
            if start is None or end is None:
                continue
            cut_in, cut_out = int(start * rate), int(end * rate)
            feature.audio_after = band_energies(mono[cut_in:min(cut_in + window, cut_out)], rate)
            feature.audio_before = band_energies(mono[max(cut_out - window, cut_in):cut_out], rate)
    if inputs.speech_segments is not None and inputs.speech_segments.height:
        turns = inputs.speech_segments.select("start_s", "end_s").rows()
        for feature, (start, _) in zip(features, spans):
            if start is not None:
                feature.speech_into = any(s < start - 0.2 and e > start + 0.2 for s, e in turns)


def analyse(inputs: Inputs, params: ShotAnalysisParams = ShotAnalysisParams(), reuse: Any = None) -> ShotAnalysis:
    """The film's shot-level structure (see module docstring). ``reuse`` (shot_reuse.ShotScanReuse): take the last
    run's scan of the shots whose inputs did not change."""
    shots = inputs.shots.sort("shot")
    empty_signals = pl.DataFrame(schema=SIGNAL_SCHEMA)
    if inputs.kind == "audio" or shots.height == 0:
        note = "audio-only film: no shots to analyse" if inputs.kind == "audio" else "no shots: nothing to analyse"
        return ShotAnalysis(pl.DataFrame(schema=SHOT_ANALYSIS_SCHEMA), scene_table(pl.DataFrame(), []),
                            empty_signals, pl.DataFrame(), note)
    key_frames = key_frame_shot_types(inputs.frames, inputs.instances, inputs.faces, params)
    scan: StreamScan | None = None
    handoff: Handoff | None = None
    note = None
    if inputs.kind == "video" and inputs.source is not None:
        lookup = ShotLookup(shots, _boxes_by_shot(inputs.frames, inputs.instances))
        usable = inputs.handoff and inputs.handoff.taken_at(params.analysis_width, params.change_rate)
        handoff = inputs.handoff if usable else None
        scan = reuse.scan(inputs.source, lookup, shots, params, handoff is not None, inputs.picture) \
            if reuse is not None else None
        if scan is None:
            scan = scan_video(inputs.source, lookup, params.analysis_width, params.appearance_every, params, handoff,
                              picture=inputs.picture)
        if reuse is not None:
            reuse.keep(scan)
        appearance = scan.appearance
    else:
        note = "image folder: every image is its own shot; no camera motion"
        reader = inputs.image_reader or (lambda path: None)
        kept = inputs.frames.filter(pl.col("kept") & pl.col("path").is_not_null())
        appearance = scan_images(((s, reader(p)) for s, p in kept.select("shot", "path").iter_rows()),
                                 params.analysis_width)
    identities = _identities_by_shot(inputs.instances, inputs.instance_identities)
    numbers = shots["shot"].to_list()
    features = [features_from_appearance(appearance.get(s), identities.get(s, frozenset())) for s in numbers]
    spans = list(zip(shots["start_s"].to_list(), shots["end_s"].to_list()))
    _add_audio_cues(features, spans, inputs, params)
    scene_of, links, link_cues = group_scenes(features, params)
    rows = []
    for index, shot in enumerate(numbers):
        dominant, shares, characters = shot_type_summary(key_frames, shot)
        camera = scan.cameras.get(shot) if scan else None
        if camera is None:
            camera = camera_row(_shot_camera(scan, shot, params) if scan else ShotCamera(
                None, 0.0, 0.0, 0.0, 0.0, 0.0, 0, "image folder: no motion"))
        start, end = spans[index]
        rows.append({"shot": shot, "scene": scene_of[index], "shot_type": dominant,
                     "shot_type_shares": json.dumps(shares), "establishing": dominant == "wide" and characters == 0,
                     "characters": characters, **camera, "continuity": links[index],
                     "continuity_cues": json.dumps(link_cues[index]), "start_s": start, "end_s": end,
                     "duration_s": round(end - start, 4) if start is not None and end is not None else None,
                     "key_frames": int((key_frames["shot"] == shot).sum()) if key_frames.height else 0})
    table = pl.DataFrame(rows, schema={k: v for k, v in SHOT_ANALYSIS_SCHEMA.items() if k != "sequence"},
                         strict=False)
    scene_palettes = _scene_palettes(features, scene_of)
    sequence_of_scene = sequences_of(scene_palettes, params)
    table = table.with_columns(pl.col("scene").replace_strict(
        dict(enumerate(sequence_of_scene)), return_dtype=pl.Int32).alias("sequence")).select(list(SHOT_ANALYSIS_SCHEMA))
    scenes = scene_table(table, features)
    if shots.height == 1:
        note = (note + "; " if note else "") + "one-shot film: one scene, one sequence"
    if scan is not None and scan.decode_error:  # a damaged tail: shots past it have no motion and say so
        note = (note + "; " if note else "") + f"{inputs.source}: {scan.decode_error}"
    stats = {"shot_durations": duration_stats(table["duration_s"].to_list()),
             "scene_durations": duration_stats(scenes["duration_s"].to_list())}
    return ShotAnalysis(table, scenes, scan.signals if scan else empty_signals, key_frames, note,
                        scan.decoded_frames if scan else 0, stats,
                        scan.picture_change if scan else pl.DataFrame(schema=PICTURE_CHANGE_SCHEMA),
                        handed_off=scan is not None and handoff is not None)


def _shot_camera(scan: StreamScan, shot: int, params: ShotAnalysisParams) -> ShotCamera:
    return classify_shot_motion(scan.pairs.get(shot, []), scan.width, scan.height, scan.fps, params)


def _scene_palettes(features: list[ShotFeatures], scene_of: list[int]) -> list[np.ndarray | None]:
    palettes: list[np.ndarray | None] = []
    for scene in range(max(scene_of) + 1 if scene_of else 0):
        members = [f.histogram for f, s in zip(features, scene_of) if s == scene and f.histogram is not None]
        palettes.append(np.sqrt(np.mean(members, axis=0)) if members else None)  # Hellinger: distances compare
    return palettes
