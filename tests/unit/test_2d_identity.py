"""2D identity: the context crop and design colours, the drawn-identity embedding on real cartoon faces (hand
labels), the drawn-face analyzer through the resource, the CCIP backend on its real signature, and the scoring."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from assets.faces.evaluation import matches
from assets.faces.identity_eval import bcubed, pair_auc, threshold_clusters
from resources.backends.drawn_identity import (REGIONS, colour_histogram, colour_signature, context_crop,
                                               region_pixels)
from resources.errors import MissingWeightsError
from resources.protocols import FaceDetection

LABELS = Path(__file__).resolve().parents[1] / "data" / "penny_and_chip_faces.json"
PENNY_CHIP = "media/video/2d/penny_and_chip_26shots_480p.mp4"


def cartoon(angle: float = 0.0) -> tuple[np.ndarray, FaceDetection]:
    """A drawn figure: blue hair above a skin-coloured face at (100..160, 80..140), a green shirt below."""
    image = np.full((320, 260, 3), 255, np.uint8)
    cv2.rectangle(image, (95, 50), (165, 85), (30, 60, 200), -1)        # hair
    cv2.rectangle(image, (100, 80), (160, 140), (240, 200, 170), -1)    # face
    cv2.rectangle(image, (105, 150), (155, 260), (40, 170, 60), -1)     # shirt
    eyes = np.array([[115, 105], [145, 105], [130, 118], [118, 130], [142, 130]], np.float32)
    if angle:
        rotation = cv2.getRotationMatrix2D((130, 110), angle, 1.0)
        image = cv2.warpAffine(image, rotation, (260, 320), borderValue=(255, 255, 255))
        eyes = np.hstack([eyes, np.ones((5, 1), np.float32)]) @ rotation.T.astype(np.float32)
    return image, FaceDetection((100.0, 80.0, 160.0, 140.0), 0.9, "test", eyes.astype(np.float32))


def dominant(pixels: np.ndarray) -> np.ndarray:
    return np.median(pixels.reshape(-1, 3), axis=0)


@pytest.mark.parametrize("angle", [0.0, 20.0])
def test_context_crop_puts_hair_above_and_clothing_below_even_when_the_head_is_rolled(angle):
    image, face = cartoon(angle)
    crop = context_crop(image, face)
    assert crop.shape == (192, 192, 3) and crop.dtype == np.uint8
    assert np.abs(dominant(region_pixels(crop, "skin")) - (240, 200, 170)).max() < 30
    assert np.abs(dominant(region_pixels(crop, "hair")) - (30, 60, 200)).max() < 40
    assert np.abs(dominant(region_pixels(crop, "clothing")) - (40, 170, 60)).max() < 40


def test_colour_signature_tells_designs_apart_and_survives_bad_input():
    image, face = cartoon()
    recoloured = image.copy()
    recoloured[(image == (40, 170, 60)).all(axis=2)] = (200, 40, 40)   # same figure, red shirt
    a, b = colour_signature(context_crop(image, face)), colour_signature(context_crop(recoloured, face))
    assert float(a @ a) == pytest.approx(1.0, abs=1e-5) and float(a @ b) < 0.9
    grey = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)  # black-and-white footage
    assert np.isfinite(colour_signature(context_crop(grey, face))).all()
    assert not colour_histogram(np.zeros((0, 0, 3), np.uint8)).any()
    tiny = FaceDetection((250.0, 310.0, 253.0, 313.0), 0.5, "test")  # 3 px face at the frame's corner
    assert context_crop(image, tiny).shape == (192, 192, 3)
    assert set(REGIONS) >= {"face", "head", "hair", "skin", "clothing"}


def labelled_faces(shared: Path, shots: list[int]) -> tuple[list[np.ndarray], list[str]]:
    labels = json.loads(LABELS.read_text())["frames"]
    capture, crops, names = cv2.VideoCapture(str(shared / PENNY_CHIP)), [], []
    for shot in shots:
        capture.set(cv2.CAP_PROP_POS_MSEC, (8 * shot + 3.5) * 1000)
        ok, bgr = capture.read()
        assert ok
        frame = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        for name in ("penny", "chip"):
            crops.append(context_crop(frame, FaceDetection(tuple(labels[str(shot)][name]), 1.0, "label")))
            names.append(name)
    capture.release()
    return crops, names


def test_drawn_identity_embedding_tells_penny_from_chip_across_shots(shared, castforge_home):
    """Hand-labelled faces of 6 shots (different scenes, poses and scales): each face's nearest other face is the
    same character, and same-character pairs rank above different-character pairs."""
    from resources.backends.drawn_identity import DrawnIdentityEmbedder
    from resources.backends.tflite_embedder import TfliteImageEmbedder

    crops, names = labelled_faces(shared, [0, 4, 9, 14, 19, 24])
    embedder = DrawnIdentityEmbedder(TfliteImageEmbedder())
    vectors = embedder.embed(crops)
    assert vectors.shape == (12, embedder.embedding_dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    similarity = vectors @ vectors.T - 2 * np.eye(len(names))
    nearest_same = [names[int(np.argmax(row))] == name for row, name in zip(similarity, names)]
    assert sum(nearest_same) >= 11, nearest_same
    assert pair_auc(vectors, names) >= 0.9


def test_drawn_face_analyzer_through_the_resource_finds_and_embeds_a_cartoon_face(shared, castforge_home):
    from resources.face_analyzer import FaceAnalyzerResource

    resource = FaceAnalyzerResource(drawn_detectors=["yunet", "anime"])  # no subprocess: fast
    analyzer = resource.get(anime=True)
    assert analyzer.name == "drawn_faces" and "drawn_identity" in analyzer.model
    capture = cv2.VideoCapture(str(shared / PENNY_CHIP))
    capture.set(cv2.CAP_PROP_POS_MSEC, (8 * 11 + 3.5) * 1000)
    frame = cv2.cvtColor(capture.read()[1], cv2.COLOR_BGR2RGB)
    faces = analyzer.detect(frame, "yunet")
    assert faces, "YuNet at the 2D threshold finds Chip's face in shot 11"
    crops = [analyzer.align(frame, f) for f in faces]
    vectors = analyzer.embed(crops)
    assert vectors.shape == (len(faces), analyzer.embedding_dim)
    assert analyzer.embed([]).shape == (0, analyzer.embedding_dim)
    with pytest.raises(ValueError, match="not among"):
        analyzer.detect(frame, "scrfd")


def export_ccip_shaped(folder: Path, dim: int = 768) -> None:
    """model_feat.onnx (input (N,3,384,384) -> output (N,768)) and model_metrics.onnx ((N,768) -> (N,N)
    differences) with CCIP's names and shapes, random weights, plus metrics.json."""
    import torch

    class Features(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 8, 16, stride=16)
            self.head = torch.nn.Linear(8 * 4 * 4, dim)

        def forward(self, x):
            return self.head(torch.nn.functional.adaptive_avg_pool2d(torch.relu(self.conv(x)), 4).flatten(1))

    class Metrics(torch.nn.Module):
        def forward(self, f):
            unit = f / f.norm(dim=1, keepdim=True)
            return 1 - unit @ unit.T

    folder.mkdir(parents=True)
    torch.manual_seed(0)
    torch.onnx.export(Features().eval(), torch.zeros(1, 3, 384, 384), str(folder / "model_feat.onnx"),
                      input_names=["input"], output_names=["output"], opset_version=13, dynamo=False,
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    torch.onnx.export(Metrics().eval(), torch.zeros(2, dim), str(folder / "model_metrics.onnx"),
                      input_names=["input"], output_names=["output"], opset_version=13, dynamo=False,
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch", 1: "batch2"}})
    (folder / "metrics.json").write_text(json.dumps({"threshold": 0.178}))


def test_drawn_detectors_read_a_1080_row_frame_at_480_rows_and_map_faces_back(shared, castforge_home):
    """A 1080-row drawn frame is searched at 480 rows (the 2D detectors' size; far less CPU) and its faces come back
    in the frame's pixels: Chip's face on the 1080-row copy is the one found on the 480p frame, scaled."""
    from resources.analysis_frame import analysis_scale, scaled_frame
    from resources.face_analyzer import FaceAnalyzerResource

    analyzer = FaceAnalyzerResource(drawn_detectors=["yunet", "anime"]).get(anime=True)
    assert analyzer.analysis_max_height == 480
    capture = cv2.VideoCapture(str(shared / PENNY_CHIP))
    capture.set(cv2.CAP_PROP_POS_MSEC, (8 * 11 + 3.5) * 1000)
    frame = cv2.cvtColor(capture.read()[1], cv2.COLOR_BGR2RGB)
    assert frame.shape[0] == 480
    factor = 1080 / 480
    tall = cv2.resize(frame, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    small = analyzer._onnx.detect(scaled_frame(tall, analysis_scale(1080, 480)), "yunet")
    faces = analyzer.detect(tall, "yunet")
    assert faces and len(faces) == len(small)
    for face, at_480 in zip(faces, small):
        np.testing.assert_allclose(face.box, np.array(at_480.box) * 1080 / 480, rtol=1e-5)
        np.testing.assert_allclose(face.landmarks, at_480.landmarks * 1080 / 480, rtol=1e-5)
    on_frame = analyzer.detect(frame, "yunet")  # a 480-row frame: searched as it is
    assert [f.box for f in on_frame] == [f.box for f in analyzer._onnx.detect(frame, "yunet")]
    as_is = analyzer.detect_as_is(tall, "yunet")  # the upscaled pass's regions: at their own size
    assert [f.box for f in as_is] == [f.box for f in analyzer._onnx.detect(tall, "yunet")]
    best = max(on_frame, key=lambda f: f.score).box
    assert any(matches(tuple(np.array(f.box) / factor), best, size_ratio=1.3) for f in faces)


def test_ccip_backend_on_its_real_signature(tmp_path, monkeypatch, shared):
    from resources.backends.ccip import DEFAULT_MODEL, CcipEmbedder, preprocess

    export_ccip_shaped(tmp_path / "models" / "ccip" / DEFAULT_MODEL)
    monkeypatch.setenv("CASTFORGE_MODELS", f"{tmp_path / 'models'}:{shared / 'models'}")
    model = CcipEmbedder()
    image, face = cartoon()
    crops = [context_crop(image, face), context_crop(image[:, ::-1].copy(), face)]
    assert preprocess(crops).shape == (2, 3, 384, 384)
    vectors = model.embed(crops)
    assert vectors.shape == (2, 768) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    differences = model.differences(model.features(crops))
    assert differences.shape == (2, 2) and abs(float(differences[0, 0])) < 1e-5
    assert model.threshold == pytest.approx(0.178)

    from resources.face_analyzer import FaceAnalyzerResource

    analyzer = FaceAnalyzerResource(drawn_detectors=["anime"], drawn_recogniser="ccip").get(anime=True)
    assert analyzer.embedding_dim == 768 and "ccip" in analyzer.model


def test_ccip_without_weights_names_the_missing_file(tmp_path, monkeypatch):
    from resources.backends.ccip import CcipEmbedder

    monkeypatch.setenv("CASTFORGE_MODELS", str(tmp_path))
    monkeypatch.setenv("CASTFORGE_HOME", str(tmp_path / "home"))
    with pytest.raises(MissingWeightsError, match="ccip/ccip-caformer-24-randaug-pruned/model_feat.onnx"):
        CcipEmbedder()


def test_identity_scoring_on_known_clusterings():
    names = ["a", "a", "a", "b", "b"]
    assert bcubed([0, 0, 0, 1, 1], names)["f"] == 1.0
    merged = bcubed([0, 0, 0, 0, 0], names)
    assert merged["recall"] == 1.0 and merged["precision"] == pytest.approx((3 * 3 / 5 + 2 * 2 / 5) / 5, abs=1e-4)
    assert bcubed([-1, -1, 0, 0, 0], names)["coverage"] == pytest.approx(0.6)  # two noise singletons
    vectors = np.array([[1, 0], [0.99, 0.14], [0, 1], [0.1, 0.99]], np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert list(threshold_clusters(vectors, 0.2)) in ([0, 0, 1, 1], [1, 1, 0, 0])
    assert pair_auc(vectors, ["x", "x", "y", "y"]) == 1.0


def test_face_stage_core_gives_drawn_faces_the_2d_embedding(shared, castforge_home, tmp_path):
    """assets/faces/core.detect_faces with the drawn analyzer on real frames: instance boxes around each labelled
    character; faces found are owned by the right instance and carry the 2D embedding and a context crop."""
    import polars as pl

    from assets.faces.core import FaceParams, detect_faces
    from resources.face_analyzer import FaceAnalyzerResource

    labels = json.loads(LABELS.read_text())["frames"]
    capture, frames, instances = cv2.VideoCapture(str(shared / PENNY_CHIP)), [], []
    for shot in (1, 11, 19, 22):
        capture.set(cv2.CAP_PROP_POS_MSEC, (8 * shot + 3.5) * 1000)
        path = tmp_path / f"shot{shot}.png"
        cv2.imwrite(str(path), capture.read()[1])
        frames.append({"frame_id": f"f{shot}", "path": str(path)})
        for name in ("penny", "chip"):
            x0, y0, x1, y1 = labels[str(shot)][name]
            instances.append({"instance_id": f"{name}{shot}", "frame_id": f"f{shot}", "x0": x0 - 40.0,
                              "y0": y0 - 30.0, "x1": x1 + 40.0, "y1": 479.0, "kept": True})
    capture.release()
    analyzer = FaceAnalyzerResource(drawn_detectors=["anime", "yunet"]).get(anime=True)
    (tmp_path / "crops").mkdir()
    faces = detect_faces(pl.DataFrame(frames), pl.DataFrame(instances), analyzer,
                         FaceParams(min_face_size=32, anime_detector=True), Path, tmp_path / "crops", str)
    assert faces.height >= 3  # YuNet at the 2D threshold finds about half of these cartoon faces (bench/faces_2d.py)
    assert (faces["backend"] == "drawn_faces").all() and len(faces["embedding"][0]) == analyzer.embedding_dim
    assert cv2.imread(faces["crop_path"][0]).shape == (192, 192, 3)
    for row in faces.iter_rows(named=True):  # the face lies inside its owner's labelled face box
        shot, name = row["frame_id"][1:], row["instance_id"].rstrip("0123456789")
        x0, y0, x1, y1 = labels[shot][name]
        cx, cy = (row["fx0"] + row["fx1"]) / 2, (row["fy0"] + row["fy1"]) / 2
        assert x0 - 10 <= cx <= x1 + 10 and y0 - 10 <= cy <= y1 + 10, row



def test_drawn_faces_framed_by_another_detector_are_placed_by_that_detectors_prototype(shared, castforge_home):
    """Penny and Chip (hand boxes, 13 shots) framed two ways, the whole face (as YuNet frames it) and the eye band
    (as AnimeFace does): against each identity's prototype of the face's own framing, the eye-band faces of 10
    shots lead the other character by more than against the whole-face prototype, and the calibrated lead rule
    places them without a mistake."""
    from assets.identities.prototypes import detector_prototype_similarities, join_by_calibrated_lead, prototype
    from resources.backends.drawn_identity import DrawnIdentityEmbedder
    from resources.backends.tflite_embedder import TfliteImageEmbedder

    labels = json.loads(LABELS.read_text())["frames"]
    capture, crops, truth, framing, shots = cv2.VideoCapture(str(shared / PENNY_CHIP)), [], [], [], []
    for shot in range(0, 26, 2):
        capture.set(cv2.CAP_PROP_POS_MSEC, (8 * shot + 3.5) * 1000)
        ok, bgr = capture.read()
        assert ok
        frame = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        for character, (x0, y0, x1, y1) in ((c, labels[str(shot)][c]) for c in ("penny", "chip")):
            w, h = x1 - x0, y1 - y0
            for name, box in (("face", (x0, y0, x1, y1)), ("eyes", (x0 + w / 5, y0 + h / 5, x1 - w / 5, y0 + h * 0.6))):
                crops.append(context_crop(frame, FaceDetection(tuple(map(float, box)), 1.0, name)))
                truth.append(0 if character == "penny" else 1)
                framing.append(name)
                shots.append(shot)
    capture.release()
    x = DrawnIdentityEmbedder(TfliteImageEmbedder()).embed(crops)
    truth_array = np.array(truth)
    clustered = np.array([f == "face" or s <= 4 for f, s in zip(framing, shots)])  # 3 shots' eye bands clustered
    labels_in = np.where(clustered, truth_array, -1)
    gated, quality = np.ones(len(x), bool), np.ones(len(x))
    whole = [np.flatnonzero((labels_in == k) & (np.array(framing) == "face")) for k in (0, 1)]
    prototypes = np.stack([x[rows[prototype(x[rows], gated[rows], quality[rows])[0]]] for rows in whole])
    loose = np.flatnonzero(labels_in < 0)
    own, other = truth_array[loose], 1 - truth_array[loose]

    def leads(sims: np.ndarray) -> np.ndarray:
        return sims[loose, own] - sims[loose, other]

    per_detector = detector_prototype_similarities(x, labels_in, gated, quality, framing, prototypes)
    single = detector_prototype_similarities(x, labels_in, gated, quality, [""] * len(x), prototypes)
    assert len(loose) == 20 and (leads(per_detector) > 0).all()
    assert np.median(leads(per_detector)) > np.median(leads(single)) + 0.03
    placed, _, joined = join_by_calibrated_lead(per_detector, labels_in, 0.05)
    assert joined >= 16 and (placed[loose][placed[loose] >= 0] == own[placed[loose] >= 0]).all()


def test_penny_and_chip_labels_move_to_a_new_segmentations_faces_and_say_why_some_cannot():
    """bench/faces_2d.py's re-keying on the hand labels of e22a8ac's run: new instance ids, key frames 1/24 s later
    and AnimeFace's eye-band boxes now framed as a whole face (IoU < 0.5, the same face) all land on the right
    face; labels whose shot lost its key frames are counted as such, not moved to a wrong face."""

    import polars as pl

    from tests.conftest import BENCH_DIR as bench, load_bench

    faces_2d = load_bench("faces_2d")
    labels = pl.read_csv(bench / "data" / "penny_and_chip_faces_found_e22a8ac.csv")
    assert labels.height == 213 and set(labels["label"]) == {"penny", "chip", "other"}
    labels = labels.filter(pl.col("found_by_run") == "e22a8ac")  # one run's faces: each face labelled once
    assert labels.filter(pl.col("label") != "other")["is_face"].all()
    width, height = pl.col("fx1") - pl.col("fx0"), pl.col("fy1") - pl.col("fy0")
    cx, cy = (pl.col("fx0") + pl.col("fx1")) / 2, (pl.col("fy0") + pl.col("fy1")) / 2 + 0.1 * height
    anime = pl.col("detector") == "animeface"
    faces = labels.with_columns(("new_" + pl.col("instance_id")).alias("instance_id"),
                                pl.col("timestamp_s") + 1 / 24,
                                *(pl.when(anime).then(centre + sign * 0.8 * side).otherwise(pl.col(name)).alias(name)
                                  for name, centre, side, sign in (("fx0", cx, width, -1), ("fy0", cy, height, -1),
                                                                   ("fx1", cx, width, 1), ("fy1", cy, height, 1))))
    moved, count, lost = faces_2d.labels_on_this_run(labels, faces, faces["timestamp_s"].to_list())
    assert count == labels.height and not lost
    truth = dict(zip("new_" + labels["instance_id"], labels["label"]))
    assert all(truth[i] == label for i, label in moved.iter_rows())

    later = faces.filter((pl.col("timestamp_s") < 8) | (pl.col("timestamp_s") >= 16))  # shot 1's frames are gone
    moved, count, lost = faces_2d.labels_on_this_run(labels, later, later["timestamp_s"].to_list())
    gone = labels.filter((pl.col("timestamp_s") + 1 / 24 >= 8) & (pl.col("timestamp_s") + 1 / 24 < 16)).height
    assert gone > 0 and lost == {"no key frame within 0.25 s": gone} and count == labels.height - gone
    assert all(truth[i] == label for i, label in moved.iter_rows())

    first = labels.row(0, named=True)  # same instance id, but it now holds another face (a detector change)
    elsewhere = labels.with_columns(pl.when(pl.col("instance_id") == first["instance_id"]).then(pl.col(name) + 300)
                                    .otherwise(pl.col(name)).alias(name) for name in ("fy0", "fy1"))
    moved, count, lost = faces_2d.labels_on_this_run(labels, elsewhere, elsewhere["timestamp_s"].to_list())
    assert first["instance_id"] not in moved["instance_id"].to_list() and moved.height == labels.height - 1
    assert lost == {"no face on a frame that near matches its box": 1}
