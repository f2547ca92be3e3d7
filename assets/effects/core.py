"""A film's visual-effects catalogue: detections per key frame and along time, merged into events. No Dagster.

Per key frame (measures.py): snow, rain, sparkles, fire, lens flare, shallow depth of field (needs the
characters' boxes), directional motion blur. Along time (temporal.py): flashes, lighting changes, colour casts
(from shot_analysis' ``frame_signals``) and transformation moments (from the motion asset's ``track_points``).
Each event names the measurement its confidence comes from (``measure``).
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl

from assets.effects import measures
from assets.effects.params import EffectParams
from assets.effects.temporal import colour_cast_events, light_events, mask_histogram, transformation_events
from resources.cores import available_cores

EFFECT_SCHEMA = {"event": pl.Int32, "shot": pl.Int32, "start_s": pl.Float64, "end_s": pl.Float64,
                 "effect": pl.String, "intensity": pl.Float64, "confidence": pl.Float64, "measure": pl.String,
                 "detail": pl.String, "frame_ids": pl.List(pl.String)}
FRAME_EFFECT_SCHEMA = {"frame_id": pl.String, "shot": pl.Int32, "timestamp_s": pl.Float64,
                       "effects": pl.List(pl.String), "max_intensity": pl.Float64, "heavy": pl.Boolean}
# effects that hide or alter what a character looks like: a frame with one of these at heavy intensity is a poor
# training image (colour casts, lighting changes and depth of field are style, not damage)
OBSCURING = frozenset({"flash", "snow", "rain", "sparkles", "fire", "lens_flare", "motion_blur", "transformation"})
EFFECTS = ("flash", "lighting_change", "colour_cast", "snow", "rain", "sparkles", "fire", "lens_flare", "bloom",
           "depth_of_field", "motion_blur", "transformation")


def frame_detections(bgr: np.ndarray, boxes: list[tuple[float, float, float, float]],
                     params: EffectParams) -> list[dict]:
    """The effects seen in one key frame (boxes in its pixels): effect, intensity, confidence, measure, detail."""
    work, scale = measures.working_copy(bgr)
    found = []

    def add(effect: str, value: float, threshold: float, measure: str, detail: str) -> None:
        found.append({"effect": effect, "intensity": round(min(1.0, value / (2 * threshold)), 4),
                      "confidence": round(min(1.0, 0.5 + (value - threshold) / (2 * threshold)), 4),
                      "measure": measure, "detail": detail})

    specks = measures.particles(work)
    if specks.round_white_per_megapixel >= params.snow_specks and \
            specks.round_white_per_megapixel - specks.round_dark_per_megapixel >= params.snow_excess:
        add("snow", specks.round_white_per_megapixel, params.snow_specks, "round_white_specks_per_mp",
            f"{specks.round_white_per_megapixel:.0f} specks/MP ({specks.round_dark_per_megapixel:.0f} dark)")
    if specks.aligned_streaks_per_megapixel >= params.rain_streaks and \
            specks.aligned_streaks_per_megapixel >= params.rain_dark_ratio * specks.dark_streaks_per_megapixel:
        add("rain", specks.aligned_streaks_per_megapixel, params.rain_streaks, "aligned_streaks_per_mp",
            f"{specks.aligned_streaks_per_megapixel:.0f} streaks/MP ({specks.dark_streaks_per_megapixel:.0f} dark)")
    if specks.round_colourful_per_megapixel >= params.sparkle_specks:
        add("sparkles", specks.round_colourful_per_megapixel, params.sparkle_specks, "round_colourful_specks_per_mp",
            f"{specks.round_colourful_per_megapixel:.0f} specks/MP")
    flame, glowing = measures.fire_share(work, at_least=params.fire_share)
    if flame >= params.fire_share and glowing >= params.fire_glowing:
        add("fire", flame, params.fire_share, "glowing_flame_share",
            f"{flame:.1%} glowing flame colours ({glowing:.0%} of the flame-coloured pixels)")
    maps = measures.detail_maps(work)  # grey level and detail maps, shared by the measures below
    glow = measures.bloom(work, maps=maps)
    if glow >= params.bloom_share:
        add("bloom", glow, params.bloom_share, "glowing_highlight_share", f"{glow:.0%} of the lights glow")
    streak, source = measures.lens_flare(work, maps)
    if streak >= params.flare_streak and source >= params.flare_source:
        add("lens_flare", streak, params.flare_streak, "streak_width_share", f"streak over {streak:.0%} of the width")
    focus = measures.depth_of_field(work, [tuple(v * scale for v in box) for box in boxes], maps)
    if focus is not None and focus[0] >= params.dof_ratio:
        add("depth_of_field", focus[0], params.dof_ratio, "subject_background_detail_ratio",
            f"subject {focus[0]:.1f}x the background's detail")
    agreement, direction, detail = measures.directional_blur(work, maps=maps, most_detail=params.blur_detail)
    if agreement >= params.blur_agreement and detail <= params.blur_detail:
        add("motion_blur", agreement, params.blur_agreement, "blur_direction_agreement",
            f"along {direction:.0f} deg, detail ratio {detail:.1f}")
    return found


@dataclass
class EffectsResult:
    effects: pl.DataFrame
    frame_effects: pl.DataFrame
    note: str | None


def catalogue(frames: pl.DataFrame, signals: pl.DataFrame | None, fps: float, instances: pl.DataFrame | None,
              track_points: pl.DataFrame | None, read_bgr: Callable[[str], np.ndarray | None],
              read_rgba: Callable[[str], np.ndarray | None], params: EffectParams,
              read_mask: Callable[[str], np.ndarray | None] | None = None, reuse=None) -> EffectsResult:
    """Every effect event of the film and the tags of each kept key frame. With ``read_mask`` (a stored mask path
    -> grey mask), the appearance of a tracked instance on a kept key frame is measured from that frame, decoded
    for its own detections, under the instance's mask (``mask_histogram``) instead of from its cut-out's decode.
    ``reuse`` (frame_reuse.FrameReuse) gives the last run's measures of a key frame whose inputs did not change."""
    kept = frames.filter(pl.col("kept") & pl.col("path").is_not_null()).sort("timestamp_s") if frames.height \
        else frames
    if kept.height == 0 and (signals is None or signals.height == 0):
        return EffectsResult(pl.DataFrame(schema=EFFECT_SCHEMA), pl.DataFrame(schema=FRAME_EFFECT_SCHEMA),
                             "no kept frames and no frame signals: nothing to measure")
    tracked = _tracked_masks(instances, track_points) if read_mask is not None else {}
    histograms: dict[str, np.ndarray | None] = {}

    def measure_tracked(row: dict, bgr: np.ndarray) -> dict[str, np.ndarray | None]:
        measured = {}
        for instance_id, mask_path, origin in tracked.get(row["frame_id"], []):
            mask = read_mask(mask_path)
            if mask is not None:   # else its cut-out is read, as without read_mask
                measured[instance_id] = mask_histogram(bgr, mask, origin)
        histograms.update(measured)
        return measured

    per_frame = key_frame_detections(kept, _boxes(instances), read_bgr, params,
                                     also=measure_tracked if tracked else None,
                                     reuse=_FrameItems(reuse, tracked, histograms) if reuse is not None else None)
    events = _merge_key_frame_detections(per_frame, kept)
    timed = []
    if signals is not None and signals.height:
        timed = light_events(signals, fps, params) + colour_cast_events(signals, params)
    if track_points is not None and instances is not None:
        timed += transformation_events(track_points, instances, read_rgba, params, histograms)
    events += [_attach_frames(event, kept) for event in timed]
    table = pl.DataFrame(events, schema={k: v for k, v in EFFECT_SCHEMA.items() if k != "event"}, strict=False) \
        if events else pl.DataFrame(schema={k: v for k, v in EFFECT_SCHEMA.items() if k != "event"})
    table = table.sort("start_s", "effect").with_row_index("event").with_columns(pl.col("event").cast(pl.Int32))
    note = None if kept.height else "no kept key frames: only effects along time were measured"
    return EffectsResult(table.select(list(EFFECT_SCHEMA)), frame_tags(kept, table, params), note)


