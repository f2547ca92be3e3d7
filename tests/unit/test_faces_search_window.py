"""The 2D analyzer's YuNet and anime cascade searching only around the instances still without a face
(resources/backends/drawn_faces.py ``detect_around``, ``FaceParams.search_margin``): the window's geometry on
hand-made boxes, and on real Penny & Chip frames the faces the faces stage gives each instance."""

from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from resources.backends.drawn_faces import WINDOW_ALIGN, search_window


@pytest.mark.parametrize("boxes, scale, margin, expected", [
    ([(100, 100, 200, 200)], 1.0, 0.5, (32, 32, 256, 256)),          # widened by 50 px, edges out to 32 px
    ([(100, 100, 200, 200)], 0.5, 0.5, (0, 0, 128, 128)),            # source pixels scaled first
    ([(0, 300, 40, 340), (500, 20, 540, 60)], 1.0, 0.0, (0, 0, 544, 352)),  # the union of two boxes
    ([(10, 10, 840, 470)], 1.0, 0.0, None),                          # most of the frame: the whole frame
    ([(700, 400, 900, 500)], 1.0, 0.25, (640, 320, 854, 480)),       # clipped at the frame's edges
])
def test_the_window_holds_the_widened_boxes_on_a_32_px_grid(boxes, scale, margin, expected):
    window = search_window(boxes, scale, 854, 480, margin)
    assert window == expected
    if window is not None:
        x0, y0, x1, y1 = window
        assert x0 % WINDOW_ALIGN == 0 and y0 % WINDOW_ALIGN == 0
        for bx0, by0, bx1, by1 in np.asarray(boxes) * scale:
            assert x0 <= bx0 and y0 <= by0 and min(bx1, 854) <= x1 and min(by1, 480) <= y1


@pytest.mark.slow
def test_faces_searched_around_the_boxes_are_the_whole_frames_faces(shared, monkeypatch):
    """Penny & Chip frames at 1080 rows (the faces stage's 2D analyzer reads them at 480): each instance's face
    found searching around the boxes is the face the whole-frame search gives it (within a few pixels: the
    network's borders and the cascade's scan grid move with the window), and the detectors were handed the window,
    not the frame."""
    from assets.faces.core import FaceParams, frame_faces
    from resources.backends import drawn_faces
    from resources.backends.onnx_faces import OnnxFaceDetectors

    capture = cv2.VideoCapture(str(shared / "media/video/2d/penny_and_chip_26shots_480p.mp4"))
    frames = []
    for shot in (3, 5, 11):
        capture.set(cv2.CAP_PROP_POS_MSEC, (8 * shot + 3.5) * 1000)
        ok, bgr = capture.read()
        assert ok
        frames.append(cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), None, fx=1080 / bgr.shape[0],
                                 fy=1080 / bgr.shape[0], interpolation=cv2.INTER_CUBIC))
    capture.release()
    recogniser = SimpleNamespace(name="drawn", model="test/none", embedding_dim=4)  # detection only: never embeds
    analyzer = drawn_faces.DrawnFaceAnalyzer(("anime", "yunet"), recogniser, thresholds={"yunet": 0.35})
    sizes = []
    searched = OnnxFaceDetectors.detect

    def recorded(self, image, detector=None):
        sizes.append(image.shape[:2])
        return searched(self, image, detector)

    monkeypatch.setattr(OnnxFaceDetectors, "detect", recorded)
    compared = 0
    for frame in frames:
        whole = dict(frame_faces(frame, boxes := character_boxes(frame, analyzer), analyzer,
                                 FaceParams(search_margin=0.0)))
        sizes.clear()
        around = dict(frame_faces(frame, boxes, analyzer, FaceParams(search_margin=0.5)))
        assert sizes and all(h <= 480 and w <= 854 for h, w in sizes)
        if any(h * w < 0.8 * 480 * 854 for h, w in sizes):
            compared += 1
        assert set(around) == set(whole)
        for instance_id, face in around.items():
            assert face.detector == whole[instance_id].detector
            np.testing.assert_allclose(face.box, whole[instance_id].box, atol=12)
    assert compared >= 1   # at least one frame was searched in a window smaller than the frame
    analyzer.release()


def character_boxes(frame: np.ndarray, analyzer) -> dict[str, tuple[float, float, float, float]]:
    """One instance box per face the whole frame shows (the face, with the body below it), as the instances stage
    would give the faces stage a character's box."""
    faces = analyzer.detect(frame, "yunet") + analyzer.detect(frame, "anime")
    height, width = frame.shape[:2]
    boxes = {}
    for n, face in enumerate(faces):
        x0, y0, x1, y1 = face.box
        side = x1 - x0
        boxes[f"character{n}"] = (max(x0 - 0.5 * side, 0), max(y0 - 0.3 * side, 0), min(x1 + 0.5 * side, width),
                                  min(y1 + 2 * side, height))
    return boxes
