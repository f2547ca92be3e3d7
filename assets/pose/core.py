"""Keypoints per identified instance, views, and pose sub-clusters per identity. No Dagster, no model import.

The estimator runs on each instance's RGBA cut-out composited on black (so other characters in the box do not
pull the keypoints) and the keypoints are mapped back to frame pixels through the instance's box.
"""

import json
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import polars as pl

from assets.pose.cluster import subcluster_labels
from assets.pose.crossing import crossing_speeds, turned_view
from assets.pose.head_turn import head_outline_asymmetry, outline_turned_view
from assets.pose.selection import face_boxes, face_landmarks, face_yaws
from assets.pose.silhouette import read_silhouettes, silhouette_feature, silhouette_labels
from assets.pose.track_views import views_from_tracks
from assets.pose.views import KEYPOINT_VIEWS, VIEWS, body_extent, classify_view, keypoint_view_kept, mouth_offset, \
    mouth_turned_view, pose_features
from resources.disk_space import write_image
from resources.image_codec import read_image
from resources.storage import contained

log = logging.getLogger(__name__)

POSE_SCHEMA = {
    "instance_id": pl.String, "frame_id": pl.String, "label": pl.String,
    "keypoints": pl.List(pl.Float32), "mean_confidence": pl.Float32, "confident_keypoints": pl.Int32,
    "view": pl.String, "view_source": pl.String, "face_yaw": pl.Float32, "body_extent": pl.String,
    "subcluster": pl.Int32, "pose_bucket": pl.String, "folder": pl.String, "no_pose_reason": pl.String,
    "backend": pl.String, "model": pl.String,
}
BUCKET_FEATURES = ("keypoints", "silhouette")
SKELETON = ((0, 1), (0, 2), (1, 3), (2, 4), (5, 6), (5, 7), (7, 9), (6, 8), (8, 10), (5, 11), (6, 12),
            (11, 12), (11, 13), (13, 15), (12, 14), (14, 16))


@dataclass(frozen=True)
class PoseParams:
    method: str = "umap_hdbscan"     # umap_hdbscan | kmeans
    n_clusters: int = 4              # kmeans
    min_cluster_size: int = 5        # umap_hdbscan; per identity via min_cluster_size_per_identity
    min_cluster_size_per_identity: tuple[tuple[str, int], ...] = ()  # label or identity id -> min_cluster_size
    umap_min_points: int = 50        # fewer poses: HDBSCAN on the features without UMAP
    min_confidence: float = 0.3      # a keypoint counts as seen at or above this
    min_keypoints: int = 5           # fewer seen keypoints: "no pose" (low confidence)
    min_crop_px: int = 16
    crop_padding: float = 0.75       # black margin added on each side, as a share of the crop's longer side
    view_weight: float = 2.0         # weight of the view one-hot beside the 34 normalised keypoint coordinates
    yaw_front_max: float = 20.0      # |face yaw| <= this: front; <= yaw_three_quarter_max: three_quarter; else profile
    yaw_three_quarter_max: float = 55.0
    # a cut-out without a face takes its view from the keypoints' geometry (shoulder order and span, face points):
    # all | upright_facing (only keypoints that draw an upright body, and never a back: the anime preset, where a
    # photo-trained model misses drawn faces' points; views.keypoint_view_kept) | none; a view refused is unknown
    keypoint_views: str = "all"
    # a front or unknown view of a character crossing its shot at this many of its heights a second or more is
    # three_quarter (assets/pose/crossing.py); 0: off. The anime preset turns it on, where a drawn face's yaw
    # cannot tell a three-quarter turn from the front
    crossing_turn_speed: float = 0.0
    # a front read from a face whose mouth sits this many eye distances or more sideways off the eyes' midpoint is
    # three_quarter (views.mouth_offset); 0: off. The anime preset turns it on, where a drawn character standing
    # turned is said front by its face's yaw
    face_turn_mouth_offset: float = 0.0
    # a front read from a face whose head outline is this far or more from mirror symmetry is three_quarter
    # (assets/pose/head_turn.py); 0: off. The anime preset turns it on, where a drawn face turned keeps a front yaw
    face_turn_outline_asymmetry: float = 0.0
    # a view read from the keypoints alone or the face's yaw alone takes the view more than this share of its
    # track's other faces say (assets/pose/track_views.py); 0: off. The anime preset turns it on, where a drawn
    # body's keypoints and a drawn face's yaw misread the turn a character holds through a shot
    track_face_view_share: float = 0.0
    # what a pose bucket groups by: keypoints (the normalised keypoints and the view) | silhouette (the cut-out's
    # mirror-folded outline, assets/pose/silhouette.py: the anime preset, where a photo-trained model's keypoints
    # on drawn bodies group nothing, bench/kenney_pose_buckets.py)
    bucket_features: str = "keypoints"
    # silhouette buckets: a character crossing its shot at this many of its heights a second or more (the speed of
    # assets/pose/crossing.py) is bucketed apart from the ones standing; 0: one pool
    motion_split_speed: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.method not in ("umap_hdbscan", "kmeans"):
            raise ValueError(f"pose.method must be 'umap_hdbscan' or 'kmeans', not {self.method!r}")
        if self.bucket_features not in BUCKET_FEATURES:
            raise ValueError(f"pose.bucket_features must be one of {BUCKET_FEATURES}, not {self.bucket_features!r}")
        if self.keypoint_views not in KEYPOINT_VIEWS:
            raise ValueError(f"pose.keypoint_views must be one of {KEYPOINT_VIEWS}, not {self.keypoint_views!r}")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "PoseParams":
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__}
        per_identity = known.get("min_cluster_size_per_identity") or {}
        if isinstance(per_identity, dict):
            known["min_cluster_size_per_identity"] = tuple(sorted((str(k), int(v)) for k, v in per_identity.items()))
        return cls(**known)

    def min_cluster_size_for(self, label: str, identity: object) -> int:
        overrides = dict(self.min_cluster_size_per_identity)
        return int(overrides.get(label, overrides.get(str(identity), self.min_cluster_size)))


