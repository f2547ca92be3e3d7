"""Two faces of one frame are two characters (issue 12): the anime face grid's portraits, all in one image,
embedded by the 2D analyzer, must not end as one identity; synthetic cases pin the cut."""

import json
from pathlib import Path

import cv2
import numpy as np
import polars as pl
import pytest
import yaml

from assets.identities.shared_frames import conflicts, face_conflicts, keep_joins_apart, split_shared_frames

DATA = Path(__file__).resolve().parents[1] / "data"
ROOT = Path(__file__).resolve().parents[2]


def _two_characters() -> np.ndarray:
    """Eight unit embeddings, four of one character (rows 0-3) and four of another (rows 4-7)."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=16), rng.normal(size=16)
    unit = np.stack([a + 0.05 * rng.normal(size=16) for _ in range(4)] + [b + 0.05 * rng.normal(size=16)
                                                                          for _ in range(4)])
    return unit / np.linalg.norm(unit, axis=1, keepdims=True)


def test_a_cluster_with_two_faces_of_one_frame_is_cut_and_the_rest_kept():
    unit = _two_characters()
    labels = np.zeros(8, dtype=np.int64)  # one cluster of two characters
    frames = ["f0", "f1", "f2", "f3", "f0", "f4", "f5", "f6"]  # rows 0 and 4 share frame f0, apart
    boxes = np.array([[0, 0, 10, 10]] * 4 + [[50, 0, 60, 10]] * 4, dtype=float)
    pairs = conflicts(frames, boxes)
    assert pairs == {(0, 4)}
    out, cut, _ = split_shared_frames(unit, labels, pairs, min_cluster_size=3)
    assert cut == 1 and len(set(out[:4])) == 1 and len(set(out[4:])) == 1 and out[0] != out[4] and (out >= 0).all()
    untouched, cut, _ = split_shared_frames(unit, labels, set(), min_cluster_size=3)
    assert cut == 0 and (untouched == labels).all()


def test_overlapping_instances_of_one_frame_are_no_conflict():
    boxes = np.array([[0, 0, 100, 200], [5, 0, 100, 190], [300, 0, 400, 200]], dtype=float)
    assert conflicts(["f", "f", "f"], boxes) == {(0, 2), (1, 2)}


def test_one_face_in_two_instances_of_a_frame_is_no_conflict():
    """Penny & Chip frame 2024 (session 23): Chip on his bike cut twice, by a face seed round his head and body and
    by a larger cut round him and the hill (instance boxes IoU 0.10), each holding a YuNet box on his one face (the
    two face boxes share 0.46 of the smaller): not two characters, so his face cluster is not cut. Penny's face
    apart in the same frame still conflicts with both."""
    boxes = pl.DataFrame({"instance_id": ["chip_head", "chip_wide", "penny"], "frame_id": ["f"] * 3,
                          "x0": [465, 350, 197], "y0": [11, 7, 229], "x1": [542, 655, 368], "y1": [172, 402, 441]})
    faces = {"chip_head": (466.8, 32.2, 518.2, 92.5), "chip_wide": (494.8, 29.5, 543.1, 86.2),
             "penny": (284.0, 208.0, 358.0, 285.0)}
    assert face_conflicts(boxes, [0, 1, 2]) == {(0, 1), (0, 2), (1, 2)}  # instance boxes alone
    assert face_conflicts(boxes, [0, 1, 2], faces) == {(0, 2), (1, 2)}
    assert face_conflicts(boxes, [0, 1, 2], {"chip_head": faces["chip_head"]}) == {(0, 1), (0, 2), (1, 2)}


def test_the_anime_grid_portraits_are_not_one_identity(shared, castforge_home, tmp_path):
    from assets.faces.core import FaceParams, detect_faces, embedding_matrix
    from assets.identities.assignment import assign_identities
    from assets.identities.core import IdentityParams
    from assets.identities.prototypes import best_faces
    from resources.face_analyzer import FaceAnalyzerResource

    labels = json.loads((DATA / "anime_face_grid_labels.json").read_text())
    grid = cv2.imread(str(shared / labels["image"]))
    path = tmp_path / "grid.jpg"
    cv2.imwrite(str(path), cv2.resize(grid, (1024, 1024), interpolation=cv2.INTER_AREA))  # as a user's 1024 px
    scale = 1024 / grid.shape[1]
    rows = []
    for k, (x0, y0, x1, y1) in enumerate(labels["faces"]):  # each portrait's head and shoulders as its instance
        w, h = (x1 - x0) * scale, (y1 - y0) * scale
        rows.append({"instance_id": f"p{k:02d}", "frame_id": "grid", "x0": max(0.0, x0 * scale - w),
                     "y0": max(0.0, y0 * scale - h), "x1": min(1024.0, x1 * scale + w),
                     "y1": min(1024.0, y1 * scale + 2 * h), "kept": True})
    instances = pl.DataFrame(rows)
    analyzer = FaceAnalyzerResource(drawn_detectors=["anime", "yunet"]).get(anime=True)
    faces = detect_faces(pl.DataFrame([{"frame_id": "grid", "path": str(path)}]), instances, analyzer,
                         FaceParams(min_face_size=32, anime_detector=True), Path, None, str, {})
    preset = yaml.safe_load((ROOT / "configs/presets/anime.yaml").read_text())
    params = IdentityParams.from_dict({**preset["identities"], "tracks": False})
    chosen = best_faces(faces, params)
    ids = chosen["instance_id"].to_list()
    assert len(ids) >= 10, "enough portraits found to cluster"
    order = instances["instance_id"].to_list()
    assignment = assign_identities(order, dict(zip(ids, embedding_matrix(chosen))), None, params,
                                   dict(zip(ids, zip(chosen["quality"], chosen["gated"]))), instances)
    assigned = assignment.labels[assignment.labels >= 0]
    assert all(count == 1 for count in np.unique(assigned, return_counts=True)[1]), assignment.labels
    # without the frames (no boxes) the same faces collapse: the rule, not the embedding, keeps them apart
    collapsed = assign_identities(order, dict(zip(ids, embedding_matrix(chosen))), None, params,
                                  dict(zip(ids, zip(chosen["quality"], chosen["gated"]))), None)
    assert np.unique(collapsed.labels[collapsed.labels >= 0], return_counts=True)[1].max() >= 3



def test_a_face_joining_an_identity_that_already_has_a_face_in_its_frame_goes_back_to_noise():
    """Joins after clustering (by prototype or calibrated lead) keep two faces of one frame apart: row 1 shares
    frame A with identity 0's member row 0 and is undone; row 2 (frame B) stays; rows 3 and 4 (frame C, apart) both
    reach identity 1, the closer (row 4) stays; row 5 overlaps row 0 (one character cut twice) and stays."""
    frames = ["A", "A", "B", "C", "C", "A", "D"]
    boxes = np.array([[0, 0, 10, 10], [50, 0, 60, 10], [0, 0, 10, 10], [0, 0, 10, 10], [50, 0, 60, 10],
                      [1, 0, 11, 10], [0, 0, 10, 10]], float)
    before = np.array([0, -1, -1, -1, -1, -1, 1])
    after = np.array([0, 0, 0, 1, 1, 0, 1])
    similarity = np.array([0, 0.8, 0.8, 0.7, 0.9, 0.8, 0], np.float32)
    out, undone = keep_joins_apart(before, after, similarity, conflicts(frames, boxes))
    assert out.tolist() == [0, -1, 0, -1, 1, 0, 1] and sorted(undone) == [1, 3]
    assert keep_joins_apart(before, after, similarity, set())[0].tolist() == after.tolist()


def test_a_join_undone_says_so_in_its_noise_reason():
    from assets.identities.assignment import SHARED_FRAME_NOTE
    from assets.identities.core import IdentityParams
    from assets.identities.noise_reasons import with_noise_reasons

    table = pl.DataFrame({"instance_id": ["a", "b", "c"], "identity": ["noise", "noise", "identity_000"],
                          "source": ["auto", "review", "auto"], "by": ["face", "face", "face"]})
    notes = {"a": SHARED_FRAME_NOTE, "b": SHARED_FRAME_NOTE, "c": SHARED_FRAME_NOTE}
    why = with_noise_reasons(table, None, {}, IdentityParams(), 1, notes)["why"].to_list()
    assert why == [SHARED_FRAME_NOTE, "put in noise by review", None]


def _chip_cluster() -> tuple[np.ndarray, set[tuple[int, int]]]:
    """Chip's face cluster in Penny & Chip with session 46's parted cut-outs (h60), as it reaches the shared-frame
    cut: 123 drawn identity embeddings (the anime preset's), stored as exact 123-dim coordinates that keep every
    cosine (the Gram matrix's eigenvectors, float16: tests/data/penny_chip_frame_1947_chip_faces.npz, 28 KB), and
    its one conflicting pair: frame 1947 draws Chip twice, on two bikes (cut-outs 523ad2c9 and a37a571b, cosine
    0.814; docs/identities.md session 46 h62)."""
    stored = np.load(DATA / "penny_chip_frame_1947_chip_faces.npz")
    face = stored["face"].astype(np.float32)
    return face / np.linalg.norm(face, axis=1, keepdims=True), {tuple(int(v) for v in stored["pair"])}


def test_one_design_drawn_twice_on_a_frame_leaves_its_cluster_whole_and_one_face_out():
    """The pair joins 4 merges below the root of Chip's tree (height 0.246 under 0.306 0.303 0.284 0.265): the
    whole-tree cut sheds an unrelated 16-face look of Chip (10 shots) as a cluster of its own (the film's cluster
    size 14); the proportionate cut keeps his 122 other faces together and leaves out the pair's less typical face."""
    unit, pairs = _chip_cluster()
    labels = np.zeros(len(unit), dtype=np.int64)
    whole, cut, _ = split_shared_frames(unit, labels, pairs, 14, 3, "whole_tree")
    assert cut == 1 and sorted(np.bincount(whole[whole >= 0]).tolist()) == [16, 101]
    kept, cut, left_out = split_shared_frames(unit, labels, pairs, 14, 3, "proportionate")
    (a, b), = pairs
    typical = (unit @ unit.T).mean(axis=1)
    assert cut == 0 and left_out == [min((a, b), key=lambda k: typical[k])] == [a]
    assert np.flatnonzero(kept < 0).tolist() == [a] and set(kept[kept >= 0].tolist()) == {0}


def test_two_characters_in_one_cluster_are_still_cut_proportionately():
    """Two characters collapsed into one cluster part at its root: the proportionate cut is the whole-tree cut."""
    unit = _two_characters()
    labels = np.zeros(8, dtype=np.int64)
    whole = split_shared_frames(unit, labels, {(0, 4)}, 3)
    kept = split_shared_frames(unit, labels, {(0, 4)}, 3, cut="proportionate")
    assert kept[0].tolist() == whole[0].tolist() and kept[1:] == (1, []) and kept[0][0] != kept[0][4]
    with pytest.raises(ValueError, match="shared_frame_cut"):
        split_shared_frames(unit, labels, {(0, 4)}, 3, cut="halfway")


def test_a_face_left_out_of_a_kept_cluster_says_so_in_its_noise_reason():
    from assets.identities.assignment import SHARED_FRAME_NOTE, SHARED_FRAME_PAIR_NOTE
    from assets.identities.core import IdentityParams
    from assets.identities.noise_reasons import with_noise_reasons

    table = pl.DataFrame({"instance_id": ["a", "b"], "identity": ["noise", "identity_000"], "source": ["auto"] * 2,
                          "by": ["face", "face"]})
    notes = {"a": SHARED_FRAME_PAIR_NOTE, "b": SHARED_FRAME_NOTE}
    why = with_noise_reasons(table, None, {}, IdentityParams(), 1, notes)
    assert why["why"].to_list() == [SHARED_FRAME_PAIR_NOTE, None] and SHARED_FRAME_PAIR_NOTE != SHARED_FRAME_NOTE
