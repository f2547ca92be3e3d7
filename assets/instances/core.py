"""Instances of kept frames: segment, score each mask as a character, write cut-outs, masks and overlays.

No Dagster and no model import: the segmenter arrives as a callable ``segment(rgb) -> (instances, cues)``.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import polars as pl

from assets.instances.artefacts import (cutout, frame_cel_fills, frame_edges_touched, inpaint_occlusion, instance_id,
                                        mask_box, occlusion, overlay, painted_share, sharpness)
from assets.instances.carry import CarryChain
from assets.instances.edge_colour import METHODS as EDGE_COLOUR_METHODS, cutout_colour
from assets.instances.edge_recut import recut_edges
from assets.instances.image_alpha import ALPHA_CUES, MASK_SOURCE, alpha_instances, read_frame_alpha
from assets.instances.misses import miss_row
from assets.instances.matting import mask_level, matting_radius, refine_alpha
from assets.instances.shot_consistency import ShotFlows, vote_shot
from assets.instances.shot_seeds import SEED_KEY, with_shot_seeds
from assets.instances.standing_seeds import with_standing_seeds
from resources.backends.character_motion import greys_once, motion_grey, shot_motion
from resources.backends.cue_memo import remembered_cues
from resources.backends.grabcut_memo import remembered_grabcuts
from resources.disk_space import write_image
from resources.errors import BadMediaError
from resources.png_writer import write_mask_png, write_rgba_png

log = logging.getLogger(__name__)

INSTANCE_SCHEMA = {
    "instance_id": pl.String, "frame_id": pl.String, "shot": pl.Int32, "timestamp_s": pl.Float64, "inst": pl.Int32,
    "x0": pl.Int32, "y0": pl.Int32, "x1": pl.Int32, "y1": pl.Int32, "area": pl.Int64, "alpha_coverage": pl.Float64,
    "score": pl.Float64, "backend": pl.String, "model": pl.String, "seed": pl.String, "path": pl.String,
    "mask_path": pl.String, "overlay_path": pl.String, "crop_x0": pl.Int32, "crop_y0": pl.Int32,
    "frame_width": pl.Int32, "frame_height": pl.Int32, "face_count": pl.Int32, "face_score": pl.Float64,
    "body_score": pl.Float64, "class_fraction": pl.Float64, "person_score": pl.Float64, "character_score": pl.Float64,
    "blur": pl.Float64, "painted_share": pl.Float64, "frame_painted_share": pl.Float64,
    "inpainted_px": pl.Int64, "touches_frame_edge": pl.Boolean, "frame_edges": pl.String,
    "occluded_fraction": pl.Float64, "occluded_by": pl.String, "matting": pl.String, "edge_colour": pl.String,
}


# Frames taller than this are segmented at this many rows with the 3D defaults too (the anime preset's 480). Composites at
# 1080p (bench/composites.py --height 1080, da5fd77), mean IoU at their own size -> 480 rows: tune seeds 7 / 11 / 13
# 0.779 / 0.629 / 0.672 -> 0.776 / 0.664 / 0.737 (720: 0.687, 540: 0.688, 480: 0.702 mean at a9f457a), held out
# 0.662 -> 0.665; 9% less CPU a 1080p frame. Real 1080p Sintel frames (bench/instances.py --limit 32): 26 -> 23 of 26
# faces covered at da5fd77; 24 and 24 at 7a3d5a6, after the session's other segmenter changes (README)
ANALYSIS_MAX_HEIGHT_3D = 480


@dataclass(frozen=True)
class InstanceParams:
    margin: float = 0.08          # cut-out margin around the mask's box, fraction of its longer side
    feather: float = 0.01         # soft alpha edge width, fraction of the box's longer side (matting: feather)
    matting: str = "guided"       # guided: edge-aware alpha at the source resolution | feather: blurred mask edge
    matting_band: float = 0.015   # guided: band half-width around the mask edge, fraction of the box's longer side
    alpha_threshold: float = 0.15  # alpha above which a cut-out pixel counts as covered
    # the colour of a cut-out's soft edge (0 < alpha < 1), assets/instances/edge_colour.py. known_background: a
    # transparent image's cut-out (laid on white by the frames stage) gets its own colour back (Kenney's images: the
    # white fringe gone); other cut-outs keep the frame's pixels | blur_fusion: every cut-out's edge colour estimated
    # (a trade on the composites: Kenney's characters better, Sita and Saha worse) | none: the frame's pixels
    edge_colour: str = "known_background"
    max_instances_per_frame: int = 12
    inpaint_occlusions: bool = False  # fill what other characters hide in each cut-out (OpenCV inpainting)
    anime_faces: bool = False     # add AnimeFace 2D faces to the segmenter's cues (anime preset; .venv-animeface)
    # guided matting: the dark rim just outside a cut joins a drawn character (its outline; assets/instances/outline.py)
    # at partial alpha. Drawn films only (anime preset; a mixed film's drawn shots): a rendered character has no line
    # art, and there the rim is the dark background beside it, a fringe on the cut-out
    outline_rim: bool = False
    shot_consistency: bool = True  # majority of each mask and its counterparts in the shot's neighbouring key frames
    # at most this many key frames in a row after a fully segmented one get its masks carried by optical flow instead
    # of the segmenter, each only where the motion gate (assets/instances/carry.py) passes; 0: every key frame
    # segmented. Off by default: on real films the gate passes no key frame pair (6-min 1080p film 0 of 205, Penny &
    # Chip 0 of 134, Sintel trailer 0 of 56; the frames stage keeps only key frames that changed), so it would only
    # add ~0.04 CPU-s a pair (6-min film: 187.0 -> 196.8 CPU-s, rows identical). Composites walking 1% of the width a
    # key frame, carry_max 1: 14-21% carried, IoU within 0.006, 5% walks never carried (docs/instances.md, session 11)
    carry_max: int = 0
    # a drawn figure's object box that no face or pose confirms is confirmed where it moves against its shot's
    # neighbouring key frames (resources/backends/character_motion.py; anime preset: on). Images: no neighbours
    motion_seeds: bool = False
    # a drawn figure standing still whose object box recurs through most of its shot's key frames, uncut, is seeded
    # there (assets/instances/standing_seeds.py; anime preset). Images: one key frame a shot
    standing_seeds: bool = False
    # frames taller than this are segmented scaled down to it, masks and cues scaled back up
    # (resources/analysis_frame.py); null: at their own size. Anime preset 480: composites at 1080p, tune 0.777 ->
    # 0.838 mean IoU; the 3D defaults ANALYSIS_MAX_HEIGHT_3D (480 too since session 9)
    analysis_max_height: int | None = ANALYSIS_MAX_HEIGHT_3D

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "InstanceParams":
        params = cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})
        if params.matting not in ("guided", "feather"):
            raise ValueError(f"instances.matting must be 'guided' or 'feather', not {params.matting!r}")
        if params.edge_colour not in EDGE_COLOUR_METHODS:
            raise ValueError(f"instances.edge_colour must be one of {EDGE_COLOUR_METHODS}, "
                             f"not {params.edge_colour!r}")
        return params


def refined(rgb: np.ndarray, found: list[dict], params: InstanceParams) -> list[tuple[dict, np.ndarray, np.ndarray]]:
    """(item, mask, alpha or None) per instance: with guided matting the mask is the refined alpha from
    ``mask_level`` (0.5 in drawn shots, 0.3 in rendered ones), so mask, box and cut-out agree at the source
    resolution; instances that vanish in refinement are dropped. Matting never hands one character's pixels to
    another: where a refined mask spreads onto a pixel another instance held (or an earlier one took), its alpha stays
    below that level there."""
    out = []
    taken = np.zeros(rgb.shape[:2], bool)
    level = mask_level(params.outline_rim)
    if params.matting == "guided" and not params.outline_rim:  # a rendered shot: its cuts' edges re-cut once more
        found = [{**item, "mask": mask} for item, mask in zip(found, recut_edges(rgb, found))]
    for n, item in enumerate(found):
        mask = item["mask"]
        if item.get("alpha") is not None:  # the image file's own alpha (image_alpha.py): used as is
            taken |= mask
            out.append((item, mask, item["alpha"]))
        elif params.matting == "guided":
            alpha = refine_alpha(rgb, mask, matting_radius(mask, params.matting_band), outline=params.outline_rim)
            # only where alpha is non-zero (the mask's box and the matting's reach) can it reach 0.5
            x, y, w, h = cv2.boundingRect(alpha)
            window = np.s_[y:y + h, x:x + w]
            theirs = held_by_others(found, n, window) & ~mask[window] | taken[window]
            held = alpha[window]
            held[theirs] = np.minimum(held[theirs], level - 1)
            mask = alpha >= level
            taken[window] |= mask[window]
            if np.count_nonzero(mask) < 16:
                continue
            out.append((item, mask, alpha))
        else:
            out.append((item, mask, None))
    return out


def held_by_others(found: list[dict], n: int, window: tuple[slice, slice]) -> np.ndarray:
    """bool, ``window``'s shape: the pixels of the window some other item of ``found`` (not the ``n``-th) holds in
    its mask. Worked out in the window only (a frame-wide count of every mask cost ~3 CPU-ms a 1080p frame)."""
    held = np.zeros(found[n]["mask"][window].shape, bool)
    for other, item in enumerate(found):
        if other != n:
            np.logical_or(held, item["mask"][window], out=held)
    return held


POSE_MAX_FRAME_SHARE = 0.4  # a mask wider than this is a group or scenery; its seed's pose flag does not vouch for it


def character_evidence(mask: np.ndarray, cues: Any, person_score: float = 0.0) -> dict[str, float]:
    """How much a mask looks like a character: faces whose centre it holds, the best detector box that mostly
    holds it, the share of its pixels DeepLab calls a person or an animal, and ``person_score``, the segmenter's
    pose flag on the mask's seed (BlazePose), counted for masks of at most ``POSE_MAX_FRAME_SHARE`` of the frame."""
    area = float(np.count_nonzero(mask))   # count_nonzero: a bool sum costs 10x as much on a 1080p mask
    faces = [f for f in getattr(cues, "faces", np.zeros((0, 5)))
             if mask[min(mask.shape[0] - 1, int((f[1] + f[3]) / 2)), min(mask.shape[1] - 1, int((f[0] + f[2]) / 2))]]
    body_score = 0.0
    for box in getattr(cues, "bodies", np.zeros((0, 6))):
        x0, y0, x1, y1 = (int(round(v)) for v in box[:4])
        inside = float(np.count_nonzero(mask[max(0, y0):y1, max(0, x0):x1]))
        box_area = max(1.0, float((x1 - x0) * (y1 - y0)))
        if area and inside / area >= 0.5 and inside / box_area >= 0.1:
            body_score = max(body_score, float(box[4]))
    class_mask = getattr(cues, "class_mask", None)
    class_fraction = float(np.count_nonzero(mask & class_mask) / area) if class_mask is not None and area else 0.0
    face_score = max((float(f[4]) for f in faces), default=0.0)
    pose = person_score if area <= POSE_MAX_FRAME_SHARE * mask.size else 0.0
    return {"face_count": len(faces), "face_score": face_score, "body_score": body_score,
            "class_fraction": class_fraction, "person_score": float(person_score),
            "character_score": max(face_score, body_score, class_fraction, pose)}


