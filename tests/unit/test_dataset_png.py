"""The dataset stage's exported PNGs (assets/datasets/images.encode_png) go through resources/png_writer.py: the
pixels OpenCV's encoder writes, deflated by libdeflate, on a real drawn frame's crops."""

import cv2
import numpy as np
import pytest

from assets.datasets.images import encode_png
from resources.image_codec import _libdeflate
from resources.png_writer import png_bytes


@pytest.fixture(scope="module")
def crops(shared):
    capture = cv2.VideoCapture(str(shared / "media" / "video" / "2d" / "penny_and_chip_26shots_480p.mp4"))
    capture.set(cv2.CAP_PROP_POS_FRAMES, 100)
    ok, bgr = capture.read()
    assert ok
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    return [np.ascontiguousarray(cv2.resize(rgb[:, 200:680], (side, side), interpolation=cv2.INTER_CUBIC))
            for side in (512, 1024)] + [np.ascontiguousarray(rgb[10:331, 5:400])]


def test_an_exported_png_holds_opencvs_pixels_deflated_by_libdeflate(crops):
    if _libdeflate() is None:
        pytest.skip("no libdeflate on this machine: the export stays cv2.imencode's")
    for rgb in crops:
        data = encode_png(rgb, "crop")
        opencv = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[1]
        np.testing.assert_array_equal(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED),
                                      cv2.imdecode(opencv, cv2.IMREAD_UNCHANGED))
        assert data == png_bytes(rgb)   # the writer's file, not OpenCV's
