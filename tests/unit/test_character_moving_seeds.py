"""A drawn figure that no detector boxes seeded from its moving region against the shot
(resources/backends/character_moving_seeds.py).

On real media: the Kenney tune film's shot 8 (seed 23, 480 rows: the zombie walking alone, the frames of
tests/unit/test_character_motion.py). With YOLOX's object boxes taken away nothing but its motion says a figure is
there: its moving region, grown, seeds it and it is cut; without neighbours, or where a seed's box already covers the
region, no seed is added. Hand-made frames for the region boxes and the guards."""

import numpy as np

from resources.backends.character_motion import shot_motion
from resources.backends.character_moving_seeds import moving_figure_boxes, moving_regions, with_moving_seeds
from tests.unit.test_character_motion import _best_iou, _scenery, segmenter, zombie_frames  # noqa: F401 (fixtures)


class _Unboxed:
    """The segmenter with YOLOX's object boxes taken away from the cues it makes."""

    def __init__(self, segmenter):
        self.segmenter = segmenter

    def cues(self, rgb: np.ndarray):
        cues = self.segmenter.cues(rgb)
        cues.objects = np.zeros((0, 5), np.float32)
        return cues

    def segment(self, rgb: np.ndarray, cues) -> list[dict]:
        return self.segmenter.segment(rgb, cues)


def _best_iou_unboxed(segmenter, zombie_frames, motion) -> float:
    """The best mask IoU with the zombie of the key frame's instances, YOLOX's object boxes taken away."""
    return _best_iou(_Unboxed(segmenter), zombie_frames, motion)


def test_a_walking_figure_no_detector_boxes_is_cut_from_its_moving_region(segmenter, zombie_frames):
    before, rgb, after, _ = zombie_frames
    assert _best_iou_unboxed(segmenter, zombie_frames, shot_motion(rgb, [before, after])) > 0.6


def test_without_neighbours_the_unboxed_figure_has_no_seed(segmenter, zombie_frames):
    assert _best_iou_unboxed(segmenter, zombie_frames, None) < 0.1


def test_the_zombie_region_is_found_and_a_seed_covering_it_takes_it(zombie_frames):
    before, rgb, after, truth = zombie_frames
    ys, xs = np.nonzero(truth)
    zombie = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float32)
    motion = shot_motion(rgb, [before, after])
    boxes = moving_figure_boxes([], rgb.shape, motion)
    assert len(boxes) == 1
    inter = np.maximum(0, np.minimum(boxes[0][2:], zombie[2:]) - np.maximum(boxes[0][:2], zombie[:2])).prod()
    assert inter / np.prod(zombie[2:] - zombie[:2]) > 0.85   # the grown region holds most of the zombie (0.89)
    assert moving_figure_boxes([zombie], rgb.shape, motion) == []
    seeded = with_moving_seeds([], rgb.shape, motion, True, 0.3)
    assert [(s.kind, s.figure) for s in seeded] == [("person", True)]
    assert with_moving_seeds([], rgb.shape, motion, False, 0.3) == []   # a 3D shot: not this rule


def _walking(squares: list[tuple[int, int, int, int]], pan: int = 0) -> list[np.ndarray]:
    """Three frames of a background panning ``pan`` px a key frame with flat squares (x, y, width, height) walking
    60 px a key frame."""
    frames = []
    for step in (-60, 0, 60):
        rgb = _scenery(pan * step // 60)
        for x, y, w, h in squares:
            rgb[y:y + h, x + step:x + step + w] = (250, 30, 30)
        frames.append(rgb)
    return frames


def test_an_upright_walking_square_is_seeded_a_squat_one_is_not():
    before, rgb, after = _walking([(120, 60, 50, 100)])
    boxes = moving_figure_boxes([], rgb.shape, shot_motion(rgb, [before, after]))
    assert len(boxes) == 1 and boxes[0][0] <= 120 and boxes[0][2] >= 170
    before, rgb, after = _walking([(100, 140, 110, 50)])   # wider than tall
    assert moving_figure_boxes([], rgb.shape, shot_motion(rgb, [before, after])) == []


def test_in_a_steady_pan_the_square_is_seeded_in_a_fast_pan_it_is_not():
    before, rgb, after = _walking([(120, 60, 50, 100)], pan=4)
    assert len(moving_figure_boxes([], rgb.shape, shot_motion(rgb, [before, after]))) == 1
    before, rgb, after = _walking([(120, 60, 50, 100)], pan=10)   # 0.03 of the width: a pan too fast to trust
    assert moving_figure_boxes([], rgb.shape, shot_motion(rgb, [before, after])) == []
    assert moving_figure_boxes([], rgb.shape, lambda: np.zeros((240, 320), bool)) == []   # no shifts: not steady


def test_a_frame_moving_all_over_seeds_nothing():
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (240, 320, 3), np.uint8) for _ in range(3)]
    assert moving_figure_boxes([], frames[1].shape, shot_motion(frames[1], [frames[0], frames[2]])) == []


def test_moving_regions_join_a_figures_parts():
    moving = np.zeros((100, 320), bool)
    moving[20:40, 100:104] = moving[20:40, 108:112] = True   # two strokes 4 px apart: one figure
    moving[60:80, 250:254] = True
    assert len(moving_regions(moving, (200, 640))) == 2