def key_frame_detections(kept: pl.DataFrame, boxes: dict[str, list[tuple[float, float, float, float]]],
                         read_bgr: Callable[[str], np.ndarray | None], params: EffectParams,
                         workers: int | None = None,
                         also: Callable[[dict, np.ndarray], dict | None] | None = None,
                         reuse=None) -> list[dict]:
    """``frame_detections`` of every kept key frame, in the frames' order, each tagged with its frame. Frames are
    independent, and reading them and OpenCV's filters release the GIL, so a thread per core (``workers``, default
    the available cores) measures them at once; the list is the same as one thread's. ``also(row, bgr)`` is called
    with each frame read (on its thread), for other measures of the same decode; what it returns is kept with the
    frame's detections by ``reuse`` (``_FrameItems``), which gives back an unchanged frame's without reading it."""
    def detect(row: dict) -> list[dict]:
        frame_boxes = boxes.get(row["frame_id"], [])
        key = reuse.key(row, frame_boxes) if reuse is not None else None
        taken = reuse.taken(key) if key is not None else None
        if taken is None:
            bgr = read_bgr(row["path"])
            if bgr is None:
                return []
            extra = also(row, bgr) if also is not None else None
            taken = frame_detections(bgr, frame_boxes, params)
            if key is not None:
                reuse.made(key, taken, extra or {})
        return [{**found, "shot": row["shot"], "frame_id": row["frame_id"], "timestamp_s": row["timestamp_s"]}
                for found in taken]

    rows = kept.select("frame_id", "shot", "timestamp_s", "path").to_dicts() if kept.height else []
    workers = max(1, min(workers or available_cores(), len(rows)))
    if workers == 1:
        return [found for row in rows for found in detect(row)]
    with ThreadPoolExecutor(workers, thread_name_prefix="effects") as pool:
        return [found for frame in pool.map(detect, rows) for found in frame]


