"""What reference selection needs to know about each face, measured on the film's images: bins (pose, expression,
occlusion, lighting), a general-vision vector for novelty, and the image to save. No Dagster; models come in as
protocol objects (FaceLandmarker, ImageEmbedder)."""

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import polars as pl

from assets.references.core import (ReferenceParams, expression, face_light, lighting_bin, occlusion_bin, pitch_bin,
                                    yaw_bin)
from assets.references.face_reuse import FaceImages, FaceReuse
from resources.disk_space import write_image
from resources.errors import BadMediaError
from resources.image_codec import read_image
from resources.protocols import FaceLandmarker, ImageEmbedder
from resources.storage import write_json_atomic

log = logging.getLogger(__name__)
DRAWN_DETECTORS = ("anime", "animeface", "lbp")   # detectors of drawn faces: the face mesh does not fit them


def context_box(box: tuple[float, ...], shape: tuple[int, ...], context: float) -> tuple[int, int, int, int]:
    """The face box grown by ``context`` of its size on each side, clipped to the image."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    return (max(0, int(x0 - context * w)), max(0, int(y0 - context * h)),
            min(shape[1], int(np.ceil(x1 + context * w))), min(shape[0], int(np.ceil(y1 + context * h))))


def visible_share(cutout_path: Path | None, offset: tuple[int, int], box: tuple[float, ...]) -> float | None:
    """Share of the face box that the instance's cut-out covers (alpha > 0.5): what is not covered is hidden
    behind something else or cut away. None when the cut-out has no alpha."""
    if cutout_path is None or not cutout_path.exists():
        return None
    image = read_image(cutout_path)
    if image is None or image.ndim != 3 or image.shape[2] != 4:
        return None
    return covered_share(image[:, :, 3], offset, box)


def mask_visible_share(mask_path: Path, origin: tuple[int, int], box: tuple[float, ...],
                       frame_shape: tuple[int, ...]) -> float | None:
    """``visible_share`` read from the instance's 1-bit mask (frame-sized, or cut-out-sized at ``origin``) instead
    of its RGBA cut-out: the cut-out's alpha above 127 is the mask except where the matting moves an edge pixel
    across 127 or occlusions are inpainted (off by default), and a 1080p mask decodes in a third of the time (by
    libdeflate: ``read_image``, cv2.imread's pixels). None when the mask cannot be read (the caller then reads the
    cut-out)."""
    mask = read_image(mask_path, cv2.IMREAD_GRAYSCALE) if mask_path.exists() else None
    if mask is None:
        return None
    return covered_share(mask, (0, 0) if mask.shape == tuple(frame_shape[:2]) else origin, box)


def covered_share(alpha: np.ndarray, offset: tuple[int, int], box: tuple[float, ...]) -> float:
    """Share of ``box`` (frame pixels) where ``alpha`` (its top-left corner at ``offset``) is above 127."""
    x0, y0 = int(box[0] - offset[0]), int(box[1] - offset[1])
    x1, y1 = int(np.ceil(box[2] - offset[0])), int(np.ceil(box[3] - offset[1]))
    area = max(1, (x1 - x0) * (y1 - y0))
    return float((alpha[max(0, y0):max(0, y1), max(0, x0):max(0, x1)] > 127).sum() / area)


def measure_faces(faces: pl.DataFrame, frame_paths: dict[str, str], cutouts: dict[str, tuple[str, int, int]],
                  resolve: Callable[[str], Path], landmarker: FaceLandmarker | None, embedder: ImageEmbedder,
                  params: ReferenceParams, reuse: FaceReuse | None = None
                  ) -> tuple[pl.DataFrame, np.ndarray, dict[str, np.ndarray]]:
    """Per face: bins and measures (columns added to ``faces``), general-vision unit vectors (rows aligned) and
    the RGB image to save per face_id. ``cutouts``: instance_id -> (stored path, crop_x0, crop_y0, stored mask
    path or None): the mask, where there is one, tells how much of the face is visible (``mask_visible_share``).
    ``reuse`` (face_reuse.FaceReuse) gives the last run's measures and vector of a face whose inputs did not change:
    its key frame is then read only if another of its faces is measured or its image is saved."""
    rows, measured, sources, kept_vectors = [], {}, {}, {}
    images = FaceImages(sources, resolve)
    for (frame_id,), group in faces.group_by(["frame_id"], maintain_order=True):
        stored = frame_paths.get(frame_id)
        found = {}
        for face in group.iter_rows(named=True):
            key = reuse.key(face, stored, cutouts.get(face["instance_id"])) if reuse is not None else None
            found[face["face_id"]] = (key, reuse.taken(key) if reuse is not None else None)
        rgb = None
        if any(taken is None for _, taken in found.values()):
            bgr = cv2.imread(str(resolve(stored))) if stored else None
            if bgr is None:
                raise BadMediaError(resolve(stored) if stored else Path(str(frame_id)),
                                    "key frame image cannot be read; re-materialise `frames`")
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        for face in group.iter_rows(named=True):
            key, taken = found[face["face_id"]]
            if taken is None:
                measures = measure_face(face, rgb, cutouts.get(face["instance_id"]), resolve, landmarker, params)
                cx0, cy0, cx1, cy1 = measures["image_box"]
                images[face["face_id"]] = rgb[cy0:cy1, cx0:cx1].copy()
                measured[face["face_id"]] = key
            else:
                measures, kept_vectors[face["face_id"]] = taken
                sources[face["face_id"]] = (stored, measures["image_box"])
            rows.append({**face, "yaw_bin": yaw_bin(face["yaw"]), "pitch_bin": pitch_bin(face["pitch"]),
                         "expression": measures["expression"], "expression_how": measures["expression_how"],
                         "visible": measures["visible"], "occlusion": occlusion_bin(measures["visible"], params),
                         "luma": measures["luma"], "light_asymmetry": measures["light_asymmetry"],
                         "lighting": lighting_bin(measures["luma"], measures["light_asymmetry"], params),
                         "image_box": measures["image_box"]})
    table = pl.DataFrame(rows, infer_schema_length=None) if rows else faces
    if not rows:
        return table, np.zeros((0, 1), np.float32), images
    made = dict(zip(measured, embedder.embed([images[f] for f in measured]))) if measured else {}
    if reuse is not None:
        for row in rows:
            if row["face_id"] in made:
                reuse.made(measured[row["face_id"]], {k: row[k] for k in MEASURES}, made[row["face_id"]])
    return table, np.stack([made.get(f, kept_vectors.get(f)) for f in table["face_id"]]), images


MEASURES = ("visible", "expression", "expression_how", "luma", "light_asymmetry", "image_box")  # what a face keeps


def measure_face(face: dict[str, Any], rgb: np.ndarray, cutout: tuple | None, resolve: Callable[[str], Path],
                 landmarker: FaceLandmarker | None, params: ReferenceParams) -> dict[str, Any]:
    """One face's ``MEASURES`` on its key frame ``rgb``: what depends on the pixels, never on its identity."""
    box = (face["fx0"], face["fy0"], face["fx1"], face["fy1"])
    fx0, fy0, fx1, fy1 = context_box(box, rgb.shape, 0.0)
    luma, asymmetry = face_light(rgb[fy0:fy1, fx0:fx1])
    origin = (cutout[1] or 0, cutout[2] or 0) if cutout else (0, 0)
    visible = mask_visible_share(resolve(cutout[3]), origin, box, rgb.shape) \
        if cutout and len(cutout) > 3 and cutout[3] else None
    if visible is None:
        visible = visible_share(resolve(cutout[0]) if cutout and cutout[0] else None, origin, box)
    drawn = any(d in str(face.get("detector") or "") for d in DRAWN_DETECTORS)
    if landmarker is None or drawn:
        label, how = None, ("drawn face: the 468-point mesh does not fit drawn faces, and the 2D detector's "
                            "points give no eye or lip opening" if drawn else "no landmarker")
    else:
        points, score = landmarker.landmarks(rgb, box)
        label, how = expression(points, score, params)
    return {"visible": visible, "expression": label, "expression_how": how, "luma": luma,
            "light_asymmetry": asymmetry, "image_box": list(context_box(box, rgb.shape, params.context))}


