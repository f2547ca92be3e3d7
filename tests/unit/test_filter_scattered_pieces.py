"""filtered_instances drops a cut whose mask is scattered pieces (assets/instances/pieces.py, ``FilterParams.
min_piece_share``) before a false face can keep it; a whole character, one parted by a thin gap and one with a small
thing further off stay. Masks from Kenney's CC0 characters and props, as the instances stage writes them (0 / 255
PNGs); each row seeded by a face, as Penny & Chip's football cut was (docs/datasets.md, session 47)."""

import zipfile

import cv2
import numpy as np
import polars as pl
import pytest

from assets.instances.filtering import FilterParams, auto_decisions
from assets.instances.pieces import with_piece_shares
from tests.conftest import kenney_wheel_or_skip
from tests.unit.test_datasets_scattered_pieces import apart, parted_by_a_thin_gap
from tests.unit.test_datasets_second_character import prop_sprite

KEPT = ("robot_idle", "robot_parted", "robot_and_a_coin")
SCATTERED = ("two_coins_apart", "two_characters_apart")


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    from assets.instances.kenney_characters import load_kenney_character

    home = tmp_path_factory.mktemp("filter_pieces")
    with zipfile.ZipFile(kenney_wheel_or_skip()) as archive:
        robot = load_kenney_character("robot", "idle", 300, archive).rgba
        zombie = load_kenney_character("zombie", "idle", 300, archive).rgba
        coin = prop_sprite("items/coinGold", 60, archive)
    cuts = {"robot_idle": robot, "robot_parted": parted_by_a_thin_gap(robot), "robot_and_a_coin": apart(robot, coin, 80),
            "two_coins_apart": apart(coin, coin, 150), "two_characters_apart": apart(robot, zombie, 120)}
    out = []
    for name, rgba in cuts.items():
        mask = np.where(rgba[..., 3] >= 128, 255, 0).astype(np.uint8)
        cv2.imwrite(str(home / f"{name}.png"), mask)
        height, width = mask.shape
        out.append({"instance_id": name, "mask_path": f"{name}.png", "seed": "face", "x0": 0, "y0": 0, "x1": width,
                    "y1": height, "area": int(np.count_nonzero(mask)), "frame_width": 854, "frame_height": 480,
                    "alpha_coverage": float(np.count_nonzero(mask) / mask.size), "occluded_fraction": 0.0,
                    "face_count": 1, "face_score": 0.62, "blur": 500.0, "body_score": 0.0, "class_fraction": 0.0,
                    "person_score": 0.0, "character_score": 0.62, "touches_frame_edge": False, "frame_edges": ""})
    out.append({**out[0], "instance_id": "mask_gone", "mask_path": "gone.png"})
    return with_piece_shares(pl.DataFrame(out), lambda p: home / p)


def test_scattered_cuts_are_dropped_before_their_false_face_keeps_them(rows):
    decided = auto_decisions(rows, FilterParams())
    kept = dict(zip(decided["instance_id"], decided["kept"]))
    reasons = dict(zip(decided["instance_id"], decided["reason"]))
    assert [name for name in SCATTERED if kept[name]] == []
    assert all(reasons[name].startswith("scattered: its largest piece holds 0.") for name in SCATTERED)
    assert all(kept[name] and reasons[name].startswith("character: 1 face(s)") for name in KEPT)
    # a row whose mask cannot be read is not judged by its pieces
    assert decided.filter(pl.col("instance_id") == "mask_gone")["piece_share"][0] is None and kept["mask_gone"]


def test_the_rule_can_be_turned_off_and_old_tables_are_not_judged(rows):
    assert FilterParams().min_piece_share == 0.6
    assert auto_decisions(rows, FilterParams(min_piece_share=-1))["kept"].all()
    assert auto_decisions(rows.drop("piece_share"), FilterParams())["kept"].all()