def read_bgra(path: Path) -> np.ndarray:
    """An image file as BGRA (grey and BGR get an opaque alpha); raises ValueError when unreadable."""
    image = read_image(path)
    if image is None:
        raise ValueError(f"{path}: not a readable image")
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGRA)
    if image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2BGRA)
    return image


def composite_on(bgra: np.ndarray, background: tuple[int, int, int], round_half_up: bool = True) -> np.ndarray:
    """RGB of a BGRA uint8 cut-out over ``background`` (RGB): every pixel ``colour * a + background * (1 - a)`` in
    float32 (a = alpha / 255), rounded half up, else truncated (``astype``). Under that formula an opaque pixel is
    its colour and a transparent one the background exactly, so only the soft edge is computed in floats, and the
    rest in OpenCV's masked operations (a 1080p cut-out's float copies cost more than its decode)."""
    a = cv2.extractChannel(bgra, 3)
    rgb = cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGB)
    transparent = cv2.compare(a, 0, cv2.CMP_EQ)
    cv2.subtract(rgb, rgb, dst=rgb, mask=transparent)
    cv2.add(rgb, tuple(float(v) for v in background) + (0.0,), dst=rgb, mask=transparent)
    soft = np.flatnonzero(cv2.inRange(a, 1, 254))
    if soft.size:
        alpha = a.reshape(-1)[soft, None].astype(np.float32) / 255.0
        mixed = rgb.reshape(-1, 3)[soft].astype(np.float32) * alpha + np.asarray(background, np.float32) * (1.0 - alpha)
        rgb.reshape(-1, 3)[soft] = np.clip(mixed + 0.5, 0, 255).astype(np.uint8) if round_half_up \
            else mixed.astype(np.uint8)
    return rgb


