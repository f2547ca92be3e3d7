"""The neighbouring-frame cue on real media: Saha (characters_rgba, exact alpha) walking across a real Big Buck Bunny
frame for three key frames of one shot. A leak and a missed arm in the middle frame's mask are outvoted by the
masks of the two neighbours carried over by optical flow; a character the neighbours do not hold is left alone."""

import cv2
import numpy as np
import pytest

from assets.instances.composites import compose_sequence, load_character, mask_iou, read_background
from assets.instances.shot_consistency import (carry_in_window, carry_over, carry_window, flow_scale, full_size_flow,
                                               full_size_flow_in, grey_at_flow_size, small_flow, vote_shot)


@pytest.fixture(scope="module")
def walking(shared):
    background = read_background(shared / "media/video/big_buck_bunny_0_30.webm", 6.5, 360)
    saha = load_character(shared / "media/characters_rgba/saha_front.png")
    rng = np.random.default_rng(3)
    scenes = compose_sequence(background, "bbb@6.5", [saha], rng, frames=3, step=0.02)
    return [s.rgb for s in scenes], [s.characters[0].mask for s in scenes]


def test_a_leak_and_a_missed_part_in_one_frame_are_outvoted_by_its_neighbours(walking):
    frames, truths = walking
    ys, xs = np.nonzero(truths[1])
    damaged = truths[1].copy()
    damaged[ys.min():ys.min() + (ys.max() - ys.min()) // 4] = False  # the head and shoulders missed
    damaged[ys.max() - 40:ys.max(), max(0, xs.min() - 60):xs.min()] = True  # background beside the feet
    before = mask_iou(damaged, truths[1])
    voted = vote_shot(frames, [[truths[0]], [damaged], [truths[2]]])
    assert before < 0.8
    assert mask_iou(voted[1][0], truths[1]) > max(0.93, before + 0.1)
    assert voted[0][0] is truths[0] and voted[2][0] is truths[2]  # the shot's ends keep their own masks


def test_a_mask_without_counterparts_in_both_neighbours_is_unchanged(walking):
    frames, truths = walking
    elsewhere = np.zeros_like(truths[1])
    elsewhere[:40, :40] = True
    voted = vote_shot(frames, [[truths[0]], [truths[1], elsewhere], []])
    assert voted[1][0] is truths[1] and voted[1][1] is elsewhere


def test_a_frame_computes_only_the_flows_and_explained_planes_a_vote_can_use(walking, monkeypatch):
    """Each neighbour in turn: with no counterpart of any mask in the frame before, the frame after is not looked at;
    with counterparts of different masks in the two, no mask gets both votes, so no explained plane is made; a mask
    held by both is voted exactly as when everything is computed first (the damaged middle frame of the first test:
    the same pixels as the vote of every flow and plane)."""
    from assets.instances import shot_consistency

    frames, truths = walking
    elsewhere = np.zeros_like(truths[1])
    elsewhere[:40, :40] = True
    calls = {"small_flow": 0, "explained": 0}
    for name in calls:
        def counted(*args, _run=getattr(shot_consistency, name), _name=name):
            calls[_name] += 1
            return _run(*args)
        monkeypatch.setattr(shot_consistency, name, counted)

    voted = vote_shot(frames, [[elsewhere], [truths[1]], [truths[2]]])
    assert voted[1][0] is truths[1] and calls == {"small_flow": 1, "explained": 0}
    calls.update(small_flow=0, explained=0)
    voted = vote_shot(frames, [[truths[0]], [truths[1], elsewhere], [elsewhere, truths[2][::-1]]])
    assert voted[1][0] is truths[1] and voted[1][1] is elsewhere and calls == {"small_flow": 2, "explained": 0}

    ys, _ = np.nonzero(truths[1])
    damaged = truths[1].copy()
    damaged[ys.min():ys.min() + (ys.max() - ys.min()) // 4] = False
    calls.update(small_flow=0, explained=0)
    voted = vote_shot(frames, [[truths[0]], [damaged], [truths[2]]])
    assert calls == {"small_flow": 2, "explained": 2}
    grey = [grey_at_flow_size(f) for f in frames]   # the vote with every flow and plane computed first, by hand
    flows = [small_flow(grey[1], grey[n]) for n in (0, 2)]
    carried = [carry_over(truths[n], full_size_flow(flow, frames[1].shape)) for flow, n in zip(flows, (0, 2))]
    colours = [shot_consistency.rgb_at_flow_size(f) for f in frames]
    fits = [shot_consistency.explained(flow, colours[1], colours[n], frames[1].shape) for flow, n in zip(flows, (0, 2))]
    rim = shot_consistency._inner_rim(damaged, frames[1].shape)
    counts = damaged.astype(np.uint8)
    for other, fit in zip(carried, fits):
        counts += np.where(fit | rim, other, damaged)
    assert np.array_equal(voted[1][0], counts >= 2)


def test_masks_carried_in_their_window_are_the_masks_carried_over_the_whole_frame(walking):
    """The vote carries each neighbour's mask only where the flow can bring it (carry_window): pixel for pixel the
    whole frame's remap, on the real walk and on masks at the frame's edges and corners."""
    frames, truths = walking
    small = small_flow(grey_at_flow_size(frames[1]), grey_at_flow_size(frames[0]))
    flow = full_size_flow(small, frames[1].shape)
    assert flow_scale(frames[1].shape) < 1.0   # the small flow scaled up, as at 1080p
    height, width = truths[0].shape
    edges = []
    for x0, y0 in ((0, 0), (width - 50, 0), (0, height - 60), (width - 50, height - 60), (width // 2, 0)):
        mask = np.zeros_like(truths[0])
        mask[y0:y0 + 60, x0:x0 + 50] = True
        edges.append(mask)
    smaller = 0
    for mask in [truths[0], *edges]:
        x, y, w, h = cv2.boundingRect(mask.astype(np.uint8))
        window = carry_window(small, mask.shape, (x, y, x + w, y + h))
        np.testing.assert_array_equal(carry_in_window(mask, flow, window), carry_over(mask, flow))
        smaller += (window[2] - window[0]) * (window[3] - window[1]) < 0.5 * mask.size
    assert smaller >= 4   # most windows skip most of the frame


def test_the_flow_scaled_up_in_a_window_is_the_whole_frames_flow_there(shared):
    """The vote scales the small flow up only in each carry window (full_size_flow_in): the same float32 values as
    the whole frame's ``full_size_flow`` cut to the window, on real Big Buck Bunny key frames at 1080, 720 and 360
    rows (scales 1/4, 3/8, 3/4), windows anywhere and touching every edge; a scale that is no dyadic fraction gives
    None (the caller scales the whole flow)."""
    video = shared / "media/video/big_buck_bunny_0_30.webm"
    rng = np.random.default_rng(1)
    for height in (1080, 720, 360):
        first, second = read_background(video, 6.5, height), read_background(video, 7.0, height)
        small = small_flow(grey_at_flow_size(first), grey_at_flow_size(second))
        flow = full_size_flow(small, first.shape)
        rows, cols = first.shape[:2]
        windows = [(0, 0, cols, rows), (0, 0, 37, 23), (cols - 41, rows - 19, cols, rows), (5, rows - 3, 300, rows)]
        for _ in range(12):
            x0, y0 = int(rng.integers(0, cols - 2)), int(rng.integers(0, rows - 2))
            windows.append((x0, y0, int(rng.integers(x0 + 1, cols + 1)), int(rng.integers(y0 + 1, rows + 1))))
        for x0, y0, x1, y1 in windows:
            part = full_size_flow_in(small, first.shape, (x0, y0, x1, y1))
            np.testing.assert_array_equal(part, flow[y0:y1, x0:x1])
    assert full_size_flow_in(small, (1080, 1998, 3), (0, 0, 10, 10)) is None
