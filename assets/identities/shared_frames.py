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


SHARED_FRAME_CUTS = ("whole_tree", "proportionate")
# proportionate: a pair is evidence of two characters in a cluster only where its faces part in the cluster's top
# branches, the node of the average-linkage tree that joins them the root or one of the root's children. Two
# characters collapsed into one cluster are its main structure and part there (Kenney's look-alike designs: depth
# 0 or 1, cut heights 0.18-0.23); one design drawn twice on a frame joins deep inside its character's body (Penny &
# Chip's frame 1947: depth 4, under four merges that shed small pieces), where the cut would shed unrelated branches
TOP_BRANCH_DEPTH = 1


def split_shared_frames(unit: np.ndarray, labels: np.ndarray, pairs: set[tuple[int, int]],
                        min_cluster_size: int, min_paired_part: int | None = None,
                        cut: str = "whole_tree") -> tuple[np.ndarray, int, list[int]]:
    """Each cluster holding a conflicting pair is cut by average linkage at the largest cosine distance that
    leaves no part with both faces of a pair; parts below ``min_cluster_size`` become noise, unless, with
    ``min_paired_part``, a part holds that many faces and one of them shares a frame with a face of another part:
    that frame shows it is another character, not a few odd faces (a design drawn on its look-alike's body, seen
    in fewer frames than a cluster needs, whose faces left as noise then join the look-alike by prototype).
    ``cut`` "proportionate" (``SHARED_FRAME_CUTS``): a cluster is cut that way only on the pairs that part in its
    top branches (``TOP_BRANCH_DEPTH``), and each part still holding a pair is judged again as a cluster of its
    own; a cluster none of whose pairs parts in its top branches stays whole and each pair's less typical face
    (lower mean cosine to the cluster) goes to noise, a local answer to a local conflict, as ``keep_joins_apart``
    answers late joins. Returns the labels (renumbered by size), how many clusters were cut and the rows sent to
    noise as less typical faces."""
    if cut not in SHARED_FRAME_CUTS:
        raise ValueError(f"shared_frame_cut must be one of {SHARED_FRAME_CUTS}, not {cut!r}")
    out = np.asarray(labels).copy()
    next_label, cut_clusters, left_out = int(out.max()) + 1 if out.size else 0, 0, []
    for label in [v for v in np.unique(out) if v >= 0]:
        members = np.flatnonzero(out == label)
        index = {int(m): k for k, m in enumerate(members)}
        inside = [(index[i], index[j]) for i, j in pairs if i in index and j in index]
        if not inside:
            continue
        kept, dropped = _parts_apart(unit, members, inside, (min_cluster_size, min_paired_part), min_cluster_size,
                                     cut == "proportionate")
        cut_clusters += len(kept) != 1 or len(kept[0]) + len(dropped) != len(members)
        out[members] = -1
        for rows in kept:
            out[rows], next_label = next_label, next_label + 1
        left_out += dropped
    return (relabel_by_size(out) if cut_clusters or left_out else out), cut_clusters, sorted(left_out)


def _parts_apart(unit: np.ndarray, members: np.ndarray, inside: list[tuple[int, int]],
                 sizes: tuple[int, int | None], floor: int, proportionate: bool) -> tuple[list[np.ndarray], list[int]]:
    """The clusters ``members`` (rows of ``unit``) ends as, holding no pair of ``inside`` (places in ``members``),
    and the rows left out as a pair's less typical face (``split_shared_frames``). ``sizes``: (min_cluster_size,
    min_paired_part); ``floor``: the size ``members`` itself needs to stay a cluster."""
    distance = np.clip(1.0 - unit[members] @ unit[members].T, 0.0, 2.0)
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform((distance + distance.T) / 2, checks=False), method="average")
    top = [pair for pair in inside if not proportionate or _joining_depth(tree, *pair) <= TOP_BRANCH_DEPTH]
    if not top:
        typical = (unit[members] @ unit[members].T).mean(axis=1)
        drop = {min(pair, key=lambda k: typical[k]) for pair in inside}
        rest = members[[k for k in range(len(members)) if k not in drop]]
        return ([rest] if len(rest) >= floor else []), sorted(int(members[k]) for k in drop)
    for height in np.unique(tree[:, 2])[::-1]:  # the highest cut first
        parts = fcluster(tree, t=height - 1e-9, criterion="distance")
        if all(parts[a] != parts[b] for a, b in top):
            break
    else:
        parts = np.arange(1, len(members) + 1)
    min_cluster_size, min_paired_part = sizes
    paired = {a for pair in inside for a in pair}
    kept, dropped = [], []
    for part in np.unique(parts):
        local = np.flatnonzero(parts == part)
        large = len(local) >= min_cluster_size
        if not large and not (min_paired_part is not None and len(local) >= min_paired_part
                              and any(parts[a] == part for a in paired)):
            continue   # too small to be a cluster: noise
        place = {int(k): n for n, k in enumerate(local)}
        still = [(place[a], place[b]) for a, b in inside if a in place and b in place]
        if not still:
            kept.append(members[local])
            continue
        more, less_typical = _parts_apart(unit, members[local], still, sizes,
                                          min_cluster_size if large else min_paired_part, proportionate)
        kept, dropped = kept + more, dropped + less_typical
    return kept, dropped


def _joining_depth(tree: np.ndarray, a: int, b: int) -> int:
    """How many merges of the linkage ``tree`` lie above the one that joins leaves ``a`` and ``b`` (0: the root)."""
    leaves = len(tree) + 1
    parent = {int(child): leaves + k for k, row in enumerate(tree) for child in row[:2]}
    above_a, node = [], a
    while node in parent:
        node = parent[node]
        above_a.append(node)
    node = b
    while node not in above_a:
        node = parent[node]
    return len(above_a) - 1 - above_a.index(node)


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
