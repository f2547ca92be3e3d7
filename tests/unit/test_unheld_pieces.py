"""A rendered person seen from behind whose cut took a neighbouring creature along, which DeepLab calls a person too:
the pieces MediaPipe's selfie matte calls no person go (resources/backends/character_unheld_pieces.py). Sintel
trailer, real frames, the 3D defaults."""

import numpy as np
import pytest

from tests.sintel_cuts import one_sintel_cut

DRAGON = (slice(60, 150), slice(0, 20))  # frame 715: the adult dragon's dark hide at the frame's left edge
HAIR = (slice(70, 120), slice(40, 80))  # her hair, seen from behind
BACK = (slice(150, 200), slice(20, 80))  # her back and top


def segmented(shared, cue_models, frame: int, unheld: bool, monkeypatch) -> tuple[dict, object]:
    """(the one instance cut on the Sintel trailer's ``frame``, the frame's cues), with or without the rule."""
    from resources.backends import character_unheld_pieces

    return one_sintel_cut(shared, cue_models, frame, character_unheld_pieces, "UNHELD_PIECES", unheld, monkeypatch)


@pytest.mark.parametrize("unheld", [True, False])
def test_the_dragon_beside_the_girl_leaves_her_cut(shared, cue_models, monkeypatch, unheld):
    """Frame 715: the girl from behind, hugging the dragon; DeepLab holds the dragon's hide beside her as a person,
    the selfie matte does not, so with the rule the hide goes and her hair and back stay."""
    found, cues = segmented(shared, cue_models, 715, unheld, monkeypatch)
    dragon = found["mask"][DRAGON].mean()
    assert cues.class_mask[DRAGON].mean() > 0.5  # DeepLab calls the dragon a person
    assert (dragon < 0.1) if unheld else (dragon > 0.5), f"{dragon:.2f} of the dragon's patch"
    assert found["mask"][HAIR].mean() > 0.9 and found["mask"][BACK].mean() > 0.9


def test_a_cut_the_matte_mostly_disowns_stays(monkeypatch):
    """Where the matte disowns more than UNHELD_MAX of the cut, it missed the character (a drawn figure, a creature):
    the cut stays; small pieces (a rim) stay too."""
    from resources.backends.character_unheld_pieces import without_unheld_pieces

    cut = np.zeros((100, 100), bool)
    cut[20:80, 20:80] = True
    box = (10, 10, 90, 90)
    selfie = np.zeros((100, 100), np.float32)
    assert (without_unheld_pieces(cut, selfie, box) == cut).all()  # the matte sees nobody
    selfie[20:80, 20:60] = 1.0  # it holds the left two thirds: the right third goes
    kept = without_unheld_pieces(cut, selfie, box)
    assert kept[20:80, 20:60].all() and not kept[30:70, 65:80].any()
    selfie[20:80, 60:79] = 1.0  # only a one-pixel strip left unheld: it stays
    assert (without_unheld_pieces(cut, selfie, box) == cut).all()
