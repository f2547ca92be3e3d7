"""Crops of one cut-out as anime dataset tools offer them (full, upper body, head) and their caption variants.
No Dagster, no models.

Boxes are in the cut-out's pixels; keypoints (COCO-17, x, y, score) and face boxes come in frame pixels and are
moved by the cut-out's origin (``crop_x0``, ``crop_y0`` of the instance). A crop that cannot be placed, or that
would repeat the full cut-out, is not made and its reason is returned instead.
"""

import numpy as np

from assets.pose.views import HEAD_POINTS, upright_body_problem

Box = tuple[int, int, int, int]

NOSE, EYES, EARS, SHOULDERS, HIPS = 0, (1, 2), (3, 4), (5, 6), (11, 12)
# phrases the captions stage writes for the shot size of the whole cut-out: wrong for a smaller crop of it
SHOT_PHRASES = ("close-up", "medium close-up", "medium shot", "full body shot", "wide shot")
CROP_PHRASES = {"full": None, "upper_body": "upper body", "head": "portrait"}
REPEATS_WHOLE = 0.85  # a crop this tall (share of the cut-out's height) would be the full cut-out again
EDGE_CUT = 0.1  # a head box more than this share beyond the frame: the head is cut (less is the hair margin)
# an upper-body crop wider than this (width / height) is no upright head and torso: a band across a face or a body
# placed by wrong keypoints, or a character lying down
MAX_UPPER_BODY_ASPECT = 2.5
# without a face, a head the keypoints place under this share of the cut-out's height is no head (a realistic
# adult's head with its hair is ~0.15 of the figure, a chibi's ~0.4; the box drawn round it is larger still)
MIN_HEAD_SHARE = 0.1


def _seen(keypoints: np.ndarray | None, indices: tuple[int, ...], min_confidence: float) -> np.ndarray:
    if keypoints is None:
        return np.zeros((0, 2), np.float32)
    points = keypoints[list(indices)]
    return points[points[:, 2] >= min_confidence, :2]


def head_box_frame(face: tuple[float, float, float, float] | None, keypoints: np.ndarray | None,
                   min_confidence: float, figure_height: int | None = None
                   ) -> tuple[tuple[float, float, float, float] | None, str | None]:
    """The head with its hair in frame pixels, from the face box (preferred) or the head keypoints where they draw
    a body (``keypoint_problem``; ``figure_height``: the cut-out's height in pixels)."""
    if face is not None:
        fx0, fy0, fx1, fy1 = face
        fw, fh = fx1 - fx0, fy1 - fy0
        if fw > 1 and fh > 1:
            # a detector's face box runs brow to chin: hair above, chin and neck below, hair either side
            half = 0.9 * max(fw, fh)
            cx = (fx0 + fx1) / 2
            return (cx - half, fy0 - 0.6 * fh, cx + half, fy1 + 0.35 * fh), None
    if (problem := keypoint_problem(keypoints, None, min_confidence, figure_height)) is not None:
        return None, f"no face box, and the keypoints place no head ({problem})"
    box = _keypoint_head_box(keypoints, min_confidence)
    return (box, None) if box is not None else (None, "no face box and too few head keypoints")


def keypoint_problem(keypoints: np.ndarray | None, face: tuple[float, float, float, float] | None,
                     min_confidence: float, figure_height: int | None) -> str | None:
    """Why the body keypoints cannot place a crop, or None: they draw no upright body
    (``pose.views.upright_body_problem``), or, with no face to check them against, the head they place is under
    MIN_HEAD_SHARE of the cut-out's height (a pose model's joints bunched on a drawn character's face)."""
    if keypoints is None:
        return None
    if (problem := upright_body_problem(keypoints, face, min_confidence)) is not None:
        return problem
    if face is None and figure_height:
        box = _keypoint_head_box(keypoints, min_confidence)
        if box is not None and box[3] - box[1] < MIN_HEAD_SHARE * figure_height:
            return f"the head they place is under {MIN_HEAD_SHARE:.0%} of the cut-out's height"
    return None


def _keypoint_head_box(keypoints: np.ndarray | None, min_confidence: float
                       ) -> tuple[float, float, float, float] | None:
    head = _seen(keypoints, HEAD_POINTS, min_confidence)
    if len(head) < 2:
        return None
    # the head's width from the widest pair seen: ear to ear ~ the skull, eye to eye ~ 0.4 of it
    ears, eyes = _seen(keypoints, EARS, min_confidence), _seen(keypoints, EYES, min_confidence)
    shoulders = _seen(keypoints, SHOULDERS, min_confidence)
    if len(ears) == 2:
        side = 1.3 * float(np.hypot(*(ears[1] - ears[0])))
    elif len(eyes) == 2:
        side = 2.8 * float(np.hypot(*(eyes[1] - eyes[0])))
    elif len(shoulders) == 2:
        side = 0.55 * float(np.hypot(*(shoulders[1] - shoulders[0])))
    else:
        side = 2.2 * float(np.ptp(head, axis=0).max())
    if side < 4:
        return None
    cx, cy = head.mean(axis=0)
    return cx - 0.8 * side, cy - 1.0 * side, cx + 0.8 * side, cy + 0.7 * side


def head_outside_frame(box: tuple[float, float, float, float], frame_size: tuple[int, int]) -> dict[str, float]:
    """Per frame edge (left, top, right, bottom): the share of the head box's width or height beyond it."""
    x0, y0, x1, y1 = box
    width, height = max(x1 - x0, 1e-6), max(y1 - y0, 1e-6)
    return {"left": max(0.0, -x0 / width), "top": max(0.0, -y0 / height),
            "right": max(0.0, (x1 - frame_size[0]) / width), "bottom": max(0.0, (y1 - frame_size[1]) / height)}


