"""Faces core on real photos (knn_examples) with the offline analyzer, and hand-made edge cases."""

import math
from pathlib import Path

import cv2
import numpy as np
import polars as pl
import pytest

from assets.faces.core import FaceParams, containment, detect_faces, embedding_matrix, head_pose, owner
from resources.errors import BadMediaError, MissingWeightsError
from resources.protocols import FaceAnalyzer, FaceDetection

KNN = "media/faces/knn_examples"


@pytest.fixture(scope="module")
def analyzer(shared):
    import os

    os.environ["CASTFORGE_MODELS"] = str(shared / "models")
    from resources.backends.onnx_faces import OnnxFaceAnalyzer

    return OnnxFaceAnalyzer()


def table_for(paths: list[Path], boxes: list[tuple[float, float, float, float]] | None = None):
    frames, instances = [], []
    for i, path in enumerate(paths):
        h, w = cv2.imread(str(path)).shape[:2]
        frames.append({"frame_id": f"f{i}", "path": str(path)})
        x0, y0, x1, y1 = boxes[i] if boxes else (0.0, 0.0, float(w), float(h))
        instances.append({"instance_id": f"i{i}", "frame_id": f"f{i}", "x0": x0, "y0": y0, "x1": x1, "y1": y1,
                          "kept": True})
    return pl.DataFrame(frames), pl.DataFrame(instances)


def test_analyzer_meets_protocol(analyzer):
    assert isinstance(analyzer, FaceAnalyzer)
    assert analyzer.detectors == ("scrfd", "yunet") and analyzer.embedding_dim == 128


def test_same_person_close_different_people_far(analyzer, shared, tmp_path):
    paths = sorted((shared / KNN / "train").glob("*/*"))
    frames, instances = table_for(paths)
    faces = detect_faces(frames, instances, analyzer, FaceParams(), Path, tmp_path, str)
    assert faces.height == len(paths)
    people = [paths[int(i[1:])].parent.name for i in faces["instance_id"]]
    e = embedding_matrix(faces)
    assert np.allclose(np.linalg.norm(e, axis=1), 1, atol=1e-4)
    sims = e @ e.T
    same = [sims[i, j] for i in range(len(people)) for j in range(i + 1, len(people)) if people[i] == people[j]]
    diff = [sims[i, j] for i in range(len(people)) for j in range(i + 1, len(people)) if people[i] != people[j]]
    assert min(same) > 0.5 and max(diff) < 0.3
    assert all(Path(p).exists() for p in faces["crop_path"])
    assert cv2.imread(faces["crop_path"][0]).shape == (112, 112, 3)
    assert faces["landmarks"].list.len().to_list() == [10] * faces.height


def test_faces_go_to_the_instance_that_holds_them(analyzer, shared):
    """obama_and_biden.jpg: the two men (and a third, smaller face lower right); two instances, one per half:
    each face goes to the half that holds it."""
    path = shared / KNN / "test" / "obama_and_biden.jpg"
    h, w = cv2.imread(str(path)).shape[:2]
    frames = pl.DataFrame({"frame_id": ["f"], "path": [str(path)]})
    instances = pl.DataFrame({"instance_id": ["left", "right"], "frame_id": ["f", "f"],
                              "x0": [0.0, w / 2], "y0": [0.0, 0.0], "x1": [w / 2, float(w)],
                              "y1": [float(h), float(h)], "kept": [True, True]})
    faces = detect_faces(frames, instances, analyzer, FaceParams(save_crops=False), Path)
    assert set(faces["instance_id"].to_list()) == {"left", "right"}
    for row in faces.iter_rows(named=True):
        centre = (row["fx0"] + row["fx1"]) / 2
        assert (centre < w / 2) == (row["instance_id"] == "left")
    # discarded instances are not searched
    none = detect_faces(frames, instances.with_columns(pl.lit(False).alias("kept")), analyzer, FaceParams(), Path)
    assert none.height == 0 and none.schema == faces.schema


def test_min_face_size_drops_small_faces(analyzer, shared):
    path = shared / KNN / "train" / "kit_harington" / "john1.jpeg"  # face ~120 px
    frames, instances = table_for([path])
    assert detect_faces(frames, instances, analyzer, FaceParams(min_face_size=64), Path).height == 1
    assert detect_faces(frames, instances, analyzer, FaceParams(min_face_size=400, min_face_fraction=1.0),
                        Path).height == 0


class FakeFallbackAnalyzer:
    """Two detectors: the first finds a face only in the left half, the second everywhere."""

    name, model, detectors, embedding_dim = "fake", "fake", ("first", "second"), 4

    def detect(self, image, detector=None):
        faces = [FaceDetection((10, 10, 90, 90), 0.9, detector)]
        if detector == "second":
            faces.append(FaceDetection((110, 10, 190, 90), 0.8, detector))
        return faces

    def align(self, image, face):
        return np.zeros((112, 112, 3), np.uint8)

    def embed(self, crops):
        return np.tile(np.array([1, 0, 0, 0], np.float32), (len(crops), 1))


def test_detector_fallback_serves_only_instances_still_without_face(tmp_path):
    image_path = tmp_path / "frame.png"
    cv2.imwrite(str(image_path), np.full((100, 200, 3), 128, np.uint8))
    frames = pl.DataFrame({"frame_id": ["f"], "path": [str(image_path)]})
    instances = pl.DataFrame({"instance_id": ["a", "b"], "frame_id": ["f", "f"], "x0": [0.0, 100.0],
                              "y0": [0.0, 0.0], "x1": [100.0, 200.0], "y1": [100.0, 100.0], "kept": [True, True]})
    faces = detect_faces(frames, instances, FakeFallbackAnalyzer(), FaceParams(min_face_size=10), Path)
    assert dict(zip(faces["instance_id"], faces["detector"])) == {"a": "first", "b": "second"}
    assert faces.filter(pl.col("landmarks").is_null()).height == 2 and faces["yaw"].is_nan().all()


