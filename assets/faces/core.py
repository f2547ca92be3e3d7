"""Faces of kept instances: detection on the frame with a detector fallback order, each face given to the instance
whose box holds it, 5-point alignment, identity embeddings, simple quality and head-pose measures. No Dagster.

The analyzer (resources.protocols.FaceAnalyzer) is passed in; nothing here imports a model library.
"""

import hashlib
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import polars as pl

from resources.disk_space import write_image
from resources.errors import BadMediaError
from resources.image_codec import read_image
from resources.protocols import FaceAnalyzer, FaceDetection

log = logging.getLogger(__name__)

FACE_SCHEMA = {
    "face_id": pl.String, "instance_id": pl.String, "frame_id": pl.String,
    "fx0": pl.Float32, "fy0": pl.Float32, "fx1": pl.Float32, "fy1": pl.Float32,
    "landmarks": pl.List(pl.Float32), "det_score": pl.Float32, "face_size": pl.Float32, "blur": pl.Float32,
    "yaw": pl.Float32, "pitch": pl.Float32, "roll": pl.Float32, "detector": pl.String, "backend": pl.String,
    "model": pl.String, "embedding": pl.List(pl.Float32), "crop_path": pl.String,
}


@dataclass(frozen=True)
class FaceParams:
    min_face_size: int = 64          # px, shorter side of the face box
    min_face_fraction: float = 0.15  # ... but never more than this fraction of the frame height (low-res sources)
    min_containment: float = 0.6     # share of the face box inside the instance box for the face to belong to it
    # ... and the share of the face box the instance's own mask (instances' mask_path) must cover (0: boxes only).
    # A box holds what stands behind the character too: on the Kenney tune redraws a background boy's face at the
    # edge of a zombie's or robot's box became its face (mask share 0.01-0.27); every true face of a labelled
    # character covered 0.46 or more (510 rows, docs/anime_2d.md session 31 h8). A face no mask holds goes to none
    min_mask_share: float = 0.0
    # drawn films (the anime preset): 2D face detectors (AnimeFace, YuNet, the LBP anime cascade) and the 2D identity
    # embedding instead of photo face recognition (resources/face_analyzer.py)
    anime_detector: bool = False
    # a second pass for kept instances still without a face: each one's box (padded) upscaled by this factor and
    # searched again with the same detectors, faces mapped back to the frame (0: off). On Penny & Chip, 2 found
    # faces on 17 of 39 faceless instances (12 real), but her held-out identity coverage fell: no preset sets it
    upscale_pass: float = 0.0
    upscale_max_side: int = 960      # px: the upscaled box's longer side stays under this
    # the 2D analyzer's YuNet and anime cascade search only the part of the frame around the instances still without
    # a face, each box widened by this x its longer side (0: the whole frame). 6-minute 1080p film: the stage
    # 25.6 -> 22.0 CPU-s, 202 of 240 faces identical, 36 moved by a few px, 2 lost, 1 gained (docs/film_scale.md,
    # session 12). Off by default: on the whole Penny & Chip chain (bench/faces_2d.py --film pc) 0.5 left 6 of
    # Penny's 24 held-out faces as noise (holds 1.00 -> 0.75, BCubed F 1.00 -> 0.92), 0 keeps them
    search_margin: float = 0.0
    save_crops: bool = True          # aligned face crops (112 px; drawn faces: 192 px context crops) in faces/
    jpeg_quality: int = 92

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "FaceParams":
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})

    def min_size_for(self, frame_height: int) -> float:
        return min(float(self.min_face_size), self.min_face_fraction * frame_height)


def containment(face: tuple[float, ...], box: tuple[float, ...]) -> float:
    """Share of ``face``'s area inside ``box``."""
    ix = max(0.0, min(face[2], box[2]) - max(face[0], box[0]))
    iy = max(0.0, min(face[3], box[3]) - max(face[1], box[1]))
    area = max((face[2] - face[0]) * (face[3] - face[1]), 1e-6)
    return ix * iy / area


def mask_share(face: tuple[float, ...], mask: np.ndarray) -> float:
    """Share of ``face``'s box area on ``mask`` (a boolean frame-sized mask; outside the frame counts as off)."""
    height, width = mask.shape[:2]
    x0, y0, x1, y1 = (int(round(v)) for v in face[:4])
    area = max((x1 - x0) * (y1 - y0), 1)
    cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    if cx1 <= cx0 or cy1 <= cy0:
        return 0.0
    return float(np.count_nonzero(mask[cy0:cy1, cx0:cx1])) / area


