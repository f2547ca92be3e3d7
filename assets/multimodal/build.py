"""Builds a film's multimodal dataset from its stored tables (no Dagster): the triplets table, clips, voice folders,
the Hugging Face export and the manifest. ``transcriber`` (resources/backends/whisper_asr.py) or None."""

import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import polars as pl

from assets.multimodal.transcripts import ASR, SUBTITLES, dialogue_cues, overlapping_text
from assets.multimodal.core import (ITEM_SCHEMA, MultimodalParams, cut_clip, images_during, manifest,
                                    mapped_utterances, voice_clip, write_hf_dataset, write_ljspeech_metadata)

log = logging.getLogger(__name__)


@dataclass
class Inputs:
    """What the build reads; any of the optional tables may be None (the film then yields empty tables + note)."""

    segments: pl.DataFrame
    speaker_identities: pl.DataFrame | None
    identities: pl.DataFrame | None
    instances: pl.DataFrame | None          # instance_id, identity, timestamp_s, path
    faces: pl.DataFrame | None
    voice_features: pl.DataFrame | None
    vocals_path: Path | None                # separated dialogue (44.1 kHz); None: the mix stands in
    mix_path: Path | None
    film: str                               # the partition: unnamed characters are called ``<film>_char<n>``
    transcription_note: str = ""
    cues: pl.DataFrame | None = None        # subtitle_cues (start_s, end_s, text, kind): transcripts before the ASR
    extra: dict = field(default_factory=dict)


NO_SUBTITLES = "no subtitles (a film.srt / .ass beside the film gives transcripts)"


def why_empty(inputs: Inputs) -> str:
    if inputs.mix_path is None or inputs.segments.is_empty():
        return "no speech in this film: no voice to pair with a face"
    if inputs.speaker_identities is None or inputs.speaker_identities.is_empty():
        return "no speaker is mapped to a character (voice_map): nothing to pair"
    if inputs.instances is None or inputs.instances.is_empty():
        return "no identified characters on screen (no faces or cut-outs): utterances kept without images"
    return ""


def build(inputs: Inputs, out_dir: Path, relative: Callable[[Path], str], absolute: Callable[[str], Path],
          params: MultimodalParams, transcriber=None, reuse=None) -> tuple[pl.DataFrame, pl.DataFrame, str]:
    """(multimodal_items, multimodal_manifest, note), files written under ``out_dir`` (a staging folder);
    ``reuse`` (clip_reuse.ClipReuse) copies the last run's clips of an unchanged utterance."""
    note = why_empty(inputs)
    if inputs.mix_path is None or inputs.segments.is_empty() or inputs.speaker_identities is None \
            or inputs.speaker_identities.is_empty():
        return pl.DataFrame(schema=ITEM_SCHEMA), manifest(pl.DataFrame(schema=ITEM_SCHEMA), {}), note
    utterances = mapped_utterances(inputs.segments, inputs.speaker_identities, inputs.identities, params,
                                   inputs.film)
    if utterances.is_empty():
        return pl.DataFrame(schema=ITEM_SCHEMA), manifest(pl.DataFrame(schema=ITEM_SCHEMA), {}), \
            note or "no mapped utterance is long enough"
    instances = inputs.instances if inputs.instances is not None else pl.DataFrame(
        schema={"instance_id": pl.String, "identity": pl.String, "timestamp_s": pl.Float64, "path": pl.String})
    instances = instances.with_columns(pl.col("identity").cast(pl.String))
    images = images_during(utterances, instances, inputs.faces, params.context_s)
    features = {}
    if inputs.voice_features is not None and not inputs.voice_features.is_empty():
        features = {r["speaker"]: r for r in inputs.voice_features.iter_rows(named=True)}
    vocals = inputs.vocals_path or inputs.mix_path
    cues = dialogue_cues(inputs.cues)
    rows = []
    for index, (row, (ids, face_paths, cutout_paths)) in enumerate(zip(utterances.iter_rows(named=True), images)):
        item = f"{row['character']}_{index:05d}_{row['start_s']:09.3f}"
        folder = out_dir / "clips" / row["character"]
        vocals_clip, mix_clip, voice = paths = (folder / f"{item}.vocals.wav", folder / f"{item}.mix.wav",
                                                out_dir / "voices" / row["character"] / "wavs" / f"{item}.wav")

        def cut(row=row, paths=paths) -> float | None:
            cut_clip(vocals, row["start_s"], row["end_s"], paths[0])
            cut_clip(inputs.mix_path, row["start_s"], row["end_s"], paths[1])
            return voice_clip(vocals, row["start_s"], row["end_s"], paths[2], params.voice_rate, params.target_lufs)[1]
        loudness = cut() if reuse is None else reuse.clips(item, row["start_s"], row["end_s"], paths,
                                                           [relative(p) for p in paths], cut)
        transcript, transcript_source = overlapping_text(row["start_s"], row["end_s"], cues), SUBTITLES
        transcript_note = "" if transcript else "; ".join(
            n for n in ("no subtitle cue over it" if cues is not None else NO_SUBTITLES, inputs.transcription_note)
            if n)
        if not transcript and transcriber is not None:  # the ASR only where the subtitles say nothing
            transcript, transcript_note, transcript_source = transcriber.transcribe_file(vocals_clip), "", ASR
        voice_of = features.get(row["speaker"], {})
        rows.append({"item_id": item, "identity": row["identity"], "name": row["name"], "character": row["character"],
                     "speaker": row["speaker"], "start_s": row["start_s"], "end_s": row["end_s"],
                     "duration_s": round(row["end_s"] - row["start_s"], 3), "vocals_clip": relative(vocals_clip),
                     "mix_clip": relative(mix_clip), "voice_clip": relative(voice), "face_paths": face_paths,
                     "cutout_paths": cutout_paths, "instance_ids": ids, "transcript": transcript,
                     "transcript_source": transcript_source if transcript else None,
                     "transcript_note": transcript_note, "confidence": row["confidence"], "evidence": row["evidence"],
                     "f0_median_hz": voice_of.get("f0_median_hz"), "speaking_rate": voice_of.get("onsets_per_s"),
                     "loudness_lufs": None if loudness is None else round(loudness, 2)})
    items = pl.DataFrame(rows, schema=ITEM_SCHEMA)
    voice_folders = {}
    for (character,), group in items.group_by(["character"], maintain_order=True):
        folder = out_dir / "voices" / character
        write_ljspeech_metadata(group, folder)
        voice_folders[character] = relative(folder)
    write_hf_dataset(items, absolute_in(out_dir, relative, absolute), out_dir / "hf")
    table = manifest(items, voice_folders, note)
    table.write_json(out_dir / "manifest.json")
    return items, table, note


def absolute_in(out_dir: Path, relative: Callable[[Path], str], absolute: Callable[[str], Path]):
    """Resolves stored paths, reading files still in the staging folder from there (they move on commit)."""
    final = Path(relative(out_dir))

    def resolve(stored: str) -> Path:
        path = Path(stored)
        try:
            return out_dir / path.relative_to(final)
        except ValueError:
            return absolute(stored)
    return resolve


def clear(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
