"""Character-voice-face triplets and the files trainers read. No Dagster, no models (the ASR is passed in).

Per mapped utterance (a speech segment whose speaker ``voice_map`` tied to an identity): a clip from the
separated vocals and one from the mix, the face crops and cut-outs of that identity on the kept frames during it
(``context_s`` either side, within its shot's reach), identity and name, timing and the speaker's voice features.
Exports: a Hugging Face ``datasets`` folder (Parquet with ``Audio`` and ``Image`` features; one row per
utterance-image pair, and utterances without an image once, image None), an LJSpeech folder per character
(``wavs/``, ``metadata.csv``; loudness-normalised 22.05 kHz mono PCM16) and a manifest per character. A clip without
a transcript (no ASR weights, ASR off, or nothing heard) is left out of ``metadata.csv``, whose every line a TTS
trainer reads as a clip and its text, and listed in ``untranscribed.txt`` beside it; the manifest counts both and
its note says why (session 38: ``chip_00000_00067.160||`` lines trained on empty text).
"""

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import soundfile as sf

from assets.datasets.formats import HfParquetWriter
from assets.datasets.selection import NOT_CHARACTERS, character_names

ITEM_SCHEMA = {"item_id": pl.String, "identity": pl.String, "name": pl.String, "character": pl.String,
               "speaker": pl.String, "start_s": pl.Float64, "end_s": pl.Float64, "duration_s": pl.Float64,
               "vocals_clip": pl.String, "mix_clip": pl.String, "voice_clip": pl.String,
               "face_paths": pl.List(pl.String), "cutout_paths": pl.List(pl.String),
               "instance_ids": pl.List(pl.String), "transcript": pl.String, "transcript_source": pl.String,
               "transcript_note": pl.String,
               "confidence": pl.Float64, "evidence": pl.String, "f0_median_hz": pl.Float64,
               "speaking_rate": pl.Float64, "loudness_lufs": pl.Float64}
MANIFEST_SCHEMA = {"character": pl.String, "identity": pl.String, "name": pl.String, "utterances": pl.Int64,
                   "speech_s": pl.Float64, "images": pl.Int64, "faces": pl.Int64, "cutouts": pl.Int64,
                   "voice_folder": pl.String, "transcribed": pl.Int64, "from_subtitles": pl.Int64,
                   "note": pl.String}
UNTRANSCRIBED = "untranscribed.txt"   # beside metadata.csv: the ids of the clips in wavs/ that have no transcript


@dataclass(frozen=True)
class MultimodalParams:
    min_utterance_s: float = 0.4      # shorter turns are breaths or fragments, not lines
    max_utterance_s: float = 15.0     # TTS trainers expect single lines; longer turns are cut here
    context_s: float = 1.0            # frames this far before / after an utterance still show its speaker
    voice_rate: int = 22050           # LJSpeech's sample rate
    target_lufs: float = -23.0        # EBU R128 programme loudness for the voice folders
    min_confidence: float = 0.0       # only speakers mapped at least this confidently
    asr_model: str = ""               # Whisper save_pretrained folder ("" = $CASTFORGE_MODELS/asr/whisper-*; off)


def mapped_utterances(segments: pl.DataFrame, speaker_identities: pl.DataFrame, identities: pl.DataFrame | None,
                      params: MultimodalParams, film: str) -> pl.DataFrame:
    """speech segments of mapped speakers, with identity, current name and ``character``: the character's folder
    name in every export (``character_names``: its reviewed name slugged, else ``<film>_char<n>``)."""
    if segments.is_empty() or speaker_identities.is_empty():
        return pl.DataFrame(schema={"speaker": pl.String, "start_s": pl.Float64, "end_s": pl.Float64,
                                    "identity": pl.String, "name": pl.String, "character": pl.String,
                                    "confidence": pl.Float64, "evidence": pl.String})
    # a speaker voice_map put on the noise bin (its lip-synced faces were in no identity) is no character's voice
    mapped = speaker_identities.filter((pl.col("confidence") >= params.min_confidence)
                                       & ~pl.col("identity").cast(pl.String).is_in(list(NOT_CHARACTERS)))
    mapped = mapped.select("speaker", pl.col("identity").cast(pl.String), "confidence",
                           (pl.col("evidence") if "evidence" in mapped.columns else pl.lit("cooccurrence")).alias("evidence"))
    if identities is not None and "name" in identities.columns:  # the review's current names, not voice_map's copy
        mapped = mapped.join(identities.select(pl.col("identity").cast(pl.String), pl.col("name").cast(pl.String)),
                             on="identity", how="left")
    else:
        mapped = mapped.with_columns(pl.lit(None, dtype=pl.String).alias("name"))
    out = (segments.filter(pl.col("duration_s") >= params.min_utterance_s)
           .select("speaker", "start_s", pl.min_horizontal(pl.col("end_s"), pl.col("start_s") + params.max_utterance_s)
                   .alias("end_s"))
           .join(mapped, on="speaker").sort("start_s"))
    names = character_names(identities, film, dict(zip(out["identity"], out["name"])))
    return out.with_columns(pl.Series("character", [names[i][1] for i in out["identity"]], dtype=pl.String))


