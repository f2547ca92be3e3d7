"""The production backends on their real loading paths: an InsightFace pack (shared SCRFD + an ArcFace-shaped ONNX
recogniser this test exports from a random torch model) through insightface.model_zoo; CLIP / DINOv2 through
transformers from a tiny random local folder; the TFLite MobileNet embedder on real photos."""

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from resources.errors import MissingWeightsError
from resources.protocols import FaceAnalyzer, ImageEmbedder

KNN = "media/faces/knn_examples"


def export_arcface_shaped(path: Path, dim: int = 512) -> None:
    """A random 112x112 -> 512-d ONNX graph with ArcFace's input/output signature."""
    import torch

    class FakeArcFace(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 16, 4, stride=4)  # 112 -> 28
            self.head = torch.nn.Linear(16 * 4 * 4, dim)

        def forward(self, x):
            x = torch.nn.functional.adaptive_avg_pool2d(torch.relu(self.conv(x)), 4)
            return self.head(x.flatten(1))

    torch.manual_seed(0)
    torch.onnx.export(FakeArcFace().eval(), torch.zeros(1, 3, 112, 112), str(path), input_names=["input.1"],
                      output_names=["embedding"], dynamic_axes={"input.1": {0: "batch"}, "embedding": {0: "batch"}},
                      opset_version=13, dynamo=False)


@pytest.fixture
def pack(shared, tmp_path, monkeypatch) -> Path:
    models = tmp_path / "models"
    folder = models / "insightface" / "tiny_pack"
    folder.mkdir(parents=True)
    os.symlink(shared / "models" / "face" / "det_500m.onnx", folder / "det_500m.onnx")
    export_arcface_shaped(folder / "w600k_tiny.onnx")
    monkeypatch.setenv("CASTFORGE_MODELS", str(models))
    return folder


def test_insightface_pack_detects_aligns_and_embeds_in_batches(pack, shared):
    from resources.face_analyzer import FaceAnalyzerResource

    analyzer = FaceAnalyzerResource(backend="insightface", model="tiny_pack").get()
    assert isinstance(analyzer, FaceAnalyzer)
    assert analyzer.name == "insightface" and analyzer.embedding_dim == 512
    assert "det_500m.onnx" in analyzer.model and "w600k_tiny.onnx" in analyzer.model
    image = cv2.cvtColor(cv2.imread(str(shared / KNN / "test" / "obama_and_biden.jpg")), cv2.COLOR_BGR2RGB)
    faces = analyzer.detect(image)
    assert len(faces) >= 2 and all(f.landmarks.shape == (5, 2) for f in faces)
    crops = [analyzer.align(image, f) for f in faces]
    assert crops[0].shape == (112, 112, 3)
    vectors = analyzer.embed(crops * 40)  # more than one batch
    assert vectors.shape == (len(crops) * 40, 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    assert np.allclose(vectors[0], vectors[len(crops)], atol=1e-5)  # batching does not change a face's vector


def test_insightface_missing_pack_says_how_to_provide_it(tmp_path, monkeypatch):
    monkeypatch.setenv("CASTFORGE_MODELS", str(tmp_path))
    monkeypatch.setenv("CASTFORGE_HOME", str(tmp_path / "home"))
    from resources.backends.insightface import InsightFaceAnalyzer

    with pytest.raises(MissingWeightsError, match="buffalo_l"):
        InsightFaceAnalyzer("buffalo_l")
    (tmp_path / "insightface" / "half").mkdir(parents=True)
    with pytest.raises(MissingWeightsError, match="no a detector|has no"):
        InsightFaceAnalyzer("half")


def test_profiles_pick_the_backends():
    from resources.face_analyzer import profile_resources as faces
    from resources.image_embedder import profile_resources as embedders

    assert faces("local")["face_analyzer"].backend == "onnx"
    assert faces("gpu")["face_analyzer"].backend == "insightface" and faces("gpu")["face_analyzer"].device == "cuda"
    assert embedders("local")["image_embedder"].backend == "tflite"
    assert embedders("gpu")["image_embedder"].backend == "transformers"


def test_tflite_embedder_on_real_photos(shared, monkeypatch):
    monkeypatch.setenv("CASTFORGE_MODELS", str(shared / "models"))
    from resources.image_embedder import ImageEmbedderResource

    embedder = ImageEmbedderResource().get()
    assert isinstance(embedder, ImageEmbedder) and embedder.embedding_dim == 1024
    paths = sorted((shared / KNN / "train").glob("*/*"))[:3]
    images = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in paths]
    vectors = embedder.embed(images + [np.full((50, 80, 3), 200, np.uint8)])
    assert vectors.shape == (4, 1024) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    assert vectors[0] @ vectors[0] > vectors[0] @ vectors[3]


