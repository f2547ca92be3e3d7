"""A rendered person's cut loses the ground it closed over between its limbs: the pieces in the colours of the ground
round the cut that neither DeepLab nor the selfie matte calls a person, linked to the ground outside
(resources/backends/character_ground_pieces.py). Sintel trailer, real frames, the 3D defaults; hand-made guards."""

import numpy as np
import pytest

from tests.sintel_cuts import one_sintel_cut

SNOW = (slice(88, 100), slice(275, 300))  # frame 402: the snow between her staff, her arm and her body
FACE = (slice(40, 60), slice(300, 320))  # her face, seen from above
BODY = (slice(120, 150), slice(310, 330))  # her coat


@pytest.mark.parametrize("ground", [True, False])
def test_the_snow_between_her_staff_and_her_body_leaves_her_cut(shared, cue_models, monkeypatch, ground):
    """Frame 402: the girl from above, her staff across her body; GrabCut closes her cut over the snow between the
    staff, her arm and her body. With the rule that snow goes; her face and her coat stay."""
    from resources.backends import character_ground_pieces

    found, cues = one_sintel_cut(shared, cue_models, 402, character_ground_pieces, "GROUND_PIECES", ground,
                                 monkeypatch)
    snow = found["mask"][SNOW].mean()
    assert not cues.class_mask[SNOW].any()  # DeepLab does not hold that snow
    assert (snow < 0.1) if ground else (snow > 0.9), f"{snow:.2f} of the snow patch"
    assert found["mask"][FACE].mean() > 0.9 and found["mask"][BODY].mean() > 0.9


def scene() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[int, int, int, int]]:
    """(bgr: a grey ground with a brown figure whose cut also closed over a patch of ground, the cut, a class map
    and a matte holding only the figure, the box)."""
    bgr = np.full((120, 120, 3), 200, np.uint8)
    figure = np.zeros((120, 120), bool)
    figure[20:100, 30:50] = figure[20:100, 70:90] = figure[20:40, 30:90] = True  # two legs and a hip
    bgr[figure] = (40, 70, 120)
    cut = figure.copy()
    cut[40:100, 50:70] = True  # the ground between the legs, taken along
    selfie = figure.astype(np.float32)
    return bgr, cut, figure.copy(), selfie, (20, 10, 100, 110)


def test_the_ground_between_the_legs_goes():
    from resources.backends.character_ground_pieces import without_ground_pieces

    bgr, cut, class_mask, selfie, box = scene()
    kept = without_ground_pieces(cut, bgr, selfie, class_mask, box)
    assert not kept[45:95, 52:68].any() and kept[20:100, 30:50].all() and kept[20:40, 30:90].all()


def test_what_a_person_cue_holds_or_the_character_encloses_stays():
    """The matte or DeepLab holding the piece keeps it (hair the ground's colour); so does a patch of the ground's
    colour the character's own colours enclose (a shadow inside the body)."""
    from resources.backends.character_ground_pieces import without_ground_pieces

    bgr, cut, class_mask, selfie, box = scene()
    held = selfie.copy()
    held[40:100, 50:70] = 0.8
    assert (without_ground_pieces(cut, bgr, held, class_mask, box) == cut).all()
    deeplab = class_mask.copy()
    deeplab[40:100, 50:70] = True
    assert (without_ground_pieces(cut, bgr, selfie, deeplab, box) == cut).all()


def test_a_figure_deeplab_barely_sees_keeps_its_cut():
    """Where DeepLab holds less than GROUND_CLASS_HELD of the rest of the cut (a drawn figure pasted on a rendered
    frame: its face and hands only), the cues' silence on its dark legs is no evidence: the cut stays."""
    from resources.backends.character_ground_pieces import without_ground_pieces

    bgr, cut, class_mask, selfie, box = scene()
    face = np.zeros_like(class_mask)
    face[20:30, 30:50] = True
    assert (without_ground_pieces(cut, bgr, selfie, face, box) == cut).all()
    body = np.zeros_like(cut)
    body[20:100, 30:90] = True
    class_mask = body.copy()
    class_mask[50:70, 50:70] = False
    enclosed = bgr.copy()
    enclosed[body] = (40, 70, 120)
    enclosed[50:70, 50:70] = 200  # a grey patch inside the brown body, its matte low
    low = body.astype(np.float32)
    low[50:70, 50:70] = 0.0
    assert (without_ground_pieces(body, enclosed, low, class_mask, box) == body).all()


def test_a_limb_in_the_ground_s_colours_stays():
    """A leg in the ground's colours that neither cue holds extends the cut's silhouette (it lies mostly outside the
    hull of the rest): it is no ground between the parts, and stays."""
    from resources.backends.character_ground_pieces import without_ground_pieces

    bgr, cut, class_mask, selfie, box = scene()
    figure = class_mask.copy()
    leg = np.zeros_like(figure)
    leg[40:100, 70:90] = True
    bgr[leg] = 200  # the right leg, below the hip, in the ground's grey
    class_mask[leg] = False
    selfie[leg] = 0.0
    assert (without_ground_pieces(figure, bgr, selfie, class_mask, box) == figure).all()
