"""resources/area_resize.area_resized gives OpenCV's INTER_AREA bytes: on real letterboxed 1080p frames read at
480 rows (lip sync on a drawn shot), on every factor band its compiled paths take, and through cv2 itself where
OpenCV averages another way."""

import cv2
import numpy as np
import pytest

from resources.area_resize import area_resized, area_tables

BOX = (160, 90, 1600, 900)   # Penny & Chip scaled to 1600 x 900 inside a 1920 x 1080 frame with black bars


def letterboxed_frames(shared, count: int = 4) -> list[np.ndarray]:
    import av

    video = shared / "media/video/2d/penny_and_chip_26shots_480p.mp4"
    x, y, width, height = BOX
    frames = []
    with av.open(str(video)) as container:
        container.seek(40_000_000)
        for index, frame in enumerate(container.decode(video=0)):
            if index % 9 == 0:
                picture = np.zeros((1080, 1920, 3), np.uint8)
                picture[y:y + height, x:x + width] = cv2.resize(frame.to_ndarray(format="rgb24"), (width, height),
                                                                interpolation=cv2.INTER_CUBIC)
                frames.append(picture)
            if len(frames) == count:
                return frames
    return frames


def opencv(image: np.ndarray, width: int, height: int) -> np.ndarray:
    return cv2.resize(np.ascontiguousarray(image), (width, height), interpolation=cv2.INTER_AREA)


def test_a_letterboxed_1080p_frames_crop_at_480_rows_is_opencvs_bytes(shared):
    """The crop read in place (a view into the full frame, as lip sync passes it) and a contiguous copy."""
    x, y, width, height = BOX
    for frame in letterboxed_frames(shared):
        crop = frame[y:y + height, x:x + width]
        expected = opencv(crop, 853, 480)
        assert np.array_equal(area_resized(crop, 853, 480), expected)
        assert np.array_equal(area_resized(np.ascontiguousarray(crop), 853, 480), expected)
        # the full frame: a factor of 2.25 (four source pixels a column)
        assert np.array_equal(area_resized(frame, 853, 480), opencv(frame, 853, 480))


@pytest.mark.parametrize("rows, columns, height", [(816, 1920, 480), (900, 1600, 480), (1080, 1920, 480),
                                                    (1080, 1440, 320), (577, 1031, 101), (483, 97, 481),
                                                    (1000, 1000, 3)])
def test_every_factor_band_is_opencvs_bytes(rows: int, columns: int, height: int):
    """Factors from just over 1 to over 300 (2 to hundreds of source pixels a column), odd widths, random levels
    (every rounding of a sum near a half level is met somewhere)."""
    image = np.random.default_rng(rows * columns).integers(0, 256, (rows, columns, 3), np.uint8)
    width = max(1, round(columns * height / rows))
    assert np.array_equal(area_resized(image, width, height), opencv(image, width, height))


@pytest.mark.parametrize("shape, size", [((960, 1920, 3), (960, 480)),     # integer factors: OpenCV's other path
                                         ((900, 1600), (853, 480)),        # one channel
                                         ((900, 1600, 4), (853, 480)),     # four
                                         ((300, 400, 3), (853, 480))])     # an enlargement
def test_what_opencv_averages_another_way_is_left_to_it(shape: tuple, size: tuple):
    image = np.random.default_rng(7).integers(0, 256, shape, np.uint8)
    assert np.array_equal(area_resized(image, *size), opencv(image, *size))


def test_the_tables_follow_opencvs_cells():
    """A factor of 5/3: each output pixel covers 5/3 source pixels, partial ones weighted by their cover; a column
    with two (the first, the last) is padded with a weight 0."""
    sources, weights, row_starts, row_sources, row_weights = area_tables(5, 5, 3, 3)
    assert sources.shape == (3, 3)
    assert [list(column) for column in (sources // 3).T] == [[0, 1, 1], [1, 2, 3], [3, 4, 4]]
    assert np.allclose(weights.T, [[0.6, 0.4, 0], [0.2, 0.6, 0.2], [0.4, 0.6, 0]], atol=1e-6)
    assert list(row_starts) == [0, 2, 5, 7]
    assert list(row_sources) == [0, 1, 1, 2, 3, 3, 4]
    assert np.allclose(row_weights, [0.6, 0.4, 0.2, 0.6, 0.2, 0.4, 0.6], atol=1e-6)
