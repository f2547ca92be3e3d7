"""A cut-out's colour bins looked up in a table of every colour (resources/colour_tables.py) are the bins the
per-pixel conversion gives the cut-out's own pixels: the identities' colour descriptor and colour layout and the
export's palettes, on real drawn and rendered cut-outs at their own size and at 1080p, with no per-pixel colour
conversion left per cut-out once the table is made."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from assets.datasets import second_character
from assets.datasets.images import load_cutout
from assets.identities import appearance, colour_layout
from resources.colour_tables import COLOURS, colour_table, colours_from, packed_colours
from resources.image_codec import read_image

CHARACTERS = "media/characters_rgba"   # rendered characters (Sita, Saha) with their own alpha
PENNY_CHIP = "media/video/2d/penny_and_chip_26shots_480p.mp4"


def penny_and_chip_at_1080p(shared: Path) -> list[np.ndarray]:
    """Two drawn Penny & Chip frames scaled to the 6-minute 1080p film's key-frame size (1920 x 1078), BGRA with an
    elliptical character-sized alpha (soft at its rim) in their middle: a drawn 1080p cut-out's colours."""
    import av

    images = []
    with av.open(str(shared / PENNY_CHIP)) as container:
        container.seek(40_000_000)
        for index, frame in enumerate(container.decode(video=0)):
            if index % 24 == 0:
                bgr = cv2.resize(frame.to_ndarray(format="bgr24"), (1920, 1078), interpolation=cv2.INTER_CUBIC)
                alpha = np.zeros(bgr.shape[:2], np.uint8)
                cv2.ellipse(alpha, (960, 539), (420, 500), 0, 0, 360, 255, -1)
                images.append(np.dstack([bgr, cv2.GaussianBlur(alpha, (9, 9), 0)]))
            if len(images) == 2:
                break
    return images


def real_cutouts(shared: Path) -> list[np.ndarray]:
    """The shared rendered characters as read (BGRA), one scaled to a 1080p character's height, and drawn 1080p
    cut-outs."""
    paths = sorted((shared / CHARACTERS).glob("*.png"))
    if not paths or not (shared / PENNY_CHIP).exists():
        pytest.skip(f"the shared characters or Penny & Chip missing under {shared}")
    images = [read_image(p) for p in paths]
    tall = cv2.resize(images[0], None, fx=900 / images[0].shape[0], fy=900 / images[0].shape[0],
                      interpolation=cv2.INTER_LINEAR)
    return images + [tall] + penny_and_chip_at_1080p(shared)


def per_pixel_colour_descriptor(image: np.ndarray) -> np.ndarray:
    """``colour_descriptor`` as it was: every opaque pixel converted and binned."""
    pixels = np.ascontiguousarray(image[:, :, :3][image[:, :, 3] >= 128]).reshape(-1, 1, 3)
    bins = int(np.prod(appearance.COLOUR_BINS))
    if not len(pixels):
        return np.zeros(bins, np.float32)
    histogram = np.sqrt(np.bincount(appearance.lab_bins(pixels), minlength=bins) / len(pixels))
    return (histogram / np.linalg.norm(histogram)).astype(np.float32)