def owner(face: tuple[float, ...], boxes: dict[str, tuple[float, ...]], min_containment: float,
          masks: dict[str, np.ndarray] | None = None, min_mask_share: float = 0.0) -> str | None:
    """The instance whose box holds the face best (ties: the smaller box, i.e. the tighter fit). With
    ``min_mask_share`` > 0 an instance whose mask (``masks``; one without a mask is judged by its box) covers less
    of the face box than that is no candidate."""
    best, best_key = None, None
    for instance_id, box in boxes.items():
        share = containment(face, box)
        if share < min_containment:
            continue
        mask = masks.get(instance_id) if masks and min_mask_share > 0 else None
        if mask is not None and mask_share(face, mask) < min_mask_share:
            continue
        key = (round(share, 3), -(box[2] - box[0]) * (box[3] - box[1]))
        if best_key is None or key > best_key:
            best, best_key = instance_id, key
    return best


def head_pose(landmarks: np.ndarray | None) -> tuple[float, float, float]:
    """Rough yaw, pitch, roll (degrees) from 5 landmarks; NaN without landmarks."""
    if landmarks is None:
        return math.nan, math.nan, math.nan
    le, re, nose, ml, mr = (np.asarray(p, dtype=np.float64) for p in landmarks)
    axis = re - le
    eye_dist = max(float(np.linalg.norm(axis)), 1e-6)
    roll = math.degrees(math.atan2(axis[1], axis[0]))
    unit = axis / eye_dist
    normal = np.array([-unit[1], unit[0]])
    eye_mid, mouth_mid = (le + re) / 2, (ml + mr) / 2
    yaw = math.degrees(math.asin(float(np.clip(2 * np.dot(nose - eye_mid, unit) / eye_dist, -1, 1))))
    span = max(float(np.dot(mouth_mid - eye_mid, normal)), 1e-6)
    ratio = float(np.dot(nose - eye_mid, normal)) / span  # ~0.5 for a frontal face
    pitch = math.degrees(math.asin(float(np.clip(2 * (ratio - 0.5), -1, 1))))
    return yaw, pitch, roll