def test_an_instance_holding_two_faces_keeps_one_the_larger(tmp_path):
    """Two characters cut out as one instance: one face row, the larger face, not two rows for one instance."""
    image_path = tmp_path / "frame.png"
    cv2.imwrite(str(image_path), np.full((100, 200, 3), 128, np.uint8))
    frames = pl.DataFrame({"frame_id": ["f"], "path": [str(image_path)]})
    instances = pl.DataFrame({"instance_id": ["both"], "frame_id": ["f"], "x0": [0.0], "y0": [0.0], "x1": [200.0],
                              "y1": [100.0], "kept": [True]})
    faces = detect_faces(frames, instances, FakeFallbackAnalyzer(), FaceParams(min_face_size=10), Path)
    assert faces.height == 1 and faces["detector"][0] == "first"  # served by the first detector, its only face
    wide = FakeFallbackAnalyzer()
    wide.detectors = ("second",)
    wide.detect = lambda image, detector=None: [FaceDetection((10, 10, 50, 50), 0.95, "second"),
                                                FaceDetection((110, 10, 190, 90), 0.8, "second")]
    faces = detect_faces(frames, instances, wide, FaceParams(min_face_size=10), Path)
    assert faces.height == 1 and faces["fx0"][0] == 110  # the larger face wins over the more confident one


def test_instances_without_a_face_say_why(tmp_path):
    """face_misses: too small (with the sizes and the detector), none found (with the detectors), no frame image."""
    from assets.faces.core import misses_table
    from resources.lineage import check_relation

    image_path = tmp_path / "frame.png"
    cv2.imwrite(str(image_path), np.full((100, 300, 3), 128, np.uint8))
    frames = pl.DataFrame({"frame_id": ["f", "g"], "path": [str(image_path), None]})
    instances = pl.DataFrame({"instance_id": ["a", "b", "c", "d"], "frame_id": ["f", "f", "f", "g"],
                              "x0": [0.0, 100.0, 200.0, 0.0], "y0": [0.0] * 4, "x1": [100.0, 200.0, 300.0, 100.0],
                              "y1": [100.0] * 4, "kept": [True] * 4})
    misses: dict[str, str] = {}
    faces = detect_faces(frames, instances, FakeFallbackAnalyzer(),
                         FaceParams(min_face_size=100, min_face_fraction=1.0), Path, misses=misses)
    assert faces.height == 0
    assert misses["a"].startswith("face too small: 80 px < 100 px (")
    assert misses["c"] == "no face found by first, second" and misses["d"] == "frame has no image"
    table = misses_table(misses, instances)
    assert table.height == 4 and dict(zip(table["instance_id"], table["frame_id"]))["d"] == "g"
    check_relation("face_embeddings", "face_misses", table)  # registered, with its declared columns
    # the cut-out step kept "c" for a face its cue saw ("character: 1 face(s) inside, score 0.64"): the miss says
    # that face is not one these detectors confirmed, so the two messages do not contradict each other
    cued = instances.with_columns(pl.Series("face_count", [0, 0, 1, 0]), pl.Series("face_score", [0.0, 0.0, 0.64, 0.0]))
    reasons = dict(zip(*misses_table(misses, cued).select("instance_id", "reason")))
    assert reasons["c"] == ("no face found by first, second; the cut-out step's face cue saw 1 inside (score 0.64), "
                            "a face these detectors did not confirm")
    assert reasons["d"] == "frame has no image"


@pytest.mark.parametrize("face,box,expected", [
    ((0, 0, 10, 10), (0, 0, 20, 20), 1.0), ((0, 0, 10, 10), (5, 0, 20, 20), 0.5), ((0, 0, 10, 10), (20, 20, 30, 30), 0.0)])
def test_containment(face, box, expected):
    assert containment(face, box) == pytest.approx(expected)


def test_owner_prefers_the_tighter_box():
    boxes = {"big": (0, 0, 100, 100), "small": (0, 0, 50, 50), "far": (200, 200, 300, 300)}
    assert owner((10, 10, 30, 30), boxes, 0.6) == "small"
    assert owner((250, 250, 400, 400), boxes, 0.6) is None


def test_head_pose_of_frontal_and_turned_faces():
    frontal = np.array([[30, 40], [70, 40], [50, 60], [35, 80], [65, 80]], np.float32)
    yaw, pitch, roll = head_pose(frontal)
    assert abs(yaw) < 1 and abs(roll) < 1 and abs(pitch) < 1
    turned = frontal.copy()
    turned[2, 0] = 65
    assert head_pose(turned)[0] > 30
    assert all(math.isnan(v) for v in head_pose(None))


def test_unreadable_frame_is_a_clear_error(analyzer, tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a jpeg")
    frames, instances = pl.DataFrame({"frame_id": ["f"], "path": [str(bad)]}), pl.DataFrame(
        {"instance_id": ["i"], "frame_id": ["f"], "x0": [0.0], "y0": [0.0], "x1": [9.0], "y1": [9.0]})
    with pytest.raises(BadMediaError, match="broken.jpg"):
        detect_faces(frames, instances, analyzer, FaceParams(), Path)


def test_missing_weights_name_the_file(monkeypatch, tmp_path):
    monkeypatch.setenv("CASTFORGE_MODELS", str(tmp_path))
    monkeypatch.setenv("CASTFORGE_HOME", str(tmp_path / "home"))
    from resources.backends.onnx_faces import OnnxFaceAnalyzer

    with pytest.raises(MissingWeightsError, match="det_500m.onnx"):
        OnnxFaceAnalyzer()
