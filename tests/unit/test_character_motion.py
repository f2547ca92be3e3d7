"""A faceless drawn figure's object box confirmed by its motion against the shot's neighbouring key frames
(resources/backends/character_motion.py).

On real media: the Kenney tune film's shot 8 (``bench/kenney_film.py``, seed 23, 480 rows: the zombie walking
alone), rendered frame by frame as the film is built. At its frame 76 YOLOX boxes the zombie (objectness 0.73) but
finds no face at its head and BlazePose no figure in it, so before motion it had no seed; with the two key frames
half a second before and after, the box moves (about a third of it) while the background stands still, and the
zombie is cut (mask IoU 0.65 before matting). Motion confirms nothing without neighbours (an image), nor in a frame that the camera's shift does not
explain; and hand-made frames for the moving map."""

import numpy as np
import pytest

from resources.backends.character_motion import moving_figure, moving_map, moving_shares, shot_motion
from tests.conftest import kenney_tune_film

SHOT, FRAME, APART = 8, 76, 12  # the shot, the key frame, its neighbours this many frames (0.5 s) away


def tune_film_shot(number: int):
    """Shot ``number`` of the Kenney tune film (seed 23, 480 rows) as ``bench/kenney_film.py`` builds it: (its plan,
    its frames as ``render_shot`` yields them); skips without the Kenney characters."""
    plan, render = kenney_tune_film(23)
    return plan[number], render(plan[number])


@pytest.fixture(scope="module")
def zombie_frames(shared):
    """(the previous, the key and the next frame of the shot (RGB), the zombie's visible alpha at the key frame)."""
    shot, rendered = tune_film_shot(SHOT)
    assert [c["character"] for c in shot["characters"]] == ["zombie"]
    frames, truth = {}, None
    for index, (rgb, layers) in enumerate(rendered):
        if index in (FRAME - APART, FRAME, FRAME + APART):
            frames[index] = rgb
            truth = layers[0][1] >= 0.5 if index == FRAME else truth
        if index >= FRAME + APART:
            break
    return frames[FRAME - APART], frames[FRAME], frames[FRAME + APART], truth


@pytest.fixture(scope="module")
def segmenter(drawn_cues):
    from resources.backends.opencv_characters import OpencvCharacterSegmenter

    return OpencvCharacterSegmenter(cues=drawn_cues)


def _best_iou(segmenter, zombie_frames, motion) -> float:
    from assets.instances.composites import mask_iou

    rgb, truth = zombie_frames[1], zombie_frames[3]
    cues = segmenter.cues(rgb)
    cues.motion = motion
    return max((mask_iou(item["mask"], truth) for item in segmenter.segment(rgb, cues)), default=0.0)


def test_a_walking_faceless_figure_is_cut_where_its_box_moves_against_the_shot(segmenter, zombie_frames):
    before, rgb, after, _ = zombie_frames
    assert _best_iou(segmenter, zombie_frames, shot_motion(rgb, [before, after])) > 0.6


def test_without_neighbours_the_same_figure_has_no_seed(segmenter, zombie_frames):
    rgb = zombie_frames[1]
    assert _best_iou(segmenter, zombie_frames, None) < 0.1
    assert _best_iou(segmenter, zombie_frames, shot_motion(rgb, [])) < 0.1


def test_the_zombie_moves_and_the_background_does_not(zombie_frames):
    before, rgb, after, truth = zombie_frames
    ys, xs = np.nonzero(truth)
    box = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float32)
    inside, ring, elsewhere = moving_shares(box, rgb.shape, moving_map(rgb, [before, after]))
    assert inside > 0.15 and ring < 0.05 and elsewhere < 0.01
    # a box as large on the background beside it does not move
    step = -1.2 * (box[2] - box[0]) if box[0] > rgb.shape[1] / 2 else 1.2 * (box[2] - box[0])
    beside = box + np.array([step, 0, step, 0], np.float32)
    assert moving_shares(beside, rgb.shape, moving_map(rgb, [before, after]))[0] < 0.02


def _scenery(shift: int = 0) -> np.ndarray:
    """A 240 x 320 window on textured scenery (blocks of 8 px in random greys, lightly blurred), the camera moved
    ``shift`` px to the left (the scenery to the right)."""
    import cv2

    blocks = np.random.default_rng(7).integers(40, 200, (30, 60), np.uint8)
    land = cv2.GaussianBlur(cv2.resize(blocks, (480, 240), interpolation=cv2.INTER_NEAREST), (3, 3), 0)
    return np.repeat(land[:, 80 - shift:400 - shift, None], 3, axis=2)


def test_a_camera_pan_moves_nothing_and_a_square_walking_moves():
    still = moving_map(_scenery(), [_scenery(-6), _scenery(6)])   # the camera pans 6 px a key frame
    assert still.mean() < 0.01
    frames = []
    for x in (40, 80, 120):   # a flat square walks 40 px a key frame over the panning background
        rgb = _scenery(6 * (x - 80) // 40)
        rgb[100:180, x:x + 50] = (250, 30, 30)
        frames.append(rgb)
    box = np.array([80, 100, 130, 180], np.float32)
    assert moving_figure(box, frames[1].shape, shot_motion(frames[1], [frames[0], frames[2]]))
    assert not moving_figure(box + np.array([150, 0, 150, 0], np.float32), frames[1].shape,
                             shot_motion(frames[1], [frames[0], frames[2]]))
    # a squat box round it (wider than tall) is no figure that motion alone confirms
    assert not moving_figure(np.array([60, 110, 160, 180], np.float32), frames[1].shape,
                             shot_motion(frames[1], [frames[0], frames[2]]))


def test_frames_the_shift_does_not_explain_confirm_nothing():
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (240, 320, 3), np.uint8) for _ in range(3)]   # a cut to noise
    box = np.array([80, 60, 160, 200], np.float32)
    assert not moving_figure(box, frames[1].shape, shot_motion(frames[1], [frames[0], frames[2]]))
