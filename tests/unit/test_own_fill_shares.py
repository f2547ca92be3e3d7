"""The own-fill shares counted only among the pixels of near lightness (resources/backends/character_own_fills.py,
switch SHARES_BY_LIGHTNESS): the same shares, bit for bit, as the pass over every pixel, on the colours and region
means the segmenter hands ``own_fill_regions`` on a real frame (Kenney's CC0 adventurer pasted on a film frame by
bench/composites.py's scene generator, the Kenney tune split, seed 7), with far fewer distances measured."""

import numpy as np
import pytest

from resources.backends import character_own_fills
from tests.conftest import kenney_wheel_or_skip, load_bench


@pytest.fixture(scope="module")
def share_calls(shared, drawn_cues):
    """(colours, centres) of every share the segmenter asks for on tune scene 4 of seed 7 (the adventurer whose
    shaded legs and hair OWN_FILLS and OWN_PRIOR give back): the own prior's and the flat parts' calls."""
    from resources.backends.opencv_characters import OpencvCharacterSegmenter

    kenney_wheel_or_skip()
    scenes, _ = load_bench("composites").build_scenes("tune", 5, 7, character_set="kenney")
    calls = []
    shares_near = character_own_fills._shares_near

    def recorded(colours, centres):
        calls.append((colours.copy(), centres.copy()))
        return shares_near(colours, centres)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(character_own_fills, "_shares_near", recorded)
        OpencvCharacterSegmenter(cues=drawn_cues).segment(scenes[4].rgb)
    assert calls, "the own-fill step did not run on the adventurer's frame"
    return calls


def _shares(colours, centres, monkeypatch, by_lightness: bool, margin: float | None = None):
    monkeypatch.setattr(character_own_fills, "SHARES_BY_LIGHTNESS", by_lightness)
    if margin is not None:
        monkeypatch.setattr(character_own_fills, "LIGHTNESS_MARGIN", margin)
    return character_own_fills._shares_near(colours, centres)


def test_the_shares_of_near_lightness_are_the_full_pass_s_bit_for_bit(share_calls, monkeypatch):
    """Measured: 6 calls (the cut's colours and the background's, of 3 ``own_fill_regions`` calls), 210 regions'
    shares, identical."""
    for colours, centres in share_calls:
        slow = _shares(colours, centres, monkeypatch, False)
        fast = _shares(colours, centres, monkeypatch, True)
        assert fast.dtype == slow.dtype and np.array_equal(fast, slow)


def test_a_lightness_window_narrower_than_the_tolerance_is_seen_to_differ(share_calls, monkeypatch):
    """The check above can fail: with the window two Lab units short of the tolerance, shares of this frame move
    (measured: 119 of 210; pixels 8-10 Lab from a region's mean in lightness alone are left out)."""
    moved = 0
    for colours, centres in share_calls:
        slow = _shares(colours, centres, monkeypatch, False)
        moved += int((_shares(colours, centres, monkeypatch, True, margin=-2.0) != slow).sum())
    assert moved > 0


def test_far_fewer_distances_are_measured(share_calls, monkeypatch):
    """The point of the switch: the distances measured (rows given to ``np.linalg.norm``) are under a third of the
    full pass's on this frame (measured 0.076); with SHARES_BY_LIGHTNESS False it is all of them (fails)."""
    measured = []
    norm = np.linalg.norm

    def counted(x, *args, **kwargs):
        measured.append(len(x))
        return norm(x, *args, **kwargs)

    monkeypatch.setattr(np.linalg, "norm", counted)
    for colours, centres in share_calls:
        character_own_fills._shares_near(colours, centres)
    everything = sum(len(colours) * len(centres) for colours, centres in share_calls)
    assert sum(measured) < everything / 3


@pytest.mark.parametrize("offset", [(10.0, 0.0, 0.0), (-10.0, 0.0, 0.0), (6.0, 8.0, 0.0), (10.0, 1e-7, 0.0),
                                    (9.999, 0.0, 0.0)])
def test_a_colour_at_the_tolerance_s_edge_counts_as_in_the_full_pass(offset, monkeypatch):
    """Hand-made edge cases: colours exactly at, just inside and just beyond OWN_FILL_TOLERANCE of a centre, mostly
    along lightness (the window's own edge)."""
    centres = np.array([[50.25, 128.0, 128.0], [0.0, 128.0, 128.0]])
    colours = np.float32(np.array([[50.25, 128.0, 128.0], [0.0, 0.0, 0.0]]) + np.array(offset, np.float32))
    colours = np.vstack([colours, np.float32(centres[:1] + np.array(offset))])
    slow = _shares(colours, centres, monkeypatch, False)
    assert np.array_equal(_shares(colours, centres, monkeypatch, True), slow)