def per_pixel_layout_colours(image: np.ndarray) -> np.ndarray:
    """``layout_descriptor``'s colour of every pixel of a BGRA image, converted as a whole image."""
    lab = cv2.cvtColor(np.ascontiguousarray(image[:, :, :3]), cv2.COLOR_BGR2LAB)
    return (np.clip(lab[..., 0].astype(np.int64) * 3 // 256, 0, 2) * 4 + (lab[..., 1] > 128) * 2
            + (lab[..., 2] > 128))


def per_pixel_hsv_bins(rgb: np.ndarray) -> np.ndarray:
    """``colour_bins``' bin of every pixel of an RGB image, converted as a whole image."""
    hsv = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2HSV).astype(np.int32)
    value = np.minimum(hsv[..., 2] * 4 // 256, 3)
    coloured = hsv[..., 0] * second_character.HUES // 180 * 8 + (hsv[..., 1] >= second_character.VIVID) * 4 + value
    return np.where(hsv[..., 1] >= second_character.SATURATED, coloured, second_character.HUES * 8 + value)


TABLES = (("appearance_lab", appearance.lab_bins), ("layout_lab", colour_layout.layout_colours),
          ("palette_hsv", second_character.hsv_bins))


@pytest.mark.parametrize("name,bins_of", TABLES)
def test_a_table_holds_each_colours_bin_wherever_the_colour_sits(name, bins_of):
    table = colour_table(name, bins_of)
    assert table.shape == (COLOURS,) and table is colour_table(name, bins_of)   # made once
    # colours converted at another alignment of OpenCV's vector lanes (an odd count from an odd start), and one
    # at a time (its scalar path), get the table's bins
    start = 7_340_033
    assert np.array_equal(bins_of(colours_from(start, 999_983)), table[start:start + 999_983])
    for code in np.random.default_rng(52).integers(0, COLOURS, 300):
        assert bins_of(colours_from(int(code), 1))[0] == table[code]


def test_packed_colours_of_a_cropped_bgra_view_and_of_three_channels():
    image = np.random.default_rng(1).integers(0, 256, (40, 50, 4), dtype=np.uint8)
    expected = (image[..., 0].astype(np.uint32) | image[..., 1].astype(np.uint32) << 8
                | image[..., 2].astype(np.uint32) << 16)
    crop = image[5:30, 7:41]   # a view: rows not contiguous, as ``read_cutout`` crops
    assert np.array_equal(packed_colours(crop), expected[5:30, 7:41])
    assert np.array_equal(packed_colours(np.ascontiguousarray(image[..., :3])), expected)
    assert np.array_equal(colours_from(int(expected[3, 4]), 1)[0, 0], image[3, 4, :3])


def test_real_cutouts_get_the_per_pixel_descriptors_and_palettes(shared, tmp_path, monkeypatch):
    cutouts = real_cutouts(shared)
    for name, bins_of in TABLES:
        colour_table(name, bins_of)
    boxes = [cv2.boundingRect((c[:, :, 3] >= 128).astype(np.uint8)) for c in cutouts]
    reference_colours = [per_pixel_colour_descriptor(c) for c in cutouts]
    reference_layouts = [per_pixel_layout_colours(c[y:y + h, x:x + w]) for c, (x, y, w, h) in zip(cutouts, boxes)]
    composited = []
    for n, cutout in enumerate(cutouts):   # on grey, as the export's screening reads a cut-out
        cv2.imwrite(str(tmp_path / f"{n}.png"), cutout)
        composited.append(load_cutout(tmp_path / f"{n}.png", (128, 128, 128)))
    reference_bins = [per_pixel_hsv_bins(cut.rgb) for cut in composited]
    assert sum(len(np.unique(packed_colours(c)[c[:, :, 3] >= 128])) for c in cutouts) > 10_000   # many colours

    def no_conversion(*args, **kwargs):
        raise AssertionError("a cut-out's pixels converted one by one again")

    monkeypatch.setattr(cv2, "cvtColor", no_conversion)   # the tables are made: no conversion is left per cut-out
    for cutout, (x, y, w, h), colours, layout, cut, bins in zip(cutouts, boxes, reference_colours, reference_layouts,
                                                               composited, reference_bins):
        assert np.array_equal(appearance.colour_descriptor(cutout), colours)
        looked_up = colour_table("layout_lab", colour_layout.layout_colours)[packed_colours(cutout[y:y + h, x:x + w])]
        assert np.array_equal(looked_up, layout)
        assert np.isclose(np.linalg.norm(colour_layout.layout_descriptor(cutout)), 1.0)
        assert np.array_equal(second_character.colour_bins(cut.rgb, cut.alpha)[0], bins)
