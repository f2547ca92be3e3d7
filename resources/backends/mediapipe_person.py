"""MediaPipe BlazePose (GHUM lite landmark model, TFLite through ai-edge-litert): a person's 33 body keypoints and
its **person matte**, both in frame pixels, for a region of interest given by a seed's box.

MediaPipe tracks a person with a square ROI centred on the body and 1.25 times as large as it (the pose detector's
hips-to-head circle, grown by 1.25); the landmark model reads that ROI at 256 x 256 (RGB float in [0, 1]) and
returns 39 points (x, y, z in ROI pixels, visibility and presence logits; the first 33 are the body's), a pose flag
(the probability that a person fills the ROI) and a 256 x 256 segmentation logit map. Here the ROI comes from a box
that already holds the character (a detector's person box, a body guessed below a face), so the detector is not run.

Boxes are x0, y0, x1, y1 in the image's pixels; the image is RGB uint8 H x W x 3.
"""

import cv2
import numpy as np

from resources.backends.cue_memo import model_outputs
from resources.backends.litert_interpreter import open_litert_model

BLAZEPOSE_LANDMARK = "pose/mp_pose_landmark_lite.tflite"
ROI_GROWTH = 1.25  # MediaPipe's pose ROI: the body's square, grown by this much


class PersonMatte:
    """keypoints: 33 x 4 (x, y frame pixels, visibility, presence in [0, 1]); matte: float32 in [0, 1], the
    image's size, 0 outside the ROI; roi: bool, the image's size, the pixels the model saw; score: the pose flag.

    ``matte`` and ``roi`` are warped back to the image's size on first read: a caller that reads only the pose flag
    (a candidate the flag rejects) or never the ROI pays for neither (two full-frame warps, ~2 of BlazePose's ~16
    CPU-ms a call on a 854 x 480 frame)."""

    def __init__(self, keypoints: np.ndarray, score: float, logits: np.ndarray, forward: np.ndarray,
                 image_size: tuple[int, int]):
        self.keypoints, self.score = keypoints, score
        self._logits, self._forward, self._image_size = logits, forward, image_size
        self._matte: np.ndarray | None = None
        self._roi: np.ndarray | None = None

    def _back(self, plane: np.ndarray) -> np.ndarray:
        return cv2.warpAffine(plane, self._forward, self._image_size, flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0)

    @property
    def matte(self) -> np.ndarray:
        if self._matte is None:
            self._matte = self._back(_sigmoid(self._logits).astype(np.float32))
        return self._matte

    @property
    def roi(self) -> np.ndarray:
        if self._roi is None:
            self._roi = self._back(np.ones(self._logits.shape, np.uint8)).astype(bool)
        return self._roi


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60.0, 60.0)))


def roi_transform(box: tuple[float, float, float, float], size: int, growth: float = ROI_GROWTH) -> np.ndarray:
    """2 x 3 affine map from image pixels to the model's ``size`` x ``size`` input: the square centred on ``box``
    whose side is ``growth`` times the box's longer side (upright)."""
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0, 1.0) * growth
    scale = size / side
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return np.float32([[scale, 0, size / 2 - cx * scale], [0, scale, size / 2 - cy * scale]])


class MediapipePersonMatte:
    """BlazePose lite on a box's ROI: ``estimate(rgb, box)`` -> PersonMatte in the image's pixels."""

    name = "blazepose_lite"

    def __init__(self, model: str | None = None, threads: int | None = None):
        self._interpreter, self.model = open_litert_model("blazepose_lite", BLAZEPOSE_LANDMARK,
                                                          "BlazePose person matte", model, threads)
        entry = self._interpreter.get_input_details()[0]
        self._input, self.size = entry["index"], int(entry["shape"][1])
        outputs = {tuple(d["shape"][1:]): d["index"] for d in self._interpreter.get_output_details()}
        # by shape, not by the converter's tensor names: 195 = 39 points x 5, (1,) the pose flag, the matte's logits
        self._points, self._flag = outputs[(195,)], outputs[(1,)]
        self._matte = outputs[(self.size, self.size, 1)]

    def release(self) -> None:
        """Frees the TFLite interpreter and its tensors."""
        self._interpreter = None

    def estimate(self, rgb: np.ndarray, box: tuple[float, float, float, float]) -> PersonMatte:
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"blazepose: expected an RGB image H x W x 3, got shape {rgb.shape}")
        height, width = rgb.shape[:2]
        forward = roi_transform(box, self.size)
        crop = cv2.warpAffine(rgb, forward, (self.size, self.size), flags=cv2.INTER_AREA,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
        # a re-cut key frame's seed with the same pixels in its ROI: the first run's outputs (cue_memo.py)
        points, flag, logits = model_outputs(self.model, crop, lambda: self._run(crop))
        points, flag = points.reshape(39, 5)[:33], float(flag.reshape(-1)[0])
        scale, ox, oy = forward[0, 0], forward[0, 2], forward[1, 2]
        keypoints = np.c_[(points[:, 0] - ox) / scale, (points[:, 1] - oy) / scale,
                          _sigmoid(points[:, 3]), _sigmoid(points[:, 4])].astype(np.float32)
        return PersonMatte(keypoints, flag, logits, forward, (width, height))

    def _run(self, crop: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The landmark model's raw outputs for the 256 x 256 uint8 ROI: points (195,), pose flag, matte logits."""
        self._interpreter.set_tensor(self._input, (crop[None].astype(np.float32) / 255.0))
        self._interpreter.invoke()
        return (self._interpreter.get_tensor(self._points), self._interpreter.get_tensor(self._flag),
                self._interpreter.get_tensor(self._matte)[0, :, :, 0])