def load_cutout_rgb(path: Path, background: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(RGB composited on grey level ``background``, black by default; alpha mask) of an RGBA (or RGB) PNG; raises
    ValueError when unreadable."""
    image = read_bgra(path)
    alpha = image[:, :, 3] > 127
    # copying the opaque pixels onto a filled canvas costs a fifth of assigning through ``~alpha`` (1080p cut-outs)
    rgb = np.full(image.shape[:2] + (3,), background, np.uint8)
    cv2.copyTo(cv2.cvtColor(image, cv2.COLOR_BGRA2RGB), alpha.view(np.uint8), rgb)
    return rgb, alpha


Box = tuple[float, float, float | None, float | None]


def cutout_box(row: dict[str, Any]) -> Box:
    """The frame rectangle a cut-out image covers (x0, y0, x1, y1): from the instance's crop origin at frame scale,
    its far corner the image's own size (None until the image is read), since the cut-out keeps a margin round the
    instance's box (clipped at the frame's edges); a row without an origin (an older table) maps the image onto
    the instance's box, as before."""
    if row.get("crop_x0") is not None and row.get("crop_y0") is not None:
        return float(row["crop_x0"]), float(row["crop_y0"]), None, None
    return row["x0"], row["y0"], row["x1"], row["y1"]


def _on_image(box: Box, shape: tuple[int, ...]) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = box
    return x0, y0, x0 + shape[1] if x1 is None else x1, y0 + shape[0] if y1 is None else y1


def estimate_one(estimator: Any, path: Path, box: Box, params: PoseParams, overlay: Path | None = None,
                 on_alpha: Callable[[np.ndarray], None] | None = None) -> tuple[np.ndarray | None, str | None]:
    """Keypoints (17 x 3, frame pixels) and a no-pose reason (None when the pose is usable). ``box``: the frame
    rectangle the cut-out covers (``cutout_box``). ``overlay``: where to write the keypoint overlay while the
    cut-out is decoded (``write_subcluster_folders`` then moves it). ``on_alpha``: given the decoded cut-out's
    opacity mask (bool), whatever the estimate then says (``estimate_poses`` takes the silhouette from it)."""
    if not path.exists():
        return None, f"cut-out missing: {path.name}"
    try:
        rgb, alpha = load_cutout_rgb(path)
    except ValueError as error:
        return None, f"unreadable cut-out: {error}"
    if on_alpha is not None:
        on_alpha(alpha)
    h, w = rgb.shape[:2]
    if min(h, w) < params.min_crop_px:
        return None, f"crop too small: {w}x{h} px < {params.min_crop_px}"
    # single-person models are trained on people with context around them: a tight crop loses keypoints
    # (Sintel trailer, MoveNet: 14 of 38 identified instances usable without margin, 28 with 0.75)
    margin = int(round(params.crop_padding * max(h, w)))
    kp = np.asarray(estimator.estimate(rgb, margin=margin), np.float32).copy()
    box = x0, y0, x1, y1 = _on_image(box, rgb.shape)
    # the cut-out covers the box; scale in case it was stored at another size
    kp[:, 0] = x0 + kp[:, 0] * ((x1 - x0) / w if x1 > x0 else 1.0)
    kp[:, 1] = y0 + kp[:, 1] * ((y1 - y0) / h if y1 > y0 else 1.0)
    if overlay is not None:
        write_image(overlay, draw_overlay(rgb, cutout_keypoints(kp, box, rgb.shape), params.min_confidence))
    seen = int((kp[:, 2] >= params.min_confidence).sum())
    if seen < params.min_keypoints:
        return kp, f"low confidence: {seen}/17 keypoints >= {params.min_confidence}"
    return kp, None


