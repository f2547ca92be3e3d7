"""Two faces in one frame are two characters: a face cluster holding both is several characters collapsed into
one (drawn faces of one style embed close: an image of many anime portraits became one identity). No Dagster."""

import numpy as np
import polars as pl
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform

from assets.identities.core import relabel_by_size
from resources.backends.character_cues import box_iou, overlap_of_smaller

SAME_INSTANCE_IOU = 0.5  # two instances of one frame this overlapping may be one character cut twice
# two faces of one frame sharing this much of the smaller face's box are one face found twice (two detectors, or a
# character cut twice, each cut holding its face: a face seed's cut and a figure's round the same head); two
# characters' faces never cover each other that much and both stay found
SAME_FACE_OVERLAP = 0.3


def conflicts(frame_ids: list, boxes: np.ndarray, face_boxes: np.ndarray | None = None) -> set[tuple[int, int]]:
    """Pairs (i < j) of rows from one frame whose instance boxes (x0, y0, x1, y1) are apart: two characters;
    unless their ``face_boxes`` (rows aligned, x0, y0, x1, y1; NaN where unknown) overlap by SAME_FACE_OVERLAP of
    the smaller face: one face in two instances."""
    pairs: set[tuple[int, int]] = set()
    by_frame: dict = {}
    for row, frame in enumerate(frame_ids):
        if frame is not None:
            by_frame.setdefault(frame, []).append(row)
    for rows in by_frame.values():
        for a, i in enumerate(rows):
            for j in rows[a + 1:]:
                if box_iou(boxes[i], boxes[j]) < SAME_INSTANCE_IOU and not _same_face(face_boxes, i, j):
                    pairs.add((i, j))
    return pairs


def _same_face(face_boxes: np.ndarray | None, i: int, j: int) -> bool:
    """Whether rows ``i`` and ``j`` hold one face: both face boxes known (not NaN), sharing SAME_FACE_OVERLAP of
    the smaller."""
    if face_boxes is None or np.isnan(face_boxes[[i, j]]).any():
        return False
    return overlap_of_smaller(face_boxes[i], face_boxes[j]) >= SAME_FACE_OVERLAP


def split_shared_frames(unit: np.ndarray, labels: np.ndarray, pairs: set[tuple[int, int]],
                        min_cluster_size: int, min_paired_part: int | None = None) -> tuple[np.ndarray, int]:
    """Each cluster holding a conflicting pair is cut by average linkage at the largest cosine distance that
    leaves no part with both faces of a pair; parts below ``min_cluster_size`` become noise, unless, with
    ``min_paired_part``, a part holds that many faces and one of them shares a frame with a face of another part:
    that frame shows it is another character, not a few odd faces (a design drawn on its look-alike's body, seen
    in fewer frames than a cluster needs, whose faces left as noise then join the look-alike by prototype).
    Returns the labels (renumbered by size) and how many clusters were cut."""
    out = np.asarray(labels).copy()
    next_label, cut = int(out.max()) + 1 if out.size else 0, 0
    for label in [v for v in np.unique(out) if v >= 0]:
        members = np.flatnonzero(out == label)
        index = {int(m): k for k, m in enumerate(members)}
        inside = [(index[i], index[j]) for i, j in pairs if i in index and j in index]
        if not inside:
            continue
        cut += 1
        distance = np.clip(1.0 - unit[members] @ unit[members].T, 0.0, 2.0)
        np.fill_diagonal(distance, 0.0)
        tree = linkage(squareform((distance + distance.T) / 2, checks=False), method="average")
        for height in np.unique(tree[:, 2])[::-1]:  # the highest cut first
            parts = fcluster(tree, t=height - 1e-9, criterion="distance")
            if all(parts[a] != parts[b] for a, b in inside):
                break
        else:
            parts = np.arange(1, len(members) + 1)
        paired = {a for pair in inside for a in pair}
        for part in np.unique(parts):
            rows = members[parts == part]
            if len(rows) >= min_cluster_size or (min_paired_part is not None and len(rows) >= min_paired_part
                                                 and any(parts[a] == part for a in paired)):
                out[rows], next_label = next_label, next_label + 1
            else:
                out[rows] = -1
    return (relabel_by_size(out) if cut else out), cut


def face_conflicts(boxes: pl.DataFrame | None, rows: list[int],
                   face_boxes: dict[str, tuple] | None = None) -> set[tuple[int, int]]:
    """Conflicting pairs among ``rows`` of ``boxes`` (frame_id, x0..y1, and instance_id where ``face_boxes``,
    instance -> its face's box, is given), numbered by their place in ``rows``."""
    if boxes is None or "frame_id" not in boxes.columns or not rows:
        return set()
    picked = boxes[rows]
    faces = None
    if face_boxes and "instance_id" in picked.columns:
        unknown = (np.nan,) * 4
        faces = np.array([face_boxes.get(i, unknown) for i in picked["instance_id"].to_list()], dtype=float)
    return conflicts(picked["frame_id"].to_list(), picked.select("x0", "y0", "x1", "y1").to_numpy().astype(float),
                     faces)


def face_boxes_of(faces: pl.DataFrame) -> dict[str, tuple]:
    """instance -> its face's box (fx0, fy0, fx1, fy1) from a faces table (e.g. ``prototypes.best_faces``')."""
    if not {"instance_id", "fx0", "fy0", "fx1", "fy1"} <= set(faces.columns):
        return {}
    return dict(zip(faces["instance_id"].to_list(), faces.select("fx0", "fy0", "fx1", "fy1").rows()))


def keep_joins_apart(before: np.ndarray, after: np.ndarray, similarity: np.ndarray,
                     pairs: set[tuple[int, int]]) -> tuple[np.ndarray, list[int]]:
    """Faces that joined an identity after clustering (``before`` -1, ``after`` an identity: by prototype or by
    calibrated lead) are taken closest first (``similarity``); one whose frame already holds another face of that
    identity with its box apart (``pairs``, as ``conflicts``) goes back to noise: two faces of one frame are two
    characters, and a small identity of near-copies (one portrait in several crops of a sheet) draws its
    neighbours on the sheet. Returns the labels and the rows whose join was undone."""
    joined = np.flatnonzero((np.asarray(before) < 0) & (np.asarray(after) >= 0))
    if not joined.size or not pairs:
        return np.asarray(after).copy(), []
    partners: dict[int, set[int]] = {}
    for i, j in pairs:
        partners.setdefault(i, set()).add(j)
        partners.setdefault(j, set()).add(i)
    out, undone = np.asarray(before).copy(), []
    for row in sorted(joined.tolist(), key=lambda r: -float(similarity[r])):
        if any(out[other] == after[row] for other in partners.get(row, ())):
            undone.append(row)
        else:
            out[row] = after[row]
    return out, undone
