"""A grey copy of a drawn character's image is identified by her face compared without colour (issue 12, session 31
h6, anime preset: ``grey_faces_colourless``).

The rows are the ones the identity step saw on the Kenney tune image set (``bench/anime_image_set.py build DIR
--characters kenney --split tune``; a fresh home at 9850a88, ``castforge ingest DIR --film f``, ``castforge
materialize f --select identity_clusters``, no film config; tests/data/kenney_tune_grey_face_rows.npz, the form of
kenney_tune_r32_view_group_rows.npz, float16, each row's character the eval's mask label). The set holds two grey
composites: the female person alone (her face found, a cut of mask IoU 0.44) and the robot with the male person
(neither cut out: the two kept rows are a sliver between them and a boy of the background, whose overalls the
anime detector took for a face). With colour her face is 0.682 to her own coloured faces and 0.713 to that grey
background "face" (the colour block reads grey); without it 0.773 to hers and 0.691 at most to any other."""

from pathlib import Path

import numpy as np

from assets.identities.grey_faces import colour_block, colourless, is_grey_face
from tests.unit.test_identities_loose_face_agreement import assigned, identity_of, row

ROWS = Path(__file__).resolve().parents[2] / "tests/data/kenney_tune_grey_face_rows.npz"
GREY_SHE = ("grey_single_female_person.png", "female_person")
GREY_BACKGROUND_FACE = 1   # the grey pair's background boy, no character of the set


def _unit(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32) / np.linalg.norm(x.astype(np.float32))


def test_her_grey_face_joins_her_identity_and_nothing_else_moves():
    stored, before = assigned(True, path=ROWS, grey_faces_colourless=False)
    _, after = assigned(True, path=ROWS)
    k = row(stored, *GREY_SHE)
    assert before.labels[k] == -1
    assert after.labels[k] == identity_of(stored, after, "female_person") and after.by[k] == "prototype"
    assert after.stats["grey_faces_joined"] == 1
    moved = np.flatnonzero(before.labels != after.labels)
    assert moved.tolist() == [k]
    assert after.labels[GREY_BACKGROUND_FACE] == -1   # nearest another grey face only; no identity leads


def test_only_the_grey_images_faces_read_as_grey():
    stored = dict(np.load(ROWS))
    faced = np.flatnonzero(stored["has_face"])
    grey = [int(k) for k in faced if is_grey_face(_unit(stored["face"][k]))]
    assert sorted(grey) == [GREY_BACKGROUND_FACE, row(stored, *GREY_SHE)]
    assert all(colour_block(_unit(stored["face"][k])) is not None for k in faced)


def test_without_colour_her_own_faces_lead():
    stored = dict(np.load(ROWS))
    faced = np.flatnonzero(stored["has_face"])
    k = row(stored, *GREY_SHE)
    full = np.stack([_unit(stored["face"][j]) for j in faced])
    bare = colourless(full)
    at = int(np.flatnonzero(faced == k)[0])
    hers = np.array([stored["character"][j] == "female_person" and j != k for j in faced])
    others = np.array([stored["character"][j] != "female_person" for j in faced])
    assert (full @ full[at])[hers].max() < (full @ full[at])[others].max()      # with colour: a grey face nearer
    assert (bare @ bare[at])[hers].max() - (bare @ bare[at])[others].max() > 0.05


def test_vectors_without_the_drawn_colour_block_are_left_alone():
    rng = np.random.default_rng(0)
    assert colour_block(_unit(rng.normal(size=768))) is None    # CCIP-sized, signed
    assert colour_block(_unit(rng.normal(size=512))) is None
