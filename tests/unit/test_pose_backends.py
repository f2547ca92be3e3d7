"""Pose backends on real code paths: MoveNet (real weights from ../shared) on real photos, and RTMPose through
rtmlib with an ONNX graph this test writes with RTMPose's real signature (input 1x3x256x192, SimCC outputs
simcc_x 1x17x384 and simcc_y 1x17x512)."""

import glob
from pathlib import Path

import cv2
import numpy as np
import pytest

from resources.errors import MissingWeightsError


def write_simcc_onnx(path: Path, peak_x_bin: int = 192, peak_y_bin: int = 256) -> Path:
    """Global-average-pool -> two Gemm heads reshaped to SimCC logits. The bias puts every keypoint's peak at the
    given bins; the small image-dependent weight keeps the graph a function of its input."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    bias_x = np.zeros((1, 17 * 384), np.float32)
    bias_y = np.zeros((1, 17 * 512), np.float32)
    bias_x.reshape(17, 384)[:, peak_x_bin] = 10.0
    bias_y.reshape(17, 512)[:, peak_y_bin] = 10.0
    inits = [numpy_helper.from_array(rng.normal(0, 1e-3, (3, 17 * 384)).astype(np.float32), "wx"),
             numpy_helper.from_array(bias_x, "bx"),
             numpy_helper.from_array(rng.normal(0, 1e-3, (3, 17 * 512)).astype(np.float32), "wy"),
             numpy_helper.from_array(bias_y, "by"),
             numpy_helper.from_array(np.array([1, 17, 384], np.int64), "shape_x"),
             numpy_helper.from_array(np.array([1, 17, 512], np.int64), "shape_y")]
    nodes = [helper.make_node("GlobalAveragePool", ["input"], ["pooled"]),
             helper.make_node("Flatten", ["pooled"], ["flat"]),
             helper.make_node("Gemm", ["flat", "wx", "bx"], ["gx"]),
             helper.make_node("Gemm", ["flat", "wy", "by"], ["gy"]),
             helper.make_node("Reshape", ["gx", "shape_x"], ["simcc_x"]),
             helper.make_node("Reshape", ["gy", "shape_y"], ["simcc_y"])]
    graph = helper.make_graph(
        nodes, "rtmpose_signature", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 256, 192])],
        [helper.make_tensor_value_info("simcc_x", TensorProto.FLOAT, [1, 17, 384]),
         helper.make_tensor_value_info("simcc_y", TensorProto.FLOAT, [1, 17, 512])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


@pytest.fixture
def photos(shared) -> list[np.ndarray]:
    return [cv2.imread(p)[:, :, ::-1].copy() for p in sorted(glob.glob(str(shared / "media/faces/knn_examples/train/*/*")))]


def test_movenet_finds_the_head_in_real_portraits(photos, castforge_home):
    from resources.backends.litert_pose import LitertMoveNetPoseEstimator

    estimator = LitertMoveNetPoseEstimator()
    assert estimator.model.endswith("movenet_singlepose_lightning_int8_4.tflite")
    for image in photos:
        kp = estimator.estimate(image)
        assert kp.shape == (17, 3) and kp.dtype == np.float32
        # every photo is a portrait: nose and both eyes are seen, inside the image, eyes above the nose
        assert (kp[:3, 2] >= 0.25).all()
        assert (0 <= kp[:3, 0]).all() and (kp[:3, 0] < image.shape[1]).all()
        assert kp[1, 1] < kp[0, 1] + 5 and kp[2, 1] < kp[0, 1] + 5
        # facing the camera: the character's left eye is on the image's right
        assert kp[1, 0] > kp[2, 0]


def test_movenet_maps_padding_back_to_crop_pixels(photos, castforge_home):
    from resources.backends.litert_pose import LitertMoveNetPoseEstimator

    estimator = LitertMoveNetPoseEstimator()
    image = photos[0]
    shifted = np.zeros((image.shape[0], image.shape[1] + 300, 3), np.uint8)
    shifted[:, 300:] = image
    a, b = estimator.estimate(image), estimator.estimate(shifted)
    # same head position up to the 192-px input's quantisation of the larger canvas
    assert np.abs((b[:3, 0] - 300) - a[:3, 0]).max() < 0.05 * shifted.shape[1]


def test_movenet_missing_weights_names_the_file(tmp_path, monkeypatch):
    from resources.backends.litert_pose import LitertMoveNetPoseEstimator

    monkeypatch.setenv("CASTFORGE_MODELS", str(tmp_path))
    monkeypatch.setenv("CASTFORGE_HOME", str(tmp_path))
    with pytest.raises(MissingWeightsError, match="movenet_singlepose_lightning_int8_4.tflite"):
        LitertMoveNetPoseEstimator()


@pytest.mark.parametrize("shape", [(204, 120), (90, 300)])
def test_rtmpose_through_rtmlib_decodes_simcc_into_crop_pixels(tmp_path, shape):
    from resources.backends.rtmlib import RtmlibPoseEstimator

    model = write_simcc_onnx(tmp_path / "rtmpose-m.onnx")
    estimator = RtmlibPoseEstimator(str(model))
    image = np.random.default_rng(1).integers(0, 255, (*shape, 3), dtype=np.uint8)
    kp = estimator.estimate(image)
    assert kp.shape == (17, 3)
    # peaks at the input's centre bins (x 192/2, y 256/2) decode to the crop's centre through rtmlib's affine
    np.testing.assert_allclose(kp[:, 0], shape[1] / 2, atol=1.0)
    np.testing.assert_allclose(kp[:, 1], shape[0] / 2, atol=1.0)
    assert (kp[:, 2] > 0.5).all()


def test_rtmpose_resource_finds_variant_under_models(tmp_path, monkeypatch):
    from resources.pose_estimator import PoseEstimatorResource

    (tmp_path / "pose").mkdir()
    write_simcc_onnx(tmp_path / "pose" / "rtmpose-s.onnx", peak_x_bin=0, peak_y_bin=0)
    monkeypatch.setenv("CASTFORGE_MODELS", str(tmp_path))
    estimator = PoseEstimatorResource(backend="rtmpose", variant="s").get()
    assert estimator.model.endswith("rtmpose-s.onnx")
    kp = estimator.estimate(np.zeros((100, 80, 3), np.uint8))
    # bin 0 is the top-left of the 1.25x padded box
    assert (kp[:, 0] < 0).all() and (kp[:, 1] < 0).all()
    with pytest.raises(MissingWeightsError, match="rtmpose-l"):
        PoseEstimatorResource(backend="rtmpose", variant="l").get()


def test_profiles_pick_movenet_locally_and_rtmpose_on_gpu():
    from resources.pose_estimator import profile_resources

    assert profile_resources("local")["pose_estimator"].backend == "movenet"
    gpu = profile_resources("gpu")["pose_estimator"]
    assert gpu.backend == "rtmpose" and gpu.device == "cuda"


@pytest.fixture
def cutouts(shared) -> list[np.ndarray]:
    """The real RGBA character cut-outs of ../shared composited on black, as pose_subclusters feeds MoveNet."""
    from assets.pose.core import load_cutout_rgb

    return [load_cutout_rgb(Path(p))[0] for p in sorted(glob.glob(str(shared / "media/characters_rgba/*.png")))]


@pytest.mark.parametrize("channels,dtype", [(1, np.uint8), (3, np.uint8), (4, np.uint8), (5, np.uint8),
                                            (3, np.float32)])
def test_columns_first_is_the_contiguous_transpose(channels, dtype):
    """The column-major copy area_resize_on_black sums from: OpenCV's transpose where it takes the pixel size, NumPy's
    elsewhere, the same values and layout as NumPy's contiguous transpose (a single channel keeps its axis)."""
    from resources.backends.litert_pose import columns_first

    image = np.random.default_rng(channels).integers(0, 256, (37, 53, channels)).astype(dtype)
    turned = columns_first(image[3:, 5:])    # a view, as a cropped cut-out may be
    assert turned.shape == (48, 34, channels) and turned.flags.c_contiguous and turned.dtype == dtype
    assert np.array_equal(turned, image[3:, 5:].transpose(1, 0, 2))


