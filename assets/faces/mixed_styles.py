"""A film that mixes drawn (2D) and rendered or filmed shots: which face detectors each shot gets. No Dagster.

With ``preset: auto`` the faces stage measures every shot's style from a few of its frames
(resources/style.shot_style). When measured shots disagree, one embedding still serves the whole film (two
embedding spaces cannot be clustered together), the one of the film's preset, whose identity thresholds the
identities stage applies: a film measured ``anime`` keeps the drawn-face analyzer (its general-vision + colour
embedding reads rendered faces too) and its rendered shots get the photo detectors (SCRFD, then YuNet); a film
measured ``3d`` keeps the photo analyzer and its drawn shots get the LBP anime cascade before its detectors (ONNX
backend; InsightFace's detectors stay as they are). Only the detectors change per shot in the faces stage.

filtered_instances (``filter_by_shot_style``) applies each shot's preset values (the anime preset's
``min_character_score`` 0.3 and ``min_blur`` 100 to drawn shots, the 3d ones to rendered shots; the film's config
and run overrides on top of both), from the same measurement, recorded in the same style.json.
"""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
import polars as pl

if TYPE_CHECKING:
    from assets.instances.filtering import FilterParams
    from resources.style import ShotStyle

PHOTO_DETECTORS = ("scrfd", "yunet")


def shot_picks(frames: pl.DataFrame, per_shot: int = 3) -> dict[int, list[str]]:
    """The stored paths of up to ``per_shot`` frames of each shot, evenly picked from the frames table's ``shot``
    / ``path`` (kept frames), in shot order."""
    out: dict[int, list[str]] = {}
    if "shot" not in frames.columns:
        return out
    for (shot,), group in frames.filter(pl.col("path").is_not_null()).sort("frame_id").group_by(
            ["shot"], maintain_order=True):
        paths = group["path"].to_list()
        out[int(shot)] = [paths[int(i)] for i in np.unique(np.linspace(0, len(paths) - 1, min(per_shot, len(paths))))]
    return dict(sorted(out.items()))


def read_rgb_frames(paths: list[str], resolve: Callable[[str], Path]) -> list[np.ndarray]:
    """The frames at ``paths`` as RGB; unreadable images are skipped (a shot is then measured on fewer, or kept at
    the film's preset)."""
    images = [cv2.imread(str(resolve(p)), cv2.IMREAD_COLOR) for p in paths]
    return [cv2.cvtColor(i, cv2.COLOR_BGR2RGB) for i in images if i is not None]


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


def measured_shot_styles(film: str, frames: pl.DataFrame, resolve: Callable[[str], Path],
                         film_preset: str) -> "dict[int, ShotStyle] | None":
    """With ``preset: auto``, each shot's style (``resources/style.shot_style``), read back from the film's
    style.json when it was measured on these frames, else measured and recorded there (stage ``measured``), so
    instances, filtered_instances and faces decode the shots' frames once between them, whether or not the film
    mixes styles; a bare shot read back takes ``film_preset``, as measuring it again would give. None with an
    explicit preset or no frames."""
    from resources.ordered_map import ordered_map
    from resources.style import (ShotStyle, configured_preset, measured_film_style, read_style_record,
                                 record_shot_styles, shot_style)

    if configured_preset(film) != "auto" or frames.height == 0:
        return None
    record, fingerprint = read_style_record(film), frames_fingerprint(frames)
    if record.get("shots_frames") == fingerprint and isinstance(record.get("shots"), dict):
        return {int(k): ShotStyle(**{**v, "preset": v["preset"] if v.get("measured") else film_preset})
                for k, v in record["shots"].items()}

    film_style = measured_film_style(record)   # each shot measured against the film's own measured style

    def measured(item: tuple[int, list[str]]) -> tuple[int, int, ShotStyle]:
        shot_frames = read_rgb_frames(item[1], resolve)
        return item[0], len(shot_frames), shot_style(shot_frames, film_preset, film_style)

    # shot by shot on a thread per core (reading and measuring release the GIL), a few shots' frames held at a time:
    # a 90-minute 1080p film's three frames of each of ~800 shots would be ~15 GB at once
    styles, read = {}, 0
    for shot, count, style in ordered_map(measured, shot_picks(frames).items(), name="shot_styles"):
        styles[shot], read = style, read + count
    record_shot_styles(film, styles, f"measured: {read} frames of {len(styles)} shots "
                       "(at most 3 a shot), read back by the later stages", fingerprint, stage="measured")
    return styles