def images_during(utterances: pl.DataFrame, instances: pl.DataFrame, faces: pl.DataFrame | None,
                  context_s: float) -> list[tuple[list[str], list[str], list[str]]]:
    """Per utterance: (instance ids, face crop paths, cut-out paths) of its identity on frames within
    ``context_s`` of it. ``instances`` carries instance_id, identity, timestamp_s and path (the RGBA cut-out)."""
    crops = {} if faces is None or faces.is_empty() or "crop_path" not in faces.columns else dict(
        zip(faces["instance_id"].to_list(), faces["crop_path"].to_list()))
    out = []
    for row in utterances.iter_rows(named=True):
        near = instances.filter((pl.col("identity") == row["identity"])
                                & (pl.col("timestamp_s") >= row["start_s"] - context_s)
                                & (pl.col("timestamp_s") <= row["end_s"] + context_s)).sort("timestamp_s")
        ids = near["instance_id"].to_list()
        out.append((ids, [crops[i] for i in ids if crops.get(i)], [p for p in near["path"].to_list() if p]))
    return out


def cut_clip(source: Path, start_s: float, end_s: float, out_path: Path) -> Path:
    data, rate = sf.read(str(source), start=int(start_s * sf.info(str(source)).samplerate),
                         frames=max(int((end_s - start_s) * sf.info(str(source)).samplerate), 1),
                         dtype="float32", always_2d=True)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(out_path), data, rate, subtype="PCM_16")
    return out_path


def voice_clip(source: Path, start_s: float, end_s: float, out_path: Path, rate: int,
               target_lufs: float) -> tuple[Path, float | None]:
    """Mono ``rate`` Hz PCM16, loudness-normalised to ``target_lufs`` (peak kept below -1 dBFS);
    returns the path and the clip's loudness before normalisation (None when too short or silent to measure)."""
    import librosa
    import pyloudnorm

    info = sf.info(str(source))
    data, _ = sf.read(str(source), start=int(start_s * info.samplerate),
                      frames=max(int((end_s - start_s) * info.samplerate), 1), dtype="float32", always_2d=True)
    mono = librosa.resample(data.mean(axis=1), orig_sr=info.samplerate, target_sr=rate)
    loudness = None
    if len(mono) >= int(0.4 * rate):  # the meter's 400 ms gating block
        measured = pyloudnorm.Meter(rate).integrated_loudness(mono)
        if np.isfinite(measured) and measured > -70:
            loudness = float(measured)
            mono = mono * 10 ** ((target_lufs - measured) / 20)
    peak = float(np.max(np.abs(mono))) if len(mono) else 0.0
    if peak > 10 ** (-1 / 20):
        mono = mono * (10 ** (-1 / 20) / peak)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(out_path), mono.astype(np.float32), rate, subtype="PCM_16")
    return out_path, loudness


def write_ljspeech_metadata(items: pl.DataFrame, folder: Path) -> Path:
    """``metadata.csv``: ``id|transcript|normalised transcript`` per transcribed clip, pipe-separated, no header
    (LJSpeech); the ids of clips without a transcript go to ``untranscribed.txt``, one a line (written only when
    there are some): an empty transcript column is no LJSpeech line, a trainer would learn the clip says nothing."""
    path = folder / "metadata.csv"
    untranscribed = []
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="|", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        for row in items.iter_rows(named=True):
            text = (row["transcript"] or "").strip()
            if text:
                writer.writerow([Path(row["voice_clip"]).stem, text, " ".join(text.lower().split())])
            else:
                untranscribed.append(Path(row["voice_clip"]).stem)
    (folder / UNTRANSCRIBED).unlink(missing_ok=True)
    if untranscribed:
        (folder / UNTRANSCRIBED).write_text("".join(f"{clip}\n" for clip in untranscribed), encoding="utf-8")
    return path


