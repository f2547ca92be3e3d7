"""Character motion per track: speed and direction in the frame and against the background, pose dynamics,
a movement label, motion energy per track, per shot and per identity. No Dagster, no models.

Movement labels are heuristics on the track's key frames (speeds in body heights per second, the character's
box height being one body height; thresholds in ``MotionParams``), checked in this order:
- jumping: the feet (box bottom, when seen and the character keeps its size) rise against the background by
  ``jump_rise`` body heights within the track;
- running: speed against the background at least ``run_speed``;
- walking: at least ``walk_speed``;
- sitting: confident hips and knees level (vertical hip-knee gap under ``sit_thigh`` body heights);
- gesturing: wrists moving relative to the shoulders at least ``gesture_speed``;
- still: none of these.
Key frames are spread over a shot (about ten), so fast limb motion between them is not seen: the labels speak of
the motion at that sampling.
"""

from dataclasses import dataclass

import numpy as np
import polars as pl

MOTION_SCHEMA = {
    "shot": pl.Int32, "track_id": pl.String, "identity": pl.String, "start_s": pl.Float64, "end_s": pl.Float64,
    "points": pl.Int32, "speed": pl.Float64, "direction_deg": pl.Float64, "rel_speed": pl.Float64,
    "rel_direction_deg": pl.Float64, "body_speed": pl.Float64, "articulation": pl.Float64,
    "wrist_speed": pl.Float64, "movement": pl.String, "movement_evidence": pl.String, "motion_energy": pl.Float64,
    "camera_motion": pl.String, "note": pl.String,
}
ENERGY_SCHEMA = {"scope": pl.String, "key": pl.String, "tracks": pl.Int32, "motion_energy": pl.Float64,
                 "camera_magnitude": pl.Float64, "seconds": pl.Float64}
SHOULDERS, WRISTS, HIPS, KNEES = (5, 6), (9, 10), (11, 12), (13, 14)


@dataclass(frozen=True)
class MotionParams:
    walk_speed: float = 0.25  # body heights per second against the background: walking at or above
    run_speed: float = 1.2  # ... running at or above
    jump_rise: float = 0.15  # body heights the feet rise against the background within a track: jumping
    sit_thigh: float = 0.1  # vertical hip-knee gap in body heights at or below which the character sits
    gesture_speed: float = 0.3  # body heights per second of the wrists relative to the shoulders: gesturing
    min_keypoint_score: float = 0.3  # keypoints below this confidence are ignored
    link_iou: float = 0.2  # box overlap linking instances of consecutive key frames when no track_id is given


def _keypoints(poses: pl.DataFrame | None) -> dict[str, np.ndarray]:
    if poses is None or poses.height == 0 or "keypoints" not in poses.columns:
        return {}
    out = {}
    for instance_id, flat in poses.select("instance_id", "keypoints").iter_rows():
        if flat is not None and len(flat) >= 51:
            out[instance_id] = np.asarray(flat[:51], np.float64).reshape(17, 3)
    return out


def _mean_point(kp: np.ndarray, indices: tuple[int, ...], min_score: float) -> np.ndarray | None:
    seen = [kp[i, :2] for i in indices if kp[i, 2] >= min_score]
    return np.mean(seen, axis=0) if seen else None