def blur_score(crop_rgb: np.ndarray) -> float:
    """Laplacian variance of the aligned crop (higher is sharper)."""
    return float(cv2.Laplacian(cv2.cvtColor(crop_rgb, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var())


def face_id(instance_id: str, box: tuple[float, ...]) -> str:
    text = f"{instance_id}:{','.join(f'{v:.1f}' for v in box)}"
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def read_rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise BadMediaError(path, "frame image cannot be read (missing or corrupt); re-materialise `frames`")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def frame_faces(image: np.ndarray, boxes: dict[str, tuple[float, ...]], analyzer: FaceAnalyzer,
                params: FaceParams, misses: dict[str, str] | None = None,
                detectors: Sequence[str] | None = None,
                masks: dict[str, np.ndarray] | None = None) -> list[tuple[str, FaceDetection]]:
    """(instance_id, face) pairs, at most one face per instance: each detector in fallback order (``detectors``,
    else the analyzer's) serves the instances still without a face; where one box holds several faces (two
    characters cut out together) the largest, then the most confident, is the instance's. ``misses`` collects why
    an instance got none, where a detector saw a face too small to use. ``masks`` (instance_id -> boolean frame
    mask) refuse a face to an instance whose mask covers less than ``params.min_mask_share`` of it."""
    pending = set(boxes)
    min_size = params.min_size_for(image.shape[0])
    found: list[tuple[str, FaceDetection]] = []
    around = getattr(analyzer, "detect_around", None) if params.search_margin > 0 else None
    for detector in detectors or analyzer.detectors:
        if not pending:
            break
        best: dict[str, FaceDetection] = {}
        faces = around(image, detector, [boxes[k] for k in pending], params.search_margin) if around \
            else analyzer.detect(image, detector)
        for face in faces:
            side = min(face.box[2] - face.box[0], face.box[3] - face.box[1])
            if side < min_size:
                small_owner = owner(face.box, boxes, params.min_containment, masks, params.min_mask_share)
                if misses is not None and small_owner is not None:
                    misses[small_owner] = f"face too small: {side:.0f} px < {min_size:.0f} px ({detector})"
                continue
            instance_id = owner(face.box, boxes, params.min_containment, masks, params.min_mask_share)
            if instance_id not in pending:
                continue
            held = best.get(instance_id)
            if held is None or (side, face.score) > (min(held.box[2] - held.box[0], held.box[3] - held.box[1]),
                                                     held.score):
                best[instance_id] = face
        found.extend(best.items())
        pending -= set(best)
    if pending and params.upscale_pass > 1:
        found.extend(upscaled_faces(image, {k: boxes[k] for k in boxes if k in pending}, analyzer, params,
                                    min_size, detectors or analyzer.detectors, misses, masks))
    return found


def upscaled_faces(image: np.ndarray, boxes: dict[str, tuple[float, ...]], analyzer: FaceAnalyzer,
                   params: FaceParams, min_size: float, detectors: Sequence[str],
                   misses: dict[str, str] | None = None,
                   masks: dict[str, np.ndarray] | None = None) -> list[tuple[str, FaceDetection]]:
    """The second pass of ``frame_faces``: each instance's box, padded by a tenth, upscaled by
    ``params.upscale_pass`` (less when its longer side would pass ``upscale_max_side``) and searched with
    ``detectors`` in order; the first face that the instance's box holds (largest, then most confident) is mapped
    back to frame pixels. A face must reach ``min_size`` in frame pixels (and its instance's mask cover
    ``params.min_mask_share`` of it), as in the first pass."""
    height, width = image.shape[:2]
    # the enlarged region as it is: an analyzer that caps the image height (drawn faces) would shrink it back
    detect_as_is = getattr(analyzer, "detect_as_is", analyzer.detect)
    found: list[tuple[str, FaceDetection]] = []
    for instance_id, box in boxes.items():
        pad = 0.1 * max(box[2] - box[0], box[3] - box[1])
        x0, y0 = int(max(box[0] - pad, 0)), int(max(box[1] - pad, 0))
        x1, y1 = int(min(box[2] + pad, width)), int(min(box[3] + pad, height))
        if x1 - x0 < 8 or y1 - y0 < 8:
            continue
        scale = min(params.upscale_pass, params.upscale_max_side / max(x1 - x0, y1 - y0))
        if scale <= 1.05:
            continue  # already as large as the pass would make it: nothing new to see
        mask = masks.get(instance_id) if masks and params.min_mask_share > 0 else None
        region = cv2.resize(image[y0:y1, x0:x1], None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
        for detector in detectors:
            faces = [_to_frame(face, scale, x0, y0) for face in detect_as_is(region, detector)]
            usable = [f for f in faces if containment(f.box, box) >= params.min_containment
                      and min(f.box[2] - f.box[0], f.box[3] - f.box[1]) >= min_size
                      and (mask is None or mask_share(f.box, mask) >= params.min_mask_share)]
            if usable:
                found.append((instance_id, max(usable, key=lambda f: (min(f.box[2] - f.box[0],
                                                                          f.box[3] - f.box[1]), f.score))))
                if misses is not None:
                    misses.pop(instance_id, None)
                break
    return found


def _to_frame(face: FaceDetection, scale: float, x0: int, y0: int) -> FaceDetection:
    box = (face.box[0] / scale + x0, face.box[1] / scale + y0, face.box[2] / scale + x0, face.box[3] / scale + y0)
    landmarks = None if face.landmarks is None else (np.asarray(face.landmarks, np.float32) / scale
                                                     + np.array([x0, y0], np.float32))
    return FaceDetection(box, face.score, f"{face.detector}@x{scale:.1f}", landmarks)


def detect_faces(frames: pl.DataFrame, instances: pl.DataFrame, analyzer: FaceAnalyzer, params: FaceParams,
                 resolve: Callable[[str], Path], crops_dir: Path | None = None,
                 relative: Callable[[Path], str] = str, misses: dict[str, str] | None = None,
                 detectors_for: Callable[[str], Sequence[str]] | None = None) -> pl.DataFrame:
    """Faces of the kept instances. ``frames`` needs frame_id and path; ``instances`` instance_id, frame_id,
    x0..y1 (and ``kept`` when present). ``resolve`` maps a stored path to a file. ``misses`` (when given) receives
    instance_id -> why a kept instance has no face (``face_misses``). ``detectors_for`` (frame_id -> detector
    order) picks the detectors per frame: a film mixing drawn and rendered shots (assets/faces/mixed_styles.py)."""
    kept = instances.filter(pl.col("kept")) if "kept" in instances.columns else instances
    paths = dict(zip(frames["frame_id"], frames["path"]))
    rows: list[dict[str, Any]] = []
    for (frame_id,), group in kept.sort("frame_id").group_by(["frame_id"], maintain_order=True):
        if paths.get(frame_id) is None:
            log.warning("frame %s of %d kept instance(s) has no image; skipped", frame_id, group.height)
            if misses is not None:
                misses.update({i: "frame has no image" for i in group["instance_id"]})
            continue
        image = read_rgb(resolve(paths[frame_id]))
        boxes = {r["instance_id"]: (r["x0"], r["y0"], r["x1"], r["y1"]) for r in group.iter_rows(named=True)}
        frame_misses: dict[str, str] = {}
        order = tuple(detectors_for(frame_id)) if detectors_for else tuple(analyzer.detectors)
        masks = instance_masks(group, resolve, image.shape[:2]) if params.min_mask_share > 0 else None
        pairs = frame_faces(image, boxes, analyzer, params, frame_misses, order, masks)
        if misses is not None:
            faced = {instance_id for instance_id, _ in pairs}
            for instance_id in boxes:
                if instance_id not in faced:
                    misses[instance_id] = frame_misses.get(instance_id, f"no face found by {', '.join(order)}")
        crops = [analyzer.align(image, face) for _, face in pairs]
        embeddings = analyzer.embed(crops)
        for (instance_id, face), crop, embedding in zip(pairs, crops, embeddings):
            fid = face_id(instance_id, face.box)
            crop_path = None
            if crops_dir is not None and params.save_crops:
                target = crops_dir / f"{fid}.jpg"
                write_image(target, cv2.cvtColor(crop, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, params.jpeg_quality])
                crop_path = relative(target)
            yaw, pitch, roll = head_pose(face.landmarks)
            rows.append({
                "face_id": fid, "instance_id": instance_id, "frame_id": frame_id,
                "fx0": face.box[0], "fy0": face.box[1], "fx1": face.box[2], "fy1": face.box[3],
                "landmarks": None if face.landmarks is None else face.landmarks.reshape(-1).tolist(),
                "det_score": face.score, "face_size": min(face.box[2] - face.box[0], face.box[3] - face.box[1]),
                "blur": blur_score(crop), "yaw": yaw, "pitch": pitch, "roll": roll, "detector": face.detector,
                "backend": analyzer.name, "model": analyzer.model, "embedding": embedding.tolist(),
                "crop_path": crop_path,
            })
    return pl.DataFrame(rows, schema=FACE_SCHEMA)


def instance_masks(group: pl.DataFrame, resolve: Callable[[str], Path],
                   shape: tuple[int, int]) -> dict[str, np.ndarray]:
    """The frame's instances' masks (``mask_path``, >= 128 on), frame-sized; an instance without a readable mask
    of the frame's size is left out (its box alone decides)."""
    if "mask_path" not in group.columns:
        return {}
    masks = {}
    for instance_id, path in zip(group["instance_id"], group["mask_path"]):
        mask = read_image(resolve(path), cv2.IMREAD_GRAYSCALE) if path else None
        if mask is not None and mask.shape == tuple(shape):
            masks[instance_id] = mask >= 128
    return masks


def misses_table(misses: dict[str, str], instances: pl.DataFrame) -> pl.DataFrame:
    """``face_misses``: one row per kept instance without a face, with why (no face found, too small, no image).
    Where the cut-out step's face cue saw a face inside (``face_count``; filtered_instances then keeps it as
    "character: 1 face(s) inside"), the reason says so: that face is not one this stage's detectors confirmed, and
    the two messages no longer read as contradicting each other (session 36, Big Buck Bunny)."""
    frame_of = dict(zip(instances["instance_id"], instances["frame_id"]))
    cues = ({i: (n, s) for i, n, s in instances.select("instance_id", "face_count", "face_score").iter_rows()
             if n and s is not None} if {"face_count", "face_score"} <= set(instances.columns) else {})
    reasons = [why + (f"; the cut-out step's face cue saw {cues[i][0]} inside (score {cues[i][1]:.2f}), a face "
                      f"these detectors did not confirm" if i in cues else "") for i, why in misses.items()]
    return pl.DataFrame({"instance_id": list(misses), "frame_id": [frame_of.get(i) for i in misses],
                         "reason": reasons},
                        schema={"instance_id": pl.String, "frame_id": pl.String, "reason": pl.String})


def embedding_matrix(faces: pl.DataFrame) -> np.ndarray:
    """The faces' embeddings as an (N, D) float32 array."""
    if faces.height == 0:
        return np.zeros((0, 0), dtype=np.float32)
    return np.asarray(faces["embedding"].to_list(), dtype=np.float32)
