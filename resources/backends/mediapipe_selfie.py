"""MediaPipe selfie segmentation (TFLite through ai-edge-litert): a person's matte for a head-and-shoulders view, hair
included, in frame pixels, for a region of interest given by a seed's box.

The model reads a 256 x 256 RGB image (float in [0, 1]) and returns a 256 x 256 matte in [0, 1]; it was trained on
people close to a camera (a head and shoulders filling the picture). Here its input is the square centred on the
seed's box, ROI_GROWTH times its longer side (as mediapipe_person.py reads BlazePose's ROI), so a rendered close-up's
hair and arms that GrabCut gave to a background of their colours are in its matte. On drawn characters seen whole its
sure pixels spill onto the background (session 8, docs/instances.md), so the segmenter uses it on rendered shots only.

Boxes are x0, y0, x1, y1 in the image's pixels; the image is RGB uint8 H x W x 3.
"""

import cv2
import numpy as np

from resources.backends.litert_interpreter import open_litert_model
from resources.backends.mediapipe_person import ROI_GROWTH, roi_transform

SELFIE_SEGMENTATION = "seg/mp_selfie_segmentation.tflite"


class MediapipeSelfieMatte:
    """Selfie segmentation on a box's ROI: ``estimate(rgb, box)`` -> float32 matte in [0, 1], the image's size (0
    outside the ROI)."""

    name = "mediapipe_selfie"

    def __init__(self, model: str | None = None, threads: int | None = None):
        self._interpreter, self.model = open_litert_model("mediapipe_selfie", SELFIE_SEGMENTATION, "selfie matte",
                                                          model, threads)
        entry = self._interpreter.get_input_details()[0]
        self._input, self.size = entry["index"], int(entry["shape"][1])
        self._output = self._interpreter.get_output_details()[0]["index"]

    def release(self) -> None:
        """Frees the TFLite interpreter and its tensors."""
        self._interpreter = None

    def estimate(self, rgb: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"selfie matte: expected an RGB image H x W x 3, got shape {rgb.shape}")
        height, width = rgb.shape[:2]
        forward = roi_transform(box, self.size, ROI_GROWTH)
        crop = cv2.warpAffine(rgb, forward, (self.size, self.size), flags=cv2.INTER_AREA,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
        self._interpreter.set_tensor(self._input, crop[None].astype(np.float32) / 255.0)
        self._interpreter.invoke()
        matte = self._interpreter.get_tensor(self._output)[0, :, :, 0].astype(np.float32)
        return cv2.warpAffine(matte, forward, (width, height), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0)
