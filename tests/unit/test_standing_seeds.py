"""A drawn figure standing still, boxed by YOLOX as an object in most key frames of its shot and seeded by no rule of
one frame, seeded where its box recurs through the shot (assets/instances/standing_seeds.py; docs/instances.md,
"Session 54 (h93)").

On real media: the Kenney tune film of seed 31 (``bench/kenney_film.py``, 480 rows), shot 10: a man and an adventurer
walk past a zombie standing still (pose ``climb0``). Every twelfth frame of the shot is taken as a key frame, each cut
as the instances stage cuts it (with its motion against its neighbours). At the first key frame nothing cuts the
zombie (no face, it does not move, and the rest of the frame holds too many fills for ``character_fill_seeds``); its
object box recurs through the shot, and seeded from it the frame is cut again with the zombie in a cut of its own.
Hand-made boxes for the recurrence."""

import numpy as np
import pytest

from assets.instances.standing_seeds import MIN_FRAMES, recurs, upright_figure, with_standing_seeds
from tests.conftest import kenney_tune_film

SEED, SHOT, STEP, NAME = 31, 10, 12, "zombie"


@pytest.fixture(scope="module")
def standing_shot(shared):
    """([RGB of each key frame], [the zombie's visible alpha >= 0.5 at each])."""
    plan, render = kenney_tune_film(SEED)
    shot = plan[SHOT]
    index = [c["character"] for c in shot["characters"]].index(NAME)
    assert len(shot["characters"][index]["poses"]) == 1          # it stands still
    frames, truths = [], []
    for n, (rgb, layers) in enumerate(render(shot)):
        if n % STEP == 0:
            frames.append(rgb)
            truths.append(layers[index][1] >= 0.5)
    return frames, truths


@pytest.fixture(scope="module")
def segmenter(drawn_cues):
    from resources.backends.opencv_characters import OpencvCharacterSegmenter

    return OpencvCharacterSegmenter(cues=drawn_cues)


def _best_iou(found: list[dict], truth: np.ndarray) -> float:
    from assets.instances.composites import mask_iou

    return max((mask_iou(f["mask"], truth) for f in found), default=0.0)


def test_a_standing_figure_no_frame_seeds_is_seeded_from_its_recurring_box(segmenter, standing_shot):
    from resources.backends.character_motion import shot_motion

    frames, truths = standing_shot

    def cut(n: int, boxes=()):
        cues = segmenter.cues(frames[n])
        cues.motion = shot_motion(frames[n], frames[max(0, n - 1):n] + frames[n + 1:n + 2])
        cues.shot_seeds = [np.asarray(b, np.float32) for b in boxes]
        return segmenter.segment(frames[n], cues), cues

    segmented = [({}, rgb, *cut(n)) for n, rgb in enumerate(frames)]
    assert _best_iou(segmented[0][2], truths[0]) < 0.1            # nothing cuts the zombie at first
    out, changed = with_standing_seeds(segmented, cut, {})
    assert changed >= 2
    assert _best_iou(out[0][2], truths[0]) > 0.8                  # 0.95
    assert any(f["seed"] == "shot+figure" for f in out[0][2])
    before = np.mean([_best_iou(s[2], t) for s, t in zip(segmented, truths)])
    after = np.mean([_best_iou(s[2], t) for s, t in zip(out, truths)])
    assert after > before + 0.2                                   # 0.13 -> 0.46 over the nine key frames


def _boxes(*boxes) -> np.ndarray:
    return np.array([[*b, 0.5] for b in boxes], np.float32).reshape(-1, 5)


@pytest.mark.parametrize("shot, expected", [
    ([_boxes((10, 10, 50, 110))] * MIN_FRAMES, True),                                 # the same box every key frame
    ([_boxes((10, 10, 50, 110))] + [_boxes((12, 12, 52, 112))] * (MIN_FRAMES - 1), True),   # jittered: the same place
    ([_boxes((10, 10, 50, 110))] + [_boxes((40, 10, 80, 110))] * (MIN_FRAMES - 1), False),  # walked away
    ([_boxes((10, 10, 50, 110))] * (MIN_FRAMES - 1), False),                           # too few key frames
    ([_boxes((10, 10, 50, 110))] * MIN_FRAMES + [_boxes()] * (MIN_FRAMES + 1), False),  # in under half of the shot
])
def test_a_box_recurs_where_most_key_frames_hold_it_at_its_place(shot, expected):
    assert recurs(np.array([10, 10, 50, 110, 0.5], np.float32), shot) is expected


@pytest.mark.parametrize("box, expected", [
    ((463, 23, 760, 452), True),     # film 31's standing zombie (854 x 480)
    ((20, 243, 283, 428), False),    # a squat pumpkin (Penny & Chip)
    ((0, 215, 120, 480), False),     # a sofa's arm the frame's left side cuts
    ((300, 0, 400, 300), False),     # reaching the frame's top
    ((400, 400, 420, 440), False),   # too small for a figure
])
def test_a_standing_figure_is_seen_whole_and_upright(box, expected):
    assert upright_figure(np.array(box, np.float32), 854, 480) is expected