class _FrameItems:
    """``FrameReuse`` seen from ``key_frame_detections``: a frame's key names its tracked masks too, and a taken
    frame hands its tracked instances' histograms to the catalogue as a measured one does."""

    def __init__(self, reuse, tracked: dict[str, list], histograms: dict[str, np.ndarray | None]):
        self.reuse, self.tracked, self.histograms = reuse, tracked, histograms

    def key(self, row: dict, boxes: list) -> str:
        return self.reuse.key(row["frame_id"], row["path"], boxes, self.tracked.get(row["frame_id"], []))

    def taken(self, key: str) -> list[dict] | None:
        found = self.reuse.taken(key)
        if found is None:
            return None
        self.histograms.update(found[1])
        return found[0]

    def made(self, key: str, detections: list[dict], histograms: dict) -> None:
        self.reuse.made(key, detections, histograms)


def _tracked_masks(instances: pl.DataFrame | None,
                   track_points: pl.DataFrame | None) -> dict[str, list[tuple[str, str, tuple[int, int]]]]:
    """frame_id -> (instance_id, mask path, cut-out origin) of the instances on a track that have a mask."""
    if instances is None or track_points is None or track_points.height == 0 or "mask_path" not in instances.columns:
        return {}
    origin = [pl.col(c).fill_null(0) if c in instances.columns else pl.lit(0).alias(c) for c in ("crop_x0", "crop_y0")]
    rows = (instances.filter(pl.col("instance_id").is_in(track_points["instance_id"].implode())
                             & pl.col("mask_path").is_not_null())
            .select("frame_id", "instance_id", "mask_path", *origin))
    out: dict[str, list] = {}
    for frame_id, instance_id, mask_path, x0, y0 in rows.iter_rows():
        out.setdefault(frame_id, []).append((instance_id, mask_path, (int(x0), int(y0))))
    return out


