"""`instances` shrinks a 1080p key frame by OpenCV's area filter in many places (the analysis frame, YuNet's,
YOLOX's and DeepLab's inputs, the frame GrabCut refines, the flow size, the cel-fill map, the overlay); each goes
through the compiled ``resources.area_resize.area_resized`` and must give OpenCV's bytes, so a 1080p film's cut-outs
stay what they were (docs/film_scale.md, session 51). A shot's key frames make their motion pictures once.

On real media: Penny & Chip (480p) scaled to 1920 x 1078, the film_scale bench's letterboxed 1080p frame after the
frames stage's crop, three key frames half a second apart (one shot)."""

import importlib

import cv2
import numpy as np
import pytest

from resources import area_resize

# every module of the stage that shrinks a colour frame by area
SHRINKING = ("resources.analysis_frame", "resources.backends.character_cues", "resources.backends.yolox_boxes",
             "resources.backends.opencv_characters",
             "assets.instances.artefacts", "assets.instances.shot_consistency")
FRAME_SIZE = (1920, 1078)  # the 6-minute film's key frames (the letterbox crop [0, 0, 1920, 1078])


@pytest.fixture(scope="module")
def shot_frames(shared) -> list[np.ndarray]:
    import av

    video = shared / "media/video/2d/penny_and_chip_26shots_480p.mp4"
    frames = []
    with av.open(str(video)) as container:
        container.seek(40_000_000)
        for index, frame in enumerate(container.decode(video=0)):
            if index % 12 == 0:
                frames.append(cv2.resize(frame.to_ndarray(format="rgb24"), FRAME_SIZE, interpolation=cv2.INTER_CUBIC))
            if len(frames) == 3:
                return frames
    return frames


def opencv_area(image: np.ndarray, width: int, height: int) -> np.ndarray:
    return cv2.resize(np.ascontiguousarray(image), (width, height), interpolation=cv2.INTER_AREA)


def with_resize(monkeypatch, resize) -> dict[str, int]:
    """Every shrinking module's ``area_resized`` replaced by ``resize``, its calls counted per module."""
    calls = {name: 0 for name in SHRINKING}
    for name in SHRINKING:
        module = importlib.import_module(name)

        def counted(image, width, height, name=name):
            calls[name] += 1
            return resize(image, width, height)

        monkeypatch.setattr(module, "area_resized", counted)   # raises where a module does not use it
    return calls


def cut(shot_frames: list[np.ndarray], n: int) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, list]:
    """Key frame ``n`` segmented as the drawn shots of the 6-minute film are (anime faces, 480-row analysis, the
    shot's motion), and its overlay, cel fills and flow-size frame: (masks, overlay, fills, flow-size frame, shifts)."""
    from assets.instances.artefacts import frame_cel_fills, overlay
    from assets.instances.core import neighbour_motion
    from assets.instances.shot_consistency import rgb_at_flow_size
    from resources.backends.character_motion import greys_once
    from resources.segmenter import SegmenterResource

    motion = neighbour_motion(shot_frames, n, greys_once(shot_frames))
    found, _ = SegmenterResource(backend="characters").segment_frame(
        shot_frames[n], anime_faces=True, analysis_max_height=480, motion=motion)
    masks = [f["mask"] for f in found]
    assert masks, "the key frame should hold a character"
    return (masks, overlay(shot_frames[n], masks, [str(i) for i in range(len(masks))]),
            frame_cel_fills(shot_frames[n]), rgb_at_flow_size(shot_frames[n]), motion.shifts())


def test_a_1080p_drawn_key_frame_is_cut_the_same_with_the_compiled_area_downscales(shot_frames, monkeypatch):
    with monkeypatch.context() as patch:
        with_resize(patch, opencv_area)
        expected = cut(shot_frames, 1)
    calls = with_resize(monkeypatch, area_resize.area_resized)
    got = cut(shot_frames, 1)
    masks, expected_masks = got[0], expected[0]
    assert len(masks) == len(expected_masks)
    assert all(np.array_equal(a, b) for a, b in zip(masks, expected_masks))
    for a, b in zip(got[1:4], expected[1:4]):   # overlay, cel fills, the frame at the flow's size
        assert a.shape == b.shape and np.array_equal(a, b)
    assert got[4] == expected[4]   # the camera's shifts from the motion pictures
    # every frame-sized shrink went through the compiled resize (the analysis frame, YuNet, YOLOX, DeepLab, the
    # GrabCut frame, the flow size, the cel fills, the overlay)
    assert all(calls[name] > 0 for name in SHRINKING), calls


@pytest.mark.parametrize("size", [(855, 480), (320, 180), (962, 540), (960, 539), (416, 234), (640, 359)])
def test_the_stages_sizes_of_a_1080p_frame_are_opencvs_bytes(shot_frames, size):
    """The analysis frame, the motion picture (a factor of 6 across: left to OpenCV, as fast), the overlay, the
    cel-fill map, YOLOX's letterbox, the cue models' 640 pixels: OpenCV's generic area path where a factor is not a
    whole number on one side, its own resize where both are."""
    for rgb in shot_frames:
        assert np.array_equal(area_resize.area_resized(rgb, *size), opencv_area(rgb, *size))
        window = rgb[101:817, 333:1290]   # a view read in place
        assert np.array_equal(area_resize.area_resized(window, 256, 192), opencv_area(window, 256, 192))
        assert np.array_equal(area_resize.area_resized(window, *window.shape[1::-1]), window)  # no shrink


def test_a_shots_key_frames_make_their_motion_pictures_once(shot_frames, monkeypatch):
    """Each key frame is its own frame and its neighbours' neighbour: one picture each, the same moving maps."""
    from assets.instances.core import neighbour_motion
    from resources.backends import character_motion

    plain = [neighbour_motion(shot_frames, n) for n in range(3)]
    expected = [(m(), m.shifts()) for m in plain]
    made = []
    real = character_motion.motion_grey
    monkeypatch.setattr(character_motion, "motion_grey", lambda rgb: made.append(id(rgb)) or real(rgb))
    greys = character_motion.greys_once(shot_frames)
    shared = [neighbour_motion(shot_frames, n, greys) for n in range(3)]
    got = [(m(), m.shifts()) for m in shared]
    assert sorted(made) == sorted(id(f) for f in shot_frames)   # 3 pictures, not 1 + 2 + 2 + 2 = 7
    for (moving, shifts), (want, want_shifts) in zip(got, expected):
        assert shifts == want_shifts
        assert (moving is None and want is None) or np.array_equal(moving, want)
    # an array that is not one of the shot's frames is made anew, never answered by identity
    other = shot_frames[0].copy()
    assert np.array_equal(greys(other), real(other)) and len(made) == 4
