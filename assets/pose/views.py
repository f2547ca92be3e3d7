"""View (front / three_quarter / profile / back) and pose features from COCO-17 keypoints. Pure numpy.

Keypoint indices: 0 nose, 1/2 left/right eye, 3/4 left/right ear, 5/6 shoulders, 7/8 elbows, 9/10 wrists,
11/12 hips, 13/14 knees, 15/16 ankles ("left" is the character's own left).
"""

import numpy as np

VIEWS = ("front", "three_quarter", "profile", "back")
NOSE, L_EYE, R_EYE, L_EAR, R_EAR, L_SHO, R_SHO = 0, 1, 2, 3, 4, 5, 6
L_WRI, R_WRI, L_HIP, R_HIP, L_ANK, R_ANK = 9, 10, 11, 12, 15, 16
HEAD_POINTS = (NOSE, L_EYE, R_EYE, L_EAR, R_EAR)
# the waist of any upright character, a chibi's included, lies at least this many face heights below its chin
MIN_WAIST_BELOW_CHIN = 1.0


def view_from_yaw(yaw_deg: float, front_max: float = 20.0, three_quarter_max: float = 55.0) -> str:
    """A detected face is seen, so never 'back': |yaw| picks front / three_quarter / profile."""
    yaw = abs(float(yaw_deg))
    if yaw <= front_max:
        return "front"
    return "three_quarter" if yaw <= three_quarter_max else "profile"


def view_from_keypoints(kp: np.ndarray, min_conf: float = 0.3) -> str | None:
    """The view from geometry alone, or None when too few keypoints are confident.

    Facing the camera, the character's left shoulder is on the image's right (x5 > x6); seen from behind the order
    flips and the face points (nose, eyes) are not visible. The shoulder span relative to torso length separates
    front (wide) from three-quarter and profile (narrow).
    """
    seen = kp[:, 2] >= min_conf
    face_points = int(seen[NOSE]) + int(seen[L_EYE]) + int(seen[R_EYE])
    shoulders = bool(seen[L_SHO] and seen[R_SHO])
    if not shoulders and face_points == 0:
        return None
    if shoulders:
        span = kp[L_SHO, 0] - kp[R_SHO, 0]  # > 0 facing the camera
        mid_sho = kp[[L_SHO, R_SHO], :2].mean(axis=0)
        if seen[L_HIP] and seen[R_HIP]:
            torso = float(np.linalg.norm(kp[[L_HIP, R_HIP], :2].mean(axis=0) - mid_sho))
        else:
            torso = abs(span) * 1.5 + 1e-6
        ratio = abs(span) / max(torso, 1e-6)
        if face_points == 0 or (span < 0 and ratio > 0.25 and face_points <= 1):
            return "back"
        if ratio >= 0.55 and seen[L_EYE] and seen[R_EYE]:
            return "front"
        if ratio >= 0.25:
            return "three_quarter"
        return "profile"
    # head only: both eyes -> front-ish, one eye -> profile-ish
    if seen[L_EYE] and seen[R_EYE]:
        eye_gap = abs(kp[L_EYE, 0] - kp[R_EYE, 0])
        ears = int(seen[L_EAR]) + int(seen[R_EAR])
        return "front" if ears != 1 or eye_gap > 0 else "three_quarter"
    return "profile"


def classify_view(kp: np.ndarray | None, yaw: float | None, min_conf: float = 0.3, front_max: float = 20.0,
                  three_quarter_max: float = 55.0) -> tuple[str, str]:
    """(view, source): the face's yaw where a face exists, else keypoint geometry, else ('unknown', 'none')."""
    if yaw is not None and np.isfinite(yaw):
        return view_from_yaw(yaw, front_max, three_quarter_max), "face"
    if kp is not None:
        view = view_from_keypoints(kp, min_conf)
        if view is not None:
            return view, "keypoints"
    return "unknown", "none"


def mouth_offset(landmarks: np.ndarray | None) -> float | None:
    """How far sideways the mouth's middle sits from the eyes' midpoint, in eye distances along the image's rows
    (absolute; None without landmarks). ``landmarks``: five (x, y) points, eyes, nose, mouth corners (ArcFace
    order). A drawn face turned toward one side is drawn with its mouth toward that side; a drawn nose is a dot or
    a line the detectors place near the face's middle, so the yaw read from it (``assets/faces/core.head_pose``)
    does not follow the turn (Kenney's characters, bench/kenney_views.py)."""
    if landmarks is None:
        return None
    points = np.asarray(landmarks, np.float64).reshape(5, 2)
    eye_gap = float(np.linalg.norm(points[1] - points[0]))
    if not np.isfinite(points).all() or eye_gap <= 0:
        return None
    return abs(float((points[3, 0] + points[4, 0]) / 2 - (points[0, 0] + points[1, 0]) / 2)) / eye_gap


