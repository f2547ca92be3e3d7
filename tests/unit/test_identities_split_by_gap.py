"""Two drawn characters of one body design (issue 12, session 18): Kenney's CC0 female and male "person" share the
face, the body and the skin and differ in hair and clothes. The drawn face embedding holds them within the
clustering's verification distance; ``split_by_gap`` (the anime preset's ``split_gap`` and ``split_colour_gap``)
cuts such a cluster where its two parts are apart in the face embedding and in the cut-outs' colours, and leaves
one character's looks together."""

import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml

from assets.identities.appearance import colour_descriptor, cutout_on_grey
from assets.identities.core import normalise
from assets.identities.design_split import split_by_gap
from resources.protocols import FaceDetection
from tests.conftest import kenney_wheel_or_skip

ROOT = Path(__file__).resolve().parents[2]
POSES = ("idle", "jump", "walk0", "walk2", "walk4", "walk6")   # the tune split's front poses (climb0: the back)


@pytest.fixture(scope="module")
def looks(shared):
    """Per character: (face vectors, colour descriptors) of its six poses, each also mirrored (12 looks)."""
    from assets.instances.kenney_characters import load_kenney_character
    from resources.backends.drawn_identity import DrawnIdentityEmbedder, context_crop
    from resources.backends.tflite_embedder import TfliteImageEmbedder

    wheel = kenney_wheel_or_skip()
    embedder = DrawnIdentityEmbedder(TfliteImageEmbedder())
    out = {}
    archive = zipfile.ZipFile(wheel)
    for character in ("female_person", "male_person"):
        crops, colours = [], []
        for pose in POSES:
            rgba = load_kenney_character(character, pose, 360, archive).rgba
            for look in (rgba, np.ascontiguousarray(rgba[:, ::-1])):
                bgra = look[..., [2, 1, 0, 3]]
                side = 0.42 * look.shape[0]                       # the head: the top of the sprite, centred
                x0 = (look.shape[1] - side) / 2
                crops.append(context_crop(cutout_on_grey(bgra), FaceDetection((x0, 0.08 * side, x0 + side,
                                                                               1.08 * side), 1.0, "test")))
                colours.append(colour_descriptor(bgra))
        out[character] = (normalise(embedder.embed(crops)), normalise(np.stack(colours)))
    archive.close()
    return out


def anime_gaps() -> tuple[float, float]:
    preset = yaml.safe_load((ROOT / "configs/presets/anime.yaml").read_text())["identities"]
    return preset["split_gap"], preset["split_colour_gap"]


def test_two_designs_of_one_body_in_one_cluster_are_cut_apart_by_face_and_colours(looks):
    faces = np.vstack([looks["female_person"][0], looks["male_person"][0]])
    colours = np.vstack([looks["female_person"][1], looks["male_person"][1]])
    truth = np.repeat([0, 1], 12)
    one = np.zeros(24, dtype=np.int64)
    face_gap, colour_gap = anime_gaps()
    labels, cuts = split_by_gap(faces, one, face_gap, 3, colours, colour_gap)
    assert cuts >= 1
    for character in (0, 1):   # each character whole in one part, the parts apart
        assert len(set(labels[truth == character])) == 1
    assert labels[0] != labels[12]
    unchanged, none = split_by_gap(faces, one, None, 3, colours, colour_gap)   # off (the 3d default): one cluster
    assert none == 0 and (unchanged == 0).all()


def test_one_characters_looks_stay_one_cluster(looks):
    face_gap, colour_gap = anime_gaps()
    for character, (faces, colours) in looks.items():
        labels, cuts = split_by_gap(faces, np.zeros(len(faces), dtype=np.int64), face_gap, 3, colours, colour_gap)
        assert cuts == 0 and (labels == 0).all(), character
