"""segmentation-3.0 with its first convolution shared by overlapping windows (ONNX Runtime, no Dagster).

pyannote's segmentation model opens with SincNet: the window is normalised (InstanceNorm, one mean and standard
deviation per window), then convolved with 80 fixed band-pass filters (251 taps, stride 10). Windows 1 s apart
overlap by 90%, so the model convolves every sample ten times; that convolution was ~25% of the model's CPU.
Convolution is linear and the normalisation is an affine map of the window:

    conv(gamma * (x - mean) / std + beta) = gamma / std * conv(x) + (beta - gamma * mean / std) * sum(filter taps)

so the filters run once over a batch's whole stretch of audio, each window takes its columns (its first sample a
multiple of the stride from the stretch's start) and its own affine map, and the rest of the model runs on those.
SincNet's next two operations, the absolute value and a max-pool of 3, run here too (numpy, per window, straight
from the shared convolution: ONNX Runtime spent ~17% of the rest of the model on them over the 3x larger tensor), so
the graph that is left starts at the pooled features. Outputs equal the whole model's to float32 rounding.

``split_segmentation`` recognises that structure in an export and returns None for a graph it does not recognise
(another export then runs whole).
"""

import logging
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)
# windows per run of the rest of the model (its LSTMs are ~70% of it): on one thread 4 windows at a time cost ~14%
# fewer CPU seconds than 16 (their features, 7 MB, still in cache; smaller GEMMs per step), with equal outputs
REST_BATCH = 4


@dataclass
class SincFront:
    """The model's first two operations: the window's InstanceNorm (``gamma``, ``beta``, ``epsilon``) and the
    convolution's taps ``filters`` (channels x 1 x taps), applied every ``stride`` samples, no padding."""

    gamma: float
    beta: float
    epsilon: float
    filters: np.ndarray
    stride: int
    feature_input: str  # the name of the rest of the graph's input (the convolution's output, or the pooling's)
    pool: int = 0       # > 0: SincNet's Abs and MaxPool (kernel = stride = pool) run here too, in numpy

    @property
    def taps(self) -> int:
        return self.filters.shape[-1]


def split_segmentation(model_bytes: bytes) -> tuple[SincFront, bytes] | None:
    """(the SincNet front, the ONNX graph from the convolution's output on) of a segmentation-3.0 export, or None
    when the graph does not open with ``InstanceNormalization -> [If ->] Conv`` on a one-channel input."""
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:  # onnx (an insightface dependency) absent: the model runs whole, as before
        log.info("python package onnx not installed: the segmentation model runs whole on every window")
        return None
    model = onnx.load_from_string(model_bytes)
    graph = model.graph
    initial = {i.name: i for i in graph.initializer}
    nodes = list(graph.node)
    norm = next((n for n in nodes if n.op_type == "InstanceNormalization" and n.input[0] == graph.input[0].name),
                None)
    if norm is None:
        return None
    conv, conv_output = _first_conv(nodes, norm.output[0])
    if conv is None or conv.input[1] not in initial or len(conv.input) > 2:
        return None
    attributes = {a.name: helper.get_attribute_value(a) for a in conv.attribute}
    filters = numpy_helper.to_array(initial[conv.input[1]]).astype(np.float32)
    pads = attributes.get("pads", [0, 0])
    if filters.ndim != 3 or filters.shape[1] != 1 or any(pads) or attributes.get("group", 1) != 1 \
            or attributes.get("dilations", [1]) != [1] or attributes.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        return None
    try:
        gamma = float(numpy_helper.to_array(initial[norm.input[1]]).reshape(-1)[0])
        beta = float(numpy_helper.to_array(initial[norm.input[2]]).reshape(-1)[0])
    except (KeyError, IndexError):
        return None
    epsilon = next((a.f for a in norm.attribute if a.name == "epsilon"), 1e-5)
    pool, cut = _abs_max_pool(nodes, conv_output)
    rest = onnx.utils.Extractor(onnx.shape_inference.infer_shapes(model)).extract_model(
        [cut], [o.name for o in graph.output])
    rest.graph.input[0].CopyFrom(helper.make_tensor_value_info(cut, TensorProto.FLOAT, [None, filters.shape[0], None]))
    front = SincFront(gamma, beta, float(epsilon), filters, int(attributes.get("strides", [1])[0]), cut, pool)
    return front, rest.SerializeToString()


def _abs_max_pool(nodes, conv_output: str) -> tuple[int, str]:
    """(kernel, output name) of ``Abs -> MaxPool`` (kernel = stride, no padding) right after the convolution, where
    each is the only reader of its input; (0, ``conv_output``) when the graph goes on otherwise."""
    from onnx import helper

    def readers(name: str) -> list:
        return [n for n in nodes if name in n.input]

    after = readers(conv_output)
    if len(after) != 1 or after[0].op_type != "Abs":
        return 0, conv_output
    pooling = readers(after[0].output[0])
    if len(pooling) != 1 or pooling[0].op_type != "MaxPool" or len(pooling[0].output) != 1:
        return 0, conv_output
    attributes = {a.name: helper.get_attribute_value(a) for a in pooling[0].attribute}
    kernel = attributes.get("kernel_shape", [0])
    if len(kernel) != 1 or attributes.get("strides", [1]) != kernel or any(attributes.get("pads", [0, 0])) \
            or attributes.get("ceil_mode", 0) or attributes.get("dilations", [1]) != [1] \
            or attributes.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        return 0, conv_output
    return int(kernel[0]), pooling[0].output[0]


