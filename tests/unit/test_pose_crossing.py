"""assets/pose/crossing.py: a character crossing its shot is turned toward where it goes; its speed measured on the
boxes of a Kenney tune film's characters (exact alpha) and on hand-made rows."""

import polars as pl
import pytest

from assets.pose.crossing import crossing_speeds, turned_view
from tests.conftest import kenney_tune_film, load_bench


def rows(boxes: list[tuple[str, str, int, float, float]]) -> pl.DataFrame:
    """(instance, identity, shot, time, box centre x) of 100-px-tall boxes 40 px wide."""
    return pl.DataFrame([{"instance_id": i, "identity": who, "shot": shot, "timestamp_s": t, "frame_id": f"{shot}:{t}",
                          "x0": x - 20.0, "x1": x + 20.0, "y0": 0.0, "y1": 100.0} for i, who, shot, t, x in boxes])


def test_speed_is_the_identitys_slope_in_its_heights_a_second_per_shot():
    speeds = crossing_speeds(rows([("a0", "a", 0, 0.0, 100.0), ("a1", "a", 0, 1.0, 130.0), ("a2", "a", 0, 2.0, 160.0),
                                   ("a3", "a", 1, 5.0, 100.0), ("a4", "a", 1, 6.0, 100.0),
                                   ("b0", "b", 0, 0.0, 400.0)]))
    assert speeds["a0"] == speeds["a2"] == pytest.approx(0.3)
    assert speeds["a3"] == pytest.approx(0.0)
    assert "b0" not in speeds  # seen in one instant: no speed


def test_two_cut_outs_of_one_identity_in_one_key_frame_give_no_speed():
    table = rows([("a0", "a", 0, 0.0, 100.0), ("a1", "a", 0, 1.0, 400.0)])
    twice = table.with_columns(pl.lit("0:0.0").alias("frame_id"))
    assert crossing_speeds(table) and crossing_speeds(twice) == {}
    assert crossing_speeds(table.drop("shot")) == {}


@pytest.mark.parametrize("view, source, speed, expected", [
    ("front", "face", 0.3, ("three_quarter", "face+crossing")),
    ("front", "face", -0.2, ("three_quarter", "face+crossing")),
    ("unknown", "none", 0.2, ("three_quarter", "crossing")),
    ("front", "face", 0.1, ("front", "face")),
    ("profile", "face", 0.5, ("profile", "face")),
    ("back", "keypoints", 0.5, ("back", "keypoints")),
    ("front", "face", None, ("front", "face")),
])
def test_a_front_or_unknown_view_of_a_crossing_character_is_three_quarter(view, source, speed, expected):
    assert turned_view(view, source, speed, 0.15) == expected
    assert turned_view(view, source, speed, 0.0) == (view, source)


@pytest.mark.slow  # renders six shots of a film (about 15 s)
def test_kenney_walkers_cross_their_shots_and_standing_characters_do_not():
    """Tune film 19's first six shots, one frame in eight (as key frames fall), each character's visible box: every
    walker measures 0.13-0.4 of its height a second, the way it walks, every standing pose (idle, jump, climb0) under
    0.02."""
    plan, render = kenney_tune_film(19)
    film = load_bench("kenney_film")
    walkers, standing = [], []
    for shot in plan[:6]:
        boxes = []
        for frame, (_, layers) in enumerate(render(shot)):
            for character, (_, visible, _, _) in zip(shot["characters"], layers):
                box = film.box_of(visible >= 0.5)
                if frame % 8 == 0 and box is not None:
                    boxes.append({"instance_id": f"{character['character']}:{frame}", "identity": character["character"],
                                  "shot": shot["shot"], "timestamp_s": frame / film.FPS, "frame_id": str(frame),
                                  "x0": box[0], "y0": box[1], "x1": box[2], "y1": box[3]})
        speeds = crossing_speeds(pl.DataFrame(boxes))
        for character in shot["characters"]:
            speed = speeds[f"{character['character']}:0"]
            (walkers if character["speed"] else standing).append((speed, character["speed"]))
    assert len(walkers) >= 6 and len(standing) >= 4
    assert all(0.13 <= abs(v) <= 0.4 and v * way > 0 for v, way in walkers), walkers
    assert all(abs(v) < 0.02 for v, _ in standing), standing