def estimate_poses(rows: pl.DataFrame, faces: pl.DataFrame | None, estimator: Any, params: PoseParams,
                   absolute: Callable[[str], Path], overlay_dir: Path | None = None,
                   estimate: Callable[..., tuple[np.ndarray | None, str | None]] | None = None,
                   silhouettes: dict[str, np.ndarray | None] | None = None,
                   tracks: dict[str, str] | None = None) -> pl.DataFrame:
    """One row per identified instance: keypoints (flat x, y, score in frame pixels), view, no_pose_reason.
    ``overlay_dir``: each keypoint overlay is drawn there as ``<instance_id>_pose.jpg`` from the cut-out already
    decoded for the estimate, so ``write_subcluster_folders`` does not decode every cut-out a second time.
    ``estimate(instance_id, path, box, overlay, on_alpha)``: a cut-out's (keypoints, no-pose reason) instead of
    ``estimate_one`` (assets/pose/pose_reuse.py takes an unchanged cut-out's from the last run).
    ``silhouettes``: filled with instance_id -> ``silhouette_feature`` (None: an empty cut-out) of every cut-out
    decoded here, so that ``bucket_inputs`` does not decode them again (a 1080p cut-out's PNG costs more than its
    silhouette and its keypoints together on a drawn film). ``tracks``: instance_id -> its identity track
    (``track_views.track_ids``), read with ``track_face_view_share``."""
    if estimate is None:
        def estimate(_instance_id, path, box, overlay, on_alpha=None):
            return estimate_one(estimator, path, box, params, overlay, on_alpha)
    yaws = face_yaws(faces)
    speeds = crossing_speeds(rows) if params.crossing_turn_speed > 0 else {}
    mouths = face_landmarks(faces) if params.face_turn_mouth_offset > 0 else {}
    heads = face_boxes(faces) if params.face_turn_outline_asymmetry > 0 else {}
    out = []
    for row in rows.iter_rows(named=True):
        decoded: list[np.ndarray] = []  # the cut-out's opacity where the estimate decodes it (not where reused)
        kp, reason = estimate(row["instance_id"], absolute(row["path"]), cutout_box(row),
                              overlay_dir / f"{row['instance_id']}_pose.jpg" if overlay_dir else None,
                              partial(_keep_alpha, decoded, silhouettes, row["instance_id"]))
        yaw = yaws.get(row["instance_id"], (float("nan"), 0.0))[0]
        usable = kp if reason is None else None
        view, source = classify_view(usable, yaw if np.isfinite(yaw) else None, params.min_confidence,
                                     params.yaw_front_max, params.yaw_three_quarter_max)
        if source == "keypoints" and not keypoint_view_kept(usable, view, params.keypoint_views, params.min_confidence):
            view, source = "unknown", "none"
        view, source = mouth_turned_view(view, source, mouth_offset(mouths.get(row["instance_id"])),
                                         params.face_turn_mouth_offset)
        if view == "front" and source == "face" and row["instance_id"] in heads:
            view, source = outline_turned_view(view, source, _outline_asymmetry(row, heads[row["instance_id"]],
                                                                                 absolute, decoded),
                                               params.face_turn_outline_asymmetry)
        view, source = turned_view(view, source, speeds.get(row["instance_id"]), params.crossing_turn_speed)
        out.append({
            "instance_id": row["instance_id"], "frame_id": row.get("frame_id"),
            "label": row["label"], "keypoints": kp.reshape(-1).tolist() if kp is not None else None,
            "mean_confidence": float(kp[:, 2].mean()) if kp is not None else None,
            "confident_keypoints": int((kp[:, 2] >= params.min_confidence).sum()) if kp is not None else 0,
            "view": view, "view_source": source, "face_yaw": yaw if np.isfinite(yaw) else None,
            "body_extent": body_extent(usable, params.min_confidence), "no_pose_reason": reason,
            "backend": getattr(estimator, "name", None), "model": getattr(estimator, "model", None),
        })
    out = views_from_tracks(out, tracks or {}, params.track_face_view_share)
    table = pl.DataFrame(out, schema={k: v for k, v in POSE_SCHEMA.items()
                                      if k not in ("subcluster", "pose_bucket", "folder")}, strict=False)
    return table.insert_column(2, rows["identity"])


def _keep_alpha(decoded: list[np.ndarray], silhouettes: dict[str, np.ndarray | None] | None, instance_id: str,
                alpha: np.ndarray) -> None:
    decoded.append(alpha)
    if silhouettes is not None:
        silhouettes[instance_id] = silhouette_feature(alpha)


def _outline_asymmetry(row: dict[str, Any], face: tuple[float, float, float, float],
                       absolute: Callable[[str], Path], decoded: list[np.ndarray]) -> float | None:
    """``head_outline_asymmetry`` of a row's cut-out round its face (frame pixels), the opacity the estimate
    decoded (``decoded``) or, for a reused estimate, read from the cut-out now."""
    if decoded:
        alpha = decoded[0]
    else:
        try:
            alpha = read_bgra(absolute(row["path"]))[:, :, 3] > 127  # load_cutout_rgb's opacity
        except ValueError:
            return None
    x0, y0, x1, y1 = _on_image(cutout_box(row), alpha.shape)
    sx, sy = alpha.shape[1] / max(x1 - x0, 1e-6), alpha.shape[0] / max(y1 - y0, 1e-6)
    return head_outline_asymmetry(alpha, ((face[0] - x0) * sx, (face[1] - y0) * sy, (face[2] - x0) * sx,
                                          (face[3] - y0) * sy))


