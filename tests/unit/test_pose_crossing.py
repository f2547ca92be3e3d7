"""assets/pose/crossing.py: a character crossing its shot is turned toward where it goes; its speed measured on the
boxes of a Kenney tune film's characters (exact alpha) and on hand-made rows."""

import numpy as np
import polars as pl
import pytest

from assets.instances.artefacts import frame_edges_touched
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


def test_a_second_cut_out_in_a_few_key_frames_leaves_the_track_and_in_most_of_them_no_speed():
    walk = [("a0", "a", 0, 0.0, 100.0), ("a1", "a", 0, 1.0, 130.0), ("a2", "a", 0, 2.0, 160.0)]
    piece = rows(walk + [("p1", "a", 0, 1.0, 400.0)])  # a stray cut-out beside the walker in one key frame of three
    assert crossing_speeds(piece)["a0"] == crossing_speeds(piece)["p1"] == pytest.approx(0.3)
    pair = rows(walk + [("b0", "a", 0, 0.0, 600.0), ("b1", "a", 0, 1.0, 500.0)])  # two characters, one identity
    assert crossing_speeds(pair) == {}


def test_a_box_the_frames_side_edge_cuts_is_placed_by_its_inner_edge():
    """A 40-px-wide walker entering from the left at 30 px a second: cut, its box's centre moves at half that."""
    table = rows([("a0", "a", 0, 0.0, 10.0), ("a1", "a", 0, 1.0, 40.0), ("a2", "a", 0, 2.0, 70.0),
                  ("a3", "a", 0, 3.0, 100.0)]).with_columns(
        pl.Series("frame_edges", ["left", "left", "", ""]), pl.col("x0").clip(lower_bound=0.0))
    assert crossing_speeds(table)["a0"] == pytest.approx(0.3)
    assert crossing_speeds(table.drop("frame_edges"))["a0"] < 0.29  # read from the cut boxes' centres


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


def key_frame_boxes(shot: dict, render, film) -> tuple[list[dict], int]:
    """A rendered Kenney shot's rows as ``crossing_speeds`` reads them, one frame in eight (as key frames fall): each
    character's visible box and the frame edges it touches (as ``instances`` marks them); and the frame's width."""
    boxes, width = [], 0
    for frame, (rgb, layers) in enumerate(render(shot)):
        width = rgb.shape[1]
        for character, (_, visible, _, _) in zip(shot["characters"], layers):
            mask = visible >= 0.5
            box = film.box_of(mask)
            if frame % 8 == 0 and box is not None:
                boxes.append({"instance_id": f"{character['character']}:{frame}", "identity": character["character"],
                              "shot": shot["shot"], "timestamp_s": frame / film.FPS, "frame_id": str(frame),
                              "x0": box[0], "y0": box[1], "x1": box[2], "y1": box[3],
                              "frame_edges": ",".join(frame_edges_touched(mask))})
    return boxes, width


@pytest.mark.slow  # renders six shots of a film (about 15 s)
def test_kenney_walkers_cross_their_shots_and_standing_characters_do_not():
    """Tune film 19's first six shots (``key_frame_boxes``): every walker measures 0.13-0.4 of its height a second,
    the way it walks, every standing pose (idle, jump, climb0) under 0.02."""
    plan, render = kenney_tune_film(19)
    film = load_bench("kenney_film")
    walkers, standing = [], []
    for shot in plan[:6]:
        speeds = crossing_speeds(pl.DataFrame(key_frame_boxes(shot, render, film)[0]))
        for character in shot["characters"]:
            speed = speeds[f"{character['character']}:0"]
            (walkers if character["speed"] else standing).append((speed, character["speed"]))
    assert len(walkers) >= 6 and len(standing) >= 4
    assert all(0.13 <= abs(v) <= 0.4 and v * way > 0 for v, way in walkers), walkers
    assert all(abs(v) < 0.02 for v, _ in standing), standing


@pytest.mark.slow  # renders six shots of a film (about 10 s)
def test_kenney_walkers_cut_by_the_frame_or_split_in_two_cross_at_their_own_speed():
    """Tune film 21's first six shots (``key_frame_boxes``), and in one key frame of each walker the frame's side
    edge cuts, its box's top half cut apart as a second cut-out of its identity (a piece split off): every such
    walker measures within a tenth of its own speed (the plan's, in its median box heights a second). Read from the
    cut boxes' centres, four of the ten measured 0.68-0.82 of it (the male adventurer entering shot 0 at 0.113 for
    0.167: under the 0.15 of the anime preset), and with the piece none had a speed at all (session 53)."""
    plan, render = kenney_tune_film(21)
    film = load_bench("kenney_film")
    measured = []
    for shot in plan[:6]:
        boxes, width = key_frame_boxes(shot, render, film)
        for character in shot["characters"]:
            own = [b for b in boxes if b["identity"] == character["character"]]
            if character["speed"] and any({"left", "right"} & set(b["frame_edges"].split(",")) for b in own):
                middle = own[len(own) // 2]
                boxes.append({**middle, "instance_id": f"{character['character']}:piece", "frame_edges": "",
                              "y1": (middle["y0"] + middle["y1"]) / 2})
                height = float(np.median([b["y1"] - b["y0"] for b in own]))
                measured.append((crossing_speeds(pl.DataFrame(boxes)).get(own[0]["instance_id"]),
                                 character["speed"] * width / height, character["character"]))
    assert len(measured) >= 4
    assert all(speed is not None and abs(speed - truth) <= 0.1 * abs(truth) for speed, truth, _ in measured), measured
