"""``preset: auto`` reads a film's style where its characters are: drawn characters in flat cel paint on rendered
or painted backgrounds (bench/kenney_film.py's film: Kenney's CC0 characters, drawn without ink lines, walking over
Sintel / Big Buck Bunny / Penny & Chip frames) measure ``anime``, film and shots, though the outline measure of the
whole frame calls them ``3d``; rendered films stay ``3d`` (docs/anime_2d.md, "Session 24 (d3)")."""

import json

import numpy as np
import pytest

from resources.cel_fills import cel_fill_share
from resources.style import FILL_SHARE, _small, measure_style, sample_frames, shot_style
from tests.conftest import load_bench

SINTEL = "media/video/sintel_trailer_480x204.mp4"
BIG_BUCK_BUNNY = "media/video/big_buck_bunny_0_30.webm"


@pytest.fixture(scope="module")
def drawn_film(tmp_path_factory, shared):
    """Four 1-second shots of the tune split's drawn film (480p H.264), with its plan."""
    pytest.importorskip("av")
    out = tmp_path_factory.mktemp("drawn_film")
    try:
        load_bench("kenney_film").build(out, "tune", shots=4, seed=23, height=480, seconds=(1.0, 1.0))
    except FileNotFoundError as missing:   # Kenney's characters (a wheel) not installed
        pytest.skip(str(missing))
    return out


def shot_frames(film_dir, per_shot: int = 3) -> list[list[np.ndarray]]:
    """``per_shot`` frames of each shot of the film (10-90 % of it), as the faces stage picks them."""
    import av

    plan = json.loads((film_dir / "truth" / "film.json").read_text())
    wanted, start = [], 0
    for shot in plan["shots"]:
        count = shot["frames"]
        wanted.append(set(np.linspace(start + count * 0.1, start + count * 0.9 - 1, per_shot).astype(int).tolist()))
        start += count
    with av.open(str(film_dir / "film.mp4")) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    return [[frames[i] for i in sorted(indices)] for indices in wanted]


@pytest.mark.slow  # builds and decodes a 4-second film (about 5 s)
def test_drawn_characters_on_rendered_backgrounds_measure_anime(drawn_film):
    film = measure_style(sample_frames(drawn_film / "film.mp4"))
    assert film.preset == "anime", film.reason
    assert film.cel_fills >= FILL_SHARE and "cel paint" in film.reason
    for number, frames in enumerate(shot_frames(drawn_film)):
        style = shot_style(frames, film.preset, film.preset)
        assert style.measured and style.preset == "anime", f"shot {number}: {style.reason}"


@pytest.mark.parametrize("video", [SINTEL, BIG_BUCK_BUNNY])
def test_rendered_films_have_no_cel_fills_to_speak_of_and_stay_3d(shared, video):
    film = measure_style(sample_frames(shared / video))
    assert film.preset == "3d" and film.cel_fills < FILL_SHARE / 3, film.reason


def test_shots_are_measured_against_the_films_recorded_style(castforge_home):
    from resources.style import STYLE_VERSION, measured_film_style, read_style_record, style_record_path

    assert measured_film_style(read_style_record("kf")) is None   # not measured yet: shots judged on their own
    path = style_record_path("kf")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": STYLE_VERSION, "preset": "anime"}))
    assert measured_film_style(read_style_record("kf")) == "anime"
    path.write_text(json.dumps({"version": STYLE_VERSION - 1, "preset": "anime"}))
    assert measured_film_style(read_style_record("kf")) is None   # another rule's decision: not a prior


def test_cel_fills_of_plain_images():
    rng = np.random.default_rng(0)
    backdrop = np.clip(rng.normal((90, 120, 170), 25, (180, 320, 3)), 0, 255).astype(np.uint8)   # textured
    assert cel_fill_share(backdrop) == 0.0
    figure = backdrop.copy()
    figure[40:140, 100:160] = (230, 180, 150)                  # a face
    figure[40:70, 100:160] = (60, 50, 45)                      # its hair
    figure[90:100, 115:125] = (20, 20, 20)                     # an eye (too dark to count as paint)
    assert cel_fill_share(figure) == pytest.approx(60 * 100 / (180 * 320), abs=0.02)   # face and hair
    alone = backdrop.copy()
    alone[40:140, 100:160] = (230, 180, 150)                   # one flat patch with nothing painted beside it
    assert cel_fill_share(alone) == 0.0
    ramp = np.repeat(np.linspace(30, 220, 320)[None, :, None], 180, axis=0).repeat(3, axis=2).astype(np.uint8)
    assert cel_fill_share(ramp) == 0.0                         # a smooth ramp has no crisp border
    assert cel_fill_share(_small(np.zeros((720, 1280, 3), np.uint8))) == 0.0   # black: crushed, not paint