def _boxes(instances: pl.DataFrame | None) -> dict[str, list[tuple[float, float, float, float]]]:
    out: dict[str, list] = {}
    if instances is None or instances.height == 0:
        return out
    chars = instances.filter(pl.col("kept")) if "kept" in instances.columns else instances
    for row in chars.select("frame_id", "x0", "y0", "x1", "y1").iter_rows():
        out.setdefault(row[0], []).append(tuple(float(v) for v in row[1:]))
    return out


def _merge_key_frame_detections(per_frame: list[dict], kept: pl.DataFrame) -> list[dict]:
    """Consecutive key frames of one shot with the same effect become one event (mean intensity, max confidence)."""
    order = {frame_id: i for i, frame_id in enumerate(kept["frame_id"].to_list())}
    events: list[dict] = []
    open_events: dict[str, dict] = {}
    for found in sorted(per_frame, key=lambda f: (order.get(f["frame_id"], 0), f["effect"])):
        current = open_events.get(found["effect"])
        position = order.get(found["frame_id"], 0)
        if current and current["shot"] == found["shot"] and position == current["_last"] + 1:
            current["frame_ids"].append(found["frame_id"])
            current["end_s"] = found["timestamp_s"]
            current["_intensities"].append(found["intensity"])
            current["confidence"] = max(current["confidence"], found["confidence"])
            current["_last"] = position
            continue
        current = {"shot": found["shot"], "start_s": found["timestamp_s"], "end_s": found["timestamp_s"],
                   "effect": found["effect"], "confidence": found["confidence"], "measure": found["measure"],
                   "detail": found["detail"], "frame_ids": [found["frame_id"]], "_intensities": [found["intensity"]],
                   "_last": position}
        open_events[found["effect"]] = current
        events.append(current)
    for event in events:
        event["intensity"] = round(float(np.mean(event.pop("_intensities"))), 4)
        event.pop("_last")
    return events


def _attach_frames(event: dict, kept: pl.DataFrame) -> dict:
    """A time-based event tags the key frames inside its span (plus the ids it already names)."""
    inside = kept.filter((pl.col("timestamp_s") >= event["start_s"] - 1e-6) &
                         (pl.col("timestamp_s") <= event["end_s"] + 1e-6)) if kept.height else kept
    ids = list(dict.fromkeys([*event.pop("frame_ids", []), *(inside["frame_id"].to_list() if inside.height else [])]))
    event.pop("frame_indices", None)
    shot = inside["shot"][0] if inside.height else None
    return {**event, "shot": shot, "frame_ids": ids}


def frame_tags(kept: pl.DataFrame, events: pl.DataFrame, params: EffectParams) -> pl.DataFrame:
    """Per kept key frame: the effects that cover it, the strongest intensity among those that obscure a
    character (OBSCURING), and whether that is heavy."""
    tags: dict[str, list[tuple[str, float]]] = {}
    for effect, intensity, ids in events.select("effect", "intensity", "frame_ids").iter_rows():
        for frame_id in ids or []:
            tags.setdefault(frame_id, []).append((effect, intensity))
    rows = []
    for frame_id, shot, timestamp in kept.select("frame_id", "shot", "timestamp_s").iter_rows():
        found = tags.get(frame_id, [])
        strongest = max((i for e, i in found if e in OBSCURING), default=0.0)
        rows.append({"frame_id": frame_id, "shot": shot, "timestamp_s": timestamp,
                     "effects": sorted({e for e, _ in found}), "max_intensity": strongest,
                     "heavy": strongest >= params.heavy_intensity})
    return pl.DataFrame(rows, schema=FRAME_EFFECT_SCHEMA)
