"""A film that mixes drawn (2D) and rendered or filmed shots: which face detectors each shot gets. No Dagster.

With ``preset: auto`` the faces stage measures every shot's style from a few of its frames
(resources/style.shot_styles). When measured shots disagree, one embedding still serves the whole film (two
embedding spaces cannot be clustered together), the one of the film's preset, whose identity thresholds the
identities stage applies: a film measured ``anime`` keeps the drawn-face analyzer (its general-vision + colour
embedding reads rendered faces too) and its rendered shots get the photo detectors (SCRFD, then YuNet); a film
measured ``3d`` keeps the photo analyzer and its drawn shots get the LBP anime cascade before its detectors (ONNX
backend; InsightFace's detectors stay as they are). Only the detectors change per shot.
"""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import polars as pl

PHOTO_DETECTORS = ("scrfd", "yunet")


def shot_frames(frames: pl.DataFrame, resolve: Callable[[str], Path], per_shot: int = 3) -> dict[int, list[np.ndarray]]:
    """Up to ``per_shot`` RGB frames of each shot (evenly picked from the frames table's ``shot`` / ``path``);
    unreadable images are skipped (the shot is then measured on fewer, or kept at the film's preset)."""
    out: dict[int, list[np.ndarray]] = {}
    if "shot" not in frames.columns:
        return out
    for (shot,), group in frames.filter(pl.col("path").is_not_null()).sort("frame_id").group_by(
            ["shot"], maintain_order=True):
        paths = group["path"].to_list()
        picked = [paths[int(i)] for i in np.unique(np.linspace(0, len(paths) - 1, min(per_shot, len(paths))))]
        images = [cv2.imread(str(resolve(p)), cv2.IMREAD_COLOR) for p in picked]
        out[int(shot)] = [cv2.cvtColor(i, cv2.COLOR_BGR2RGB) for i in images if i is not None]
    return out


def detector_plan(frames: pl.DataFrame, shot_presets: dict[int, str], drawn_order: Sequence[str],
                  other_order: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """frame_id -> detector order: ``drawn_order`` in shots measured ``anime``, ``other_order`` in the others;
    frames of shots without a decision get the drawn order (the film is drawn in part)."""
    order = {"anime": tuple(drawn_order), "3d": tuple(other_order)}
    shots = dict(zip(frames["frame_id"], frames["shot"])) if "shot" in frames.columns else {}
    return {frame_id: order[shot_presets.get(shots.get(frame_id), "anime")] for frame_id in frames["frame_id"]}


def orders(anime_film: bool, drawn_detectors: Sequence[str], photo_backend: str,
           photo_detectors: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(detectors to add to the analyzer, order in drawn shots, order in the other shots) for a mixed film."""
    if anime_film:
        return PHOTO_DETECTORS, tuple(drawn_detectors), PHOTO_DETECTORS
    drawn = (("anime",) if photo_backend == "onnx" else ()) + tuple(d for d in photo_detectors if d != "anime")
    return (), drawn, tuple(photo_detectors)


@dataclass(frozen=True)
class ShotMix:
    """Whether the film mixes drawn and other shots, and then each frame's detector order."""

    mixed: bool
    plan: dict[str, tuple[str, ...]]
    fallback: tuple[str, ...] = ()
    also: tuple[str, ...] = ()    # detectors the film's analyzer needs besides its own

    def detectors_for(self) -> Callable[[str], tuple[str, ...]] | None:
        return (lambda frame_id: self.plan.get(frame_id, self.fallback)) if self.mixed else None


def frames_fingerprint(frames: pl.DataFrame) -> str:
    columns = [c for c in ("frame_id", "shot", "path") if c in frames.columns]
    text = "\n".join(",".join(str(v) for v in row) for row in frames.select(columns).sort("frame_id").iter_rows())
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def shot_mix(film: str, frames: pl.DataFrame, resolve: Callable[[str], Path], anime: bool,
             drawn_detectors: Sequence[str], photo_backend: str = "onnx",
             photo_detectors: Sequence[str] = PHOTO_DETECTORS) -> ShotMix:
    """With ``preset: auto``: each shot's style (measured once per set of frames, recorded in the film's
    style.json with the reasons) and, for a mixed film, the detectors to add to the film's analyzer and the
    per-frame detector plan (``orders``). An explicit preset: no mix."""
    from resources.style import (ShotStyle, configured_preset, is_mixed, read_style_record, record_shot_styles,
                                 shot_styles)

    if configured_preset(film) != "auto" or frames.height == 0:
        return ShotMix(False, {})
    fingerprint = frames_fingerprint(frames)
    record = read_style_record(film)
    if record.get("shots_frames") == fingerprint and isinstance(record.get("shots"), dict):
        styles = {int(k): ShotStyle(**v) for k, v in record["shots"].items()}
    else:
        styles = shot_styles(shot_frames(frames, resolve), "anime" if anime else "3d")
    mixed = is_mixed(styles)
    also, drawn_order, other_order = orders(anime, drawn_detectors, photo_backend, photo_detectors)
    used = (f"faces: {'drawn' if anime else 'photo'} identity embedding for every face (the film's preset); "
            f"detectors {', '.join(drawn_order)} in drawn shots, {', '.join(other_order)} in the others" if mixed
            else "faces: one kind of shot; the film's preset everywhere")
    record_shot_styles(film, styles, used, fingerprint)
    if not mixed:
        return ShotMix(False, {})
    plan = detector_plan(frames, {shot: style.preset for shot, style in styles.items()}, drawn_order, other_order)
    return ShotMix(True, plan, drawn_order, also)
