"""One training caption per kept, identified instance. No Dagster, no model import.

A caption is ``<film prefix>, <trigger word>, <body>``; the body comes from the captioner (measured phrases, or a
vision-language model told the measured view). Captions are kept within CLIP's 77 tokens, counted with the real
CLIP tokenizer, by dropping trailing phrases; the prefix and trigger word are never dropped.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from assets.captions.tokens import CLIP_MAX_TOKENS, fit_phrases
from assets.pose.core import load_cutout_rgb
from assets.pose.selection import face_boxes, face_yaws
from assets.pose.views import body_extent, pose_phrases, upright_body_problem
from resources.backends.measured_captions import PixelMeasures, fact_phrases

CAPTION_SCHEMA = {"instance_id": pl.String, "identity": pl.String, "trigger": pl.String, "caption": pl.String,
                  "clip_tokens": pl.Int32, "dropped_phrases": pl.Int32, "view": pl.String, "pose_bucket": pl.String,
                  "shot": pl.String, "backend": pl.String, "model": pl.String, "prompt_version": pl.String}


@dataclass(frozen=True)
class CaptionParams:
    prefix: str = ""                 # per film / preset: "2d animation, cel shading" (anime), "a 3d animated
                                     # character, smooth shading" (3d): what the style measure tells, no more
    max_tokens: int = CLIP_MAX_TOKENS  # CLIP's context, start/end tokens included; trailing phrases are dropped to fit
    background: int = 127            # grey the cut-out is composited on before captioning
    min_confidence: float = 0.3
    closeup_face_fraction: float = 0.25   # face height / frame height at or above: close-up
    wide_instance_fraction: float = 0.3   # full body and instance height / frame height below: wide shot

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "CaptionParams":
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})


def shot_size(face_height: float | None, instance_height: float, frame_height: float | None, extent: str,
              params: CaptionParams) -> str | None:
    """Shot size from measured sizes: the face's share of the frame height, else how much body the keypoints see
    and the instance's share of the frame height. None when nothing was measured."""
    if frame_height and face_height and face_height / frame_height >= params.closeup_face_fraction:
        return "close-up"
    if extent == "full_body":
        if frame_height and instance_height / frame_height < params.wide_instance_fraction:
            return "wide shot"
        return "full body shot"
    if extent == "upper_body":
        return "medium shot"
    if extent == "head_shoulders":
        return "medium close-up"
    return None


def caption_facts(rows: pl.DataFrame, poses: pl.DataFrame | None, faces: pl.DataFrame | None,
                  frames: pl.DataFrame | None, params: CaptionParams) -> list[dict[str, Any]]:
    """Per row of ``rows`` (identified instances): trigger, view, pose phrases, shot size, pose bucket."""
    pose_by_id = {r["instance_id"]: r for r in poses.iter_rows(named=True)} if poses is not None else {}
    heights = dict(zip(frames["frame_id"], frames["height"])) if frames is not None and "height" in frames.columns \
        else {}
    faces_by_id, boxes = face_yaws(faces), face_boxes(faces)
    facts = []
    for row in rows.iter_rows(named=True):
        pose = pose_by_id.get(row["instance_id"], {})
        kp = None
        if pose.get("keypoints") is not None and pose.get("no_pose_reason") is None:
            kp = np.asarray(pose["keypoints"], np.float32).reshape(17, 3)
            if upright_body_problem(kp, boxes.get(row["instance_id"]), params.min_confidence) is not None:
                kp = None  # joints that draw no body (a drawn character's hips at its eyes) tell nothing of its pose
        face_height = faces_by_id.get(row["instance_id"], (None, None))[1]
        shot = shot_size(face_height, float(row["y1"] - row["y0"]), heights.get(row.get("frame_id")),
                         body_extent(kp, params.min_confidence), params)
        facts.append({"name": row["trigger"], "view": pose.get("view"), "pose": pose_phrases(kp, params.min_confidence),
                      "shot": shot, "pose_bucket": pose.get("pose_bucket")})
    return facts


def compose(prefix: str, trigger: str, body: str, max_tokens: int) -> tuple[str, int, int]:
    """(caption, CLIP token count, phrases dropped to fit)."""
    head = [p.strip() for p in prefix.split(",") if p.strip()] + [trigger]
    phrases = [p.strip() for p in body.replace("\n", " ").split(",") if p.strip()]
    phrases = [p for p in phrases if p.lower() != trigger.lower()]
    kept, count = fit_phrases(head + phrases, fixed=len(head), max_tokens=max_tokens)
    return ", ".join(kept), count, len(head) + len(phrases) - len(kept)