def assign_subclusters(poses: pl.DataFrame, params: PoseParams, silhouettes: dict[str, np.ndarray] | None = None,
                       speeds: dict[str, float] | None = None) -> pl.DataFrame:
    """Per identity, cluster the usable poses' features; unusable poses are noise (-1). With ``bucket_features:
    silhouette`` the features are ``silhouettes`` (instance_id -> ``silhouette_feature``; a cut-out without one is
    noise) and, with ``motion_split_speed``, the cut-outs whose ``speeds`` (``crossing_speeds``) reach it are
    clustered apart from the others."""
    labels = np.full(poses.height, -1, np.int32)
    by_silhouette = params.bucket_features == "silhouette"
    for (identity, label), group in poses.with_row_index("_row").group_by(["identity", "label"],
                                                                          maintain_order=True):
        if by_silhouette:
            usable = group.filter(pl.col("instance_id").is_in(list(silhouettes or {})))
        else:
            usable = group.filter(pl.col("no_pose_reason").is_null())
        if usable.height == 0:
            continue

        def cluster(feats: np.ndarray) -> np.ndarray:
            return subcluster_labels(feats, params.method, params.min_cluster_size_for(label, identity),
                                     params.n_clusters, params.seed, params.umap_min_points)

        if by_silhouette:
            found = silhouette_labels(usable["instance_id"].to_list(), silhouettes, speeds or {},
                                      params.motion_split_speed, cluster)
        else:
            found = cluster(np.stack([pose_features(np.asarray(k, np.float32).reshape(17, 3), v,
                                                    params.min_confidence, params.view_weight)
                                      for k, v in zip(usable["keypoints"].to_list(), usable["view"])]))
        labels[usable["_row"].to_numpy()] = found
    folders = [f"{lab}_pose_{s:03d}" if s >= 0 else f"{lab}_noise" for lab, s in zip(poses["label"], labels)]
    buckets = [f"pose_{s:03d}" if s >= 0 else "noise" for s in labels]
    order = ["instance_id", "frame_id", "identity", *[c for c in POSE_SCHEMA if c not in ("instance_id", "frame_id")]]
    return poses.with_columns(pl.Series("subcluster", labels, pl.Int32),
                              pl.Series("pose_bucket", buckets, pl.String),
                              pl.Series("folder", folders, pl.String)).select(order)


def bucket_inputs(rows: pl.DataFrame, params: PoseParams, absolute: Callable[[str], Path],
                  seen: dict[str, np.ndarray | None] | None = None
                  ) -> tuple[dict[str, np.ndarray] | None, dict[str, float] | None]:
    """(silhouettes, speeds) that ``assign_subclusters`` needs beside the poses: read only for silhouette buckets.
    ``seen``: the silhouettes ``estimate_poses`` took from the cut-outs it decoded (None: an empty cut-out); only
    the others (a cut-out whose keypoints came from the last run, an unreadable one) are read here."""
    if params.bucket_features != "silhouette":
        return None, None
    seen = seen or {}
    silhouettes = {i: f for i, f in seen.items() if f is not None}
    silhouettes |= read_silhouettes({i: absolute(p) for i, p in zip(rows["instance_id"], rows["path"])
                                     if i not in seen})
    return silhouettes, crossing_speeds(rows) if params.motion_split_speed > 0 else {}


def cutout_keypoints(kp: np.ndarray, box: Box, shape: tuple[int, ...]) -> np.ndarray:
    """Keypoints in frame pixels (17 x 3) moved into the pixels of the cut-out covering ``box`` (``cutout_box``;
    ``shape``: its array's)."""
    x0, y0, x1, y1 = _on_image(box, shape)
    local = np.asarray(kp, np.float32).reshape(17, 3).copy()
    local[:, 0] = (local[:, 0] - x0) * shape[1] / max(x1 - x0, 1e-6)
    local[:, 1] = (local[:, 1] - y0) * shape[0] / max(y1 - y0, 1e-6)
    return local


