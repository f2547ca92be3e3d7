"""bench/composites.py --crf: a composite shown as a film's H.264 video shows it (composites.through_x264), its
truth unchanged. Real characters (../shared's Sita and Saha) on a real film frame, through the real x264."""

import numpy as np

from tests.conftest import load_bench


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    error = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255.0 ** 2 / error)


def test_a_composite_through_x264_loses_what_the_codec_loses_and_keeps_its_truth(shared):
    import cv2

    from assets.instances.composites import through_x264

    bench = load_bench("composites")
    lossless, _ = bench.build_scenes("tune", 2, 7)
    coded, _ = bench.build_scenes("tune", 2, 7, crf=23)
    for plain, shown in zip(lossless, coded):
        assert shown.rgb.shape == plain.rgb.shape and shown.rgb.dtype == np.uint8
        assert [c.name for c in shown.characters] == [c.name for c in plain.characters]
        assert all(np.array_equal(a.alpha, b.alpha) for a, b in zip(plain.characters, shown.characters))
        assert 30 < _psnr(plain.rgb, shown.rgb) < 50          # lossy, and still the same picture
    rgb = lossless[0].rgb
    assert _psnr(rgb, through_x264(rgb, 18)) > _psnr(rgb, through_x264(rgb, 35)) + 3
    # 4:2:0: the chroma at half resolution is smeared across the characters' edges by 20 levels and more
    ycc, coded_ycc = (cv2.cvtColor(x, cv2.COLOR_RGB2YCrCb).astype(np.float64) for x in (rgb, through_x264(rgb, 18)))
    assert np.abs(ycc[..., 1:] - coded_ycc[..., 1:]).max() >= 20
    odd = rgb[:-1, :-1]   # an odd size is padded for 4:2:0, then cropped back
    assert through_x264(odd, 23).shape == odd.shape


def test_a_coded_composite_stored_as_frames_stores_a_key_frame_is_what_instances_reads(shared, tmp_path):
    """--key-frame-jpeg: the pixels the instances stage reads (frames' cv2.imwrite with key_frame_jpeg_params,
    instances' cv2.imread). With the default 4:2:0 chroma the decoder's 2 x 2 chroma blocks are smoothed away and the
    colour moves across the characters' edges; `frames.jpeg_sampling: "444"` keeps the decoded colour."""
    import cv2

    from assets.frames.core import FrameParams, key_frame_jpeg_params
    from assets.instances.composites import through_jpeg

    bench = load_bench("composites")
    coded, _ = bench.build_scenes("tune", 1, 7, crf=23)
    params = FrameParams()
    assert (params.jpeg_quality, params.jpeg_sampling) == (95, "420")
    stored, _ = bench.build_scenes("tune", 1, 7, crf=23, jpeg=(params.jpeg_quality, params.jpeg_sampling))
    path = tmp_path / "key_frame.jpg"
    assert cv2.imwrite(str(path), cv2.cvtColor(coded[0].rgb, cv2.COLOR_RGB2BGR), key_frame_jpeg_params(params))
    read = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    assert np.array_equal(stored[0].rgb, read) and np.array_equal(through_jpeg(coded[0].rgb), read)

    def block_steps(rgb: np.ndarray) -> tuple[float, float]:  # chroma steps inside and across 2-pixel columns
        cr = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)[..., 1].astype(np.float64)
        steps = np.abs(np.diff(cr, axis=1))
        return steps[:, 0::2].mean(), steps[:, 1::2].mean()

    def chroma_error(rgb: np.ndarray) -> float:  # at the edges: the 99.9th percentile of the decoded colour's change
        a, b = (cv2.cvtColor(x, cv2.COLOR_RGB2YCrCb)[..., 1:].astype(np.float64) for x in (coded[0].rgb, rgb))
        return float(np.percentile(np.abs(a - b).max(axis=2), 99.9))

    inside, across = block_steps(coded[0].rgb)
    assert inside < 0.5 * across                       # the decoded frame: chroma repeated over 2 x 2 blocks
    inside, across = block_steps(read)
    assert inside > 0.5 * across                       # 4:2:0 JPEG: no such blocks, the colour re-sampled
    full = through_jpeg(coded[0].rgb, 95, "444")
    assert np.array_equal(full, bench.build_scenes("tune", 1, 7, crf=23, jpeg=(95, "444"))[0][0].rgb)
    assert chroma_error(full) < 0.6 * chroma_error(read)  # 4:4:4 keeps the decoded colour at edges (3 against 7)
