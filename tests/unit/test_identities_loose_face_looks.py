"""A face no identity took is judged by its cut-out's look as a faceless row is (issue 12, session 24, anime preset:
``appearance_adopts_loose_faces``).

Once ``preset: auto`` measured the Kenney images drawn (session 24, d3), their faces come from the drawn detectors in
order (AnimeFace, the LBP cascade, YuNet): on ``single_female_adventurer_1.png`` the LBP cascade frames her whole head
(0.78 of her cut-out's width) where YuNet framed her face before, and that face, nearest her identity at 0.73 but
only 0.05 ahead of the male adventurer (one body design), was left as noise though her cut-out is clearly hers. The
rows are the ones the identity step saw on the Kenney tune image set (``bench/anime_image_set.py build DIR
--characters kenney --split tune``, ``castforge ingest``, ``materialize --select identity_clusters`` at 43b9e2f;
tests/data/kenney_tune_loose_faces.npz): each kept cut-out's face embedding, detector and gate where it has a face,
its MobileNet embedding and colours, and the character its mask shows most ("" none)."""

from pathlib import Path

import numpy as np
import polars as pl
import yaml

from assets.identities.assignment import assign_identities
from assets.identities.core import IdentityParams, normalise

ROOT = Path(__file__).resolve().parents[2]
STORED = ROOT / "tests/data/kenney_tune_loose_faces.npz"


def her_row(stored) -> int:
    """The row of the female adventurer's cut-out on single_female_adventurer_1.png (the image holds a second one)."""
    return int(np.flatnonzero((stored["image"] == "single_female_adventurer_1.png")
                              & (stored["character"] == "female_adventurer"))[0])


def assigned(adopt_loose_faces: bool, **overrides):
    """The identity step on the stored rows as an image folder gives them (each image its own shot and frame)."""
    stored = np.load(STORED)
    ids = [str(k) for k in range(len(stored["image"]))]
    images = [str(i) for i in stored["image"]]
    faced = np.flatnonzero(stored["has_face"])
    anime = yaml.safe_load((ROOT / "configs/presets/anime.yaml").read_text())["identities"]
    params = IdentityParams.from_dict({**anime, "appearance_adopts_loose_faces": adopt_loose_faces, **overrides})
    shot_of = {image: number for number, image in enumerate(dict.fromkeys(images))}
    boxes = pl.DataFrame({"shot": [shot_of[i] for i in images], "frame_id": images, "timestamp_s": [0.0] * len(ids),
                          "x0": [100.0 * k for k in range(len(ids))], "y0": [0.0] * len(ids),
                          "x1": [100.0 * k + 50 for k in range(len(ids))], "y1": [50.0] * len(ids)})
    result = assign_identities(
        ids, {ids[k]: stored["face"][k].astype(np.float32) for k in faced},
        normalise(stored["appearance"].astype(np.float32)), params,
        face_quality={ids[k]: (float(stored["quality"][k]), bool(stored["gated"][k])) for k in faced},
        boxes=boxes, face_detectors={ids[k]: str(stored["detector"][k]) for k in faced},
        colours=stored["colour"].astype(np.float32))
    return stored, result


def test_her_face_framed_by_the_cascade_joins_her_identity_by_its_look():
    stored, result = assigned(adopt_loose_faces=True)
    characters = stored["character"]
    her = her_row(stored)
    assert stored["detector"][her] == "anime"
    identity = result.labels[her]
    members = np.flatnonzero(result.labels == identity)
    assert identity >= 0 and result.by[her] == "appearance"
    assert {str(characters[k]) for k in members} <= {"female_adventurer", ""}
    assert sum(characters[members] == "female_adventurer") >= 9
    # no labelled cut-out sits in an identity another character holds most of
    for label in set(result.labels[result.labels >= 0].tolist()):
        named = [str(c) for c in characters[result.labels == label] if c]
        assert len(set(named)) <= 1, (label, named)


def test_without_it_her_face_is_noise():
    stored, result = assigned(adopt_loose_faces=False, loose_face_clear_looks=False)
    her = her_row(stored)
    assert result.labels[her] == -1


def test_the_clear_look_alone_places_her_too():
    """Session 29's ``loose_face_clear_looks`` (her look clearly leads her identity, her face names no other one)
    places her where this step is off."""
    stored, result = assigned(adopt_loose_faces=False)
    her = her_row(stored)
    assert result.labels[her] >= 0 and result.stats["loose_faces_clear_looks"] == 1
    assert {str(c) for c in stored["character"][result.labels == result.labels[her]] if c} == {"female_adventurer"}
