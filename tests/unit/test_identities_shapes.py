"""A cut-out's silhouette for faceless groups (issue 12, assets/identities/appearance.shape_descriptor): one-colour
designs of other shapes are held together by the image embedding and the colours alone. Real sprite silhouettes
from arcade's wheel (Kenney's CC0 items and the robot character; install/fetch_bench_media.sh), each filled with
one flat green, through the faceless grouping with the anime preset's values. Skips where the wheel was not
fetched."""

import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from assets.identities.appearance import SHAPE_SIDE, colour_descriptor, cutout_on_grey, shape_descriptor
from assets.identities.assignment import assign_identities
from assets.identities.core import IdentityParams, normalise
from tests.conftest import kenney_wheel_or_skip

ROOT = Path(__file__).resolve().parents[2]
DESIGNS = ("gemGreen", "coinGold", "star", "keyGreen", "flagGreen1")
GREEN_BGR = (40, 170, 60)


def anime() -> dict:
    return yaml.safe_load((ROOT / "configs/presets/anime.yaml").read_text())["identities"]


@pytest.fixture(scope="module")
def silhouettes() -> dict[str, np.ndarray]:
    """Each design cropped to its alpha, its canvas scaled to 200 rows, as BGRA filled with one green."""
    from PIL import Image

    from assets.instances import kenney_characters as kenney

    wheel = kenney_wheel_or_skip()
    out = {}
    with zipfile.ZipFile(wheel) as archive:
        for design in DESIGNS:
            name = next(n for n in archive.namelist() if n.endswith(f"/images/items/{design}.png"))
            with archive.open(name) as handle, Image.open(handle) as image:
                rgba = kenney.crop_to_alpha(np.asarray(image.convert("RGBA")).copy())
            out[design] = kenney.upscale_rgba(rgba, 200 / rgba.shape[0])
        for pose in ("idle", "walk0", "walk2", "walk4", "walk6"):
            sprite = kenney.read_sprite(archive, "robot", pose)
            out[f"robot_{pose}"] = kenney.crop_to_alpha(kenney.upscale_rgba(sprite, 3))
    for rgba in out.values():
        rgba[..., :3] = GREEN_BGR
    return out


def looks(rgba: np.ndarray) -> list[np.ndarray]:
    """A design seen four ways: as drawn, larger, mirrored and smaller."""
    return [rgba, cv2.resize(rgba, None, fx=1.5, fy=1.5), np.ascontiguousarray(rgba[:, ::-1]),
            cv2.resize(rgba, None, fx=0.6, fy=0.6)]


def faceless_groups(images: list[np.ndarray], shape_weight: float) -> np.ndarray:
    from resources.backends.tflite_embedder import TfliteImageEmbedder

    appearance = normalise(TfliteImageEmbedder().embed([cutout_on_grey(image) for image in images]))
    colours = np.stack([colour_descriptor(image) for image in images])
    shapes = np.stack([shape_descriptor(image) for image in images])
    params = IdentityParams.from_dict({**anime(), "faceless_shape_weight": shape_weight})
    names = [str(k) for k in range(len(images))]
    return assign_identities(names, {}, appearance, params, colours=colours, shapes=shapes).labels


def test_the_silhouette_keeps_its_shape_whatever_the_size_side_or_colour(silhouettes):
    gem = silhouettes["gemGreen"]
    descriptor = shape_descriptor(gem)
    assert descriptor.shape == (SHAPE_SIDE * SHAPE_SIDE,) and np.isclose(np.linalg.norm(descriptor), 1.0)
    for other in looks(gem)[1:]:
        assert shape_descriptor(other) @ descriptor > 0.97
    recoloured = gem.copy()
    recoloured[..., :3] = (200, 40, 40)
    assert np.array_equal(shape_descriptor(recoloured), descriptor)
    assert shape_descriptor(silhouettes["flagGreen1"]) @ descriptor < 0.8
    assert not shape_descriptor(gem[..., :3]).any()   # an opaque crop has no silhouette


def test_one_colour_designs_of_other_shapes_group_apart(silhouettes):
    images = [look for design in DESIGNS for look in looks(silhouettes[design])]
    truth = np.repeat(np.arange(len(DESIGNS)), 4)
    with_shape = faceless_groups(images, anime()["faceless_shape_weight"])
    assert (with_shape >= 0).all()
    assert len(set(with_shape)) == len(DESIGNS)
    assert all(len(set(with_shape[truth == d])) == 1 for d in range(len(DESIGNS)))
    without = faceless_groups(images, 0.0)   # the image embedding and colours alone: gem, star and flag are one
    assert len(set(without[truth == 0]) | set(without[truth == 2]) | set(without[truth == 4])) == 1


def test_one_design_in_several_poses_stays_one_group(silhouettes):
    robot = [silhouettes[f"robot_{pose}"] for pose in ("idle", "walk0", "walk2", "walk4", "walk6")]
    key = looks(silhouettes["keyGreen"])
    labels = faceless_groups(robot + key, anime()["faceless_shape_weight"])
    assert labels[0] >= 0 and len(set(labels[:5])) == 1 and not np.isin(labels[5:], labels[:5]).any()


def test_the_preset_weight_is_checked():
    assert IdentityParams.from_dict(anime()).faceless_shape_weight == 0.4
    assert IdentityParams().faceless_shape_weight == 0.0                    # 3d and the defaults: no shape
    with pytest.raises(ValueError):
        IdentityParams.from_dict({"faceless_shape_weight": 1.0})
