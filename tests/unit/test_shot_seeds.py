"""A drawn character cut in one key frame of its shot and uncut in the one before, seeded there from its cut carried
by optical flow (assets/instances/shot_seeds.py, resources/backends/character_shot_seeds.py; docs/instances.md,
"Session 31 (h2)").

On real media: the Kenney tune film's shot 8 (``bench/kenney_film.py``, seed 23, 480 rows: the zombie walking in
from the frame's right edge), rendered as the film is built, at its first three key frames (film frames 742, 760,
766). At 742 the zombie is half out of the frame and nothing seeds it (no face, no box BlazePose or its motion
confirms); at 760 it is cut. Carried back by the flow onto pixels no cut of 742 holds, where the warped frame
matches 742's colours, its box seeds a figure and 742 is cut again: the zombie gets a cut of its own. Without the
switch (on by default) it has none. Hand-made masks for the guards."""

import numpy as np
import pytest

import assets.instances.shot_seeds as shot_seeds
from assets.instances.artefacts import mask_box
from assets.instances.shot_seeds import carried_candidates, matches, with_shot_seeds
from resources.backends.character_seeds import Seed
from resources.backends.character_shot_seeds import with_shot_seeds as with_seed_boxes
from tests.unit.test_character_motion import tune_film_shot

SHOT, KEY_FRAMES, NAME = 8, (1, 19, 25), "zombie"  # film frames 742, 760, 766


@pytest.fixture(scope="module")
def zombie_shot(shared):
    """([RGB of each key frame], the zombie's visible alpha >= 0.5 at the first)."""
    shot, rendered = tune_film_shot(SHOT)
    assert [c["character"] for c in shot["characters"]] == [NAME]
    frames, truth = [], None
    for index, (rgb, layers) in enumerate(rendered):
        if index in KEY_FRAMES:
            frames.append(rgb)
            truth = layers[0][1] >= 0.5 if index == KEY_FRAMES[0] else truth
        if index >= KEY_FRAMES[-1]:
            break
    return frames, truth


@pytest.fixture(scope="module")
def segmenter(drawn_cues):
    from resources.backends.opencv_characters import OpencvCharacterSegmenter

    return OpencvCharacterSegmenter(cues=drawn_cues)


def _segmented(segmenter, frames: list[np.ndarray]):
    """The shot's key frames cut as the instances stage cuts them (with their motion against the neighbours)."""
    from resources.backends.character_motion import shot_motion

    def cut(n: int, boxes=()):
        cues = segmenter.cues(frames[n])
        cues.motion = shot_motion(frames[n], frames[max(0, n - 1):n] + frames[n + 1:n + 2])
        cues.shot_seeds = [np.asarray(b, np.float32) for b in boxes]
        return segmenter.segment(frames[n], cues), cues

    return [({}, rgb, *cut(n)) for n, rgb in enumerate(frames)], cut


def _best_iou(found: list[dict], truth: np.ndarray) -> float:
    from assets.instances.composites import mask_iou

    return max((mask_iou(f["mask"], truth) for f in found), default=0.0)


def test_a_character_cut_in_the_next_key_frame_is_seeded_where_nothing_cut_it(segmenter, zombie_shot, monkeypatch):
    monkeypatch.setattr(shot_seeds, "SHOT_SEEDS", True)
    frames, truth = zombie_shot
    segmented, cut = _segmented(segmenter, frames)
    assert _best_iou(segmented[0][2], truth) < 0.1           # nothing cuts the zombie at first
    out, changed = with_shot_seeds(segmented, cut)
    assert changed >= 1
    assert _best_iou(out[0][2], truth) > 0.3                 # 0.415 in the film's run
    assert any(f["seed"] == "shot+figure" for f in out[0][2])


def test_without_the_switch_the_same_key_frame_has_no_cut_of_it(segmenter, zombie_shot, monkeypatch):
    monkeypatch.setattr(shot_seeds, "SHOT_SEEDS", False)
    frames, truth = zombie_shot
    segmented, cut = _segmented(segmenter, frames)
    out, changed = with_shot_seeds(segmented, cut)
    assert changed == 0
    assert _best_iou(out[0][2], truth) < 0.1


