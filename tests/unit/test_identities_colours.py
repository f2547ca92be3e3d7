"""A drawn character's colours (issue 12): a cut-out's opaque pixels in coarse CIELAB bins tell two drawn characters
apart where a general image embedding holds them close, whatever the cut-out's size and with part of it hidden."""

from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from assets.identities.appearance import colour_descriptor, load_cutout, with_colours
from assets.identities.core import IdentityParams, normalise
from resources.image_codec import read_image

ROOT = Path(__file__).resolve().parents[2]
CHARACTERS = "media/characters_rgba"


def characters(shared: Path) -> dict[str, np.ndarray]:
    return {name: read_image(shared / CHARACTERS / f"{name}.png") for name in ("saha_front", "saha_side", "sita_front")}


def rows(cutout: np.ndarray, start: float, stop: float) -> np.ndarray:
    """The band of a cut-out's visible height from ``start`` to ``stop`` (shares of it): the rest hidden."""
    visible = np.flatnonzero((cutout[:, :, 3] >= 128).any(axis=1))
    height = visible[-1] - visible[0]
    return cutout[visible[0] + int(start * height):visible[0] + int(stop * height)]


def test_the_colours_of_one_character_agree_across_views_sizes_and_hidden_parts(shared):
    looks = characters(shared)
    colours = {name: colour_descriptor(cutout) for name, cutout in looks.items()}
    saha, side, sita = colours["saha_front"], colours["saha_side"], colours["sita_front"]
    assert np.isclose(np.linalg.norm(saha), 1.0)
    assert saha @ side > 0.95 and saha @ sita < 0.5 and side @ sita < 0.5   # Saha front / side: 0.975; Sita: 0.40
    quarter = cv2.resize(looks["saha_front"], None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    assert colour_descriptor(quarter) @ saha > 0.97                          # the size does not matter (0.99)
    for start, stop in ((0.0, 0.5), (0.5, 1.0)):                             # half of her hidden: still Saha
        half = colour_descriptor(rows(looks["saha_front"], start, stop))
        assert half @ side > 0.85 and half @ sita < 0.45
    under = looks["saha_front"].copy()
    under[under[:, :, 3] < 128, :3] = (0, 0, 255)                            # what lies under transparent pixels
    assert np.array_equal(colour_descriptor(under), saha)
    assert not colour_descriptor(np.zeros((8, 8, 4), np.uint8)).any()        # nothing opaque: matches nothing


def test_colours_part_two_drawn_characters_the_image_embedding_holds_close(shared):
    from resources.backends.tflite_embedder import TfliteImageEmbedder

    names = ("saha_front", "saha_side", "sita_front")
    appearance = normalise(TfliteImageEmbedder().embed([load_cutout(shared / CHARACTERS / f"{n}.png") for n in names]))
    colours = np.stack([colour_descriptor(cutout) for cutout in characters(shared).values()])
    mixed = with_colours(appearance, colours, 0.5)
    assert np.allclose(np.linalg.norm(mixed, axis=1), 1.0, atol=1e-5)
    assert np.allclose(mixed @ mixed.T, 0.5 * appearance @ appearance.T + 0.5 * colours @ colours.T, atol=1e-5)
    gap = {"image": appearance[0] @ appearance[1] - appearance[0] @ appearance[2],
           "colours": colours[0] @ colours[1] - colours[0] @ colours[2]}
    assert gap["colours"] > 2 * gap["image"] > 0   # Saha's views against Sita: 0.57 apart in colour, 0.13 in MobileNet
    assert with_colours(appearance, colours, 0.0) is appearance and with_colours(appearance, None, 0.5) is appearance


def test_the_anime_preset_mixes_colours_and_the_weight_is_checked():
    preset = yaml.safe_load((ROOT / "configs/presets/anime.yaml").read_text())["identities"]
    assert IdentityParams.from_dict(preset).appearance_colour_weight == 0.5
    assert IdentityParams().appearance_colour_weight == 0.0                  # 3d and the defaults: the image alone
    with pytest.raises(ValueError):
        IdentityParams.from_dict({"appearance_colour_weight": 1.0})


def test_appearance_and_colours_come_from_one_read_of_each_cut_out(shared):
    from assets.identities.appearance import appearance_vectors, cutout_vectors
    from resources.backends.tflite_embedder import TfliteImageEmbedder

    paths = ["saha_front.png", None, "sita_front.png"]   # a missing cut-out's rows are zero
    embedder = TfliteImageEmbedder()
    appearance, colours, _, _ = cutout_vectors(paths, embedder, lambda p: shared / CHARACTERS / p, colours=True)
    assert np.array_equal(appearance, appearance_vectors(paths, embedder, lambda p: shared / CHARACTERS / p))
    looks = characters(shared)   # the whole file, not cropped to its visible part: the same counts
    assert np.array_equal(colours, np.stack([colour_descriptor(looks["saha_front"]), np.zeros(colours.shape[1]),
                                             colour_descriptor(looks["sita_front"])]))
    assert cutout_vectors(paths, embedder, lambda p: shared / CHARACTERS / p, colours=False)[1] is None


def test_the_colour_layouts_come_from_the_same_read_only_at_the_rows_asked_for(shared):
    from assets.identities.appearance import cutout_vectors, layout_rows, read_cutout
    from assets.identities.colour_layout import layout_descriptor
    from resources.backends.tflite_embedder import TfliteImageEmbedder

    paths = ["saha_front.png", None, "sita_front.png", "saha_side.png"]
    resolve = lambda p: shared / CHARACTERS / p   # noqa: E731
    rows = cutout_vectors(paths, TfliteImageEmbedder(), resolve, colours=False, layouts=[0, 1, 3])
    alone = layout_rows(paths, resolve, [0, 1, 3])   # where no appearance is read
    assert np.array_equal(rows.layouts, alone)
    assert np.array_equal(rows.layouts[0], layout_descriptor(read_cutout(resolve("saha_front.png"))))
    assert np.array_equal(rows.layouts[3], layout_descriptor(read_cutout(resolve("saha_side.png"))))
    assert not rows.layouts[1].any() and not rows.layouts[2].any()   # missing, and not asked for
    assert rows.layouts[0].any() and not np.array_equal(rows.layouts[0], rows.layouts[3])
    assert cutout_vectors(paths, TfliteImageEmbedder(), resolve, colours=False).layouts is None
