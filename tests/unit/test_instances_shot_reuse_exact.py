"""A shot's repeated work answered from the first time gives the very answers of doing it again (docs/film_scale.md,
"Session 39 (h33)"): GrabCut calls repeated inside a ``grabcut_memo.remembered_grabcuts`` block, and the flows the
shot seeds and the vote share through ``shot_consistency.ShotFlows``.

On real media: Sita pasted on a Big Buck Bunny frame (the seed cut's window, test_grabcut_compiled.py) and the
Kenney tune film's zombie shot (test_shot_seeds.py), where the first key frame is cut again from its neighbour's
carried cut: the second segmentation repeats the frame's other GrabCuts, and the vote asks for the flows the seeds
made."""

from contextlib import nullcontext

import cv2
import numpy as np
import pytest

import assets.instances.shot_consistency as shot_consistency
import assets.instances.shot_seeds as shot_seeds
import resources.backends.grabcut_compiled as grabcut_compiled
import resources.backends.grabcut_memo as grabcut_memo
from assets.instances.shot_consistency import ShotFlows, grey_at_flow_size, small_flow, vote_shot
from assets.instances.shot_seeds import with_shot_seeds
from resources.backends.character_edges import seeded_grabcut
from resources.backends.cue_memo import remembered_cues
from resources.backends.grabcut_memo import call_key, remembered_grabcuts
from tests.unit.test_grabcut_compiled import sita_window
from tests.unit.test_shot_seeds import _segmented, segmenter, zombie_shot  # noqa: F401 (fixtures)


def _counting(monkeypatch, module, name: str) -> list[int]:
    """Counts the calls of ``module.name`` (patched in place) in the returned one-item list."""
    calls, original = [0], getattr(module, name)

    def counted(*args, **kwargs):
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_a_repeated_grabcut_in_a_block_is_answered_with_the_first_calls_labels(shared, monkeypatch):
    window, _, labels = sita_window(shared)
    alone = labels.copy()
    seeded_grabcut(window, alone, 4)                       # outside a block: nothing kept, nothing looked up
    assert call_key(window, labels, 4, "compiled") is None
    calls = _counting(monkeypatch, grabcut_compiled, "compiled_grabcut")
    with remembered_grabcuts():
        first, again = labels.copy(), labels.copy()
        seeded_grabcut(window, first, 4)
        seeded_grabcut(window, again, 4)
        assert calls[0] == 1                               # the repeat was answered
        other = labels.copy()
        seeded_grabcut(window, other, 2)                   # other iterations: another call
        moved = labels.copy()
        seeded_grabcut(np.ascontiguousarray(window[:, ::-1]), moved, 4)   # other pixels: another call
        assert calls[0] == 3
    assert np.array_equal(first, alone) and np.array_equal(again, alone)
    assert not np.array_equal(alone, labels)               # a real cut, not the starting labels
    with remembered_grabcuts():                            # a new block starts empty
        seeded_grabcut(window, labels.copy(), 4)
    assert calls[0] == 4


def test_a_block_keeps_no_more_than_its_bytes_and_no_failed_call(shared, monkeypatch):
    window, _, labels = sita_window(shared)
    calls = _counting(monkeypatch, grabcut_compiled, "compiled_grabcut")
    monkeypatch.setattr(grabcut_memo, "MEMO_BYTES", labels.nbytes - 1)
    with remembered_grabcuts():
        for _ in range(2):
            seeded_grabcut(window, labels.copy(), 1)
    assert calls[0] == 2
    monkeypatch.setattr(grabcut_memo, "MEMO_BYTES", 64 << 20)
    background = np.full(labels.shape, cv2.GC_PR_FGD, np.uint8)   # no background to learn from: GrabCut raises
    with remembered_grabcuts():
        for _ in range(2):
            with pytest.raises(cv2.error):
                seeded_grabcut(window, background.copy(), 1)
    assert calls[0] == 4


def test_the_shot_flows_are_small_flows_made_once():
    rng = np.random.default_rng(1)
    frame = cv2.GaussianBlur(rng.integers(0, 255, (270, 480, 3), dtype=np.uint8), (0, 0), 2)
    moved = np.roll(frame, 5, axis=1)
    flows = ShotFlows()
    small = flows.small(frame, moved)
    assert np.array_equal(small, small_flow(grey_at_flow_size(frame), grey_at_flow_size(moved)))
    assert flows.small(frame, moved) is small and flows.small(moved, frame) is not small
    fit = flows.explained(frame, moved)
    assert flows.explained(frame, moved) is fit and fit.shape == frame.shape[:2]
    flows.forget(frame)
    assert flows.small(frame, moved) is not small and np.array_equal(flows.small(frame, moved), small)