def shot_mix(film: str, frames: pl.DataFrame, resolve: Callable[[str], Path], anime: bool,
             drawn_detectors: Sequence[str], photo_backend: str = "onnx",
             photo_detectors: Sequence[str] = PHOTO_DETECTORS) -> ShotMix:
    """With ``preset: auto``: each shot's style (measured once per set of frames, recorded in the film's
    style.json with the reasons) and, for a mixed film, the detectors to add to the film's analyzer and the
    per-frame detector plan (``orders``). An explicit preset: no mix."""
    from resources.style import is_mixed, record_shot_styles

    styles = measured_shot_styles(film, frames, resolve, "anime" if anime else "3d")
    if styles is None:
        return ShotMix(False, {})
    mixed = is_mixed(styles)
    also, drawn_order, other_order = orders(anime, drawn_detectors, photo_backend, photo_detectors)
    used = (f"faces: {'drawn' if anime else 'photo'} identity embedding for every face (the film's preset); "
            f"detectors {', '.join(drawn_order)} in drawn shots, {', '.join(other_order)} in the others" if mixed
            else "faces: one kind of shot; the film's preset everywhere")
    record_shot_styles(film, styles, used, frames_fingerprint(frames))
    if not mixed:
        return ShotMix(False, {})
    film_preset = "anime" if anime else "3d"  # a bare shot takes it, whatever placeholder it was recorded with
    plan = detector_plan(frames, {shot: style.preset if style.measured else film_preset
                                  for shot, style in styles.items()}, drawn_order, other_order)
    return ShotMix(True, plan, drawn_order, also)


STYLE_WORDS = {"anime": "drawn", "3d": "rendered or filmed"}


def filter_by_shot_style(film: str, instances: pl.DataFrame, frames: pl.DataFrame | None,
                         resolve: Callable[[str], Path], params: "FilterParams") -> pl.DataFrame:
    """filtered_instances' automatic decisions: ``params`` everywhere, unless the film (``preset: auto``) mixes
    drawn and rendered shots; then each shot gets its own preset's values, with what ``params`` sets beyond the
    film's configuration (run overrides) on top, and every reason names the shot's style."""
    from dataclasses import asdict

    from assets.instances.filtering import FilterParams, auto_decisions, decisions_by_shot_style
    from resources.film_settings import film_settings, stage_params
    from resources.style import is_mixed, record_shot_styles

    film_preset = film_settings(film).get("preset") or "3d"
    styles = measured_shot_styles(film, frames, resolve, film_preset) if frames is not None else None
    if not styles or not is_mixed(styles):
        return auto_decisions(instances, params)
    configured = stage_params(film, "filtered_instances")
    overrides = {k: v for k, v in asdict(params).items() if configured.get(k) != v}
    # a shot too bare to tell takes the film's preset, whatever placeholder another stage measured it with
    told = {shot: (s.preset, STYLE_WORDS.get(s.preset, s.preset)) if s.measured else (film_preset, "too bare to tell")
            for shot, s in styles.items()}
    by_preset = {preset: params if preset == film_preset else FilterParams.from_dict(
        stage_params(film, "filtered_instances", overrides, preset=preset))
        for preset in {preset for preset, _ in told.values()} | {film_preset}}
    record_shot_styles(film, styles, "filtered_instances: each shot's preset values (" + ", ".join(
        f"{p}: min_character_score {v.min_character_score}, min_blur {v.min_blur}" for p, v in sorted(
            by_preset.items())) + ")", frames_fingerprint(frames), stage="filtered_instances")
    return decisions_by_shot_style(instances, by_preset, told, film_preset)
