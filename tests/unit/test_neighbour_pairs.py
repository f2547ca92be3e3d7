"""The neighbouring region pairs the chained fill pieces read (resources/backends/character_regions.py:
``neighbour_pairs``, PAIRS_BY_KEY) found as one int64 key a pair: the same pairs in the same order as NumPy's unique
of the pairs as rows, on real windows (a drawn character pasted on a Sintel street, a Penny & Chip frame), and the
same flat parts."""

import cv2
import numpy as np
import pytest

from resources.backends import character_regions
from resources.backends.character_regions import FINE_SCALE, colour_regions, flat_parts, neighbour_pairs
from tests.unit.test_character_regions import cut_window


def pairs_as_rows(regions: np.ndarray) -> np.ndarray:
    """The pairs as same_fill_pieces found them before: every 4-neighbour pair of distinct labels, each sorted,
    then NumPy's unique of the rows."""
    pairs = np.concatenate([np.stack([regions[:, :-1].ravel(), regions[:, 1:].ravel()], 1),
                            np.stack([regions[:-1].ravel(), regions[1:].ravel()], 1)])
    return np.unique(np.sort(pairs[pairs[:, 0] != pairs[:, 1]], axis=1), axis=0)


@pytest.fixture(scope="module")
def sita_window(shared):
    """sita_front on a dark street (the flat parts tests' window): her hair's pieces are chained."""
    return cut_window(shared, "sita_front", 21.0, 336, 400, 20)


@pytest.fixture(scope="module")
def penny_and_chip_window(shared) -> np.ndarray:
    """A 256-px window of a Penny & Chip frame (480p), as the segmenter cuts one."""
    video = cv2.VideoCapture(str(shared / "media/video/2d/penny_and_chip_26shots_480p.mp4"))
    video.set(cv2.CAP_PROP_POS_FRAMES, 900)
    ok, bgr = video.read()
    video.release()
    assert ok
    return cv2.resize(np.ascontiguousarray(bgr[40:440, 200:560]), (230, 256), interpolation=cv2.INTER_AREA)


def refuse_rows_unique(monkeypatch) -> None:
    """NumPy's unique of rows (``axis=``) made unreachable: the keyed pairs must stand alone."""
    unique = np.unique

    def keyed_only(values, *args, **kwargs):
        if kwargs.get("axis") is not None:
            raise AssertionError("neighbour_pairs sorted the pairs as rows")
        return unique(values, *args, **kwargs)

    monkeypatch.setattr(np, "unique", keyed_only)


@pytest.mark.parametrize("scale", [FINE_SCALE, character_regions.REGION_SCALE])
def test_the_keyed_pairs_are_the_rows_unique_on_real_windows(sita_window, penny_and_chip_window, scale,
                                                             monkeypatch):
    windows = [colour_regions(bgr, scale=scale) for bgr in (sita_window[0], penny_and_chip_window)]
    expected = [pairs_as_rows(regions) for regions in windows]
    refuse_rows_unique(monkeypatch)
    for regions, rows in zip(windows, expected):
        found = neighbour_pairs(regions, int(regions.max()) + 1)
        assert len(rows) > 20   # windows of many regions
        assert found.dtype == rows.dtype and np.array_equal(found, rows)


def test_the_flat_parts_are_the_same_with_the_pairs_keyed_or_as_rows(sita_window, monkeypatch):
    bgr, truth, inside = sita_window
    hair = truth & (cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB)[..., 0] < 40)
    added = {}
    for keyed in (False, True):
        monkeypatch.setattr(character_regions, "PAIRS_BY_KEY", keyed)
        added[keyed] = flat_parts(bgr, truth & ~hair, inside, (True, True, True, False))
    assert (added[True] & hair).sum() > 0.6 * hair.sum()   # the chained pieces are there (0.76 of the hair)
    assert np.array_equal(added[True], added[False])
