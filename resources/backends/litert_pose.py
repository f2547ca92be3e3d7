"""MoveNet SinglePose (TFLite) through ai-edge-litert: the offline CPU default for ``PoseEstimator``.

The crop (with its black margin) is centred on a black square, resized to the model's input with OpenCV's
INTER_AREA and the normalised ``y, x, score`` output is mapped back to the crop's pixels. A square that would be
mostly black is not built: ``area_resize_on_black`` computes OpenCV's INTER_AREA sums over the crop's pixels only,
which gives the same bytes (a black pixel adds an exact 0 to each sum), at a third of the CPU for a 1080p cut-out
with pose_subclusters' margin.
"""

from pathlib import Path

import cv2
import numpy as np

from resources.backends.cue_memo import model_outputs
from resources.errors import MissingWeightsError
from resources.paths import find_model

MOVENET_CANDIDATES = ("pose/movenet_singlepose_lightning_int8_4.tflite", "movenet_singlepose_lightning_int8_4.tflite")


def area_weights(source: int, size: int, start: int, stop: int) -> tuple[int, np.ndarray, np.ndarray]:
    """OpenCV's INTER_AREA table along one axis (``computeResizeAreaTab``: ``source`` pixels to ``size``, a
    shrink by a scale that is not a whole number) for the source pixels ``start:stop`` only: (first output index,
    source index per term and output, float32 weight per term and output). Row t holds each output's t-th term in
    OpenCV's order (the partial pixel before, the whole pixels, the partial pixel after); missing and outside terms
    weigh 0 (at index 0)."""
    scale = 1.0 / (size / source)          # as cv::resize derives it from the two sizes
    first = np.arange(size, dtype=np.float64) * scale
    last = first + scale
    cell = np.minimum(scale, source - first)
    end = np.minimum(np.floor(last), source - 1)
    begin = np.minimum(np.ceil(first), end)
    whole = (end - begin).astype(np.int64)
    terms = int(whole.max()) + 2
    index = np.empty((terms, size), np.int64)
    weight = np.zeros((terms, size), np.float32)
    index[0], weight[0] = begin - 1, np.where(begin - first > 1e-3, (begin - first) / cell, 0)
    for t in range(1, terms - 1):
        index[t], weight[t] = begin + t - 1, np.where(t - 1 < whole, 1.0 / cell, 0)
    index[-1] = end
    weight[-1] = np.where(last - end > 1e-3, np.minimum(np.minimum(last - end, 1.0), cell) / cell, 0)
    inside = (index >= start) & (index < stop)
    weight[~inside] = 0
    used = np.flatnonzero((weight != 0).any(axis=0))
    lo, hi = int(used[0]), int(used[-1]) + 1
    return lo, np.where(inside, index - start, 0)[:, lo:hi], weight[:, lo:hi]


def columns_first(image: np.ndarray) -> np.ndarray:
    """``image`` (H x W x C) as a C-contiguous W x H x C copy: OpenCV's blocked transpose where it takes the pixel
    size (1-4 uint8 channels; a tenth of the CPU of NumPy's strided copy, which was half of
    ``area_resize_on_black``'s on 1080p cut-outs), else NumPy's. The same bytes either way."""
    height, width, channels = image.shape
    if image.dtype == np.uint8 and channels <= 4:
        return cv2.transpose(image).reshape(width, height, channels)
    return np.ascontiguousarray(image.transpose(1, 0, 2))


