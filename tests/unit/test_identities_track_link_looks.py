"""Two characters crossing: the tracks' links follow the boxes' motion, so each track can go on with the other one's
cut-out (issue #12, session 50, h77).

On tune Kenney film 15 (``bench/kenney_film.py build --split tune --seed 15``, the identity step on HEAD's
cut-outs, /tmp/runs/kf/home_tune_15_head; each row's character the film's truth of best mask IoU, "" under 0.2),
shot 11 shows the robot beside the male person (at 1131 the male adventurer's cut-out stands where the male person
was). From key frame 1155 on, the Hungarian link by motion gives the male person's track the robot's cut-outs and
the robot's track the male person's: the looks (image embedding and colours, as ``track_inherit_look`` reads them)
across those two links are 0.42 and 0.47, where every step of a track that stays on one character on the thirteen
tune films reads 0.63 or more. The robot's last cut-out there (1198/0) then rode the persons' track and was left
noise. With ``track_link_look`` a link needs the looks as alike as an adoption needs (``appearance_threshold``
0.6): each track keeps its character, and 1198/0 joins the robot's identity with the rest of its track. The rows
are the ones the identity step saw (tests/data/kenney_film_tune_s15_crossing_tracks.npz, the form of
kenney_film_tune_s7_aside_faces.npz)."""

from pathlib import Path

import numpy as np
import polars as pl

from assets.identities.appearance import with_colours
from assets.identities.core import normalise
from assets.identities.tracks import TrackParams, link_tracks
from tests.identity_rows import anime_params, assign_film_rows, stored_row

ROWS = Path(__file__).resolve().parents[2] / "tests/data/kenney_film_tune_s15_crossing_tracks.npz"
# shot 11's cut-outs by key frame: (male person or adventurer, robot)
PERSONS = [(1103, 0), (1120, 0), (1131, 0), (1155, 1), (1174, 0), (1198, 1)]
ROBOT = [(1103, 1), (1120, 1), (1131, 1), (1155, 0), (1174, 1), (1198, 0)]


def row(frame: int, inst: int) -> int:
    return stored_row(ROWS, frame, inst)


def _shot11_tracks(params: TrackParams) -> dict[tuple[int, int], str]:
    """The link tracks of shot 11's rows, on their boxes, image embeddings and looks (the preset's colour mix)."""
    stored = np.load(ROWS)
    rows = np.flatnonzero(stored["shot"] == 11)
    boxes = pl.DataFrame({"instance_id": [str(k) for k in rows], "shot": stored["shot"][rows].tolist(),
                          "frame_id": [str(f) for f in stored["frame_id"][rows]],
                          "timestamp_s": stored["timestamp_s"][rows].tolist(),
                          **{name: stored["box"][rows, i].tolist() for i, name in enumerate(("x0", "y0", "x1", "y1"))}})
    appearance = normalise(stored["appearance"][rows].astype(np.float32))
    looks = normalise(with_colours(appearance, stored["colour"][rows].astype(np.float32),
                                   anime_params().appearance_colour_weight))
    tracks = link_tracks(boxes, params, appearance, looks=looks)
    return {(int(stored["frame"][k]), int(stored["inst"][k])): t for k, t in zip(rows, tracks)}


def test_by_motion_alone_the_tracks_swap_characters_where_they_cross():
    tracks = _shot11_tracks(TrackParams())
    assert tracks[(1155, 0)] == tracks[(1131, 0)] != tracks[(1131, 1)] == tracks[(1155, 1)]


def test_a_link_needs_the_looks_alike_so_each_track_keeps_its_character():
    tracks = _shot11_tracks(TrackParams(min_link_look=anime_params().appearance_threshold))
    assert len({tracks[key] for key in PERSONS}) == 1
    assert len({tracks[key] for key in ROBOT}) == 1
    assert tracks[PERSONS[0]] != tracks[ROBOT[0]]


def test_the_robots_last_cutout_joins_its_identity():
    characters, _, result = assign_film_rows(ROWS)
    robot = result.labels[row(1103, 1)]
    assert all(result.labels[row(*key)] == robot for key in ROBOT)
    assert result.track_ids[row(1198, 0)] == result.track_ids[row(1103, 1)]
    assert set(characters[result.labels == robot]) == {"robot"}
