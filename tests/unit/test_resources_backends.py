"""The offline default of every model resource, built through get(): it satisfies its Protocol, describe() names
what it loaded, and the run's teardown releases the real model (../shared/models)."""

import dagster as dg
import numpy as np
import pytest

from orchestration.profiles import resources_for
from resources import protocols

PROTOCOL_BY_KEY = {
    "segmenter": protocols.Segmenter, "face_analyzer": protocols.FaceAnalyzer,
    "face_landmarker": protocols.FaceLandmarker, "image_embedder": protocols.ImageEmbedder,
    "pose_estimator": protocols.PoseEstimator, "captioner": protocols.Captioner,
    "vocal_separator": protocols.VocalSeparator, "diarizer": protocols.Diarizer,
}


def test_offline_defaults_satisfy_their_protocols_and_describe_what_they_loaded(shared, castforge_home):
    resources = {key: r for key, r in resources_for("local").items() if key != "storage"}
    assert set(resources) == set(PROTOCOL_BY_KEY)
    for key, resource in resources.items():
        backend = resource.get()
        assert isinstance(backend, PROTOCOL_BY_KEY[key]), f"{key}: {type(backend).__name__}"
        assert resource.get() is backend, f"{key}: built twice"
        described = resource.describe()
        assert described["backend"] == backend.name and described["model"] == backend.model
        resource.release()
        assert resource.get() is not backend, f"{key}: release() kept the backend"
        resource.release()
    weights = resources["pose_estimator"].describe()["model"]
    assert weights.startswith(str(shared / "models")) and weights.endswith(".tflite")


def test_teardown_after_a_run_releases_the_loaded_model(shared, castforge_home):
    from resources.pose_estimator import PoseEstimatorResource

    used = []

    @dg.asset
    def one_pose(pose_estimator: PoseEstimatorResource) -> None:
        estimator = pose_estimator.get()
        keypoints = estimator.estimate(np.zeros((192, 128, 3), np.uint8))
        assert keypoints.shape == (17, 3) and keypoints.dtype == np.float32
        used.append(estimator)

    assert dg.materialize([one_pose], resources={"pose_estimator": PoseEstimatorResource()}).success
    assert used and used[0]._interpreter is None  # the TFLite interpreter was freed after the run
    with pytest.raises(AttributeError):
        used[0].estimate(np.zeros((192, 128, 3), np.uint8))


def test_the_drawn_face_analyzer_releases_its_detectors_and_recogniser(shared, castforge_home):
    from resources.face_analyzer import FaceAnalyzerResource

    resource = FaceAnalyzerResource()
    drawn = resource.get(anime=True)
    embedder = drawn.recogniser.image_embedder
    assert drawn.embed([np.zeros((192, 192, 3), np.uint8)]).shape == (1, drawn.embedding_dim)
    resource.release()
    assert embedder._interpreter is None  # the general-vision model under the 2D recogniser was freed
    assert drawn._animeface is None or drawn._animeface._process is None


def test_the_offline_diarizer_is_described_without_being_loaded(shared, castforge_home):
    from resources.diarizer import DiarizerResource

    resource = DiarizerResource()
    described = resource.describe()
    assert "diarizer" not in resource._built  # a cached diarization stage does not load torch and the encoder
    assert described == {"backend": "pyannote_onnx", "model": resource.get().model}
    assert resource.describe() == described  # the same description once it is loaded: the cache key is stable
    resource.release()