@pytest.mark.parametrize("kind", ["clip", "dinov2"])
def test_transformers_embedder_from_a_local_folder(kind, tmp_path, monkeypatch):
    from resources.backends import torch_cpu_fixes

    torch_cpu_fixes.apply()
    from transformers import (CLIPConfig, CLIPImageProcessor, CLIPModel, BitImageProcessor, Dinov2Config,
                              Dinov2Model)

    folder = tmp_path / "embed" / f"tiny-{kind}"
    if kind == "clip":
        config = CLIPConfig(text_config={"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 1,
                                         "num_attention_heads": 2, "vocab_size": 99},
                            vision_config={"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 1,
                                           "num_attention_heads": 2, "image_size": 32, "patch_size": 8},
                            projection_dim=24)
        CLIPModel(config).save_pretrained(folder)
        CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(folder)
        expected = 24
    else:
        Dinov2Model(Dinov2Config(hidden_size=32, intermediate_size=37, num_hidden_layers=1, num_attention_heads=2,
                                 image_size=32, patch_size=8)).save_pretrained(folder)
        BitImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}).save_pretrained(folder)
        expected = 64  # CLS + mean patch token
    monkeypatch.setenv("CASTFORGE_MODELS", str(tmp_path))
    from resources.image_embedder import ImageEmbedderResource

    embedder = ImageEmbedderResource(backend="transformers", model=f"tiny-{kind}").get()
    vectors = embedder.embed([np.random.default_rng(i).integers(0, 255, (40, 60, 3), dtype=np.uint8)
                              for i in range(3)])
    assert embedder.embedding_dim == expected and vectors.shape == (3, expected)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    with pytest.raises(MissingWeightsError, match="save_pretrained"):
        ImageEmbedderResource(backend="transformers", model="no-such-model").get()


def test_face_sessions_do_not_spin_and_find_the_same_faces(shared, monkeypatch):
    """The face models' ONNX Runtime sessions run on ``model_threads()`` threads that sleep between ops (spinning
    threads burn the CPU other steps share) and find exactly the faces a default session finds."""
    import onnxruntime as ort
    from insightface.model_zoo import get_model

    from resources.backends.onnx_faces import OnnxFaceAnalyzer, weight_path

    monkeypatch.setenv("CASTFORGE_MODELS", str(shared / "models"))
    monkeypatch.setenv("CASTFORGE_MODEL_THREADS", "1")
    analyzer = OnnxFaceAnalyzer(("scrfd",))
    image = cv2.cvtColor(cv2.imread(str(shared / KNN / "test" / "obama_and_biden.jpg")), cv2.COLOR_BGR2RGB)
    faces = analyzer.detect(image, "scrfd")
    session = analyzer._detector("scrfd").session
    assert session.get_session_options().intra_op_num_threads == 1
    assert session.get_session_options().get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert analyzer._rec.get_session_options().get_session_config_entry("session.intra_op.allow_spinning") == "0"
    default = get_model(str(weight_path("scrfd")), providers=["CPUExecutionProvider"],
                        sess_options=ort.SessionOptions())
    default.prepare(ctx_id=-1, input_size=(640, 640), det_thresh=0.5)
    boxes, _ = default.detect(cv2.cvtColor(image, cv2.COLOR_RGB2BGR), max_num=0)
    assert len(faces) >= 2 and np.array_equal(np.array([f.box for f in faces]), boxes[:, :4].astype(np.float64))
