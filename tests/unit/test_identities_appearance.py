"""The cut-out an appearance vector is computed from: composited on mid grey, cropped to its visible part."""

import glob

import cv2
import numpy as np
import pytest

from assets.identities.appearance import BACKGROUND, load_cutout


def composited_then_cropped(bgra: np.ndarray) -> np.ndarray:
    """The whole cut-out composited in float32, then cropped to its pixels with alpha > 0 (the earlier order)."""
    alpha = bgra[:, :, 3:4].astype(np.float32) / 255.0
    rgb = (bgra[:, :, :3].astype(np.float32) * alpha + BACKGROUND * (1 - alpha)).astype(np.uint8)
    ys, xs = np.nonzero(bgra[:, :, 3] > 0)
    if len(ys):
        rgb = rgb[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_BGR2RGB)


@pytest.mark.parametrize("visible", ["soft_island", "whole", "none"])
def test_load_cutout_crops_then_composites_to_the_same_pixels(shared, tmp_path, visible):
    """Cropping to the visible part before compositing gives every pixel the whole cut-out's composite gave it:
    an opaque island with a soft edge inside a transparent margin, a cut-out with no transparent pixel, and one
    with nothing visible (kept whole, all background)."""
    bgr = cv2.imread(sorted(glob.glob(str(shared / "media/faces/knn_examples/train/*/*")))[0])
    h, w = bgr.shape[:2]
    alpha = np.zeros((h, w), np.uint8)
    if visible == "soft_island":
        alpha[h // 5:h - h // 7, w // 6:w - w // 4] = 255
        alpha = cv2.GaussianBlur(alpha, (0, 0), 4)      # a soft edge of many levels
        alpha[h // 5 + 3, w // 2] = 0                   # and a transparent hole inside
    elif visible == "whole":
        alpha[:] = 200
    path = tmp_path / "cut.png"
    bgra = np.dstack([bgr, alpha])
    cv2.imwrite(str(path), bgra)
    got = load_cutout(path)
    expected = composited_then_cropped(bgra)
    if visible == "soft_island":
        assert 0 < got.shape[0] < h and 0 < got.shape[1] < w
        assert len(np.unique(alpha)) > 100   # many soft levels
    assert got.shape == expected.shape and np.array_equal(got, expected)
    if visible == "none":
        assert got.shape == (h, w, 3) and (got == BACKGROUND).all()


class FakeEmbedder:
    """A vector from each image's own pixels (its size and mean colour), so a row shows whose cut-out it came from."""
    embedding_dim = 5

    def __init__(self):
        self.batches = []

    def embed(self, images: list[np.ndarray]) -> np.ndarray:
        self.batches.append(len(images))
        return np.array([[*image.shape[:2], *image.reshape(-1, 3).mean(axis=0)] for image in images], np.float32)


def test_appearance_vectors_keep_each_cutouts_row_when_read_on_threads(shared, tmp_path):
    from assets.identities.appearance import appearance_vectors

    photos = sorted(glob.glob(str(shared / "media/faces/knn_examples/train/*/*")))[:7]
    paths = []
    for n, photo in enumerate(photos):
        bgr = cv2.imread(photo)
        bgr = cv2.resize(bgr, (40 + 9 * n, 50 + 7 * n), interpolation=cv2.INTER_AREA)   # a size each
        cv2.imwrite(str(tmp_path / f"c{n}.png"), np.dstack([bgr, np.full(bgr.shape[:2], 255, np.uint8)]))
        paths.append(f"c{n}.png")
    paths.insert(3, None)   # a missing cut-out: a zero row
    embedder = FakeEmbedder()
    vectors = appearance_vectors(paths, embedder, lambda p: tmp_path / p, batch_size=3)
    assert embedder.batches == [3, 3, 1]
    for row, path in zip(vectors, paths):
        expected = np.zeros(5, np.float32) if path is None else embedder.embed([load_cutout(tmp_path / path)])[0]
        assert np.array_equal(row, expected)
