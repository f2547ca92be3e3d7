"""Faceless groups in an image folder (issue 12, session 21, anime preset): two looks of one design form a group
when they agree in the image embedding, the colours and the silhouettes (``faceless_pair_similarity``), and rows
density clustering left beside a group join it (``faceless_absorb``). Real sprites from arcade's wheel (Kenney's
CC0 characters and items, install/fetch_bench_media.sh; skipped without it) through MobileNet, the colour and
shape descriptors and the faceless grouping; and the faceless rows the pipeline stored for the Kenney tune image
set (tests/data/kenney_tune_identity_rows.npz, as test_identities_clear_lead.py reads them)."""

import zipfile
from pathlib import Path

import cv2
import numpy as np
import polars as pl
import pytest
import yaml

from assets.identities.appearance import colour_descriptor, cutout_on_grey, shape_descriptor, with_colours
from assets.identities.appearance_adoption import adopt_by_appearance
from assets.identities.assignment import assign_identities
from assets.identities.core import IdentityParams, normalise
from tests.conftest import kenney_wheel_or_skip

ROOT = Path(__file__).resolve().parents[2]
CHARACTERS = ("female_adventurer", "female_person", "male_adventurer", "male_person", "robot", "zombie")
ITEMS = ("gemGreen", "coinGold", "star", "keyGreen", "flagGreen1")


def anime() -> dict:
    return yaml.safe_load((ROOT / "configs/presets/anime.yaml").read_text())["identities"]


@pytest.fixture(scope="module")
def two_looks() -> tuple[list[str], list[np.ndarray]]:
    """Each Kenney character walking (walk0, walk4: two drawings of one design), each item as drawn and at 0.6
    filled with one green (designs of other shapes, one colour), as BGRA."""
    from PIL import Image

    from assets.instances import kenney_characters as kenney

    wheel = kenney_wheel_or_skip()
    names, images = [], []
    with zipfile.ZipFile(wheel) as archive:
        for character in CHARACTERS:
            for pose in ("walk0", "walk4"):
                names.append(character)
                images.append(kenney.crop_to_alpha(kenney.upscale_rgba(kenney.read_sprite(archive, character, pose),
                                                                       3)))
        for item in ITEMS:
            member = next(n for n in archive.namelist() if n.endswith(f"/images/items/{item}.png"))
            with archive.open(member) as handle, Image.open(handle) as image:
                rgba = kenney.crop_to_alpha(np.asarray(image.convert("RGBA")).copy())
            rgba = kenney.upscale_rgba(rgba, 200 / rgba.shape[0])
            rgba[..., :3] = (40, 170, 60)
            names += [item, item]
            images += [rgba, cv2.resize(rgba, None, fx=0.6, fy=0.6)]
    return names, images


def faceless_groups(images: list[np.ndarray], overrides: dict) -> np.ndarray:
    """The faceless grouping of ``images`` as an image folder gives them: each its own shot and frame."""
    from resources.backends.tflite_embedder import TfliteImageEmbedder

    appearance = normalise(TfliteImageEmbedder().embed([cutout_on_grey(image) for image in images]))
    colours = np.stack([colour_descriptor(image) for image in images])
    shapes = np.stack([shape_descriptor(image) for image in images])
    ids = [str(k) for k in range(len(images))]
    boxes = pl.DataFrame({"shot": list(range(len(ids))), "frame_id": ids})
    params = IdentityParams.from_dict({**anime(), "tracks": False, **overrides})
    return assign_identities(ids, {}, appearance, params, boxes=boxes, colours=colours, shapes=shapes).labels


def test_two_looks_of_one_design_form_a_group_and_designs_stay_apart(two_looks):
    names, images = two_looks
    labels = faceless_groups(images, {})
    for design in set(names):
        own = labels[[n == design for n in names]]
        assert own[0] >= 0 and own[0] == own[1], design
        assert sum(labels == own[0]) == 2, design                       # no other design in its group
    without = faceless_groups(images, {"faceless_pair_similarity": None})
    assert sum(without >= 0) < len(names) // 2                           # a faceless group needs three


