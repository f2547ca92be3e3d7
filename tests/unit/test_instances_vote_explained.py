"""The shot vote counts a neighbour's carried mask only where the flow explains the frame (shot_consistency
EXPLAINED_VOTE): the characters of characters_rgba (exact alpha) walking across real Big Buck Bunny frames for three
key frames. Every frame's mask is the exact one; where the flow does not follow a character, the neighbours' carried
masks put background beside her into the middle frame's exact mask (92 pixels over three walks), and with the rule
their votes there no longer count (6 pixels). A leak and a missed head are still outvoted
(test_instances_shot_consistency.py)."""

import numpy as np
import pytest

from assets.instances import shot_consistency
from assets.instances.composites import compose_sequence, load_character, mask_iou, read_background

WALKS = (("saha_front", 20.0, 0.02), ("sita_front", 20.0, 0.03), ("saha_side", 12.0, 0.03))  # (character, s, step)


@pytest.fixture(scope="module")
def walks(shared):
    out = []
    for name, at, step in WALKS:
        background = read_background(shared / "media/video/big_buck_bunny_0_30.webm", at, 360)
        character = load_character(shared / f"media/characters_rgba/{name}.png")
        scenes = compose_sequence(background, f"bbb@{at}", [character], np.random.default_rng(3), frames=3, step=step)
        out.append(([s.rgb for s in scenes], [s.characters[0].mask for s in scenes]))
    return out


def voted_middle(frames, truths, explained: bool) -> np.ndarray:
    before = shot_consistency.EXPLAINED_VOTE
    shot_consistency.EXPLAINED_VOTE = explained
    try:
        return shot_consistency.vote_shot(frames, [[truths[0]], [truths[1]], [truths[2]]])[1][0]
    finally:
        shot_consistency.EXPLAINED_VOTE = before


def test_the_neighbours_put_no_background_beside_an_exact_mask_where_the_flow_does_not_follow(walks):
    added = {True: 0, False: 0}
    for frames, truths in walks:
        voted = {explained: voted_middle(frames, truths, explained) for explained in (False, True)}
        for explained, mask in voted.items():
            added[explained] += int((mask & ~truths[1]).sum())
        assert mask_iou(voted[True], truths[1]) >= mask_iou(voted[False], truths[1])
    assert added[False] >= 60
    assert added[True] <= 10


def test_the_explained_plane_holds_the_background_the_flow_follows(walks):
    frames, truths = walks[0]
    small = shot_consistency.small_flow(*(shot_consistency.grey_at_flow_size(f) for f in frames[1:]))
    fits = shot_consistency.explained(small, shot_consistency.rgb_at_flow_size(frames[1]),
                                      shot_consistency.rgb_at_flow_size(frames[2]), frames[1].shape)
    assert fits.shape == truths[1].shape
    columns = np.flatnonzero((truths[1] | truths[2]).any(axis=0))
    away = np.ones(fits.shape[1], bool)
    away[columns.min():columns.max() + 1] = False
    assert fits[:, away].mean() > 0.95  # the still background away from her is explained
