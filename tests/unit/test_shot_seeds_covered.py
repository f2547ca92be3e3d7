"""A drawn character cut in the next key frame of its shot, uncut here, whose carried mask lies partly on a
neighbour's cut of this frame: still seeded from it (assets/instances/shot_seeds.py, ``MAX_COVERED`` 0.4 and
``PRESENT_ONCE``; docs/instances.md, "Session 56 (h103)").

On real media: the Kenney tune film of seed 31 (``bench/kenney_film.py``, 480 rows), shot 7 at its key frames 701,
709 and 727 (the stage's key frames of that film). The male adventurer walks in from the frame's right edge, not
hidden by anyone. At 709 he has no cut of his own (the edge of the woman's cut holds 0.13 of him); at 727 he is cut
whole. Carried back to 709 by the flow, 0.37 of his mask lies on the woman's cut (the coarse flow at their touching
edges), over the old bar of 0.2, so he had no seed. With the bar at 0.4 his box seeds a figure and 709 is cut again
with him in a cut of his own (the new cut must still match the carried mask, ``MIN_MATCH``). Hand-made masks for
``present``."""

import numpy as np
import pytest

import assets.instances.shot_seeds as shot_seeds
from assets.instances.shot_seeds import present, with_shot_seeds
from tests.conftest import kenney_tune_film
from tests.unit.test_shot_seeds import _best_iou, _segmented

SEED, SHOT, KEY_FRAMES, NAME = 31, 7, (3, 11, 29), "male_adventurer"  # film frames 701, 709, 727


@pytest.fixture(scope="module")
def adventurer_shot(shared):
    """([RGB of each key frame], the adventurer's visible alpha >= 0.5 at the second)."""
    plan, render = kenney_tune_film(SEED)
    shot = plan[SHOT]
    index = [c["character"] for c in shot["characters"]].index(NAME)
    frames, truth = [], None
    for n, (rgb, layers) in enumerate(render(shot)):
        if n in KEY_FRAMES:
            frames.append(rgb)
            truth = layers[index][1] >= 0.5 if n == KEY_FRAMES[1] else truth
        if n >= KEY_FRAMES[-1]:
            break
    return frames, truth


@pytest.fixture(scope="module")
def segmented(drawn_cues, adventurer_shot):
    """The key frames cut as the instances stage cuts them (with their motion against the neighbours), and the cut."""
    from resources.backends.opencv_characters import OpencvCharacterSegmenter

    return _segmented(OpencvCharacterSegmenter(cues=drawn_cues), adventurer_shot[0])


def test_a_carried_character_partly_on_a_neighbours_cut_is_seeded(segmented, adventurer_shot):
    _, truth = adventurer_shot
    first, cut = segmented
    assert _best_iou(first[1][2], truth) < 0.2                  # 0.13: only the edge of the woman's cut holds him
    out, changed = with_shot_seeds(first, cut)
    assert changed >= 1
    assert _best_iou(out[1][2], truth) > 0.7                    # 0.84 (0.94 in the film's run)
    assert any(f["seed"] == "shot+figure" for f in out[1][2])


def test_under_the_old_bar_the_same_key_frame_has_no_cut_of_him(segmented, adventurer_shot, monkeypatch):
    monkeypatch.setattr(shot_seeds, "MAX_COVERED", 0.2)
    _, truth = adventurer_shot
    first, cut = segmented
    out, _ = with_shot_seeds(first, cut)
    assert _best_iou(out[1][2], truth) < 0.2
    assert not any(f["seed"] == "shot+figure" for f in out[1][2])


def _box(x0: int, x1: int) -> np.ndarray:
    mask = np.zeros((40, 100), bool)
    mask[5:35, x0:x1] = True
    return mask


@pytest.mark.parametrize("once, expected", [(True, [True, False]), (False, [True, True])])
def test_one_cut_of_the_frame_stands_for_one_neighbours_character(monkeypatch, once, expected):
    monkeypatch.setattr(shot_seeds, "PRESENT_ONCE", once)
    # the frame's one cut where the neighbour had two characters side by side: it is the better-overlapped one's
    here, stayed, left = _box(30, 60), _box(30, 58), _box(40, 70)
    assert shot_seeds.mask_iou(left, here) >= shot_seeds.PRESENT_IOU
    assert present([stayed, left], [here]) == expected


def test_present_without_cuts_on_either_side():
    assert present([], [_box(0, 10)]) == []
    assert present([_box(0, 10)], []) == [False]


def test_a_loose_candidate_that_gets_no_cut_leaves_the_clean_ones_cut(monkeypatch):
    from types import SimpleNamespace

    clean, loose = _box(5, 25), _box(60, 95)
    monkeypatch.setattr(shot_seeds, "carried_tiers", lambda rgb, own, neighbours, flows=None: ([clean], [loose]))
    asked = []

    def again(n, boxes):  # the segmenter cuts the clean character and nothing at the loose box
        asked.append(boxes)
        return [{"mask": clean, "seed": "shot+figure"}], "again"

    rgb = np.zeros((40, 100, 3), np.uint8)
    shot = [({}, rgb, [], SimpleNamespace(drawn=True)), ({}, rgb, [], SimpleNamespace(drawn=True))]
    out, changed = with_shot_seeds(shot, again)
    assert changed == 2 and len(asked) == 4                     # each frame: all at once, then the clean one alone
    assert out[0][2][0]["mask"] is clean


def test_a_loose_candidate_never_takes_a_clean_ones_place(monkeypatch):
    monkeypatch.setattr(shot_seeds, "STILL_GUARD", False)      # the frame is its own neighbour: nothing moves
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (40, 100, 3), dtype=np.uint8)
    own = _box(0, 9) | _box(89, 100)                            # the frame's cuts: 11 of the loose mask's 30 columns
    loose, clean = _box(70, 100), _box(62, 92)                  # the same place (IoU 0.58); the clean one 0.1 covered
    kept_clean, kept_loose = shot_seeds.carried_tiers(frame, [own], [(frame, [loose, clean])])
    assert len(kept_clean) == 1 and kept_loose == []
