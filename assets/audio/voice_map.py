"""Speakers mapped to identities by audio-visual co-occurrence. No Dagster, no models.

Every kept frame stands for the stretch of its shot nearest to it (half-way to its neighbours, within the shot).
While a speaker talks, each identity visible on the frames covering that speech earns the overlapping time. For a
(speaker, identity) pair: ``presence`` = co-occurring time / the speaker's speech time that frames cover (is the
identity on screen when this voice talks?), ``specificity`` = the pair's co-occurring time / all speakers' time
with that identity (does this identity show up with this voice rather than with every voice?); ``confidence`` is
their product. Each speaker takes its most confident identity when it rests on at least ``min_frames`` frames.

Mouth movement (assets/audio/active_speakers.py) is the stronger evidence where faces were followed while a voice
talked: ``sync_correlation`` (mouth movement against the speaker's activity, at the best lip-sync offset
``sync_lag_s``). Where it exists the pair's confidence is ``(1 - sync_weight) * co-occurrence + sync_weight *
max(sync_correlation, 0)`` and ``evidence`` says ``lip_sync``; a speaker heard while faces were followed but whose
voice no mouth follows (every correlation below ``min_sync_correlation``) is off-screen and stays unmapped.
"""

from dataclasses import dataclass

import numpy as np
import polars as pl

from assets.identities.core import NOISE

PAIR_SCHEMA = {"speaker": pl.String, "identity": pl.String, "name": pl.String, "cooccurrence_s": pl.Float64,
               "speech_s": pl.Float64, "observed_s": pl.Float64, "presence": pl.Float64,
               "specificity": pl.Float64, "confidence": pl.Float64, "frames": pl.Int64, "segments": pl.Int64}
SYNC_COLUMNS = {"sync_correlation": pl.Float64, "sync_lag_s": pl.Float64, "sync_observed_s": pl.Float64,
                "sync_shots": pl.Int64}
MAP_SCHEMA = {"speaker": pl.String, "identity": pl.String, "name": pl.String, "confidence": pl.Float64,
              "cooccurrence_s": pl.Float64, "frames": pl.Int64, "segments": pl.Int64,
              "cooccurrence_confidence": pl.Float64, **SYNC_COLUMNS, "evidence": pl.String}


@dataclass(frozen=True)
class VoiceMapParams:
    min_frames: int = 2              # a speaker takes an identity only when seen with it on at least this many frames
    max_frame_span_s: float = 2.0  # a frame never stands for more than this either side of it
    lip_sync: bool = True          # follow the faces' mouths around speech (decodes the video there)
    sync_rate: float = 12.5        # mouth samples per second
    max_lag_s: float = 0.4         # lip-sync offsets searched either way
    sync_weight: float = 0.7       # share of the mouth evidence in a pair's confidence where it exists
    min_sync_correlation: float = 0.15  # below this a mouth does not follow the voice
    face_mesh_mouths: bool = True  # photo / 3D mouths from the face_landmarker resource (missing: lower-face motion)
    drawn_mouths: bool = True      # 2D mouths from the drawn face detector's mouth corners (face_analyzer resource)
    # a drawn face whose mouth the 2D reader missed on each of its first n samples in a shot is read by lower-face
    # motion (0: asked until it missed half of them; AnimeFace costs 10-70 ms of CPU a sample)
    drawn_first_misses: int = 8


def frame_spans(frames: pl.DataFrame, shots: pl.DataFrame | None, max_span_s: float) -> pl.DataFrame:
    """frame_id, start_s, end_s: the stretch of film each kept frame stands for."""
    kept = frames.filter(pl.col("kept")) if "kept" in frames.columns else frames
    kept = kept.select("frame_id", "shot", "timestamp_s").sort("timestamp_s")
    bounds = {}
    if shots is not None and shots.height:
        # image-folder films have shots without times: those frames fall back to max_span_s around themselves
        bounds = {row["shot"]: (row["start_s"], row["end_s"]) for row in shots.iter_rows(named=True)
                  if row["start_s"] is not None and row["end_s"] is not None}
    rows = []
    for (shot,), group in kept.group_by(["shot"], maintain_order=True):
        times = group["timestamp_s"].to_numpy()
        lo, hi = bounds.get(shot, (times.min() - max_span_s, times.max() + max_span_s))
        mids = (times[1:] + times[:-1]) / 2
        starts = np.maximum(np.concatenate([[lo], mids]), times - max_span_s)
        ends = np.minimum(np.concatenate([mids, [hi]]), times + max_span_s)
        rows += [{"frame_id": f, "start_s": float(s), "end_s": float(e)}
                 for f, s, e in zip(group["frame_id"], starts, ends)]
    return pl.DataFrame(rows, schema={"frame_id": pl.String, "start_s": pl.Float64, "end_s": pl.Float64})


def visible_identities(instances: pl.DataFrame, instance_identities: pl.DataFrame) -> pl.DataFrame:
    """frame_id, identity: which identities appear on which frame (once per frame). Cut-outs left as noise are
    no character: a voice mapped to "noise" had no dataset to go to (multimodal_datasets failed on it, session 39)."""
    return (instances.select("instance_id", "frame_id")
            .join(instance_identities.select("instance_id", "identity"), on="instance_id")
            .filter(pl.col("identity").is_not_null() & (pl.col("identity").cast(pl.String) != NOISE))
            .select("frame_id", "identity").unique())