def test_a_carried_mask_on_the_frames_own_cut_or_off_its_colours_is_no_candidate(monkeypatch):
    monkeypatch.setattr(shot_seeds, "STILL_GUARD", False)   # the frame is its own neighbour: nothing moves
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
    mask = np.zeros((120, 160), bool)
    mask[30:90, 40:80] = True
    # the same frame as neighbour: the flow is still and explains every pixel
    assert len(carried_candidates(frame, [], [(frame, [mask])])) == 1
    assert carried_candidates(frame, [mask], [(frame, [mask])]) == []          # the frame's own cut holds it
    assert len(carried_candidates(frame, [], [(frame, [mask, mask])])) == 1    # one candidate per place
    shifted = np.roll(mask, 3, axis=1)
    assert carried_candidates(frame, [shifted], [(frame, [mask])]) == []       # a cut of its own where it stood
    other = frame.copy()
    other[30:90, 40:80] = 255 - other[30:90, 40:80]                            # the neighbour's colours differ there
    assert carried_candidates(frame, [], [(other, [mask])]) == []
    tiny = np.zeros_like(mask)
    tiny[0:5, 0:5] = True
    assert carried_candidates(frame, [], [(frame, [tiny])]) == []              # under MIN_SHARE of the frame


def test_a_new_cut_is_kept_only_where_it_matches_the_carried_mask():
    mask = np.zeros((50, 50), bool)
    mask[10:40, 10:30] = True
    elsewhere = np.zeros_like(mask)
    elsewhere[10:40, 35:50] = True
    assert matches([{"mask": mask}], [mask])
    assert not matches([{"mask": elsewhere}], [mask])


def test_a_carried_box_a_seed_already_has_or_outside_a_drawn_frame_adds_nothing():
    seeds = [Seed(np.array([10, 10, 50, 90], np.float32), 0.8, "person")]
    assert len(with_seed_boxes(seeds, [np.array([11, 10, 50, 91])], True, 0.3)) == 1
    assert len(with_seed_boxes(seeds, [np.array([100, 10, 140, 90])], False, 0.3)) == 1
    added = with_seed_boxes(seeds, [np.array([100, 10, 140, 90])], True, 0.3)
    assert len(added) == 2 and added[1].figure and added[1].kind == "shot"


def test_a_carried_mask_that_kept_its_place_in_the_scene_is_no_candidate(monkeypatch):
    import cv2

    rng = np.random.default_rng(0)
    frame = cv2.GaussianBlur(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8), (0, 0), 2)
    mask = np.zeros((120, 160), bool)
    mask[30:90, 40:80] = True
    monkeypatch.setattr(shot_seeds, "STILL_GUARD", True)
    assert carried_candidates(frame, [], [(frame, [mask])]) == []              # still against a still frame
    moved = frame.copy()                                                       # the neighbour: the figure 6 px on
    moved[30:90, 46:86] = frame[30:90, 40:80]
    assert len(carried_candidates(frame, [], [(moved, [np.roll(mask, 6, axis=1)])])) == 1


@pytest.fixture(scope="module")
def creature_shot(shared):
    """The Kenney tune film's shot 3 (seed 23) rendered at its key frames 315, 323 and 331, with their first cuts
    in the film's run (tests/data/kenney_film_tune_shot3_cuts.npz: h2's run of the tune film, switch off) and the
    characters' visible alpha at 323. 331 cuts, besides the man, a creature painted in the Sintel background at
    the frame's right (a figure seed, BlazePose's flag); 323 does not."""
    from pathlib import Path

    shot, rendered = tune_film_shot(3)
    frames, characters = [], None
    for index, (rgb, layers) in enumerate(rendered):
        if index in (14, 22, 30):
            frames.append(rgb)
            characters = np.any([layer[1] >= 0.5 for layer in layers], axis=0) if index == 22 else characters
        if index >= 30:
            break
    saved = np.load(Path(__file__).parents[1] / "data" / "kenney_film_tune_shot3_cuts.npz")
    width = frames[0].shape[1]
    cuts = [list(np.unpackbits(saved[key], axis=-1)[..., :width].astype(bool)) for key in ("f315", "f323", "f331")]
    return frames, cuts, characters


@pytest.mark.parametrize("guard", [True, False])
def test_a_painted_figure_still_in_the_background_is_carried_to_no_key_frame(creature_shot, monkeypatch, guard):
    """Without the guard 331's creature, which did not move against 323's background, is 323's candidate (the prop
    kept as a figure in session 31 (h2)'s run), mostly off the characters; with it (on) 323 has no candidate."""
    monkeypatch.setattr(shot_seeds, "STILL_GUARD", guard)
    (before, rgb, after), (cuts_before, own, cuts_after), characters = creature_shot
    found = carried_candidates(rgb, own, [(before, cuts_before), (after, cuts_after)])
    if guard:
        assert found == []
    else:
        assert len(found) == 1
        assert (found[0] & characters).sum() < 0.5 * found[0].sum()           # 0.32 on the man in front
        assert mask_box(found[0])[2] == rgb.shape[1]                             # at the frame's right edge
