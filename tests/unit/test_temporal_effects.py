"""Effect detectors on real frames with effects inserted (exact truth), and the time-based detectors."""

import cv2
import numpy as np
import polars as pl
import pytest

from assets.effects import synthetic
from assets.effects.core import catalogue, frame_detections, key_frame_detections
from assets.effects.params import EffectParams
from assets.effects.temporal import colour_cast_events, light_events, transformation_events
from assets.shot_analysis.stream import SIGNAL_SCHEMA

PARAMS = EffectParams()


@pytest.fixture(scope="module")
def frame(shared) -> np.ndarray:
    """A plain interior of the Penny & Chip film: no effect of its own."""
    import av

    with av.open(str(shared / "media/video/2d/penny_and_chip_26shots_480p.mp4")) as container:
        for i, decoded in enumerate(container.decode(video=0)):
            if i == 1500:
                return decoded.to_ndarray(format="bgr24")
    raise AssertionError("clip too short")


@pytest.fixture(scope="module")
def character(shared) -> np.ndarray:
    return cv2.imread(str(shared / "media/characters_rgba/saha_front.png"), cv2.IMREAD_UNCHANGED)


def _effects(bgr: np.ndarray, boxes=()) -> set[str]:
    return {found["effect"] for found in frame_detections(bgr, list(boxes), PARAMS)}


def test_a_clean_frame_has_no_effect(frame, character):
    picture, box = synthetic.shallow_focus(frame, character, None)
    assert _effects(frame) == set() and _effects(picture, [box]) == set()


@pytest.mark.parametrize("effect", ["snow", "rain", "lens_flare", "motion_blur", "depth_of_field"])
def test_each_inserted_effect_is_found(frame, character, effect):
    rng = np.random.default_rng(7)
    boxes = []
    if effect == "snow":
        picture = synthetic.add_snow(frame, rng)
    elif effect == "rain":
        picture = synthetic.add_rain(frame, rng)
    elif effect == "lens_flare":
        picture = synthetic.add_lens_flare(frame, rng)
    elif effect == "motion_blur":
        picture = synthetic.add_motion_blur(frame, 20.0, 15)
    else:
        picture, box = synthetic.shallow_focus(frame, character, 4.0)
        boxes = [box]
    found = frame_detections(picture, boxes, PARAMS)
    assert effect in {f["effect"] for f in found}
    detection = next(f for f in found if f["effect"] == effect)
    assert 0 < detection["confidence"] <= 1 and detection["measure"]


def _signals(luma: list[float], shot: int = 0, lab_b: float = 0.0, lab_spread: float = 5.0) -> pl.DataFrame:
    n = len(luma)
    return pl.DataFrame({"frame_index": range(n), "timestamp_s": [i / 24 for i in range(n)], "shot": [shot] * n,
                         "luma": luma, "bright_share": [0.0] * n, "lab_a": [0.0] * n, "lab_b": [lab_b] * n,
                         "lab_spread": [lab_spread] * n, "saturation": [0.0] * n, "dx": [0.0] * n, "dy": [0.0] * n, "log_scale": [0.0] * n,
                         "rotation_deg": [0.0] * n, "inliers": [50] * n}, schema=SIGNAL_SCHEMA)


def test_a_fade_through_white_is_an_edit_not_light():
    # a shot that ramps up to white at its end, and the next that starts in white and comes down: no light event
    into_white = [120.0] * 48 + list(np.linspace(120, 250, 24))
    out_of_white = [252.0] * 8 + list(np.linspace(250, 130, 24)) + [130.0] * 48
    assert light_events(_signals(into_white), 24.0, PARAMS) == []
    assert light_events(_signals(out_of_white), 24.0, PARAMS) == []
    # the same ramp that stops short of white is a lighting change
    assert [e["effect"] for e in light_events(_signals([120.0] * 48 + list(np.linspace(120, 200, 24)) + [200.0] * 24),
                                              24.0, PARAMS)] == ["lighting_change"]


def test_a_flash_and_a_lighting_change_are_told_apart():
    luma = [80.0] * 30 + [170.0, 150.0, 90.0] + [80.0] * 30 + [130.0] * 40
    events = light_events(_signals(luma), 24.0, PARAMS)
    flashes = [e for e in events if e["effect"] == "flash"]
    changes = [e for e in events if e["effect"] == "lighting_change"]
    assert len(flashes) == 1 and flashes[0]["start_s"] == pytest.approx(30 / 24) and flashes[0]["measure"] == "luma_rise"
    assert len(changes) == 1 and changes[0]["start_s"] == pytest.approx(62 / 24, abs=0.5)
    assert light_events(_signals([80.0] * 60), 24.0, PARAMS) == []  # steady light: nothing