def transcribed(items: pl.DataFrame) -> pl.Series:
    """Per item: whether its transcript has text (what ``metadata.csv`` holds)."""
    return items["transcript"].fill_null("").str.strip_chars().str.len_chars() > 0


def untranscribed_note(group: pl.DataFrame) -> str:
    """Why some of a character's clips are not in its ``metadata.csv`` ("" when all are)."""
    missing = group.filter(~transcribed(group))
    if missing.is_empty():
        return ""
    reasons = sorted({r for r in missing["transcript_note"].fill_null("").to_list() if r}) or ["the ASR heard no words"]
    return (f"{missing.height} of {group.height} clips have no transcript ({'; '.join(reasons)}): left out of "
            f"metadata.csv, their ids in {UNTRANSCRIBED}")


def manifest(items: pl.DataFrame, voice_folders: dict[str, str], note: str = "") -> pl.DataFrame:
    if items.is_empty():
        return pl.DataFrame(schema=MANIFEST_SCHEMA)
    rows = []
    for (character,), group in items.group_by(["character"], maintain_order=True):
        faces = sum(len(v) for v in group["face_paths"].to_list())
        cutouts = sum(len(v) for v in group["cutout_paths"].to_list())
        rows.append({"character": character, "identity": group["identity"][0], "name": group["name"][0],
                     "utterances": group.height, "speech_s": round(float(group["duration_s"].sum()), 3),
                     "images": faces + cutouts, "faces": faces, "cutouts": cutouts,
                     "voice_folder": voice_folders.get(character, ""), "transcribed": int(transcribed(group).sum()),
                     "from_subtitles": int((group["transcript_source"] == "subtitles").sum()),
                     "note": "; ".join(n for n in (note, untranscribed_note(group)) if n)})
    return pl.DataFrame(rows, schema=MANIFEST_SCHEMA)


_BLOB = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
_TEXT = (pa.string(), {"dtype": "string", "_type": "Value"})
_SECONDS = (pa.float64(), {"dtype": "float64", "_type": "Value"})
# the `datasets` feature schema of the export (assets/datasets/formats.py writes it into the Parquet metadata), so
# `datasets.load_dataset` decodes `audio` / `mix_audio` as audio and `image` as an image
MULTIMODAL_HF_COLUMNS = {
    "item_id": _TEXT, "character": _TEXT, "identity": _TEXT, "name": _TEXT, "speaker": _TEXT, "start_s": _SECONDS,
    "end_s": _SECONDS, "transcript": _TEXT, "audio": (_BLOB, {"_type": "Audio"}),
    "mix_audio": (_BLOB, {"_type": "Audio"}), "image": (_BLOB, {"_type": "Image"}), "image_kind": _TEXT}
HF_SHARD = "train-00000-of-00001.parquet"


def hf_rows(items: pl.DataFrame, absolute) -> Iterator[dict]:
    """The export's rows, one per (utterance, image), an utterance without images once; each file's bytes are read
    as its row is made."""
    for row in items.iter_rows(named=True):
        images = [(p, "face") for p in row["face_paths"]] + [(p, "cutout") for p in row["cutout_paths"]]
        for path, kind in images or [(None, None)]:
            yield {**{key: row[key] for key in ("item_id", "character", "identity", "name", "speaker", "start_s",
                                                "end_s", "transcript")},
                   "audio": _embedded(absolute(row["vocals_clip"])),
                   "mix_audio": _embedded(absolute(row["mix_clip"])),
                   "image": None if path is None else _embedded(absolute(path)), "image_kind": kind}


def _embedded(path: Path) -> dict:
    """A file as ``datasets`` stores it inside Parquet: its bytes and its name (the export stands alone)."""
    return {"bytes": Path(path).read_bytes(), "path": Path(path).name}


def write_hf_dataset(items: pl.DataFrame, absolute, folder: Path) -> Path:
    """A Parquet shard ``folder/data/train-00000-of-00001.parquet`` with the audio and image bytes embedded
    (``datasets`` ``Audio`` / ``Image`` features): ``datasets.load_dataset(str(folder))`` reads it with nothing else
    on disk. Written with pyarrow a row group at a time and moved into place whole (no `datasets` import: it pulls
    in torch, about 7 s a process); no rows: no shard (``load_dataset`` refuses a 0-row file)."""
    writer = HfParquetWriter(folder / "data" / HF_SHARD, row_group=16, columns=MULTIMODAL_HF_COLUMNS)
    try:
        for row in hf_rows(items, absolute):
            writer.add(row)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    return folder
