"""A track is decided apart on the two sides of a merged cut-out (issue 12, session 24).

On the Kenney film (``bench/kenney_film.py build --split tune --height 720 --seed 24``, ``preset: anime``) two drawn
characters that cross are cut out as one where they overlap, and the track of one runs through that cut-out: in shot
3 the robot's track holds one cut-out of the robot and the male person together, whose face (his) was the track's
only vote, so the robot's two cut-outs on either side took his identity (``by = track``); the male person's track
ends on a cut-out of both (the robot and him) and the female person's track of shot 0 on one of her and the zombie,
both of which inherited. Those merged cut-outs are 1.6-3.8 times the area of their track's neighbours. The rows
are the ones the pipeline handed the track decision for shots 0 and 3 of that film
(tests/data/kenney_film_seed24_track_merges.npz: each row's track, time, mask area, label, vote and own flag before
the tracks decide, MobileNet cut-out embeddings and colour descriptors, and the character the truth names)."""

from pathlib import Path

import numpy as np
import polars as pl
import yaml

from assets.identities.appearance import with_colours
from assets.identities.core import IdentityParams, normalise
from assets.identities.track_merges import cut_at_merges, merged_rows, tracks_cut_at_merges
from assets.identities.tracks import TrackParams, decide_tracks

ROOT = Path(__file__).resolve().parents[2]


def decided(ratio_on: bool):
    stored = np.load(ROOT / "tests/data/kenney_film_seed24_track_merges.npz")
    params = IdentityParams.from_dict(yaml.safe_load((ROOT / "configs/presets/anime.yaml").read_text())["identities"])
    looks = normalise(with_colours(normalise(stored["appearance"].astype(np.float32)),
                                   stored["colour"].astype(np.float32), params.appearance_colour_weight))
    ratio = params.track_merge_area_ratio if ratio_on else None
    boxes = pl.DataFrame({"timestamp_s": stored["timestamp_s"], "area": stored["area"]})
    tracks, _ = tracks_cut_at_merges(stored["track"].tolist(), boxes, ratio)
    track_params = TrackParams(min_inherit_look=params.appearance_threshold, merge_area_ratio=ratio)
    out, _, inherited = decide_tracks(tracks, stored["label"], stored["vote"], track_params, stored["own"], looks)
    return stored, out, np.array(inherited)


def test_the_robot_and_the_merged_cutouts_do_not_inherit_the_persons_identities():
    stored, out, inherited = decided(ratio_on=True)
    robot = stored["character"] == "robot"
    assert robot.sum() == 4
    assert (out[robot & (stored["label"] == -1)] == -1).all()   # his face sat only on the merged cut-out
    last_of_shot0 = np.flatnonzero(stored["track"] == "s0-t1")[-1]  # the zombie and her, merged
    assert stored["character"][last_of_shot0] == "zombie" and out[last_of_shot0] == -1
    # every face keeps its own identity, and no row inherits but the merged one the area misses: the male person
    # and the female person merged, 0.87 of her cut-out before it (left as it was)
    assert (out[stored["vote"] > 0] == stored["label"][stored["vote"] > 0]).all()
    assert stored["character"][inherited].tolist() == ["male_person"]


def test_without_the_ratio_the_track_hands_his_identity_to_the_robot():
    stored, out, _ = decided(ratio_on=False)
    robot_track = (stored["track"] == "s3-t2") & (stored["label"] == -1)
    assert robot_track.sum() == 2 and (out[robot_track] == 3).all()


def test_a_row_larger_than_its_track_neighbours_cuts_the_track():
    track = ["s0-t0"] * 5 + ["s0-t1"] * 3
    times = [0.0, 1.0, 2.0, 3.0, 4.0, 0.0, 1.0, 2.0]
    areas = np.array([100, 110, 200, 105, 100, 100, 140, 190], dtype=float)
    merged = merged_rows(track, times, areas, 1.5)
    assert merged == [2]  # 190 is 1.36 times 140: a character growing as it nears is not a merge
    assert cut_at_merges(track, times, merged) == ["s0-t0/0", "s0-t0/0", "s0-t0/1", "s0-t0/2", "s0-t0/2"] + \
        ["s0-t1"] * 3