def read_rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise BadMediaError(path, "kept frame cannot be read as an image; re-materialise `frames`")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def frame_instances(film: str, frame: dict[str, Any], rgb: np.ndarray, found: list[dict], cues: Any,
                    out_dir: Path, relative: Callable[[Path], str], backend: str, model: str,
                    params: InstanceParams) -> list[dict[str, Any]]:
    """Writes one frame's cut-outs, masks and overlay; returns its rows."""
    frame_id = frame["frame_id"]
    found = [f for f in found if f["mask"].any()][: params.max_instances_per_frame]
    instances = refined(rgb, found, params)
    all_masks = [mask for _, mask, _ in instances]
    rows, masks = [], []
    # what of the frame and of a cut is painted in cel fills, measured only for the cuts the filter's
    # drop_unseen_faceless asks about (no face, no DeepLab person / animal pixel): the map costs 27 CPU-ms a 1080p
    # frame (session 37)
    fills, frame_share = None, None
    for n, (item, mask, soft) in enumerate(instances):
        pixels, inpainted = rgb, 0
        others = [m for i, m in enumerate(all_masks) if i != n]
        occluded, occluders = occlusion(mask, others)
        others_index = [i for i in range(len(all_masks)) if i != n]
        if params.inpaint_occlusions and others:
            pixels, shown, inpainted = inpaint_occlusion(rgb, mask, np.any(others, axis=0))
            if inpainted and soft is not None:
                soft = np.maximum(soft, (shown & ~mask).astype(np.uint8) * 255)
        rgba, (cx0, cy0, _, _), alpha = cutout(pixels, shown if inpainted else mask, params.margin, params.feather,
                                               soft)
        # the soft edge's colour the character's, not the background's (edge_colour.py)
        colour, edge_colour = cutout_colour(rgba[..., :3], alpha, params.edge_colour, item.get("seed") == MASK_SOURCE)
        if edge_colour != "none":
            rgba[..., :3] = colour
        edges = frame_edges_touched(mask)
        x0, y0, x1, y1 = mask_box(mask)
        box_alpha = alpha[y0 - cy0:y1 - cy0, x0 - cx0:x1 - cx0]
        name = f"{frame_id}_inst{n}"
        cut_path, mask_path = out_dir / "cutouts" / f"{name}.png", out_dir / "masks" / f"{name}.png"
        write_rgba_png(cut_path, rgba)   # OpenCV's pixels, deflated by libdeflate (resources/png_writer.py)
        # a 1-bit PNG: read back as 0 / 255 grey like the 8-bit one (cv2, PIL "L"), written in half the time
        write_mask_png(mask_path, mask)
        masks.append(mask)
        evidence = item.get("evidence") or character_evidence(mask, cues, float(item.get("person_score", 0.0)))
        unseen = evidence.get("face_count") == 0 and (evidence.get("class_fraction") or 0.0) <= 0.0
        if unseen and fills is None:
            fills = frame_cel_fills(rgb)
            frame_share = float(np.count_nonzero(fills) / fills.size)
        rows.append({
            "instance_id": instance_id(film, frame_id, mask), "frame_id": frame_id, "shot": frame["shot"],
            "timestamp_s": frame["timestamp_s"], "inst": n, "x0": x0, "y0": y0, "x1": x1, "y1": y1,
            "area": int(np.count_nonzero(mask)),
            "alpha_coverage": float((box_alpha > params.alpha_threshold * 255).mean()),
            "score": float(item.get("score", 0.0)), "backend": backend, "model": model,
            "seed": str(item.get("seed", backend)), "path": relative(cut_path), "mask_path": relative(mask_path),
            "crop_x0": cx0, "crop_y0": cy0, "frame_width": rgb.shape[1], "frame_height": rgb.shape[0],
            **evidence, "blur": sharpness(rgb, mask),
            "painted_share": painted_share(fills, mask) if unseen else None,
            "frame_painted_share": frame_share if unseen else None,
            "inpainted_px": inpainted,
            "touches_frame_edge": bool(edges), "frame_edges": ",".join(edges),
            "occluded_fraction": round(occluded, 4), "occluded_by": ",".join(str(others_index[i]) for i in occluders),
            "matting": params.matting, "edge_colour": edge_colour,
        })
    if masks:
        overlay_path = out_dir / "overlays" / f"{frame_id}.jpg"
        write_image(overlay_path, overlay(rgb, masks, [f"{n}" for n in range(len(masks))]))
        for row in rows:
            row["overlay_path"] = relative(overlay_path)
    return rows