def test_a_blue_grade_is_a_colour_cast_and_neutral_is_not():
    blue = colour_cast_events(_signals([90.0] * 24, lab_b=-25.0), PARAMS)
    assert len(blue) == 1 and "blue" in blue[0]["detail"] and blue[0]["confidence"] == 1.0
    assert colour_cast_events(_signals([90.0] * 24, lab_b=3.0), PARAMS) == []


def test_a_mean_colour_that_leans_because_the_colours_spread_is_no_cast():
    # the same blue mean: a grade (every colour moved, spread 10) is a cast, a colourful scene (spread 40) is not
    assert len(colour_cast_events(_signals([90.0] * 24, lab_b=-25.0, lab_spread=10.0), PARAMS)) == 1
    assert colour_cast_events(_signals([90.0] * 24, lab_b=-25.0, lab_spread=40.0), PARAMS) == []
    # signals measured before the spread was are read by their mean alone
    assert len(colour_cast_events(_signals([90.0] * 24, lab_b=-25.0, lab_spread=40.0).drop("lab_spread"),
                                  PARAMS)) == 1


def _recoloured(character: np.ndarray) -> np.ndarray:
    out = character.copy()
    out[..., :3] = cv2.cvtColor(cv2.cvtColor(character[..., :3], cv2.COLOR_BGR2HSV) + np.array([70, 0, 0], np.uint8),
                                cv2.COLOR_HSV2BGR)
    return out


def _with_background(character: np.ndarray, frame: np.ndarray) -> np.ndarray:
    """The cut-out as a leaking cut gives it: the frame behind it taken along, beside the character."""
    h, w = character.shape[:2]
    leaked = np.zeros((h, 3 * w, 4), np.uint8)
    leaked[..., :3] = cv2.resize(frame, (3 * w, h), interpolation=cv2.INTER_AREA)
    leaked[..., 3] = 255
    covered = character[..., 3] > 127
    leaked[:, w:2 * w][covered] = character[covered]
    return leaked


def _transformations(looks: list[np.ndarray], identities: list[str | None] | None = None) -> list:
    n = len(looks)
    paths = [f"{i}.png" for i in range(n)]
    points = pl.DataFrame({"track_id": ["t"] * n, "instance_id": [f"i{i}" for i in range(n)],
                           "frame_id": [f"f{i}" for i in range(n)], "timestamp_s": [0.5 * i for i in range(n)],
                           **({"identity": identities} if identities else {})})
    instances = pl.DataFrame({"instance_id": [f"i{i}" for i in range(n)], "path": paths})
    return transformation_events(points, instances, dict(zip(paths, looks)).get, PARAMS)


def test_a_character_changing_colour_along_its_track_is_a_transformation(character):
    events = _transformations([character, character, _recoloured(character), _recoloured(character)])
    assert len(events) == 1 and events[0]["frame_ids"] == ["f1", "f2"] and events[0]["measure"] == "appearance_jump"
    same = ["identity_000"] * 4
    assert len(_transformations([character, character, _recoloured(character), _recoloured(character)], same)) == 1


def test_a_one_frame_jump_a_crossing_or_a_noise_row_is_no_transformation(character, frame):
    recoloured = _recoloured(character)
    # a cut that took the frame behind it on one key frame (Penny & Chip's sky and clouds): the next one is clean
    assert _transformations([character, _with_background(character, frame), character, character]) == []
    # the new colours, or the old, seen on one key frame only: the track ends or starts on the change
    assert _transformations([character, character, recoloured]) == []
    assert _transformations([character, recoloured, recoloured, recoloured]) == []
    # the track passes from one character to another (their identities differ)
    crossing = ["identity_000", "identity_000", "identity_001", "identity_001"]
    assert _transformations([character, character, recoloured, recoloured], crossing) == []
    # the changed rows are noise cut-outs (no identity) while the character's own rows stay as they were
    assert _transformations([character, character, recoloured, recoloured, character],
                            ["identity_000", "identity_000", None, None, "identity_000"]) == []


