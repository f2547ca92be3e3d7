"""BlazePose's person detector (resources/backends/mediapipe_pose_detector.py) decoded as MediaPipe decodes it, on
real photographs of two people side by side: one detection per person, its face box on that person's face, the
shoulders below the face and the hips below the shoulders; and the same photos decoded with a wrong anchor layout
fail those checks (so the checks hold the decoding)."""

import cv2
import numpy as np
import pytest

# two people side by side; each face's centre read off the photo by eye (x, y in its pixels)
PHOTOS = {
    "media/faces/knn_examples/test/obama_and_biden.jpg": [(870, 470), (1230, 460)],
    "media/faces/knn_examples/test/kit_with_rose.jpg": [(122, 195), (330, 180)],
}


@pytest.fixture(scope="module")
def detector(shared):
    import os

    os.environ["CASTFORGE_MODELS"] = str(shared / "models")
    from resources.backends.mediapipe_pose_detector import MediapipePoseDetector

    return MediapipePoseDetector(threads=1)


def _people_found(detections, faces) -> int:
    """How many of ``faces`` have a detection of their own: face box around that face and not around the other one,
    shoulders below the face, hips below the shoulders, the body's circle larger than the face."""
    found = set()
    for detection in detections:
        x0, y0, x1, y1 = detection.face
        for index, (fx, fy) in enumerate(faces):
            (ox, oy) = faces[1 - index]
            if x0 < fx < x1 and y0 < fy < y1 and not (x0 < ox < x1 and y0 < oy < y1):
                shoulders, hips = detection.shoulders, detection.hips
                if fy < shoulders[1] < hips[1] and detection.body_radius > (y1 - y0):
                    found.add(index)
    return len(found)


def test_anchor_layout_is_mediapipes():
    from resources.backends.mediapipe_pose_detector import ssd_anchors

    anchors = ssd_anchors()
    assert anchors.shape == (2254, 2)  # 28*28*2 + 14*14*2 + 7*7*6
    assert np.allclose(anchors[0], [0.5 / 28, 0.5 / 28]) and np.allclose(anchors[1], anchors[0])
    assert np.allclose(anchors[2], [1.5 / 28, 0.5 / 28])  # along the row first
    assert np.allclose(anchors[1568], [0.5 / 14, 0.5 / 14])
    assert np.allclose(anchors[1960:1966], [0.5 / 7, 0.5 / 7]) and np.allclose(anchors[-1], [6.5 / 7, 6.5 / 7])


@pytest.mark.parametrize("photo", sorted(PHOTOS))
def test_each_person_in_a_photo_is_found_with_body_keypoints(shared, detector, photo):
    rgb = cv2.cvtColor(cv2.imread(str(shared / photo)), cv2.COLOR_BGR2RGB)
    detections = detector.detect(rgb)
    assert len(detections) == 2 and all(d.score >= 0.5 for d in detections)
    assert _people_found(detections, PHOTOS[photo]) == 2


def test_a_wrong_anchor_layout_loses_the_people(shared, detector):
    from resources.backends.mediapipe_pose_detector import ssd_anchors

    right = detector.anchors
    try:
        # the grid read column by column (x and y swapped), a common slip in porting SsdAnchorsCalculator
        detector.anchors = np.ascontiguousarray(right[:, ::-1])
        for photo, faces in PHOTOS.items():
            rgb = cv2.cvtColor(cv2.imread(str(shared / photo)), cv2.COLOR_BGR2RGB)
            detections = detector.detect(rgb)
            assert len(detections) != 2 or _people_found(detections, faces) < 2  # each photo fails the check
    finally:
        detector.anchors = right
