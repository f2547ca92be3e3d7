"""Effect detectors on the Sintel trailer's own frames (what they must and must not report, checked by eye:
bench/data/sintel_trailer_effects.csv), bloom on inserted lights, and fades read as edits, not light."""

import numpy as np
import pytest

from assets.effects import synthetic
from assets.effects.core import frame_detections
from assets.effects.params import EffectParams
from assets.effects.temporal import colour_cast_events, fade_ramps, light_events
from tests.unit.test_temporal_effects import _signals

PARAMS = EffectParams()
# frame index (24 fps) -> what is on screen
FIRE, SUNSET_RUINS, SUNSET_SKY, ALLEY, SUN_IN_HAZE = 552, 588, 720, 480, 852


@pytest.fixture(scope="module")
def sintel(shared) -> dict[int, np.ndarray]:
    import av

    wanted = {FIRE, SUNSET_RUINS, SUNSET_SKY, ALLEY, SUN_IN_HAZE}
    out = {}
    with av.open(str(shared / "media/video/sintel_trailer_480x204.mp4")) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in wanted:
                out[index] = frame.to_ndarray(format="bgr24")
            if len(out) == len(wanted):
                return out
    raise AssertionError("trailer too short")


def _effects(bgr: np.ndarray) -> set[str]:
    return {found["effect"] for found in frame_detections(bgr, [], PARAMS)}


def test_burning_ruins_are_fire_and_a_sunset_is_not(sintel):
    assert "fire" in _effects(sintel[FIRE])
    assert "fire" not in _effects(sintel[SUNSET_RUINS]) | _effects(sintel[SUNSET_SKY])


def test_stone_texture_is_neither_snow_nor_rain_but_snow_over_it_is_snow(sintel):
    assert not _effects(sintel[ALLEY]) & {"snow", "rain", "sparkles"}
    assert "snow" in _effects(synthetic.add_snow(sintel[ALLEY], np.random.default_rng(2)))


def test_the_sun_glowing_through_haze_is_bloom_and_crisp_lamps_are_not(sintel, shared):
    assert "bloom" in _effects(sintel[SUN_IN_HAZE])
    for seed in range(3):
        base = sintel[SUNSET_RUINS] // 3  # a dim scene, where lamps stand out
        crisp = synthetic.add_lights(base, np.random.default_rng(seed))
        glowing = synthetic.add_lights(base, np.random.default_rng(seed), glow=0.7)
        assert "bloom" not in _effects(crisp) and "bloom" in _effects(glowing)


def test_fades_through_black_are_not_lighting_changes_or_flashes():
    fade_in = list(np.linspace(0, 120, 48))  # two seconds up from black
    luma = [0.0] * 12 + fade_in + [120.0] * 48 + list(np.linspace(120, 0, 36)) + [0.0] * 12 + [60.0] * 30
    assert light_events(_signals(luma), 24.0, PARAMS) == []
    # the same step of light inside a lit stretch is a lighting change
    assert [e["effect"] for e in light_events(_signals([60.0] * 48 + [120.0] * 48), 24.0, PARAMS)] == \
        ["lighting_change"]


def test_fade_ramps_mark_only_the_frames_rising_out_of_black_or_sinking_into_it():
    luma = np.array([10, 30, 50, 70] + [70, 71, 70, 69, 70, 70, 71, 70, 70, 70] + [50, 20], float)
    fading = fade_ramps(luma, 8.0, from_black=True, to_black=True)
    assert fading[:3].all() and fading[-2:].all() and not fading[6:11].any()
    assert not fade_ramps(luma, 8.0, from_black=False, to_black=False).any()


def test_a_dip_to_black_splits_colour_casts():
    luma = [90.0] * 24 + [2.0] * 6 + [90.0] * 24
    events = colour_cast_events(_signals(luma, lab_b=-25.0), PARAMS)
    assert len(events) == 2 and events[0]["end_s"] < 1.0 < 30 / 24 <= events[1]["start_s"]


def _film_signals(path, seconds: tuple[float, float]):
    """frame_signals of every frame of ``path`` between ``seconds``, at the analysis width, as one shot."""
    import av
    import polars as pl

    from assets.frames.handoff import ANALYSIS_WIDTH, frame_signals, small_size

    rows = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for index, frame in enumerate(container.decode(stream)):
            at = float(frame.pts * stream.time_base)
            if seconds[0] <= at <= seconds[1]:
                width, height = small_size(frame.width, frame.height, ANALYSIS_WIDTH)
                bgr = frame.reformat(width=width, height=height, format="bgr24", interpolation="AREA").to_ndarray()
                rows.append({"frame_index": index, "timestamp_s": at, "shot": 0, **frame_signals(bgr)})
    return pl.DataFrame(rows)


def test_a_sunset_grade_is_a_colour_cast_and_a_cartoons_meadow_is_not(shared):
    sunset = colour_cast_events(_film_signals(shared / "media/video/sintel_trailer_480x204.mp4", (26.0, 28.0)),
                                PARAMS)
    assert [e["effect"] for e in sunset] == ["colour_cast"] and "orange" in sunset[0]["detail"]
    # bright green grass under a blue sky, a mean chroma of about 24 (the mean alone called it a cast)
    for episode in ("football", "spring"):
        video = shared / f"media/video/2d/penny_and_chip/penny_and_chip_{episode}.mp4"
        assert colour_cast_events(_film_signals(video, (0.0, 8.0)), PARAMS) == [], episode


def test_a_clip_fading_to_white_before_its_cut_is_no_lighting_change(shared):
    # Penny & Chip's stargazing clip ends in a ramp from grey 190 to white (253) over its last second
    video = shared / "media/video/2d/penny_and_chip_26shots_480p.mp4"
    assert light_events(_film_signals(video, (155.0, 160.0)), 24.0, PARAMS) == []