def test_catalogue_tags_frames_and_marks_heavy_ones(frame):
    rng = np.random.default_rng(1)
    pictures = {"clean.jpg": frame, "snow.jpg": synthetic.add_snow(frame, rng, flakes_per_megapixel=4000)}
    frames = pl.DataFrame({"frame_id": ["c", "s"], "shot": [0, 0], "timestamp_s": [0.5, 1.5],
                           "path": ["clean.jpg", "snow.jpg"], "kept": [True, True]})
    signals = _signals([90.0] * 48)
    out = catalogue(frames, signals, 24.0, None, None, pictures.get, pictures.get, PARAMS)
    snow = out.effects.filter(pl.col("effect") == "snow")
    assert snow.height == 1 and snow["frame_ids"][0].to_list() == ["s"]
    tags = dict(zip(out.frame_effects["frame_id"], out.frame_effects["effects"].to_list()))
    assert tags == {"c": [], "s": ["snow"]}
    assert out.frame_effects.filter(pl.col("heavy"))["frame_id"].to_list() == ["s"]
    empty = catalogue(frames.clear(), signals.clear(), 24.0, None, None, pictures.get, pictures.get, PARAMS)
    assert empty.effects.height == 0 and "nothing to measure" in empty.note


@pytest.mark.parametrize("angle", [0.0, 30.0, 90.0, 150.0])
def test_motion_blur_direction_is_recovered(angle):
    from assets.effects.measures import directional_blur

    rng = np.random.default_rng(0)
    texture = cv2.GaussianBlur((rng.random((360, 640, 3)) * 255).astype(np.uint8), (0, 0), 1.5)
    agreement, direction, _ = directional_blur(synthetic.add_motion_blur(texture, angle, 21))
    assert agreement > 0.6
    assert min(abs(direction - angle), 180 - abs(direction - angle)) < 3  # counter-clockwise on screen
    assert directional_blur(texture)[0] < 0.1  # isotropic texture: no direction


def test_key_frames_measured_on_threads_give_the_one_thread_list(frame, character):
    rng = np.random.default_rng(2)
    focused, box = synthetic.shallow_focus(frame, character, 4.0)
    pictures = {"clean.jpg": frame, "snow.jpg": synthetic.add_snow(frame, rng, flakes_per_megapixel=4000),
                "rain.jpg": synthetic.add_rain(frame, rng), "focus.jpg": focused}
    names = ["snow.jpg", "clean.jpg", "focus.jpg", "rain.jpg", "missing.jpg", "snow.jpg"]
    kept = pl.DataFrame({"frame_id": [f"f{i}" for i in range(len(names))], "shot": [0, 0, 1, 1, 1, 2],
                         "timestamp_s": [0.5 * i for i in range(len(names))], "path": names})
    boxes = {"f2": [box]}
    one = key_frame_detections(kept, boxes, pictures.get, PARAMS, workers=1)
    assert [(f["frame_id"], f["effect"]) for f in one if f["effect"] in ("snow", "depth_of_field")] == [
        ("f0", "snow"), ("f2", "depth_of_field"), ("f5", "snow")]
    assert key_frame_detections(kept, boxes, pictures.get, PARAMS, workers=3) == one


