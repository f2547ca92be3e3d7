"""MediaPipe's BlazePose **person detector** (pose/mp_pose_detection.tflite, TFLite through ai-edge-litert): where
people are in a whole frame, each as a face box and four body keypoints, decoded as MediaPipe's pose_detection graph
decodes them.

The graph (mediapipe/modules/pose_detection/pose_detection_cpu.pbtxt) letterboxes the frame into a 224 x 224 square
(zero border, RGB in [-1, 1]) and reads 2254 SSD anchors: 5 layers of strides 8, 16, 32, 32, 32 with 2 anchors per
cell each (aspect ratio 1 and the interpolated scale), layers of the same stride sharing their grid, so 28 x 28 x 2 +
14 x 14 x 2 + 7 x 7 x 6; every anchor is 1 x 1 (fixed anchor size) at its cell's centre. Each anchor gives 12 values
(x, y, w, h of the box, then 4 keypoints x, y, all in 224-pixel units relative to the anchor's centre) and a score
logit (clipped to +-100, sigmoid). The box is the person's **face**; keypoint 0 is the mid-hip centre, keypoint 1 a
point whose distance from the hips is the radius of the circle holding the whole body (its direction the body's
axis), keypoint 2 the mid-shoulder centre and keypoint 3 the same kind of point for the upper body. Detections above
0.5 are merged by weighted non-maximum suppression (IoU 0.3 of the face boxes): each kept detection is the
score-weighted mean of those it overlaps. MediaPipe's landmark ROI is then the square centred on the hips whose side
is twice that radius, grown by 1.25 (mediapipe_person.ROI_GROWTH).

Boxes and points are in the image's pixels (x, y); the image is RGB uint8 H x W x 3.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from resources.backends.litert_interpreter import open_litert_model


BLAZEPOSE_DETECTOR = "pose/mp_pose_detection.tflite"
INPUT_SIZE = 224
STRIDES = (8, 16, 32, 32, 32)  # SsdAnchorsCalculator's layers; 2 anchors per cell per layer
MIN_SCORE = 0.5               # pose_detection_cpu.pbtxt's min_score_thresh
SUPPRESSION_IOU = 0.3         # its NonMaxSuppressionCalculator (WEIGHTED, INTERSECTION_OVER_UNION)
SCORE_CLIP = 100.0


@dataclass
class PersonDetection:
    """score in [0, 1]; face: x0, y0, x1, y1; keypoints: 4 x 2 (hips, full-body circle point, shoulders, upper-body
    circle point), all in the image's pixels."""

    score: float
    face: tuple[float, float, float, float]
    keypoints: np.ndarray

    @property
    def hips(self) -> np.ndarray:
        return self.keypoints[0]

    @property
    def shoulders(self) -> np.ndarray:
        return self.keypoints[2]

    @property
    def body_radius(self) -> float:
        """Radius of the circle around the hips that holds the whole body."""
        return float(np.hypot(*(self.keypoints[1] - self.keypoints[0])))

    def body_box(self) -> tuple[float, float, float, float]:
        """The whole body's square: centred on the hips, side twice the body radius (MediaPipe's ROI before its 1.25
        growth)."""
        (cx, cy), r = self.hips, self.body_radius
        return (float(cx - r), float(cy - r), float(cx + r), float(cy + r))