USUAL_LOOK_MIN_ITEMS = 3  # an identity's usual look is read over at least this many of its cut-outs
USUAL_COLOUR_SHARE = 0.5  # a colour name in at least this share of an identity's cut-outs is part of the character


def cutout_measures(rows: pl.DataFrame, absolute: Callable[[str], Path], background: int
                    ) -> list[PixelMeasures | None]:
    """Per row, its cut-out's ``pixel_measures`` (resources/backends/measured_captions.py: the character's
    luminance (mean, spread) and colour names); None where the cut-out is unreadable."""
    from resources.backends.measured_captions import pixel_measures

    measures: list[PixelMeasures | None] = []
    for row in rows.iter_rows(named=True):
        try:
            rgb, alpha = load_cutout_rgb(absolute(row["path"]), background)
        except ValueError:
            measures.append(None)
            continue
        measures.append(pixel_measures(rgb, alpha))
    return measures


def usual_looks(rows: pl.DataFrame, measures: list[PixelMeasures | None]) -> dict[str, dict[str, Any]]:
    """identity -> its usual look over its readable cut-outs (``measures``: ``cutout_measures`` of ``rows``):
    ``light_reference``, the median (mean, spread) of their pixels' luminance, and ``usual_colours``, the colour
    names at least USUAL_COLOUR_SHARE of them show. A caption names what varies between a character's images; its
    constant colours and light are the character's, what the trigger word learns (measured_captions). Identities
    with fewer than USUAL_LOOK_MIN_ITEMS readable cut-outs get none."""
    measured: dict[str, list[tuple[tuple[float, float], list[str]]]] = {}
    for identity, measure in zip(rows["identity"], measures):
        if measure is not None and measure[0] is not None:
            measured.setdefault(str(identity), []).append(measure)
    looks = {}
    for identity, items in measured.items():
        if len(items) < USUAL_LOOK_MIN_ITEMS:
            continue
        counts = Counter(name for _, names in items for name in names)
        usual = sorted(name for name, count in counts.items() if count >= USUAL_COLOUR_SHARE * len(items))
        looks[identity] = {"light_reference": (float(np.median([m for (m, _), _ in items])),
                                               float(np.median([s for (_, s), _ in items]))),
                           "usual_colours": usual}
    return looks


def caption_instances(rows: pl.DataFrame, facts: list[dict[str, Any]], captioner: Any, params: CaptionParams,
                      absolute: Callable[[str], Path], batch_size: int = 16) -> pl.DataFrame:
    """Caption every row; an unreadable cut-out is not shown to the captioner and gets prefix + trigger + the
    measured view, pose and shot phrases only. A captioner that reads an image against the character's usual look
    (``uses_usual_look``) gets its identity's ``light_reference`` and ``usual_colours`` in each fact."""
    measures = cutout_measures(rows, absolute, params.background) \
        if getattr(captioner, "uses_usual_look", False) else None
    looks = usual_looks(rows, measures) if measures is not None else {}
    # a captioner that reads only the measures gets them instead of a second decode of every cut-out
    from_measures = measures is not None and getattr(captioner, "reads_measures", False)
    out = []
    for start in range(0, rows.height, batch_size):
        chunk = rows.slice(start, batch_size)
        images, chunk_facts, readable = [], [], []
        for i, (row, fact) in enumerate(zip(chunk.iter_rows(named=True), facts[start:start + batch_size])):
            chunk_facts.append(dict(fact))
            chunk_facts[-1].update(looks.get(str(row["identity"]), {}))
            if from_measures:
                if measures[start + i] is not None:
                    images.append(None)
                    chunk_facts[-1]["measures"] = measures[start + i]
                    readable.append(i)
                continue
            try:
                rgb, alpha = load_cutout_rgb(absolute(row["path"]), params.background)
            except ValueError:
                continue
            images.append(rgb)
            chunk_facts[-1]["alpha"] = alpha
            readable.append(i)
        bodies = [", ".join(fact_phrases(f)) for f in chunk_facts]
        for i, body in zip(readable, captioner.caption(images, [chunk_facts[i] for i in readable]) if readable else []):
            bodies[i] = body
        for row, fact, body in zip(chunk.iter_rows(named=True), chunk_facts, bodies):
            caption, count, dropped = compose(params.prefix, row["trigger"], body, params.max_tokens)
            out.append({"instance_id": row["instance_id"], "identity": str(row["identity"]),
                        "trigger": row["trigger"], "caption": caption, "clip_tokens": count,
                        "dropped_phrases": dropped, "view": fact.get("view"), "pose_bucket": fact.get("pose_bucket"),
                        "shot": fact.get("shot"), "backend": captioner.name, "model": str(captioner.model),
                        "prompt_version": captioner.prompt_version})
    return pl.DataFrame(out, schema=CAPTION_SCHEMA)
