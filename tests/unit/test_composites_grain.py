"""bench/composites.py --grain / --grain-size: a composite shown with luma film grain (composites.with_grain), seeded
per scene, its truth unchanged. Real characters (Kenney's, and ../shared's Sita and Saha) on real film frames."""

import numpy as np

from tests.conftest import kenney_wheel_or_skip, load_bench


def test_grain_adds_seeded_luma_noise_of_its_sigma_and_keeps_the_truth(shared):
    kenney_wheel_or_skip()
    bench = load_bench("composites")
    plain, _ = bench.build_scenes("tune", 3, 7, character_set="kenney")
    grained, _ = bench.build_scenes("tune", 3, 7, character_set="kenney", grain=(8.0, 0.0))
    again, _ = bench.build_scenes("tune", 3, 7, character_set="kenney", grain=(8.0, 0.0))
    for n, (a, b, c) in enumerate(zip(plain, grained, again)):
        assert [x.name for x in a.characters] == [x.name for x in b.characters]
        assert all(np.array_equal(x.alpha, y.alpha) for x, y in zip(a.characters, b.characters))
        assert np.array_equal(b.rgb, c.rgb)                       # seeded: the same grain every run
        added = b.rgb.astype(np.float32) - a.rgb.astype(np.float32)
        unclipped = (a.rgb.min(axis=2) > 40) & (a.rgb.max(axis=2) < 215)
        assert 7.0 < added[unclipped].std() < 9.0                 # sigma 8 grey levels where nothing clips
        assert np.abs(added[..., 0] - added[..., 1])[unclipped].max() <= 1  # luma grain: alike in R, G and B
    assert not np.array_equal(grained[0].rgb - plain[0].rgb, grained[1].rgb - plain[1].rgb)  # each scene its own


def test_grain_size_clumps_the_grain_at_the_same_sigma(shared):
    from assets.instances.composites import with_grain

    bench = load_bench("composites")
    rgb = np.full((240, 320, 3), 128, np.uint8)
    fine = with_grain(rgb, 8.0, 0.0, seed=3).astype(np.float32)[..., 0] - 128
    clumped = with_grain(rgb, 8.0, 1.5, seed=3).astype(np.float32)[..., 0] - 128
    assert abs(fine.std() - 8.0) < 0.3 and abs(clumped.std() - 8.0) < 0.3
    neighbours = [np.corrcoef(x[:, :-1].ravel(), x[:, 1:].ravel())[0, 1] for x in (fine, clumped)]
    assert abs(neighbours[0]) < 0.05 and neighbours[1] > 0.6    # white noise against grain clumps
    assert with_grain(rgb, 0.0) is rgb                           # no grain: the frame itself
    scenes, _ = bench.build_scenes("tune", 1, 7)
    lossless, _ = bench.build_scenes("tune", 1, 7, grain=(0.0, 0.0))
    assert np.array_equal(scenes[0].rgb, lossless[0].rgb)