def test_the_vote_takes_the_flows_the_shot_seeds_made_and_votes_alike(monkeypatch):
    """A figure moving 4 px a key frame on a textured ground: the seeds of the middle frame carry both neighbours'
    masks (flows from it to each), then the vote asks for those two flows again."""
    rng = np.random.default_rng(2)
    ground = cv2.GaussianBlur(rng.integers(0, 255, (200, 320, 3), dtype=np.uint8), (0, 0), 2)
    figure = cv2.GaussianBlur(rng.integers(0, 255, (80, 50, 3), dtype=np.uint8), (0, 0), 1)
    frames, masks = [], []
    for step in range(3):
        frame, mask = ground.copy(), np.zeros((200, 320), bool)
        frame[60:140, 100 + 4 * step:150 + 4 * step] = figure
        mask[60:140, 100 + 4 * step:150 + 4 * step] = True
        frames.append(frame)
        masks.append([mask])
    made = _counting(monkeypatch, shot_consistency, "small_flow")
    flows = ShotFlows()
    assert len(shot_seeds.carried_candidates(frames[1], [], [(frames[0], masks[0]), (frames[2], masks[2])],
                                             flows)) == 1
    assert made[0] == 2
    voted = vote_shot(frames, masks, flows=flows)
    assert made[0] == 2                                    # no flow made again
    alone = vote_shot(frames, masks)
    assert made[0] == 4
    assert all(np.array_equal(a, b) for frame_a, frame_b in zip(voted, alone) for a, b in zip(frame_a, frame_b))


def test_a_shot_cut_again_gives_the_same_masks_with_fewer_grabcuts_and_flows(segmenter, zombie_shot,  # noqa: F811
                                                                          monkeypatch):
    monkeypatch.setattr(shot_seeds, "SHOT_SEEDS", True)
    frames, _ = zombie_shot
    grabcuts = _counting(monkeypatch, grabcut_compiled, "compiled_grabcut")
    flows_made = _counting(monkeypatch, shot_consistency, "small_flow")
    detected = _counting(monkeypatch, segmenter.cues.bodies, "detect_all")    # YOLOX: one per frame cued
    runs, detections = {}, {}
    for shared_work in (False, True):
        grabcuts[0] = flows_made[0] = detected[0] = 0
        flows = ShotFlows() if shared_work else None
        with remembered_cues() if shared_work else nullcontext(), \
                remembered_grabcuts() if shared_work else nullcontext():
            segmented, cut = _segmented(segmenter, frames)
            out, changed = with_shot_seeds(segmented, cut, flows)
        voted = vote_shot([rgb for _, rgb, _, _ in out], [[f["mask"] for f in found] for _, _, found, _ in out],
                          flows=flows)
        runs[shared_work] = (changed, [[f["mask"] for f in found] for _, _, found, _ in out], voted,
                             grabcuts[0], flows_made[0])
        detections[shared_work] = detected[0]
    (changed, cuts, voted, grabcut_calls, flow_calls), (changed2, cuts2, voted2, grabcut_calls2, flow_calls2) = \
        runs[False], runs[True]
    assert changed == changed2 >= 1
    assert all(np.array_equal(a, b) for frame_a, frame_b in zip(cuts, cuts2) for a, b in zip(frame_a, frame_b))
    assert [len(f) for f in cuts] == [len(f) for f in cuts2]
    assert all(np.array_equal(a, b) for frame_a, frame_b in zip(voted, voted2) for a, b in zip(frame_a, frame_b))
    assert grabcut_calls2 < grabcut_calls and flow_calls2 <= flow_calls   # 17 -> 12 GrabCuts
    assert detections[True] == len(frames) < detections[False]           # the frame cut again: its cues recalled