def draw_overlay(rgb: np.ndarray, kp_local: np.ndarray, min_conf: float) -> np.ndarray:
    """BGR image with the skeleton drawn (keypoints in the image's pixels)."""
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    scale = max(1, round(max(bgr.shape[:2]) / 160))
    for a, b in SKELETON:
        if kp_local[a, 2] >= min_conf and kp_local[b, 2] >= min_conf:
            cv2.line(bgr, tuple(int(v) for v in kp_local[a, :2]), tuple(int(v) for v in kp_local[b, :2]),
                     (0, 255, 255), scale, cv2.LINE_AA)
    for x, y, c in kp_local:
        if c >= min_conf:
            cv2.circle(bgr, (int(x), int(y)), scale + 1, (0, 0, 255), -1, cv2.LINE_AA)
    return bgr


def write_subcluster_folders(out_dir: Path, poses: pl.DataFrame, rows: pl.DataFrame, params: PoseParams,
                             absolute: Callable[[str], Path], overlay_dir: Path | None = None) -> dict[str, Any]:
    """``<label>_pose_YYY/`` and ``<label>_noise/`` with each cut-out and a keypoint overlay (moved from
    ``overlay_dir`` where ``estimate_poses`` drew it, which is then removed; else drawn here); returns the summary
    also written to ``pose_subclustering.json``."""
    boxes = {r["instance_id"]: r for r in rows.select(
        "instance_id", "path", "x0", "y0", "x1", "y1",
        *[c for c in ("crop_x0", "crop_y0") if c in rows.columns]).iter_rows(named=True)}
    for pose in poses.iter_rows(named=True):
        folder = contained(out_dir, pose["folder"])  # a label never names a folder outside
        folder.mkdir(parents=True, exist_ok=True)
        src = absolute(boxes[pose["instance_id"]]["path"])
        if not src.exists():
            continue
        shutil.copyfile(src, folder / f"{pose['instance_id']}{src.suffix.lower()}")
        if pose["keypoints"] is not None:
            name = f"{pose['instance_id']}_pose.jpg"
            if overlay_dir is not None and (overlay_dir / name).exists():
                os.replace(overlay_dir / name, folder / name)
                continue
            rgb, _ = load_cutout_rgb(src)
            kp = cutout_keypoints(pose["keypoints"], cutout_box(boxes[pose["instance_id"]]), rgb.shape)
            write_image(folder / name, draw_overlay(rgb, kp, params.min_confidence))
    if overlay_dir is not None:
        shutil.rmtree(overlay_dir, ignore_errors=True)  # overlays of instances without a folder entry
    summary = subcluster_summary(poses)
    (out_dir / "pose_subclustering.json").write_text(json.dumps(summary, indent=2, sort_keys=True))
    return summary


def subcluster_summary(poses: pl.DataFrame) -> dict[str, Any]:
    groups: dict[str, Any] = {}
    for (label, folder, subcluster), g in poses.group_by(["label", "folder", "subcluster"], maintain_order=True):
        views = {v: int((g["view"] == v).sum()) for v in (*VIEWS, "unknown") if (g["view"] == v).any()}
        groups[folder] = {"identity_label": label, "subcluster": int(subcluster), "count": g.height, "views": views,
                          "no_pose": int(g["no_pose_reason"].is_not_null().sum())}
    return {"instances": poses.height, "subclusters": groups}


def subcluster_table(poses: pl.DataFrame) -> pl.DataFrame:
    """The asset's own table: one row per (identity, subcluster) with counts and the view histogram as JSON."""
    summary = subcluster_summary(poses)["subclusters"]
    identity_of = dict(zip(poses["folder"], poses["identity"]))
    return pl.DataFrame([{"identity": identity_of[f], "label": s["identity_label"], "subcluster": s["subcluster"],
                          "folder": f, "count": s["count"], "no_pose": s["no_pose"],
                          "views": json.dumps(s["views"], sort_keys=True)} for f, s in summary.items()],
                        schema={"identity": poses.schema["identity"], "label": pl.String, "subcluster": pl.Int32, "folder": pl.String,
                                "count": pl.Int64, "no_pose": pl.Int64, "views": pl.String})