def unique_folders(labels: dict[str, str]) -> dict[str, str]:
    """identity -> its folder: its label (``character_names``, the name it has in every export), or
    ``<label>_<identity>`` where two identities share one (two identities renamed alike must not write into one
    folder)."""
    counts: dict[str, int] = {}
    for folder in labels.values():
        counts[folder] = counts.get(folder, 0) + 1
    return {identity: folder if counts[folder] == 1 or folder == identity else f"{folder}_{identity}"
            for identity, folder in labels.items()}


def write_sets(staging: Path, identity: str, name: str | None, folder_name_: str, picked: pl.DataFrame,
               meta: dict[str, Any], images: dict[str, np.ndarray], versions: dict[str, str],
               relative: Callable[[Path], str], final_root: Path) -> list[dict[str, Any]]:
    """``<folder>/{anchors,coverage,challenge}/<face_id>.png`` with a ``<face_id>.json`` each, and
    ``<folder>/meta.json``. Returns the reference_images rows (paths as they will be once ``staging`` becomes
    ``final_root``)."""
    folder = staging / folder_name_
    out = []
    for row in picked.iter_rows(named=True):
        target = folder / row["set"] / f"{row['face_id']}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        write_image(target, cv2.cvtColor(images[row["face_id"]], cv2.COLOR_RGB2BGR))
        bins = {"yaw": row["yaw_bin"], "pitch": row["pitch_bin"], "expression": row["expression"],
                "occlusion": row["occlusion"], "lighting": row["lighting"]}
        image_meta = {
            "identity": identity, "name": name, "type": row["set"], "reason": row["reason"], "bins": bins,
            "expression_judged_by": row["expression_how"],
            "quality": {"score": row["quality"], "gated": row["gated"], "det_score": row["det_score"],
                        "face_size": row["face_size"], "blur": row["blur"], "visible": row["visible"],
                        "luma": row["luma"]},
            "pose": {"yaw": row["yaw"], "pitch": row["pitch"], "roll": row["roll"]},
            "novelty": row["novelty"], "stability": row["stability"],
            "boxes": {"face": [row["fx0"], row["fy0"], row["fx1"], row["fy1"]], "image": row["image_box"]},
            "source": {"instance_id": row["instance_id"], "frame_id": row["frame_id"], "face_id": row["face_id"]},
            "model_versions": versions,
        }
        write_json_atomic(target.with_suffix(".json"), image_meta)
        out.append({"identity": identity, "name": name, "set": row["set"],
                    "path": relative(final_root / target.relative_to(staging)), "face_id": row["face_id"],
                    "instance_id": row["instance_id"], "frame_id": row["frame_id"], "yaw_bin": row["yaw_bin"],
                    "pitch_bin": row["pitch_bin"], "expression": row["expression"], "occlusion": row["occlusion"],
                    "lighting": row["lighting"], "quality": float(row["quality"]),
                    "stability": row["stability"], "novelty": row["novelty"]})
    folder.mkdir(parents=True, exist_ok=True)
    write_json_atomic(folder / "meta.json", {"identity": identity, "name": name, **meta, "model_versions": versions})
    return out


REFERENCE_SCHEMA = {"identity": pl.String, "name": pl.String, "partner": pl.String, "set": pl.String,
                    "path": pl.String, "face_id": pl.String, "instance_id": pl.String, "frame_id": pl.String,
                    "yaw_bin": pl.String,
                    "pitch_bin": pl.String, "expression": pl.String, "occlusion": pl.String, "lighting": pl.String,
                    "quality": pl.Float64, "stability": pl.Float64, "novelty": pl.Float64}


def note(path: Path, text: str, **extra: Any) -> None:
    write_json_atomic(path, {"note": text, **extra})