def mouth_turned_view(view: str, source: str, offset: float | None, min_offset: float) -> tuple[str, str]:
    """(view, source): a front read from a face whose mouth sits ``min_offset`` eye distances or more off the eyes'
    midpoint (``mouth_offset``) is three_quarter (source ``face+mouth``); ``min_offset`` 0 turns it off."""
    if min_offset <= 0 or offset is None or offset < min_offset or view != "front" or source != "face":
        return view, source
    return "three_quarter", "face+mouth"


KEYPOINT_VIEWS = ("all", "upright_facing", "none")


def keypoint_view_kept(kp: np.ndarray, view: str, mode: str, min_conf: float = 0.3) -> bool:
    """Whether a view read from keypoints alone stands, by ``mode``: ``all``; ``upright_facing`` only where the
    keypoints draw an upright body (``upright_body_problem``) and the view is not ``back``: on a drawn character a
    photo-trained model misses the drawn face's points and swaps the shoulders, which reads as a back (Kenney's
    walking characters, bench/kenney_views.py); ``none`` never."""
    if mode == "all":
        return True
    if mode == "none":
        return False
    return view != "back" and upright_body_problem(kp, min_conf=min_conf) is None


def pose_features(kp: np.ndarray, view: str, min_conf: float = 0.3, view_weight: float = 1.0) -> np.ndarray:
    """34 numbers (x, y of 17 keypoints, centred on the confident points' mean and divided by their RMS radius;
    unseen points are 0) followed by the view one-hot times ``view_weight``."""
    seen = kp[:, 2] >= min_conf
    xy = np.zeros((17, 2), np.float32)
    if seen.sum() >= 2:
        pts = kp[seen, :2]
        centre = pts.mean(axis=0)
        scale = float(np.sqrt(((pts - centre) ** 2).sum(axis=1).mean())) or 1.0
        xy[seen] = (pts - centre) / scale
    onehot = np.array([view == v for v in VIEWS], np.float32) * view_weight
    return np.concatenate([xy.reshape(-1), onehot])


def pose_phrases(kp: np.ndarray | None, min_conf: float = 0.3) -> list[str]:
    """Body cues the keypoints show: raised arms, and how much of the body is in the crop."""
    if kp is None:
        return []
    seen = kp[:, 2] >= min_conf
    phrases = []
    raised = [w for w, s in ((L_WRI, L_SHO), (R_WRI, R_SHO)) if seen[w] and seen[s] and kp[w, 1] < kp[s, 1]]
    if len(raised) == 2:
        phrases.append("arms raised")
    elif len(raised) == 1:
        phrases.append("one arm raised")
    return phrases


def body_extent(kp: np.ndarray | None, min_conf: float = 0.3) -> str:
    """'full_body' (an ankle seen), 'upper_body' (a hip seen), 'head_shoulders' or 'unknown'."""
    if kp is None:
        return "unknown"
    seen = kp[:, 2] >= min_conf
    if seen[L_ANK] or seen[R_ANK]:
        return "full_body"
    if seen[L_HIP] or seen[R_HIP]:
        return "upper_body"
    if seen[:7].any():
        return "head_shoulders"
    return "unknown"


def upright_body_problem(kp: np.ndarray, face_box: tuple[float, float, float, float] | None = None,
                         min_conf: float = 0.3) -> str | None:
    """Why the confident keypoints draw no upright body (head over shoulders over hips, the hips below the chin),
    or None. Pose models trained on photos place joints on drawn characters where there are none (MoveNet on a
    cartoon boy's head and shoulders: both hips at his eyes, the shoulders above his nose, at confidence 0.3-0.5);
    a crop placed by such points is a band across the face. ``face_box``: (x0, y0, x1, y1) of the character's
    face in the keypoints' pixels, when one was found."""
    seen = kp[:, 2] >= min_conf
    head = [i for i in HEAD_POINTS if seen[i]]
    shoulders = [i for i in (L_SHO, R_SHO) if seen[i]]
    hips = [i for i in (L_HIP, R_HIP) if seen[i]]
    y = kp[:, 1]
    if head and shoulders and y[shoulders].mean() <= y[head].mean():
        return "the shoulders are level with or above the head"
    if shoulders and hips and y[hips].mean() <= y[shoulders].mean():
        return "the hips are level with or above the shoulders"
    if face_box is not None and hips:
        chin, face_height = face_box[3], face_box[3] - face_box[1]
        if y[hips].mean() < chin + MIN_WAIST_BELOW_CHIN * face_height:
            return f"the hips are less than {MIN_WAIST_BELOW_CHIN:g} face height below the chin"
    return None
