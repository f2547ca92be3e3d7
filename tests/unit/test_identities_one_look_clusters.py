"""One drawn character's faces in two face clusters, her sprites on white and her faces pasted on real frames, joined
because her cut-outs look one (issue 12, session 46, anime preset: ``face_clusters_join_by_look``).

The rows are the ones the identity step saw on the Kenney held-out image set (``bench/anime_image_set.py build DIR
--characters kenney --split held_out``: the faces and cut-outs of the lead's home /tmp/remeasure/home_kh, read at
1b7a249; tests/data/kenney_held_out_one_look_rows.npz, the form of kenney_tune_r41_design_layout_rows.npz, float16). The
female adventurer's 4 sprite faces and her 3 composite faces are 0.69 alike in the face (her sprites 0.85 to the
male adventurer's), so the face step made two identities of her (labelled F 0.866); her cut-outs are as alike across
the two clusters as within each in the image embedding, the colours and the colour layout."""

from pathlib import Path

import numpy as np
import pytest

from tests.identity_rows import assign_stored, members

STORED = Path(__file__).resolve().parents[2] / "tests/data/kenney_held_out_one_look_rows.npz"
HER = "female_adventurer"


@pytest.fixture(scope="module")
def stored() -> dict:
    return dict(np.load(STORED))


def her_identities(stored: dict, labels: np.ndarray) -> set[int]:
    faced = (stored["character"] == HER) & stored["has_face"]
    return set(labels[faced].tolist())


def test_her_sprites_and_composites_become_one_identity(stored):
    result = assign_stored(stored)
    assert len(her_identities(stored, result.labels)) == 1
    assert result.stats["face_clustering"]["clusters_joined_by_look"] == 1
    labelled = stored["character"] != ""
    for label in set(result.labels[labelled].tolist()) - {-1}:   # still every identity one character
        assert len(members(stored["character"][labelled], result.labels[labelled], label)) == 1


def test_without_the_join_she_is_two_identities(stored):
    result = assign_stored(stored, face_clusters_join_by_look=False)
    assert len(her_identities(stored, result.labels) - {-1}) == 2


def test_two_clusters_seen_on_one_frame_stay_apart(stored):
    """One composite of hers moved onto a sprite's frame: two faces of one frame are two characters."""
    moved = dict(stored)
    moved["image"] = stored["image"].copy()
    faced = np.flatnonzero((stored["character"] == HER) & stored["has_face"])
    sprite = next(k for k in faced if str(stored["image"][k]).startswith("rgba_"))
    composite = next(k for k in faced if not str(stored["image"][k]).startswith("rgba_"))
    moved["image"][composite] = stored["image"][sprite]
    assert len(her_identities(moved, assign_stored(moved).labels) - {-1}) == 2


def test_clusters_whose_layouts_are_not_read_are_not_joined(stored):
    """An opaque crop has no colour layout (a zero row): nothing says its look is one."""
    unread = dict(stored)
    unread["layout"] = stored["layout"].copy()
    unread["layout"][(stored["character"] == HER) & ~np.char.startswith(stored["image"], "rgba_")] = 0
    assert len(her_identities(unread, assign_stored(unread).labels) - {-1}) == 2