def area_resize_on_black(image: np.ndarray, side: int, x: int, y: int, size: int) -> np.ndarray:
    """``cv2.resize(canvas, (size, size), interpolation=cv2.INTER_AREA)`` of a black ``side`` x ``side`` canvas
    holding the uint8 ``image`` (H x W x C) at (``x``, ``y``), byte for byte, without building the canvas.

    OpenCV sums each output pixel in float32, row by row (the weighted source pixels of a row, then the weighted
    rows) and rounds half to even; the black pixels' terms are exact zeros, so the same sums in the same order over
    the image's pixels alone give the same floats. A shrink by a whole number (OpenCV's integer path), an
    enlargement, or an image covering more than a quarter of the canvas (OpenCV is then the cheaper: ~2.4 ms a canvas
    megapixel against ~7-11 ms an image megapixel here) builds the canvas and calls OpenCV."""
    scale = 1.0 / (size / side)
    if side <= size or abs(scale - round(scale)) < np.finfo(np.float64).eps or \
            4 * image.shape[0] * image.shape[1] > side * side:
        canvas = np.zeros((side, side, image.shape[2]), np.uint8)
        canvas[y:y + image.shape[0], x:x + image.shape[1]] = image
        return cv2.resize(canvas, (size, size), interpolation=cv2.INTER_AREA)
    h, w = image.shape[:2]
    x0, columns, column_weights = area_weights(side, size, x, x + w)
    y0, rows, row_weights = area_weights(side, size, y, y + h)
    by_column = columns_first(image)    # W x H x C: a source column is one block
    across = np.zeros((columns.shape[1], h, image.shape[2]), np.float32)
    for index, weight in zip(columns, column_weights):
        across += by_column[index] * weight[:, None, None]
    sums = np.zeros((columns.shape[1], rows.shape[1], image.shape[2]), np.float32)
    for index, weight in zip(rows, row_weights):
        sums += across[:, index] * weight[None, :, None]
    out = np.zeros((size, size, image.shape[2]), np.uint8)
    out[y0:y0 + rows.shape[1], x0:x0 + columns.shape[1]] = np.rint(sums).clip(0, 255).astype(np.uint8).transpose(
        1, 0, 2)
    return out


class LitertMoveNetPoseEstimator:
    """MoveNet Lightning / Thunder, int8 or float TFLite, one person per crop."""

    name = "movenet"

    def __init__(self, model: str | None = None, threads: int = 2):
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as error:
            raise ImportError("the movenet pose backend needs ai-edge-litert: "
                              "`pip install ai-edge-litert` (listed in install/requirements.txt)") from error
        path = Path(model) if model else find_model(*MOVENET_CANDIDATES)
        if path is None or not path.exists():
            raise MissingWeightsError(
                "movenet", str(model or MOVENET_CANDIDATES[0]),
                "Put movenet_singlepose_lightning_int8_4.tflite under $CASTFORGE_MODELS/pose/ "
                "(../shared/models/pose has it) or set pose_estimator.model")
        self.model = str(path)
        self._interpreter = Interpreter(model_path=self.model, num_threads=threads)
        self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        self.input_size = int(self._input["shape"][1])

    def release(self) -> None:
        """Frees the TFLite interpreter and its tensors."""
        self._interpreter = None

    def estimate(self, image: np.ndarray, margin: int = 0) -> np.ndarray:
        if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] < 2 or image.shape[1] < 2:
            raise ValueError(f"movenet: expected an RGB image H x W x 3, got shape {image.shape}")
        h, w = image.shape[:2]
        # the image with its margin, centred on a square: the square's side and the margin's corner on it
        side = max(h, w) + 2 * margin
        ox, oy = (side - w - 2 * margin) // 2, (side - h - 2 * margin) // 2
        resized = area_resize_on_black(image, side, ox + margin, oy + margin, self.input_size)
        # a re-cut key frame's seed with the same pixels (cue_memo.py): the first run's keypoints
        out, = model_outputs(self.model, resized, lambda: (self._run(resized),))
        out = out.reshape(17, 3)
        keypoints = np.empty((17, 3), np.float32)
        keypoints[:, 0] = out[:, 1] * side - ox
        keypoints[:, 1] = out[:, 0] * side - oy
        keypoints[:, 2] = out[:, 2]
        keypoints[:, :2] -= margin   # into the image's pixels (two steps, as when the caller padded it)
        return keypoints

    def _run(self, resized: np.ndarray) -> np.ndarray:
        """MoveNet's raw output (1 x 1 x 17 x 3: y, x, score) for the model-sized uint8 square."""
        self._interpreter.set_tensor(self._input["index"], resized[None].astype(self._input["dtype"]))
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output["index"])