def _first_conv(nodes, source: str):
    """The Conv that reads ``source`` (directly, or inside the ``then`` branch of an If that only checks the input's
    shape, as torch's export of SincNet has it) and the name of the value that carries its output on."""
    from onnx import helper

    for node in nodes:
        if node.op_type == "Conv" and node.input[0] == source:
            return node, node.output[0]
        if node.op_type == "If":
            branch = next((helper.get_attribute_value(a) for a in node.attribute if a.name == "then_branch"), None)
            inner = [n for n in branch.node] if branch is not None else []
            if len(inner) == 1 and inner[0].op_type == "Conv" and inner[0].input[0] == source:
                return inner[0], node.output[0]
    return None, None


class SharedSincSegmentation:
    """Runs a batch of windows of one stretch of audio: the front once per stride phase, the rest per window."""

    def __init__(self, front: SincFront, rest_bytes: bytes, options, window_samples: int,
                 rest_batch: int = REST_BATCH):
        import onnxruntime
        from onnx import TensorProto, helper, numpy_helper

        self.front, self.window, self.rest_batch = front, window_samples, max(int(rest_batch), 1)
        self.columns = (window_samples - front.taps) // front.stride + 1
        self.tap_sums = front.filters.sum(axis=(1, 2)).astype(np.float32)[None, :, None]  # 1 x channels x 1
        conv = helper.make_graph(
            [helper.make_node("Conv", ["audio", "filters"], ["features"], strides=[front.stride])],
            "sinc_filters", [helper.make_tensor_value_info("audio", TensorProto.FLOAT, [1, 1, None])],
            [helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, front.filters.shape[0], None])],
            [numpy_helper.from_array(front.filters, "filters")])
        conv_model = helper.make_model(conv, opset_imports=[helper.make_opsetid("", 13)])
        conv_model.ir_version = 8
        providers = ["CPUExecutionProvider"]
        self.filters = onnxruntime.InferenceSession(conv_model.SerializeToString(), options, providers=providers)
        self.rest = onnxruntime.InferenceSession(rest_bytes, options, providers=providers)
        self._buffer: np.ndarray | None = None
        self._scratch: np.ndarray | None = None

    def filtered(self, block: np.ndarray, offsets: np.ndarray) -> list[tuple[np.ndarray, int, np.float32, np.ndarray]]:
        """Per window starting at ``offsets`` (samples into ``block``; each ``window_samples`` long): the shared
        convolution's output it reads, its first column there, and its InstanceNorm as an affine map (scale, shift
        per channel). The convolution runs once per stride phase over the stretch those windows cover."""
        f = self.front
        block64 = block.astype(np.float64)
        running = np.concatenate([[0.0], np.cumsum(block64)])
        running_sq = np.concatenate([[0.0], np.cumsum(block64 ** 2)])
        taps = self.tap_sums[0]
        out: list = [None] * len(offsets)
        for phase in np.unique(offsets % f.stride):
            rows = np.flatnonzero(offsets % f.stride == phase)
            first, last = int(offsets[rows].min()), int(offsets[rows].max()) + self.window
            filtered = self.filters.run(None, {"audio": block[None, None, first:last].astype(np.float32)})[0][0]
            for row in rows:
                o = int(offsets[row])
                mean = (running[o + self.window] - running[o]) / self.window
                variance = max((running_sq[o + self.window] - running_sq[o]) / self.window - mean ** 2, 0.0)
                scale = np.float32(f.gamma / np.sqrt(variance + f.epsilon))
                shift = np.float32(f.beta - f.gamma / np.sqrt(variance + f.epsilon) * mean) * taps
                out[row] = (filtered, (o - first) // f.stride, scale, shift)
        return out

    def features(self, block: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """``windows x channels x columns``: the front's output for the windows starting at ``offsets`` (samples
        into ``block``; each window ``window_samples`` long): the normalised convolution, then, where the graph
        goes on with them, its absolute value max-pooled (exact operations: the values the graph would compute).
        The array is a buffer that the next call overwrites."""
        return self.pooled(self.filtered(block, offsets))

    def pooled(self, windows: list[tuple[np.ndarray, int, np.float32, np.ndarray]]) -> np.ndarray:
        """``features`` of windows given by their ``filtered`` entries."""
        f = self.front
        pool = max(f.pool, 1)
        shape = (len(windows), f.filters.shape[0], self.columns // pool)
        if self._buffer is None or self._buffer.shape[0] < shape[0]:
            # kept between batches: a fresh array costs more in page faults than the arithmetic that fills it
            self._buffer = np.empty(shape, dtype=np.float32)
            self._scratch = np.empty(shape[1:], dtype=np.float32)
        out = self._buffer[:shape[0]]
        for row, (filtered, column, scale, shift) in enumerate(windows):
            if not f.pool:
                np.multiply(filtered[:, column:column + self.columns], scale, out=out[row])
                out[row] += shift
                continue
            for k in range(pool):  # max over each pool of |scale * x + shift|, one offset of the pool at a time
                part = self._scratch if k else out[row]
                np.multiply(filtered[:, column + k:column + shape[2] * pool:pool], scale, out=part)
                part += shift
                np.abs(part, out=part)
                if k:
                    np.maximum(out[row], part, out=out[row])
        return out

    def run(self, block: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """The model's output (log powerset probabilities, ``windows x frames x classes``) for those windows: the
        convolution shared by all of them, the rest of the model ``rest_batch`` windows at a time, each run right
        after its features are made (the same outputs as one run over all: rows do not mix)."""
        windows = self.filtered(block, offsets)
        name = self.front.feature_input
        return np.concatenate([self.rest.run(None, {name: self.pooled(windows[lo:lo + self.rest_batch])})[0]
                               for lo in range(0, len(windows), self.rest_batch)])