def ssd_anchors(size: int = INPUT_SIZE, strides: tuple[int, ...] = STRIDES) -> np.ndarray:
    """N x 2 anchor centres in [0, 1] (x, y), in MediaPipe's order: layers of one stride share a grid, cell by cell
    (rows, then columns), 2 anchors per layer in the cell."""
    centres = []
    layer = 0
    while layer < len(strides):
        stride, per_cell = strides[layer], 0
        while layer < len(strides) and strides[layer] == stride:
            per_cell += 2
            layer += 1
        cells = int(np.ceil(size / stride))
        ys, xs = np.mgrid[0:cells, 0:cells]
        grid = np.c_[(xs.ravel() + 0.5) / cells, (ys.ravel() + 0.5) / cells]
        centres.append(np.repeat(grid, per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


def decode(raw: np.ndarray, logits: np.ndarray, anchors: np.ndarray, min_score: float = MIN_SCORE,
           size: int = INPUT_SIZE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw N x 12 regressors and N score logits -> (scores K, boxes K x 4 as x0, y0, x1, y1, keypoints K x 4 x 2),
    in [0, 1] of the model's square, for the anchors scoring at least ``min_score``."""
    scores = 1.0 / (1.0 + np.exp(-np.clip(logits.reshape(-1).astype(np.float64), -SCORE_CLIP, SCORE_CLIP)))
    # a box of no positive size is no detection: the model gives some anchors logits in the thousands with inverted
    # boxes on flat cartoon areas (Penny & Chip, Sintel's sky)
    keep = np.flatnonzero((scores >= min_score) & (raw[:, 2] > 0) & (raw[:, 3] > 0))
    values, centre = raw[keep] / size, anchors[keep]
    cx, cy = values[:, 0] + centre[:, 0], values[:, 1] + centre[:, 1]
    half_w, half_h = values[:, 2] / 2, values[:, 3] / 2
    boxes = np.c_[cx - half_w, cy - half_h, cx + half_w, cy + half_h]
    points = values[:, 4:12].reshape(-1, 4, 2) + centre[:, None, :]
    return scores[keep], boxes, points


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    width = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    height = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = width * height
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = (box[2] - box[0]) * (box[3] - box[1]) + areas - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def weighted_suppression(scores: np.ndarray, boxes: np.ndarray, points: np.ndarray,
                         threshold: float = SUPPRESSION_IOU) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """MediaPipe's WEIGHTED non-maximum suppression: best first, each kept detection the score-weighted mean of the
    remaining ones whose box overlaps it by more than ``threshold`` IoU (its score the best one's)."""
    order = list(np.argsort(-scores, kind="stable"))
    kept = []
    while order:
        best = order[0]
        overlap = _iou(boxes[best], boxes[order]) > threshold
        overlap[0] = True  # the best one always joins its own group (a degenerate box overlaps nothing)
        group = [order[i] for i in np.flatnonzero(overlap)]
        weights = scores[group] / scores[group].sum()
        kept.append((float(scores[best]), (boxes[group] * weights[:, None]).sum(0),
                     (points[group] * weights[:, None, None]).sum(0)))
        order = [order[i] for i in np.flatnonzero(~overlap)]
    return kept


class MediapipePoseDetector:
    """BlazePose's person detector on a whole frame: ``detect(rgb)`` -> list[PersonDetection], best first."""

    name = "blazepose_detector"

    def __init__(self, model: str | None = None, threads: int | None = None, min_score: float = MIN_SCORE):
        self._interpreter, self.model = open_litert_model("blazepose_detector", BLAZEPOSE_DETECTOR,
                                                          "BlazePose person detector", model, threads)
        self.min_score = min_score
        entry = self._interpreter.get_input_details()[0]
        self._input = entry["index"]
        outputs = {int(d["shape"][-1]): d["index"] for d in self._interpreter.get_output_details()}
        self._raw, self._logits = outputs[12], outputs[1]  # by shape: 1 x 2254 x 12 regressors, 1 x 2254 x 1 scores
        self.anchors = ssd_anchors()

    def release(self) -> None:
        """Frees the TFLite interpreter and its tensors."""
        self._interpreter = None

    def detect(self, rgb: np.ndarray) -> list[PersonDetection]:
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"blazepose detector: expected an RGB image H x W x 3, got shape {rgb.shape}")
        height, width = rgb.shape[:2]
        # letterbox as ImageToTensorCalculator's keep_aspect_ratio: the frame scaled to fit, centred, zero border
        fit = INPUT_SIZE / max(height, width)
        new_w, new_h = max(1, round(width * fit)), max(1, round(height * fit))
        left, top = (INPUT_SIZE - new_w) // 2, (INPUT_SIZE - new_h) // 2
        square = np.zeros((INPUT_SIZE, INPUT_SIZE, 3), np.uint8)
        square[top:top + new_h, left:left + new_w] = cv2.resize(rgb, (new_w, new_h), interpolation=cv2.INTER_AREA)
        self._interpreter.set_tensor(self._input, (square[None].astype(np.float32) / 127.5 - 1.0))
        self._interpreter.invoke()
        raw = self._interpreter.get_tensor(self._raw)[0]
        logits = self._interpreter.get_tensor(self._logits)[0]
        found = weighted_suppression(*decode(raw, logits, self.anchors, self.min_score))

        def to_image(xy: np.ndarray) -> np.ndarray:
            return np.stack([(xy[..., 0] * INPUT_SIZE - left) * width / new_w,
                             (xy[..., 1] * INPUT_SIZE - top) * height / new_h], axis=-1)

        detections = []
        for score, box, points in found:
            corners = to_image(box.reshape(2, 2))
            face = (float(corners[0, 0]), float(corners[0, 1]), float(corners[1, 0]), float(corners[1, 1]))
            detections.append(PersonDetection(score, face, to_image(points).astype(np.float32)))
        return detections
