"""segmentation-3.0 with SincNet's first convolution shared by overlapping windows (resources/backends/shared_sinc.py):
the same probabilities as the whole model on real speech, windows on any sample; other graphs run whole."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from resources.backends.pyannote_onnx import WINDOW_SAMPLES, bundled_segmentation_model
from resources.backends.shared_sinc import SharedSincSegmentation, split_segmentation


@pytest.fixture(scope="module")
def sessions():
    import onnxruntime

    path = bundled_segmentation_model()
    if path is None:
        pytest.skip("pyannote-onnx (segmentation-3.0.onnx) not installed")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    split = split_segmentation(path.read_bytes())
    assert split is not None, "the packaged segmentation-3.0 export was not recognised"
    whole = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return whole, SharedSincSegmentation(*split, options, WINDOW_SAMPLES)


def test_shared_front_gives_the_whole_models_probabilities(shared: Path, sessions):
    whole, shared_front = sessions
    audio, rate = sf.read(str(shared / "media/audio/ami_seriously/mixture.wav"), dtype="float32")
    assert rate == 16000
    block = audio[: 16 * rate]
    # 1 s apart (a stride multiple: one convolution for all), plus windows on other phases of the stride
    starts = np.array([0, 16000, 32000, 48000, 3, 47997, 16000 * 6 - 1])
    expected = np.exp(whole.run(None, {"input": np.stack([block[o:o + WINDOW_SAMPLES] for o in starts])[:, None]})[0])
    got = np.exp(shared_front.run(block, starts))
    assert got.shape == expected.shape == (len(starts), 589, 7)
    assert np.abs(got - expected).max() < 1e-4
    assert np.array_equal(got.argmax(axis=-1), expected.argmax(axis=-1))
    assert (expected[..., 0] < 0.5).mean() > 0.3  # speech is found: the comparison is not on silence
    assert shared_front.front.pool == 3  # SincNet's Abs + MaxPool were folded in too


def test_a_graph_that_goes_on_otherwise_after_the_convolution_is_cut_there(shared: Path, sessions, monkeypatch):
    """Without the Abs + MaxPool fold (a graph that goes on otherwise) the rest starts at the convolution's output."""
    import onnxruntime

    from resources.backends import shared_sinc

    whole, _ = sessions
    monkeypatch.setattr(shared_sinc, "_abs_max_pool", lambda nodes, conv_output: (0, conv_output))
    front, rest = split_segmentation(bundled_segmentation_model().read_bytes())
    assert front.pool == 0
    unpooled = SharedSincSegmentation(front, rest, onnxruntime.SessionOptions(), WINDOW_SAMPLES)
    audio, _ = sf.read(str(shared / "media/audio/pyannote_sample/sample.wav"), dtype="float32", frames=16000 * 13)
    starts = np.array([0, 16000, 32007])
    expected = whole.run(None, {"input": np.stack([audio[o:o + WINDOW_SAMPLES] for o in starts])[:, None]})[0]
    assert np.abs(np.exp(unpooled.run(audio, starts)) - np.exp(expected)).max() < 1e-4


def test_quiet_and_offset_audio_normalise_per_window(sessions):
    """The window's own mean and level are folded in after the convolution (InstanceNorm is per window)."""
    whole, shared_front = sessions
    rng = np.random.default_rng(1)
    block = (rng.standard_normal(WINDOW_SAMPLES + 32000) * 0.001 + 0.02).astype(np.float32)  # quiet, DC offset
    block[50000:90000] *= 30
    starts = np.array([0, 16000, 32000])
    expected = whole.run(None, {"input": np.stack([block[o:o + WINDOW_SAMPLES] for o in starts])[:, None]})[0]
    assert np.abs(np.exp(shared_front.run(block, starts)) - np.exp(expected)).max() < 1e-4


def test_an_unrecognised_graph_runs_whole():
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Relu", ["input"], ["output"])], "other",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, 1, None])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [None, 1, None])])
    assert split_segmentation(helper.make_model(graph).SerializeToString()) is None


def test_the_rest_of_the_model_runs_a_few_windows_at_a_time_with_the_same_outputs(shared: Path, sessions):
    """``rest_batch`` windows per run of the rest of the model (cheaper on one thread than one run of the whole
    batch): the same log probabilities, bit for bit, for any batch size, a last run shorter than the others included."""
    _, shared_front = sessions
    audio, rate = sf.read(str(shared / "media/audio/ami_seriously/mixture.wav"), dtype="float32")
    block = audio[: 20 * rate]
    starts = np.arange(0, 10 * rate + 1, rate // 2)[:11]  # 11 windows: 4 + 4 + 3
    results = {}
    for rest_batch in (16, 4, 3, 1):
        shared_front.rest_batch = rest_batch
        results[rest_batch] = shared_front.run(block, starts).copy()
    shared_front.rest_batch = 4
    assert results[16].shape == (11, 589, 7)
    for rest_batch in (4, 3, 1):
        assert np.array_equal(results[rest_batch], results[16]), rest_batch
    assert (np.exp(results[16])[..., 0] < 0.5).mean() > 0.3  # speech, not silence