def test_a_frames_cues_asked_again_in_a_block_are_the_first_answers(shared, cue_models, monkeypatch):
    """Session 41 (h45): in a ``cue_memo.remembered_cues`` block, a drawn frame's cues (2D faces wanted) asked again
    about the same pixels run no cue model and equal a call outside any block, whatever a caller did to the first
    answer's arrays; other pixels, a frame not drawn, and any frame after the block are detected anew. On two Sintel
    trailer frames (a character in each)."""
    from assets.instances.composites import read_background

    cues_of, _ = cue_models
    video = shared / "media/video/sintel_trailer_480x204.mp4"
    rgb, other = read_background(video, 15.0, 204), read_background(video, 30.0, 204)
    alone = cues_of(rgb, True)
    expected = {name: getattr(alone, name).copy() for name in ("faces", "bodies", "weak_faces", "toys", "objects")}
    expected["class_mask"] = alone.class_mask.copy()
    boxes, maps = _counting(monkeypatch, cues_of.bodies, "detect_all"), _counting(monkeypatch, cues_of.classes, "mask")
    with remembered_cues():
        first = cues_of(rgb, True)
        first.class_mask[:] = ~first.class_mask
        first.bodies[:] = -1
        again = cues_of(rgb, True)
        assert (boxes[0], maps[0]) == (1, 1)                 # the class map read once, kept for the repeat
        cues_of(other, True).class_mask
        assert (boxes[0], maps[0]) == (2, 2)
        cues_of(rgb, False), cues_of(rgb, False)             # not drawn: never cut again, nothing kept
        assert boxes[0] == 4
    for name, array in expected.items():
        assert np.array_equal(getattr(again, name), array), name
    assert expected["bodies"].size and expected["class_mask"].any()
    cues_of(rgb, True)
    assert boxes[0] == 5                                     # outside a block nothing is kept


def test_a_seeds_pose_models_asked_again_in_a_block_give_the_first_outputs(shared, monkeypatch):
    """Session 42 (h47): in a ``cue_memo.remembered_cues`` block, BlazePose (person matte) and MoveNet asked again
    about a seed whose model input is the same pixels do not run their model, and give what a call outside any block
    gives, whatever a caller did to the first answer; another box, other pixels and any call after the block run
    the model again. On a Sintel trailer frame with a character (its YOLOX person box: pose flag 0.94, limbs drawn)."""
    from assets.instances.composites import read_background
    from resources.backends.character_skeleton import MatteCue, SkeletonCue

    rgb = read_background(shared / "media/video/sintel_trailer_480x204.mp4", 30.0, 204)
    box, other_box = (0, 53, 269, 202), (297, 77, 480, 201)
    matte, skeleton = MatteCue(), SkeletonCue()
    alone = matte.estimate(rgb, box)
    expected = (alone.keypoints.copy(), alone.score, alone.matte.copy(), alone.roi.copy())
    limbs = skeleton.lines(rgb, box, 2)
    keypoints = skeleton.estimator.estimate(np.ascontiguousarray(rgb[53:202, 0:269]))
    invoked = {name: _counting(monkeypatch, cue.estimator._interpreter, "invoke")
               for name, cue in (("blazepose", matte), ("movenet", skeleton))}
    with remembered_cues():
        first = matte.estimate(rgb, box)
        first.keypoints[:] = -1
        first.matte[:] = 0
        again = matte.estimate(rgb, box)
        assert skeleton.lines(rgb, box, 2).sum() and np.array_equal(skeleton.lines(rgb, box, 2), limbs)
        assert invoked["blazepose"][0] == invoked["movenet"][0] == 1
        matte.estimate(rgb, other_box), skeleton.lines(np.ascontiguousarray(rgb[::-1]), box, 2)
        assert invoked["blazepose"][0] == invoked["movenet"][0] == 2
        assert np.array_equal(skeleton.estimator.estimate(np.ascontiguousarray(rgb[53:202, 0:269])), keypoints)
        assert invoked["movenet"][0] == 2                    # the same crop's square as lines' first call
    assert np.array_equal(again.keypoints, expected[0]) and again.score == expected[1]
    assert np.array_equal(again.matte, expected[2]) and np.array_equal(again.roi, expected[3])
    assert expected[1] > 0.9 and expected[2].max() > 0.5     # a real matte, not an empty one
    matte.estimate(rgb, box), skeleton.lines(rgb, box, 2)
    assert invoked["blazepose"][0] == invoked["movenet"][0] == 3   # outside a block nothing is kept
