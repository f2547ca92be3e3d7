"""A rendered person seen from behind (no face) whose hand GrabCut gave to the background and DeepLab ends before
(at the wrist): MediaPipe's selfie matte holds the hand, which hangs off the cut, and it joins
(resources/backends/character_hanging_pieces.py, character_extent.SELFIE_FACELESS). Sintel trailer, real frames, the
3D defaults."""

import numpy as np
import pytest

from tests.sintel_cuts import one_sintel_cut

HAND = (slice(168, 198), slice(150, 192))  # frame 711: her hand reaching out to the right, palm and curled fingers


def segmented(shared, cue_models, frame: int, faceless: bool, monkeypatch) -> tuple[dict, object]:
    """(the one instance cut on the Sintel trailer's ``frame``, the frame's cues), with or without the selfie matte
    on face-less seeds."""
    from resources.backends import character_extent

    return one_sintel_cut(shared, cue_models, frame, character_extent, "SELFIE_FACELESS", faceless, monkeypatch)


@pytest.mark.parametrize("faceless", [True, False])
def test_the_girls_hand_seen_from_behind_joins_her_cut(shared, cue_models, monkeypatch, faceless):
    """Frame 711: the girl from behind, her arm held out; the cut ended at her wrist, where DeepLab's map ends. The
    selfie matte's piece over her hand hangs off the cut (0.11 of the ring around it on the cut), so it joins."""
    found, cues = segmented(shared, cue_models, 711, faceless, monkeypatch)
    hand = found["mask"][HAND].mean()
    assert cues.class_mask[HAND].mean() < 0.1  # DeepLab does not hold the hand
    assert (hand > 0.6) if faceless else (hand < 0.2), f"{hand:.2f} of the hand's box"
    assert found["mask"][70:140, 20:80].mean() > 0.9  # her hair and back stay
    assert found["mask"][:60, 250:].sum() == 0  # no sky


def test_a_piece_the_cut_surrounds_or_deeplab_holds_does_not_hang(shared, cue_models, monkeypatch):
    """Background between an arm and the back lies beside the cut on most sides, and a piece DeepLab holds is
    with_class_extent's to judge: neither joins. The hand's piece alone joins."""
    from resources.backends.character_hanging_pieces import hanging_pieces

    cut = segmented(shared, cue_models, 711, False, monkeypatch)[0]["mask"]
    hand = segmented(shared, cue_models, 711, True, monkeypatch)[0]["mask"] & ~cut  # the piece that joined
    box = (0, 54, 200, 202)
    assert hanging_pieces(cut, hand, np.zeros_like(cut), box).sum() > 0.8 * hand.sum()
    assert not hanging_pieces(cut, hand, np.ones_like(cut), box).any()  # DeepLab holds it
    hole = cut.copy()  # a hole cut into her back: the cut surrounds it
    hole[100:130, 30:60] = False
    assert not hanging_pieces(hole, cut & ~hole, np.zeros_like(cut), box).any()