def test_area_resize_on_black_is_opencvs_inter_area_of_the_canvas(cutouts):
    from resources.backends.litert_pose import area_resize_on_black

    rng = np.random.default_rng(3)
    shapes = [(int(h), int(w)) for h, w in rng.integers(20, 1300, (12, 2))]
    images = cutouts + [rng.integers(0, 256, (*shape, 3), np.uint8) for shape in shapes]
    # shrinks by fractional scales (a mostly black square: summed over the image; a square the image fills mostly:
    # OpenCV on the built canvas), by whole numbers (OpenCV's integer path), 1:1 and an enlargement
    placements = [(lambda s: int(2.5 * s)), (lambda s: 3 * s), (lambda s: 2 * s + 1), (lambda s: s),
                  (lambda s: s + 37), (lambda s: 384), (lambda s: 576), (lambda s: 192), (lambda s: 150)]
    checked = 0
    for image in images:
        for side_of in placements:
            small = cv2.resize(image, (120, 120)) if side_of(0) in (150, 192, 384, 576) else image
            h, w = small.shape[:2]
            side = max(side_of(max(h, w)), h, w)
            x, y = (side - w) // 2, (side - h) // 3
            canvas = np.zeros((side, side, 3), np.uint8)
            canvas[y:y + h, x:x + w] = small
            expected = cv2.resize(canvas, (192, 192), interpolation=cv2.INTER_AREA)
            assert np.array_equal(area_resize_on_black(small, side, x, y, 192), expected), (small.shape, side)
            checked += 1
    assert checked == len(placements) * len(images) and len(cutouts) >= 3


def test_movenet_margin_is_the_padded_crop(cutouts, castforge_home):
    from resources.backends.litert_pose import LitertMoveNetPoseEstimator

    estimator = LitertMoveNetPoseEstimator()
    for rgb in cutouts:
        margin = int(round(0.75 * max(rgb.shape[:2])))
        padded = cv2.copyMakeBorder(rgb, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        expected = estimator.estimate(padded)
        expected[:, :2] -= margin
        found = estimator.estimate(rgb, margin=margin)
        assert np.array_equal(found, expected)
        assert (found[:, 2] >= 0.3).sum() >= 5   # a real pose, not two empty answers alike


def test_rtmpose_margin_is_the_padded_crop(tmp_path):
    from resources.backends.rtmlib import RtmlibPoseEstimator

    estimator = RtmlibPoseEstimator(str(write_simcc_onnx(tmp_path / "rtmpose-m.onnx", 100, 140)))
    image = np.random.default_rng(2).integers(0, 255, (150, 90, 3), dtype=np.uint8)
    expected = estimator.estimate(cv2.copyMakeBorder(image, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=(0, 0, 0)))
    expected[:, :2] -= 40
    np.testing.assert_array_equal(estimator.estimate(image, margin=40), expected)
    assert not np.allclose(estimator.estimate(image), expected)
