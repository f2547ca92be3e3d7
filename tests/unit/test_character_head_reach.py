"""A rendered head's hair beside its face, back from MediaPipe's selfie matte within the head's reach
(resources/backends/character_extent.py: ``head_pieces`` in ``with_selfie_extent``), where the silhouette tests left
it out: a real Sintel trailer frame."""

import pytest

import resources.backends.character_extent as extent


@pytest.mark.parametrize("enabled", [True, False])
def test_the_hair_beside_the_looking_up_girls_face_is_hers(sintel_cut, monkeypatch, enabled):
    """Frame 540: the girl looking up in the rubble. GrabCut gives her dark red hair left of her face to the rubble's
    colours; the selfie matte holds it, as one piece larger than CLASS_MAX_PIECE of a cut that held her face and
    shoulders only, so the silhouette test leaves it out. Within the head's reach it joins; the lit debris higher above
    her head stays out."""
    monkeypatch.setattr(extent, "HEAD_REACH", enabled)
    girl = max(sintel_cut(540), key=lambda f: f["mask"].sum())["mask"]
    hair = girl[64:100, 124:140].mean()
    if enabled:
        assert hair > 0.9, f"hair held {hair:.2f}"
    else:
        assert hair < 0.1, f"hair held {hair:.2f}"
    assert girl[70:120, 160:190].mean() > 0.95  # her face
    assert girl[10:40, 100:150].mean() == 0.0  # the debris above her head