def test_two_persons_walking_are_two_groups(two_looks):
    """The male and the female person walking (one body, other colours; two looks each, 0.85 alike in the faceless
    mix) are one group of four to the density clustering itself; ``faceless_split`` cuts it as a face cluster of
    two designs is cut (session 22)."""
    names, images = two_looks
    persons = [k for k, n in enumerate(names) if n.endswith("_person")]
    labels = faceless_groups(images, {})[persons]
    assert labels[0] >= 0 and labels[0] == labels[1] and labels[2] >= 0 and labels[2] == labels[3]
    assert labels[0] != labels[2]
    together = faceless_groups(images, {"faceless_split": False})[persons]
    assert together[0] >= 0 and len(set(together)) == 1


def test_a_film_forms_no_pairs(two_looks):
    """Where a shot holds several key frames (a film), two looks stay noise as before."""
    names, images = two_looks
    from resources.backends.tflite_embedder import TfliteImageEmbedder

    rows = images[:4]
    appearance = normalise(TfliteImageEmbedder().embed([cutout_on_grey(image) for image in rows]))
    boxes = pl.DataFrame({"shot": [0, 0, 1, 1], "frame_id": ["a", "b", "c", "d"]})
    params = IdentityParams.from_dict({**anime(), "tracks": False})
    labels = assign_identities([str(k) for k in range(4)], {}, appearance, params, boxes=boxes,
                               colours=np.stack([colour_descriptor(i) for i in rows]),
                               shapes=np.stack([shape_descriptor(i) for i in rows])).labels
    assert (labels < 0).all()


def test_rows_left_beside_a_faceless_group_join_it():
    """The Kenney tune set's faceless rows no identity adopted: HDBSCAN on the dozen of them groups three of the
    robot's five front looks; the two left out (0.99 alike, 0.92 to the three) join with ``faceless_absorb``."""
    stored = np.load(ROOT / "tests/data/kenney_tune_identity_rows.npz")
    appearance = normalise(stored["appearance"].astype(np.float32))
    colours, shapes = stored["colour"].astype(np.float32), stored["shape"].astype(np.float32)
    params = IdentityParams.from_dict(anime())
    labels = stored["face_label"].copy()
    remaining, _ = adopt_by_appearance(labels, np.zeros(len(labels), np.float32),
                                        with_colours(appearance, colours, params.appearance_colour_weight),
                                        [{}] * (labels.max() + 1), params,
                                        list(np.flatnonzero(stored["faceless"])), [appearance, colours])
    robot_front = [k for k in remaining if stored["character"][k] == "robot" and "climb" not in stored["image"][k]
                   and "jump" not in stored["image"][k]]
    assert len(robot_front) == 5
    grouped = {}
    # without it, the pairs' rule off too (the two left out are a pair of their own), and the design join (since
    # session 44 the two, each the other's nearest, join the group of three they name on their own)
    for absorb in (True, False):
        ids = [str(k) for k in remaining]
        off = {} if absorb else {"faceless_absorb": False, "faceless_pair_similarity": None,
                                 "faceless_design_join": None}
        grouped[absorb] = assign_identities(
            ids, {}, appearance[remaining], IdentityParams.from_dict({**anime(), **off, "tracks": False}),
            boxes=pl.DataFrame({"shot": list(range(len(ids))), "frame_id": ids, "timestamp_s": [0.0] * len(ids)}),
            colours=colours[remaining], shapes=shapes[remaining]).labels
    robot = [remaining.index(k) for k in robot_front]
    with_absorb = grouped[True][robot]
    assert with_absorb[0] >= 0 and len(set(with_absorb)) == 1
    others = [j for j in range(len(remaining)) if j not in robot]
    assert not np.isin(grouped[True][others], with_absorb[0]).any()
    assert (grouped[False][robot] >= 0).sum() < 5