def voice_map(segments: pl.DataFrame, spans: pl.DataFrame, visible: pl.DataFrame, identities: pl.DataFrame | None,
              params: VoiceMapParams = VoiceMapParams()) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(every speaker-identity pair with its evidence, the best identity per speaker)."""
    if segments.height == 0 or spans.height == 0:
        return pl.DataFrame(schema=PAIR_SCHEMA), pl.DataFrame(schema=MAP_SCHEMA)
    seg = segments.select("speaker", "start_s", "end_s").with_row_index("segment")
    # an inequality join keeps only overlapping (segment, frame) pairs: a film's thousands of each stay small
    overlaps = (seg.join_where(spans.rename({"start_s": "f_start", "end_s": "f_end"}),
                               pl.col("start_s") < pl.col("f_end"), pl.col("end_s") > pl.col("f_start"))
                .with_columns((pl.min_horizontal("end_s", "f_end") - pl.max_horizontal("start_s", "f_start"))
                              .alias("overlap_s"))
                .filter(pl.col("overlap_s") > 0))
    speech = segments.group_by("speaker").agg(pl.col("duration_s").sum().alias("speech_s"))
    observed = overlaps.group_by("speaker").agg(pl.col("overlap_s").sum().alias("observed_s"))
    pairs = (overlaps.join(visible, on="frame_id")
             .group_by("speaker", "identity")
             .agg(pl.col("overlap_s").sum().alias("cooccurrence_s"), pl.col("frame_id").n_unique().alias("frames"),
                  pl.col("segment").n_unique().alias("segments")))
    if pairs.height == 0:
        return pl.DataFrame(schema=PAIR_SCHEMA), pl.DataFrame(schema=MAP_SCHEMA)
    identity_total = pairs.group_by("identity").agg(pl.col("cooccurrence_s").sum().alias("identity_s"))
    names = (identities.select("identity", pl.col("name").cast(pl.String)) if identities is not None
             and "name" in identities.columns else pl.DataFrame(schema={"identity": pl.String, "name": pl.String}))
    pairs = (pairs.join(speech, on="speaker").join(observed, on="speaker").join(identity_total, on="identity")
             .join(names, on="identity", how="left")
             .with_columns((pl.col("cooccurrence_s") / pl.col("observed_s")).clip(0, 1).alias("presence"),
                           (pl.col("cooccurrence_s") / pl.col("identity_s")).alias("specificity"))
             .with_columns((pl.col("presence") * pl.col("specificity")).alias("confidence"))
             .with_columns(pl.col(c).round(4) for c in ("cooccurrence_s", "observed_s", "speech_s", "presence",
                                                         "specificity", "confidence"))
             .select(list(PAIR_SCHEMA)).cast(PAIR_SCHEMA)
             .sort(["speaker", "confidence", "identity"], descending=[False, True, False]))
    best = (pairs.filter(pl.col("frames") >= params.min_frames)
            .group_by("speaker", maintain_order=True).first()
            .with_columns(pl.col("confidence").alias("cooccurrence_confidence"), pl.lit("cooccurrence").alias("evidence"),
                          *(pl.lit(None, dtype=t).alias(c) for c, t in SYNC_COLUMNS.items()))
            .select(list(MAP_SCHEMA)).cast(MAP_SCHEMA))
    return pairs, best


def with_lip_sync(pairs: pl.DataFrame, best: pl.DataFrame, sync: pl.DataFrame,
                  params: VoiceMapParams = VoiceMapParams()) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Pairs and the best identity per speaker with the mouth evidence (``active_speakers.pooled_evidence``)
    folded in; co-occurrence stays the prior; off-screen voices (followed faces, no mouth moving with them) drop."""
    if sync.is_empty() or pairs.is_empty():
        return pairs.with_columns(*(pl.lit(None, dtype=t).alias(c) for c, t in SYNC_COLUMNS.items())), best
    w = params.sync_weight
    pairs = (pairs.join(sync, on=["speaker", "identity"], how="left")
             .with_columns(pl.col("confidence").alias("cooccurrence_confidence"))
             .with_columns(pl.when(pl.col("sync_correlation").is_not_null())
                           .then((1 - w) * pl.col("confidence") + w * pl.col("sync_correlation").clip(0, 1))
                           .otherwise(pl.col("confidence")).round(4).alias("confidence"),
                           pl.when(pl.col("sync_correlation").is_not_null()).then(pl.lit("lip_sync"))
                           .otherwise(pl.lit("cooccurrence")).alias("evidence"))
             .sort(["speaker", "confidence", "identity"], descending=[False, True, False]))
    followed = sync.group_by("speaker").agg(pl.col("sync_correlation").max().alias("best_sync"))
    off_screen = followed.filter(pl.col("best_sync") < params.min_sync_correlation)["speaker"]
    lip = pairs.filter(pl.col("sync_correlation") >= params.min_sync_correlation)
    prior = pairs.filter(~pl.col("speaker").is_in(followed["speaker"].implode()) & (pl.col("frames") >= params.min_frames))
    best = (pl.concat([lip, prior], how="diagonal_relaxed")
            .filter(~pl.col("speaker").is_in(off_screen.implode()))
            .sort(["speaker", "confidence", "identity"], descending=[False, True, False])
            .group_by("speaker", maintain_order=True).first()
            .select(list(MAP_SCHEMA)).cast(MAP_SCHEMA))
    return pairs.select(*PAIR_SCHEMA, "cooccurrence_confidence", *SYNC_COLUMNS, "evidence"), best