def pose_dynamics(points: pl.DataFrame, keypoints: dict[str, np.ndarray], params: MotionParams
                  ) -> tuple[float | None, float | None, bool | None]:
    """Along one track: articulation (mean keypoint speed after removing the body's own displacement), wrist
    speed relative to the shoulders (both body heights per second), and whether the posture reads as seated."""
    articulation, wrists, seated = [], [], []
    previous = None
    for row in points.iter_rows(named=True):
        kp = keypoints.get(row["instance_id"])
        if kp is None or not row["box_height"]:
            previous = None
            continue
        body = row["box_height"]
        hip, knee = _mean_point(kp, HIPS, params.min_keypoint_score), _mean_point(kp, KNEES, params.min_keypoint_score)
        if hip is not None and knee is not None:
            seated.append(bool(abs(knee[1] - hip[1]) / body <= params.sit_thigh))
        if previous is not None:
            dt = row["timestamp_s"] - previous[0]["timestamp_s"]
            both = (kp[:, 2] >= params.min_keypoint_score) & (previous[1][:, 2] >= params.min_keypoint_score)
            if dt > 0 and both.sum() >= 5:
                shift = np.array([row["cx"] - previous[0]["cx"], row["cy"] - previous[0]["cy"]])
                moved = kp[both, :2] - previous[1][both, :2] - shift
                articulation.append(float(np.linalg.norm(moved, axis=1).mean()) / body / dt)
            shoulder_now = _mean_point(kp, SHOULDERS, params.min_keypoint_score)
            shoulder_then = _mean_point(previous[1], SHOULDERS, params.min_keypoint_score)
            wrist_now, wrist_then = (_mean_point(kp, WRISTS, params.min_keypoint_score),
                                     _mean_point(previous[1], WRISTS, params.min_keypoint_score))
            if dt > 0 and all(p is not None for p in (shoulder_now, shoulder_then, wrist_now, wrist_then)):
                relative = (wrist_now - shoulder_now) - (wrist_then - shoulder_then)
                wrists.append(float(np.linalg.norm(relative)) / body / dt)
        previous = (row, kp)
    return (float(np.median(articulation)) if articulation else None,
            float(np.median(wrists)) if wrists else None,
            (sum(seated) > len(seated) / 2) if seated else None)


def movement_label(body_speed: float | None, feet_rise: float | None, seated: bool | None,
                   wrist_speed: float | None, params: MotionParams) -> tuple[str | None, str]:
    """The movement label of a track and the evidence that decided it (see module docstring)."""
    if body_speed is None:
        return None, "one key frame: no motion measured"
    if feet_rise is not None and feet_rise >= params.jump_rise:
        return "jumping", f"feet rose {feet_rise:.2f} body heights >= {params.jump_rise}"
    if body_speed >= params.run_speed:
        return "running", f"{body_speed:.2f} body heights/s >= {params.run_speed}"
    if body_speed >= params.walk_speed:
        return "walking", f"{body_speed:.2f} body heights/s >= {params.walk_speed}"
    if seated:
        return "sitting", f"hips and knees level (gap <= {params.sit_thigh} body heights)"
    if wrist_speed is not None and wrist_speed >= params.gesture_speed:
        return "gesturing", f"wrists {wrist_speed:.2f} body heights/s >= {params.gesture_speed}"
    return "still", f"{body_speed:.2f} body heights/s < {params.walk_speed}"


def _angle(vx: float, vy: float) -> float:
    """Degrees with 0 = rightward and 90 = upward on screen (image y points down)."""
    return round(float(np.degrees(np.arctan2(-vy, vx)) % 360), 1)


def character_motion(points: pl.DataFrame, poses: pl.DataFrame | None, shot_table: pl.DataFrame | None,
                     frame_width: float, params: MotionParams, frame_height: float | None = None) -> pl.DataFrame:
    """One row per track (see MOTION_SCHEMA): speeds in frame widths per second (``speed``, in the frame;
    ``rel_speed`` against the background) and in body heights per second (``body_speed``, against the background
    where known, else in the frame)."""
    keypoints = _keypoints(poses)
    cameras = dict(shot_table.select("shot", "camera_motion").iter_rows()) if shot_table is not None \
        and shot_table.height else {}
    rows = []
    for (track,), track_points in points.sort("timestamp_s").group_by(["track_id"], maintain_order=True):
        moving = track_points.drop_nulls("vx")
        note = None
        speed = direction = rel_speed = rel_direction = body_speed = feet_rise = None
        if moving.height:
            vx, vy = float(moving["vx"].mean()), float(moving["vy"].mean())
            speed, direction = float(np.hypot(moving["vx"], moving["vy"]).mean()) / frame_width, _angle(vx, vy)
            relative = moving.drop_nulls("rel_vx")
            source = relative if relative.height else moving
            rx = source["rel_vx" if relative.height else "vx"].to_numpy()
            ry = source["rel_vy" if relative.height else "vy"].to_numpy()
            if relative.height:
                rel_speed, rel_direction = float(np.hypot(rx, ry).mean()) / frame_width, _angle(rx.mean(), ry.mean())
            else:
                note = "camera motion unknown: speeds are in the frame"
            heights = source["box_height"].to_numpy()
            body_speed = float(np.median(np.hypot(rx, ry) / np.maximum(heights, 1.0)))
            feet_rise = _feet_rise(track_points, relative.height > 0, frame_height)
        articulation, wrist_speed, seated = pose_dynamics(track_points, keypoints, params)
        movement, evidence = movement_label(body_speed, feet_rise, seated, wrist_speed, params)
        energy = (body_speed or 0.0) + (articulation or 0.0)
        rows.append({"shot": track_points["shot"][0], "track_id": track, "identity": track_points["identity"][0],
                     "start_s": track_points["timestamp_s"].min(), "end_s": track_points["timestamp_s"].max(),
                     "points": track_points.height, "speed": _round(speed), "direction_deg": direction,
                     "rel_speed": _round(rel_speed), "rel_direction_deg": rel_direction,
                     "body_speed": _round(body_speed), "articulation": _round(articulation),
                     "wrist_speed": _round(wrist_speed), "movement": movement, "movement_evidence": evidence,
                     "motion_energy": round(energy, 4), "camera_motion": cameras.get(track_points["shot"][0]),
                     "note": note or (None if movement else "single key frame")})
    return pl.DataFrame(rows, schema=MOTION_SCHEMA) if rows else pl.DataFrame(schema=MOTION_SCHEMA)


