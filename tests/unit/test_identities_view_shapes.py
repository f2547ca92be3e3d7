"""A join made on the colours needs the silhouette too (issue 12, session 32 h1, anime preset:
``appearance_view_shape``, assets/identities/view_shapes.py).

The rows are the ones the identity step saw on a Kenney tune image set with composites redrawn (redraw 32;
tests/data/kenney_tune_b_view_look_rows.npz, see test_identities_view_looks.py): the robot seen from behind joins
the robot's faceless group by the view looks (0.95 alike in colour, its silhouette 0.93 alike to the group's nearest
sprite). Given the silhouette of another real cut-out of that set (a wide cut on ``single_male_person_0.png``, 0.29
at most to any robot sprite), it is the robot's palette on another shape: a creature of one colour in another
design, which the colours alone let in (the held-out creatures set: a green fish, a frog and a slime joined a group
of green creatures)."""

from pathlib import Path

import numpy as np

from assets.identities.view_shapes import silhouette_agrees
from tests.unit.test_identities_loose_face_agreement import assigned, identity_of, row

ROWS = Path(__file__).resolve().parents[2] / "tests/data/kenney_tune_b_view_look_rows.npz"
ROBOT_BACK, PERSON_BACK = ("rgba_robot_climb0.png", "robot"), ("rgba_male_person_climb0.png", "male_person")
WIDE_CUT = 63   # the row on single_male_person_0.png no character's mask holds (box 407 x 285 px)


def with_other_outline() -> tuple[dict, int]:
    """The stored rows, the robot's back view given the wide cut's silhouette (its colours and image embedding
    kept)."""
    stored = {key: value.copy() for key, value in np.load(ROWS).items()}
    k = row(stored, *ROBOT_BACK)
    assert stored["image"][WIDE_CUT] == "single_male_person_0.png" and not stored["character"][WIDE_CUT]
    stored["shape"][k] = stored["shape"][WIDE_CUT]
    return stored, k


def test_the_real_back_views_keep_their_joins():
    stored, result = assigned(True, path=ROWS)
    for view in (ROBOT_BACK, PERSON_BACK):
        assert result.labels[row(stored, *view)] == identity_of(stored, result, view[1])
    _, off = assigned(True, path=ROWS, appearance_view_shape=None)
    assert np.array_equal(off.labels, result.labels)


def test_the_robots_palette_on_another_outline_stays_noise():
    stored, k = with_other_outline()
    _, result = assigned(True, stored=stored)
    assert result.labels[k] == -1
    assert result.labels[row(stored, *PERSON_BACK)] == identity_of(stored, result, "male_person")
    _, off = assigned(True, stored=stored, appearance_view_shape=None)
    assert off.labels[k] == identity_of(stored, off, "robot")     # the colours alone let it in


def test_a_row_without_a_silhouette_is_not_asked():
    shapes = np.eye(4, dtype=np.float32)
    assert not silhouette_agrees(shapes, [0], [1, 2], 0.5)
    assert silhouette_agrees(shapes, [0], [0, 1], 0.5)
    shapes[0] = 0
    assert silhouette_agrees(shapes, [0], [1, 2], 0.5)
    assert silhouette_agrees(shapes, [3], [1, 2], None)
