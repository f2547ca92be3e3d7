"""A rendered character's body where the frame cuts it, which GrabCut gave to a background of its colours, is the
pocket its cut leaves against the frame's edge; DeepLab holds it, and it joins the cut
(resources/backends/character_frame_pockets.py). Sintel trailer, real frames, the 3D defaults."""

import numpy as np
import pytest

from tests.sintel_cuts import one_sintel_cut



def segmented(shared, cue_models, frame: int, pockets: bool, monkeypatch) -> tuple[dict, object]:
    """(the one instance cut on the Sintel trailer's ``frame``, the frame's cues), with or without the frame-edge
    pockets."""
    from resources.backends import character_frame_pockets

    return one_sintel_cut(shared, cue_models, frame, character_frame_pockets, "FRAME_POCKETS", pockets, monkeypatch)


@pytest.mark.parametrize("pockets", [True, False])
def test_the_girls_shoulder_at_the_frames_edge_joins_her_cut(shared, cue_models, monkeypatch, pockets):
    """Frame 731: the girl from behind beside the dragon, her pale shoulder guard and shoulder at the frame's left
    edge against the bright sky. GrabCut left them out (the cut held her hair and arm, the shoulder a pocket between
    them and the frame's edge, 2.8k px); DeepLab holds the pocket, so it joins."""
    found, _ = segmented(shared, cue_models, 731, pockets, monkeypatch)
    shoulder = found["mask"][120:195, 2:20].mean()
    assert (shoulder > 0.95) if pockets else (shoulder < 0.05), f"{shoulder:.2f} of her shoulder"
    assert found["mask"][20:80, 10:60].mean() > 0.9  # her hair stays


@pytest.mark.parametrize("pockets", [True, False])
def test_the_girls_waist_at_the_frames_bottom_joins_her_cut(shared, cue_models, monkeypatch, pockets):
    """Frame 711: the girl from behind, her cut ended in a straight line across her waist where the frame's bottom
    edge cuts her (her waistband in the colours of the dusky sky)."""
    found, _ = segmented(shared, cue_models, 711, pockets, monkeypatch)
    waist = found["mask"][180:200, 10:60].mean()
    assert (waist > 0.95) if pockets else (waist < 0.8), f"{waist:.2f} of her waist"


def test_drawn_shots_and_unseen_characters_keep_their_cut(shared, cue_models, monkeypatch):
    """The rule is for rendered characters DeepLab sees: a drawn shot's cut, or one whose box DeepLab barely
    covers, is returned as it was (the anime preset's figures stay as they are)."""
    from resources.backends.character_frame_pockets import frame_pockets, with_frame_pockets

    found, cues = segmented(shared, cue_models, 731, False, monkeypatch)
    cut, none = found["mask"], np.zeros_like(found["mask"])
    box = (0, 0, 190, 204)
    assert frame_pockets(cut, cues.class_mask, 6).sum() > 2000  # the shoulder's pocket
    assert (with_frame_pockets(cut, cues.class_mask, box, none, drawn=True) == cut).all()
    assert (with_frame_pockets(cut, np.zeros_like(cut), box, none, drawn=False) == cut).all()
    # another character's cut over the pocket keeps it
    assert (with_frame_pockets(cut, cues.class_mask, box, ~cut, drawn=False) == cut).all()