def test_appearance_histogram_counts_covered_pixels_only(shared):
    """The histogram of a real photo's pixels whose alpha is above 127 (HSV of the colour planes), whatever the
    uncovered pixels hold; too few covered pixels give None."""
    import glob

    from assets.effects.temporal import appearance_histogram

    bgr = cv2.imread(sorted(glob.glob(str(shared / "media/faces/knn_examples/train/*/*")))[0])
    alpha = np.zeros(bgr.shape[:2], np.uint8)
    alpha[:, : bgr.shape[1] // 2] = 128          # covered (just above 127)
    alpha[: bgr.shape[0] // 3, :] = 127          # not covered
    hist = appearance_histogram(np.dstack([bgr, alpha]))
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    expected = cv2.calcHist([hsv], [0, 1], (alpha > 127).astype(np.uint8), [12, 4], [0, 180, 0, 256]).reshape(-1)
    assert np.allclose(hist, expected / expected.sum())
    painted = bgr.copy()
    painted[alpha <= 127] = (0, 0, 255)           # uncovered pixels repainted: the histogram does not move
    assert np.allclose(appearance_histogram(np.dstack([painted, alpha])), hist)
    few = np.zeros_like(alpha)
    few[:7, :9] = 255                             # 63 covered pixels
    assert appearance_histogram(np.dstack([bgr, few])) is None


def test_tracked_appearance_is_read_from_the_key_frame_under_the_mask(frame, character):
    """A tracked instance's histogram from its key frame (decoded for the frame's detections) under its 1-bit mask
    equals its cut-out's where the cut-out's alpha above 127 is the mask (a mask at frame size, or at cut-out size
    placed at the cut-out's origin); the catalogue then reads no cut-out of a tracked instance and finds the same
    transformation as from the cut-outs."""
    from assets.effects.temporal import appearance_histogram, mask_histogram

    def paste(picture: np.ndarray, sprite: np.ndarray, x0: int, y0: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(frame with the sprite, frame-sized mask, the cut-out: the frame's pixels with the binary alpha)."""
        h, w = sprite.shape[:2]
        covered = sprite[..., 3] > 127
        out, mask = picture.copy(), np.zeros(picture.shape[:2], np.uint8)
        out[y0:y0 + h, x0:x0 + w][covered] = sprite[..., :3][covered]
        mask[y0:y0 + h, x0:x0 + w][covered] = 255
        return out, mask, np.dstack([out[y0:y0 + h, x0:x0 + w], mask[y0:y0 + h, x0:x0 + w]])

    sprite = cv2.resize(character, None, fx=0.3, fy=0.3, interpolation=cv2.INTER_AREA)
    recoloured = sprite.copy()
    recoloured[..., :3] = cv2.cvtColor(cv2.cvtColor(sprite[..., :3], cv2.COLOR_BGR2HSV) + np.array(
        [70, 0, 0], np.uint8), cv2.COLOR_HSV2BGR)
    shots = [paste(frame, sprite, 40, 30), paste(frame, sprite, 60, 35), paste(frame, recoloured, 80, 40),
             paste(frame, recoloured, 100, 45)]
    first_frame, first_mask, first_cut = shots[0]
    hist = appearance_histogram(first_cut)
    assert hist is not None and np.array_equal(mask_histogram(first_frame, first_mask), hist)
    assert np.array_equal(mask_histogram(first_frame, first_mask[30:30 + sprite.shape[0], 40:40 + sprite.shape[1]],
                                         (40, 30)), hist)
    files = {}
    for n, (picture, mask, cut) in enumerate(shots):
        files.update({f"f{n}.jpg": picture, f"m{n}.png": mask, f"c{n}.png": cut})
    frames = pl.DataFrame({"frame_id": ["f0", "f1", "f2", "f3"], "shot": [0] * 4, "timestamp_s": [0.5, 1.0, 1.5, 2.0],
                           "path": ["f0.jpg", "f1.jpg", "f2.jpg", "f3.jpg"], "kept": [True] * 4})
    instances = pl.DataFrame({"instance_id": ["i0", "i1", "i2", "i3"], "frame_id": ["f0", "f1", "f2", "f3"],
                              "path": ["c0.png", "c1.png", "c2.png", "c3.png"],
                              "mask_path": ["m0.png", "m1.png", "m2.png", "m3.png"],
                              "x0": [40.0, 60, 80, 100], "y0": [30.0, 35, 40, 45], "x1": [200.0, 220, 240, 260],
                              "y1": [300.0, 305, 310, 315], "kept": [True] * 4})
    points = pl.DataFrame({"track_id": ["t"] * 4, "instance_id": ["i0", "i1", "i2", "i3"],
                           "frame_id": ["f0", "f1", "f2", "f3"], "timestamp_s": [0.5, 1.0, 1.5, 2.0]})
    cutouts_read = []

    def read_cutout(stored: str) -> np.ndarray:
        cutouts_read.append(stored)
        return files[stored]

    from_cutouts = catalogue(frames, None, 24.0, instances, points, files.get, read_cutout, PARAMS)
    assert sorted(cutouts_read) == ["c0.png", "c1.png", "c2.png", "c3.png"]
    cutouts_read.clear()
    from_masks = catalogue(frames, None, 24.0, instances, points, files.get, read_cutout, PARAMS, files.get)
    assert cutouts_read == []
    assert from_masks.effects.equals(from_cutouts.effects)
    assert from_masks.effects.filter(pl.col("effect") == "transformation")["frame_ids"].to_list() == [["f1", "f2"]]


@pytest.mark.parametrize("size", [10, 11, 640 * 360])
def test_the_direction_floor_skips_the_median_only_where_it_cannot_exceed_the_least(size):
    from assets.effects.measures import _direction_floor

    rng = np.random.default_rng(size)
    half = (size - 1) // 2
    for above in (half - 1, half, half + 1, half + 2):   # pixels above 2 x 50 around the middle of the sorted frame
        for high in (100.5, 160.0, 400.0):
            energy = np.concatenate([rng.uniform(0, 100, size - above), rng.uniform(100.25, high, above)])
            energy = rng.permutation(energy).astype(np.float32)
            assert _direction_floor(energy) == max(50.0, float(np.percentile(energy, 50)) * 0.5)
    assert _direction_floor(np.full(size, 100.0, np.float32)) == 50.0


def test_the_effect_measures_cut_short_only_what_cannot_be_detected(frame):
    from assets.effects import measures

    work, _ = measures.working_copy(frame)
    flames = work.copy()
    cv2.circle(flames, (320, 200), 40, (0, 120, 255), -1)   # bright orange light on the interior: flame colours
    share, glowing = measures.fire_share(flames)
    assert share > 0 and glowing > 0
    flame_colours = float(((lambda h: (h[..., 0] <= 22) & (h[..., 1] >= 150) & (h[..., 2] >= 170))(
        cv2.cvtColor(flames, cv2.COLOR_BGR2HSV))).mean())
    assert measures.fire_share(flames, at_least=flame_colours) == (share, glowing)
    assert measures.fire_share(flames, at_least=flame_colours + 1e-6) == (0.0, 0.0)

    blurred = synthetic.add_motion_blur(work, 20.0, 15)
    for picture in (work, blurred):
        whole = measures.directional_blur(picture)
        assert measures.directional_blur(picture, most_detail=whole[2]) == whole
        assert measures.directional_blur(picture, most_detail=whole[2] - 1e-6) == (0.0, 0.0, whole[2])
    assert measures.directional_blur(blurred)[0] >= PARAMS.blur_agreement   # the cut-short case is a real one

    glows = []
    for glow in (0.0, 0.7):   # the roughness map is made once a ring is lit: not for crisp lamps, for glowing ones
        lit = synthetic.add_lights(work, np.random.default_rng(0), glow=glow)
        glows.append(measures.bloom(lit))
        assert measures.bloom(lit, maps=measures.detail_maps(lit)) == glows[-1]
    assert glows[0] == 0.0 < glows[1]


@pytest.mark.parametrize("window", [3, 24, 25])
def test_trailing_medians_are_each_frames_own_median(window):
    from assets.effects.temporal import trailing_medians

    rng = np.random.default_rng(window)
    for length in (1, 2, window - 1, window, window + 1, 500):
        luma = np.round(rng.normal(90, 30, length), 3)   # repeated values too: ties in the windows
        luma[rng.random(length) < 0.3] = 90.0
        medians = trailing_medians(luma, window)
        assert np.isnan(medians[0])
        expected = [np.median(luma[max(0, i - window):i]) for i in range(1, length)]
        assert np.array_equal(medians[1:], np.array(expected, np.float64))   # bit for bit, not close


@pytest.mark.parametrize("shape", [(360, 640), (361, 641), (1138, 640)])
def test_components_are_opencvs_with_the_labels_that_fit(frame, shape):
    """As many components as a picture can hold (every other pixel of every other row) and a real frame's specks:
    count, labels and stats as ``cv2.connectedComponentsWithStats``; 16-bit labels only where they cannot overflow."""
    from assets.effects.measures import components

    dotted = np.zeros(shape, np.uint8)
    dotted[::2, ::2] = 1
    grey = cv2.cvtColor(cv2.resize(frame, shape[::-1]), cv2.COLOR_BGR2GRAY)
    specks = (cv2.morphologyEx(grey, cv2.MORPH_TOPHAT, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))) >= 28)
    for binary in (dotted, specks.astype(np.uint8)):
        count, labels, stats = components(binary)
        expected = cv2.connectedComponentsWithStats(binary, connectivity=8)
        assert count == expected[0] and np.array_equal(labels, expected[1]) and np.array_equal(stats, expected[2])
        assert labels.dtype == (np.uint16 if shape[0] * shape[1] < 4 * 65535 else np.int32)
    assert components(dotted)[0] == ((shape[0] + 1) // 2) * ((shape[1] + 1) // 2) + 1
