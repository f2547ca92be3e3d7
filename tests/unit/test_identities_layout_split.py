"""Two designs of one palette drawn with one face, parted by where their colours sit (issue 12, session 32, anime
preset: ``split_layout_gap``).

The rows are the ones the identity step saw on the Kenney tune image set redraw 41 (``bench/anime_image_set.py build
DIR --characters kenney --split tune --redraw 41``, ingested and materialised at 9850a88;
tests/data/kenney_tune_r41_design_layout_rows.npz, float16): each kept cut-out's face embedding, detector, gate and
face box where it has a face, its MobileNet embedding, colours, silhouette and colour layout
(``colour_layout.layout_descriptor`` of the stored cut-out), and the character its mask shows ("" none). The male
and the female adventurer share one palette and one drawn face: their face cluster's two parts (his 5 faces, her 11)
are 0.029 apart in the face, under ``split_gap`` (0.03), though 0.147 apart in the colours and 0.105 in the colour
layout, so without the layout they were one identity (labelled precision 0.824)."""

from pathlib import Path

import numpy as np
import pytest

from assets.identities.colour_layout import layout_descriptor
from tests.identity_rows import assign_stored

ROOT = Path(__file__).resolve().parents[2]
STORED = ROOT / "tests/data/kenney_tune_r41_design_layout_rows.npz"
DESIGNS = ("male_adventurer", "female_adventurer")


def assigned(stored: dict, **overrides):
    """The identity step on the stored rows as an image folder gives them (each image its own shot and frame), the
    anime preset with ``overrides``."""
    return assign_stored(stored, **overrides)


@pytest.fixture(scope="module")
def stored() -> dict:
    return dict(np.load(STORED))


def mixed_identities(stored: dict, labels: np.ndarray) -> list[int]:
    """Identities holding rows of both designs."""
    holding = [set(labels[(stored["character"] == name) & (labels >= 0)].tolist()) for name in DESIGNS]
    return sorted(holding[0] & holding[1])


def test_the_two_designs_of_one_face_become_two_identities(stored):
    result = assigned(stored)
    assert mixed_identities(stored, result.labels) == []
    for name in DESIGNS:   # each design keeps one identity for most of its rows
        rows = result.labels[stored["character"] == name]
        assert np.bincount(rows[rows >= 0]).max() >= 0.8 * len(rows)
    labelled = stored["character"] != ""
    for label in set(result.labels[labelled].tolist()) - {-1}:   # every identity one character
        assert len(set(stored["character"][labelled & (result.labels == label)].tolist())) == 1


def test_without_the_layout_gap_they_share_one_identity(stored):
    assert len(mixed_identities(stored, assigned(stored, split_layout_gap=None).labels)) == 1


def test_a_part_whose_layouts_are_not_read_is_not_cut_by_them(stored):
    """An opaque crop has no layout (zero): the face gap alone decides, as with the setting off."""
    unread = dict(stored)
    unread["layout"] = stored["layout"].copy()
    unread["layout"][stored["character"] == "male_adventurer"] = 0
    assert len(mixed_identities(stored, assigned(unread).labels)) == 1


def test_the_layout_of_a_real_cutout_reads_where_its_colours_sit(shared):
    """A shared CC0 sprite (exact alpha): a unit vector, the same mirrored, none for the opaque crop, another
    upside down (a layout, not a histogram: where a colour sits counts)."""
    import cv2

    image = cv2.imread(str(shared / "media/characters_rgba/saha_front.png"), cv2.IMREAD_UNCHANGED)
    layout = layout_descriptor(image)
    assert abs(float(np.linalg.norm(layout)) - 1) < 1e-5
    assert float(layout @ layout_descriptor(np.ascontiguousarray(image[:, ::-1]))) > 0.999
    assert not layout_descriptor(np.ascontiguousarray(image[:, :, :3])).any()
    assert float(layout @ layout_descriptor(np.ascontiguousarray(image[::-1]))) < 0.9
