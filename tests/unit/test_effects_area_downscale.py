"""`effects` measures every key frame on a working copy at most 640 px wide (assets/effects/measures.py); a 1080p key
frame (1920 x 1078 after the letterbox crop: 3 x 3.003, a factor OpenCV's generic area path takes) is shrunk through
the compiled ``resources.area_resize.area_resized``, which must give OpenCV's bytes, so the effects found on a 1080p
film stay what they were (docs/film_scale.md, session 57).

On real media: Sintel trailer frames (3D: fire, a sunset, the sun in haze) and Penny & Chip (2D) scaled to the 6-minute film
bench's 1920 x 1078 key frame, and one 1920 x 1080 frame (an exact factor of 3 both ways: OpenCV's own path)."""

import cv2
import numpy as np
import pytest

from assets.effects import measures
from assets.effects.core import frame_detections
from assets.effects.params import EffectParams

FRAME_SIZES = ((1920, 1078), (1920, 1080))
SINTEL_FRAMES = (552, 720, 852)  # burning ruins (fire), a sunset sky, the sun in haze (bloom)


@pytest.fixture(scope="module")
def key_frames(shared) -> list[np.ndarray]:
    import av

    frames = []
    with av.open(str(shared / "media/video/sintel_trailer_480x204.mp4")) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in SINTEL_FRAMES:
                frames.append(frame.to_ndarray(format="bgr24"))
            if len(frames) == len(SINTEL_FRAMES):
                break
    with av.open(str(shared / "media/video/2d/penny_and_chip_26shots_480p.mp4")) as container:
        for at in (12.0, 41.0):
            container.seek(int(at * 1_000_000))
            frames.append(next(container.decode(video=0)).to_ndarray(format="bgr24"))
    return [cv2.resize(frame, FRAME_SIZES[i == len(frames) - 1], interpolation=cv2.INTER_CUBIC)
            for i, frame in enumerate(frames)]


def test_the_working_copy_of_a_1080p_key_frame_is_opencvs_area_shrink_made_by_the_compiled_path(key_frames,
                                                                                                 monkeypatch):
    calls = []

    def counted(image, width, height):
        calls.append((image.shape, width, height))
        return area_resized(image, width, height)

    from resources.area_resize import area_resized

    monkeypatch.setattr(measures, "area_resized", counted)   # raises where the module does not use it
    for bgr in key_frames:
        work, scale = measures.working_copy(bgr)
        expected = cv2.resize(bgr, work.shape[1::-1], interpolation=cv2.INTER_AREA)
        assert work.shape == (round(bgr.shape[0] * 640 / 1920), 640, 3) and scale == pytest.approx(1 / 3)
        assert np.array_equal(work, expected)
    assert len(calls) == len(key_frames)


def test_a_1080p_key_frames_effects_are_those_opencvs_working_copy_gives(key_frames, monkeypatch):
    params = EffectParams()
    compiled = [frame_detections(bgr, [(700.0, 200.0, 1100.0, 1000.0)], params) for bgr in key_frames]
    monkeypatch.setattr(measures, "area_resized",
                        lambda image, width, height: cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA))
    assert compiled == [frame_detections(bgr, [(700.0, 200.0, 1100.0, 1000.0)], params) for bgr in key_frames]
    found = {detection["effect"] for detections in compiled for detection in detections}
    assert {"fire", "bloom"} <= found   # the Sintel frames' effects, seen at 1080p too: not a comparison of nothing