def _feet_rise(points: pl.DataFrame, compensated: bool, frame_height: float | None) -> float | None:
    """How far the box bottom rises above its lowest level along the track, in body heights, after removing the
    background's vertical motion (integrated from the velocities) when it is known. None when the feet are not
    seen (a box cut by the bottom edge) or the character changes size by more than 30% (walking toward the
    camera moves the box bottom without a jump)."""
    if points.height < 3:
        return None
    heights = points["box_height"].to_numpy()
    if heights.min() <= 0 or heights.max() / heights.min() > 1.3:
        return None
    if frame_height and float((points["cy"] + points["box_height"] / 2).max()) >= 0.98 * frame_height:
        return None
    times = points["timestamp_s"].to_numpy()
    bottoms = (points["cy"] + points["box_height"] / 2).to_numpy()
    if compensated:
        drift = (points["vy"] - points["rel_vy"]).fill_null(0).to_numpy()
        bottoms = bottoms - np.concatenate([[0.0], np.cumsum(drift[1:] * np.diff(times))])
    height = float(np.median(points["box_height"].to_numpy()))
    ground = float(np.max(bottoms))  # image y points down: the lowest feet are the largest y
    return float((ground - np.min(bottoms)) / max(height, 1.0)) if ground > np.min(bottoms) else 0.0


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def motion_energy(motion: pl.DataFrame, shot_table: pl.DataFrame | None) -> pl.DataFrame:
    """Energy per shot (camera magnitude beside the mean of its tracks' energies) and per identity (mean over
    its tracks, weighted by track duration)."""
    rows = []
    shots = shot_table if shot_table is not None and shot_table.height else pl.DataFrame(
        {"shot": motion["shot"].unique().to_list() if motion.height else []}, schema={"shot": pl.Int32})
    for shot_row in shots.iter_rows(named=True):
        tracks = motion.filter(pl.col("shot") == shot_row["shot"]) if motion.height else motion
        rows.append({"scope": "shot", "key": str(shot_row["shot"]), "tracks": tracks.height,
                     "motion_energy": round(float(tracks["motion_energy"].mean()), 4) if tracks.height else 0.0,
                     "camera_magnitude": shot_row.get("motion_magnitude"),
                     "seconds": shot_row.get("duration_s")})
    if motion.height:
        for (identity,), tracks in motion.drop_nulls("identity").group_by(["identity"], maintain_order=True):
            weights = (tracks["end_s"] - tracks["start_s"]).to_numpy() + 0.1
            rows.append({"scope": "identity", "key": identity, "tracks": tracks.height,
                         "motion_energy": round(float(np.average(tracks["motion_energy"].to_numpy(),
                                                                 weights=weights)), 4),
                         "camera_magnitude": None, "seconds": round(float(weights.sum()), 3)})
    return pl.DataFrame(rows, schema=ENERGY_SCHEMA) if rows else pl.DataFrame(schema=ENERGY_SCHEMA)
