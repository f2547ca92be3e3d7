"""An export item whose cut-out is scattered pieces (two things apart, not one character) is skipped with the
reason (datasets/pieces.py); a whole character, one beside a prop, one with a small thing further off and one whose
outline parts it by a thin gap are exported. Kenney's CC0 characters and props (docs/datasets.md, session 47)."""

import zipfile

import cv2
import numpy as np
import polars as pl
import pytest

from assets.datasets.params import DatasetParams
from assets.datasets.pieces import largest_piece_share
from tests.conftest import kenney_wheel_or_skip
from tests.unit.test_datasets_second_character import add_cut, export, over, prop_sprite

CHARACTERS = ("female_adventurer", "robot", "zombie")


def apart(left: np.ndarray, right: np.ndarray, gap: int) -> np.ndarray:
    """``left`` and ``right`` on one transparent canvas, bottoms aligned, ``gap`` px between them."""
    height = max(left.shape[0], right.shape[0])
    canvas = np.zeros((height, left.shape[1] + gap + right.shape[1], 4), np.uint8)
    canvas[height - left.shape[0]:, :left.shape[1]] = left
    canvas[height - right.shape[0]:, left.shape[1] + gap:] = right
    return canvas


def parted_by_a_thin_gap(rgba: np.ndarray) -> np.ndarray:
    """``rgba`` with a 4-px transparent column down its middle: the two halves touch nowhere, as where a matted
    outline parts a hand or the head from the body."""
    out = rgba.copy()
    middle = out.shape[1] // 2
    out[:, middle - 2:middle + 2, 3] = 0
    return out


@pytest.fixture(scope="module")
def film(tmp_path_factory):
    """One identity per character: the character alone in two poses, beside a prop, parted by a thin gap, with a
    coin further off; and, assigned to the first character as a cut grown over the scene would be, two characters
    side by side and two coins apart."""
    from assets.instances.kenney_characters import load_kenney_character

    home = tmp_path_factory.mktemp("scattered_pieces")
    rows, captions = [], []

    def add(rgba: np.ndarray, identity: str, name: str) -> None:
        add_cut(home, rows, captions, rgba, identity, name, len(rows))

    with zipfile.ZipFile(kenney_wheel_or_skip()) as archive:
        sprites = {c: [load_kenney_character(c, p, 300, archive).rgba for p in ("idle", "jump")] for c in CHARACTERS}
        coin = prop_sprite("items/coinGold", 60, archive)
        lever = prop_sprite("tiles/leverMid", 150, archive)
        for character, (idle, jump) in sprites.items():
            identity = f"identity_{character}"
            add(idle, identity, f"{character}_idle")
            add(jump, identity, f"{character}_jump")
            add(over(lever, idle, idle.shape[1] - lever.shape[1] // 2), identity, f"{character}_beside_lever")
            add(parted_by_a_thin_gap(idle), identity, f"{character}_parted")
            add(apart(idle, coin, 80), identity, f"{character}_and_a_coin")
        first, second = sprites[CHARACTERS[0]][0], sprites[CHARACTERS[1]][0]
        add(apart(first, second, 120), f"identity_{CHARACTERS[0]}", "two_characters_apart")
        add(apart(coin, coin, 150), f"identity_{CHARACTERS[0]}", "two_coins_apart")
    poses = pl.DataFrame({"instance_id": [r["instance_id"] for r in rows]}).with_columns(
        pl.lit("front").alias("view"), pl.lit("pose_000").alias("pose_bucket"),
        pl.lit(None, pl.List(pl.Float32)).alias("keypoints"), pl.lit("test").alias("no_pose_reason"))
    return pl.DataFrame(rows), pl.DataFrame(captions), poses, home


def test_scattered_cut_outs_are_skipped_and_whole_characters_exported(film):
    params = DatasetParams(crops=("full",), dedup_distance=-1, other_character_share=-1, min_instances=1)
    assert params.min_piece_share == DatasetParams().min_piece_share == 0.6
    items, decisions, manifest = export(film, params)
    scattered = decisions.filter(pl.col("rule") == "scattered_pieces")
    assert sorted(scattered["instance_id"]) == ["two_characters_apart", "two_coins_apart"]
    assert all("largest piece holds 0.5" in r or "largest piece holds 0.4" in r for r in scattered["reason"])
    assert manifest["skipped"] == {"scattered_pieces": 2}
    # every character alone, beside a prop, parted by a thin gap or with a coin further off is exported
    kinds = ("idle", "jump", "beside_lever", "parted", "and_a_coin")
    assert sorted(items["instance_id"]) == sorted(f"{c}_{kind}" for c in CHARACTERS for kind in kinds)


def test_the_thin_gap_is_bridged_and_the_rule_can_be_turned_off(film):
    rows = film[0]
    alpha = {name: cv2.imread(path, cv2.IMREAD_UNCHANGED)[..., 3] > 0
             for name, path in rows.select("instance_id", "path").iter_rows()}
    assert largest_piece_share(alpha["robot_idle"]) == 1.0
    assert largest_piece_share(alpha["robot_parted"]) == 1.0          # counted strictly it is about half
    assert largest_piece_share(alpha["robot_parted"], gap=0) < 0.6
    assert 0.8 < largest_piece_share(alpha["robot_and_a_coin"]) < 1.0
    assert largest_piece_share(np.zeros((8, 8), bool)) == 0.0
    items, decisions, _ = export(film, DatasetParams(crops=("full",), dedup_distance=-1, other_character_share=-1,
                                                     min_instances=1, min_piece_share=-1))
    assert items.height == 17 and decisions.filter(pl.col("decision") == "skipped").height == 0


@pytest.mark.parametrize("share", [1, 1.5])
def test_the_share_must_be_below_one_or_negative(share):
    with pytest.raises(ValueError, match="min_piece_share"):
        DatasetParams(min_piece_share=share)