def extract_instances(film: str, frames: pl.DataFrame, resolve: Callable[[str], Path],
                      segment: Callable[[np.ndarray], tuple[list[dict], Any]], out_dir: Path,
                      relative: Callable[[Path], str], backend: str, model: str,
                      params: InstanceParams, drawn: "dict[int, bool] | None | str" = "measure",
                      shot_caps: dict[bool, int] | None = None, empty: list[dict] | None = None) -> pl.DataFrame:
    """Every kept frame through ``segment``; a frame with no character adds no rows, and its row with the reason to
    ``empty`` where given (assets/instances/misses.py). ``drawn`` (shot ->
    drawn; ``"measure"``: ``shot_plan`` of these frames; None: no per-shot choice): in a film that mixes drawn and
    rendered shots the 2D cues and the outline rim go to its drawn shots only, ``segment(rgb, anime_faces=...)``
    per shot, and each shot is analysed at most ``shot_caps[drawn]`` rows high (0: at its own size; None, or a shot
    left out of ``drawn``: the film's ``analysis_max_height`` and ``outline_rim``)."""
    for sub in ("cutouts", "masks", "overlays"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    kept = frames.filter(pl.col("kept") & pl.col("path").is_not_null()).sort("frame_id")
    if drawn == "measure":  # all frames, as faces reads them
        drawn, shot_caps = shot_plan(film, frames, resolve, params)
    rows: list[dict[str, Any]] = []
    for shot in _shots(kept):
        segmented = []
        anime = drawn.get(shot[0].get("shot")) if isinstance(drawn, dict) else None
        cap = shot_caps[anime] if anime is not None and shot_caps is not None else params.analysis_max_height
        options = {"analysis_max_height": cap} if cap else {}
        shot_params = params if anime is None else replace(params, outline_rim=anime)
        chain = CarryChain(params.carry_max, character_evidence)
        shot_rgbs = [read_rgb(resolve(frame["path"])) for frame in shot]
        motions: dict[int, dict] = {}
        greys = greys_once(shot_rgbs)  # each key frame's motion picture made once: it is its neighbours' neighbour
        # a key frame the shot seeds cut again repeats its cues and its other cuts' GrabCuts, and the vote asks for the
        # flows the seeds made: all answered from the first time (cue_memo.py, grabcut_memo.py,
        # shot_consistency.ShotFlows), the same values
        flows = ShotFlows()
        with remembered_cues(), remembered_grabcuts():
            for n, (frame, rgb) in enumerate(zip(shot, shot_rgbs)):
                own = read_frame_alpha(resolve(frame["path"]), rgb.shape[:2])
                if own is not None:  # a transparent image's own cut-out: no segmenter (image_alpha.py)
                    segmented.append((frame, rgb, alpha_instances(own), ALPHA_CUES))
                    continue
                found = chain.carried(rgb, frame["frame_id"])
                if found is None:
                    motion = motions[n] = {"motion": neighbour_motion(shot_rgbs, n, greys)} if params.motion_seeds \
                        else {}
                    found, cues = segment(rgb, **options, **motion) if anime is None else \
                        segment(rgb, anime_faces=anime, **options, **motion)
                    found = [f for f in found if f["mask"].any()]
                    chain.segmented(rgb, found, cues)
                else:
                    cues = None
                segmented.append((frame, rgb, found, cues))
                log.debug("%s: %d instances", frame["frame_id"], len(found))

            asked: dict[int, list] = {}  # the boxes each key frame was last cut again with

            def segment_again(n: int, boxes: list[tuple[int, int, int, int]]) -> tuple[list[dict], Any]:
                asked[n] = list(boxes)
                extra = {**options, **motions.get(n, {}), SEED_KEY: boxes}
                return segment(segmented[n][1], **extra) if anime is None else \
                    segment(segmented[n][1], anime_faces=anime, **extra)

            first = segmented
            segmented, reseeded = with_shot_seeds(segmented, segment_again, flows)
            if params.standing_seeds:  # the carried seeds a frame kept go with its standing figures' boxes
                kept = {n: asked[n] for n, (was, now) in enumerate(zip(first, segmented)) if was is not now}
                segmented, standing = with_standing_seeds(segmented, segment_again, kept)
                reseeded += standing
        if reseeded:
            log.debug("shot %s: %d key frames cut again from a neighbour's carried cut", shot[0].get("shot"), reseeded)
        if params.shot_consistency and len(segmented) >= 3:
            voted = vote_shot([rgb for _, rgb, _, _ in segmented], [[f["mask"] for f in found]
                                                                    for _, _, found, _ in segmented], flows=flows)
            segmented = [(frame, rgb, [{**f, "mask": m} for f, m in zip(found, masks)], cues)
                         for (frame, rgb, found, cues), masks in zip(segmented, voted)]
        for frame, rgb, found, cues in segmented:
            made = frame_instances(film, frame, rgb, found, cues, out_dir, relative, backend, model, shot_params)
            rows += made
            if not made and empty is not None:
                empty.append(miss_row(frame, found, cues))
    return pl.DataFrame(rows, schema=INSTANCE_SCHEMA) if rows else pl.DataFrame(schema=INSTANCE_SCHEMA)


def neighbour_motion(shot_rgbs: list[np.ndarray], n: int, grey_of: Callable[[np.ndarray], np.ndarray] | None = None):
    """Key frame ``n``'s moving map against its shot's neighbouring key frames, computed when the segmenter first
    asks for it (resources/backends/character_motion.py); ``grey_of``: the shot's ``greys_once`` (each key frame's
    picture made once), else each made anew."""
    return shot_motion(shot_rgbs[n], shot_rgbs[max(0, n - 1):n] + shot_rgbs[n + 1:n + 2], grey_of or motion_grey)


def drawn_shots(film: str, styles: "dict[int, Any] | None") -> dict[int, bool] | None:
    """shot -> drawn (True) or rendered / filmed (False) where the film (``preset: auto``) mixes both, from its
    per-shot ``styles`` (``measured_shot_styles``: recorded in style.json by the faces stage, measured when absent);
    None for a film of one kind or an explicit preset, whose ``anime_faces`` then holds everywhere. A shot too bare
    to tell is left out (the film's setting)."""
    from resources.style import is_mixed

    if not styles or not is_mixed(styles):
        return None
    drawn = {shot: style.preset == "anime" for shot, style in styles.items() if style.measured}
    log.info("%s mixes drawn and rendered shots: 2D cues (AnimeFace faces) in the %d drawn of %d shots", film,
             sum(drawn.values()), len(styles))
    return drawn


def preset_analysis_max_height(film: str, params: InstanceParams, preset: str) -> int:
    """The analysis cap of the shots of one style in a film that mixes styles: ``preset``'s
    ``instances.analysis_max_height`` (anime 480, 3d ANALYSIS_MAX_HEIGHT_3D), under the film's own config (an
    explicit value, null included, wins) and the run's overrides; 0: at their own size."""
    from dataclasses import asdict

    from resources.film_settings import stage_params

    configured = stage_params(film, "instances")
    overrides = {k: v for k, v in asdict(params).items() if configured.get(k) != v}
    return stage_params(film, "instances", overrides, preset=preset).get("analysis_max_height") or 0


def shot_plan(film: str, frames: pl.DataFrame, resolve: Callable[[str], Path],
              params: InstanceParams) -> tuple[dict[int, bool] | None, dict[bool, int] | None]:
    """(``drawn_shots``, the analysis cap of drawn (True) and rendered (False) shots) for ``extract_instances``:
    in a film that mixes styles each shot takes its own preset's cap (the anime preset's for drawn shots, the 3d
    preset's for rendered ones, whichever the film measured as), and the choice is logged and recorded in its
    style.json (``shots_used_by["instances"]``)."""
    from assets.faces.mixed_styles import frames_fingerprint, measured_shot_styles
    from resources.style import record_shot_styles

    styles = measured_shot_styles(film, frames, resolve, "unmeasured")
    drawn = drawn_shots(film, styles)
    if not drawn:
        return drawn, None
    caps = {True: preset_analysis_max_height(film, params, "anime"),
            False: preset_analysis_max_height(film, params, "3d")}

    def size(rows: int | None) -> str:
        return f"at most {rows} rows high" if rows else "at their own size"

    used = (f"instances: 2D cues (AnimeFace faces) in drawn shots, analysed {size(caps[True])}; rendered shots "
            f"{size(caps[False])}")
    log.info("%s: %s", film, used)
    record_shot_styles(film, styles, used, frames_fingerprint(frames), stage="instances")
    return drawn, caps


def _shots(kept: pl.DataFrame) -> list[list[dict[str, Any]]]:
    """Kept frames grouped by shot, each group in time order (a frame without a shot is a group of its own)."""
    groups: dict[Any, list[dict[str, Any]]] = {}
    for n, frame in enumerate(kept.iter_rows(named=True)):
        groups.setdefault(("shot", frame["shot"]) if frame.get("shot") is not None else ("frame", n), []).append(frame)
    return [sorted(group, key=lambda f: f.get("timestamp_s") or 0.0) for group in groups.values()]