def head_cut_by_edge(box: tuple[float, float, float, float], frame_size: tuple[int, int],
                     frame_edges: str | None) -> bool:
    """The head box leaves the frame by more than EDGE_CUT across an edge the character touches (every edge when
    the instances table does not say which)."""
    beyond = head_outside_frame(box, frame_size)
    edges = [e for e in (frame_edges or "").split(",") if e in beyond] or list(beyond)
    return max(beyond[e] for e in edges) > EDGE_CUT


def _clip(box: tuple[float, float, float, float], width: int, height: int) -> Box:
    x0, y0, x1, y1 = box
    return (max(0, int(np.floor(x0))), max(0, int(np.floor(y0))),
            min(width, int(np.ceil(x1))), min(height, int(np.ceil(y1))))


def crop_boxes(alpha: np.ndarray, origin: tuple[int, int], keypoints: np.ndarray | None,
               face: tuple[float, float, float, float] | None, frame_size: tuple[int, int] | None,
               touches_frame_edge: bool | None, wanted: tuple[str, ...],
               min_confidence: float = 0.3, frame_edges: str | None = None) -> dict[str, Box | str]:
    """Per wanted crop: its box in the cut-out (x0, y0, x1, y1), or the reason it is not made.

    ``alpha``: the cut-out's coverage (bool, H x W); ``origin``: the cut-out's top-left in frame pixels;
    ``touches_frame_edge``: the instances table's column when it has one (None: the rule is not applied);
    ``frame_edges``: which edges it touches (``"left,top"``), when the table says."""
    height, width = alpha.shape
    ox, oy = origin
    out: dict[str, Box | str] = {}
    if "full" in wanted:
        out["full"] = (0, 0, width, height)
    head_frame, head_reason = head_box_frame(face, keypoints, min_confidence, height)
    head: Box | None = None
    if head_frame is not None:
        head = _clip((head_frame[0] - ox, head_frame[1] - oy, head_frame[2] - ox, head_frame[3] - oy), width, height)
        if head[2] - head[0] < 2 or head[3] - head[1] < 2:
            head, head_reason = None, "head lies outside the cut-out"
    if "head" in wanted:
        if head is None:
            out["head"] = head_reason or "no head"
        elif touches_frame_edge and frame_size is not None and head_cut_by_edge(head_frame, frame_size, frame_edges):
            out["head"] = "head cut by the frame edge"
        elif (head[3] - head[1]) >= REPEATS_WHOLE * height and (head[2] - head[0]) >= REPEATS_WHOLE * width:
            out["head"] = "head fills the cut-out (the full crop is the head)"
        else:
            out["head"] = head
    if "upper_body" in wanted:
        out["upper_body"] = _upper_body(alpha, head, face, keypoints, (ox, oy), min_confidence)
    return out


def _upper_body(alpha: np.ndarray, head: Box | None, face: tuple[float, float, float, float] | None,
                keypoints: np.ndarray | None, origin: tuple[int, int], min_confidence: float) -> Box | str:
    height, width = alpha.shape
    face = face if face is not None and face[3] > face[1] else None
    hips = _seen(keypoints, HIPS, min_confidence)
    problem = keypoint_problem(keypoints, face, min_confidence, height) if len(hips) else None
    if len(hips) and problem is None:
        bottom = float(hips[:, 1].mean()) - origin[1]
    elif face is not None:
        bottom = face[3] + 2.0 * (face[3] - face[1]) - origin[1]  # chin plus two face heights: about the waist
    elif problem is not None:
        return f"no face to place the waist, and the keypoints draw no upright body ({problem})"
    else:
        return "no hip keypoints and no face to place the waist"
    top = head[1] if head is not None else 0
    bottom = int(min(height, round(bottom)))
    if bottom >= REPEATS_WHOLE * height:
        return "upper body is most of the cut-out (the full crop holds it)"
    if bottom - top < 8:
        return "waist above the head (implausible keypoints)"
    columns = np.flatnonzero(alpha[top:bottom].any(axis=0))
    if not len(columns):
        return "no character pixels above the waist"
    if columns[-1] + 1 - columns[0] > MAX_UPPER_BODY_ASPECT * (bottom - top):
        return f"wider than {MAX_UPPER_BODY_ASPECT:g}:1 (no upright head and torso)"
    return int(columns[0]), int(top), int(columns[-1]) + 1, bottom


def caption_variant(caption: str, old_trigger: str | None, trigger: str, crop: str) -> tuple[list[str], int]:
    """The caption's phrases with the export's trigger word and the crop's phrase right after it (a smaller crop
    loses the shot-size phrase measured on the whole cut-out). Returns (phrases, index after the fixed head)."""
    phrases = [p.strip() for p in caption.split(",") if p.strip()]
    at = next((i for i, p in enumerate(phrases) if old_trigger is not None and p == old_trigger), None)
    if at is None:
        at = next((i for i, p in enumerate(phrases) if p == trigger), None)
    if at is None:
        phrases.insert(0, trigger)
        at = 0
    phrases[at] = trigger
    phrase = CROP_PHRASES[crop]
    if phrase is not None:
        phrases = phrases[:at + 1] + [phrase] + [p for p in phrases[at + 1:] if p not in SHOT_PHRASES
                                                  and p != phrase]
    return phrases, at + 1 + (phrase is not None)
