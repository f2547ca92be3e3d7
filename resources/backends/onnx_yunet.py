"""YuNet (face_detection_yunet_2023mar.onnx) on onnxruntime with OpenCV FaceDetectorYN's decoding: the same rows
to within float rounding in ~0.57x its CPU.

OpenCV's DNN runs YuNet's network in 23-24 CPU-ms on a 854 x 480 analysis frame; onnxruntime's kernels take 13-14
(356 key frames of the 2- and 6-minute 1080p films, one thread). The ONNX graph declares a 640 x 640 input, but its
reshapes flatten with -1, so it runs at any size once the input's height and width are left open. Around the
network this does what FaceDetectorYN does: the BGR image padded with zeros to a multiple of 32 on the right and
bottom, each stride's anchors decoded (score sqrt(cls x obj), both clamped to [0, 1]; box centre (c + dx) x stride,
size exp(dw) x stride; landmarks (c + kx) x stride), anchors scoring below the threshold dropped, and with two or
more left, ``cv2.dnn.NMSBoxes`` on their boxes truncated to integers, with OpenCV's score threshold, NMS threshold and
top_k. Rows are (x, y, w, h, five landmark (x, y), score), float32, best first after NMS, as OpenCV returns them.
"""

from functools import lru_cache

import cv2
import numpy as np

from resources.cores import model_threads

STRIDES = (8, 16, 32)
ROW_WIDTH = 15


@lru_cache(maxsize=2)
def open_graph(weights: str) -> bytes:
    """The model's bytes with the input's height and width left open (and the outputs' anchor counts)."""
    import onnx

    model = onnx.load(weights)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[2].dim_param, dims[3].dim_param = "height", "width"
    for output in model.graph.output:
        output.type.tensor_type.shape.dim[1].dim_param = "anchors"
    return model.SerializeToString()


class OnnxYunet:
    """``detect(bgr)`` -> (N, 15) float32 rows, FaceDetectorYN's layout and rules (see the module's docstring)."""

    def __init__(self, weights: str, score_threshold: float, nms_threshold: float, top_k: int):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = model_threads()
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # as YOLOX's: no busy-waiting
        options.log_severity_level = 3   # the graph's declared 640 x 640 output sizes are not errors here
        self.session = ort.InferenceSession(open_graph(str(weights)), options, providers=["CPUExecutionProvider"])
        self.outputs = [output.name for output in self.session.get_outputs()]
        self.score_threshold, self.nms_threshold, self.top_k = float(score_threshold), float(nms_threshold), top_k

    def detect(self, bgr: np.ndarray) -> np.ndarray:
        height, width = bgr.shape[:2]
        padded_h, padded_w = -(-height // 32) * 32, -(-width // 32) * 32
        padded = cv2.copyMakeBorder(bgr, 0, padded_h - height, 0, padded_w - width, cv2.BORDER_CONSTANT, value=0)
        out = dict(zip(self.outputs, self.session.run(None, {"input": padded.transpose(2, 0, 1)[None]
                                                                            .astype(np.float32)})))
        faces = [self._decoded(out, stride, padded_w // stride) for stride in STRIDES]
        rows = np.concatenate(faces)
        if len(rows) > 1:
            boxes = [tuple(int(v) for v in box) for box in rows[:, :4]]
            keep = cv2.dnn.NMSBoxes(boxes, rows[:, 14].tolist(), self.score_threshold, self.nms_threshold,
                                    eta=1.0, top_k=self.top_k)
            rows = rows[np.asarray(keep, np.intp).reshape(-1)]
        return rows

    def _decoded(self, out: dict, stride: int, columns: int) -> np.ndarray:
        """One stride's anchors scoring at least the threshold, in raster order, as float32 rows."""
        cls = np.clip(out[f"cls_{stride}"][0, :, 0], 0.0, 1.0)
        obj = np.clip(out[f"obj_{stride}"][0, :, 0], 0.0, 1.0)
        score = np.sqrt(cls * obj)
        index = np.flatnonzero(score >= np.float32(self.score_threshold))
        row, col = (index // columns).astype(np.float32), (index % columns).astype(np.float32)
        box, points = out[f"bbox_{stride}"][0, index], out[f"kps_{stride}"][0, index]
        s = np.float32(stride)
        cx, cy = (col + box[:, 0]) * s, (row + box[:, 1]) * s
        w, h = np.exp(box[:, 2]) * s, np.exp(box[:, 3]) * s
        faces = np.empty((len(index), ROW_WIDTH), np.float32)
        faces[:, 0], faces[:, 1], faces[:, 2], faces[:, 3] = cx - w / np.float32(2), cy - h / np.float32(2), w, h
        faces[:, 4:14:2] = (points[:, 0::2] + col[:, None]) * s
        faces[:, 5:14:2] = (points[:, 1::2] + row[:, None]) * s
        faces[:, 14] = score[index]
        return faces
