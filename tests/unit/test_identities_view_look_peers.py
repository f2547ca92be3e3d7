"""A view look's still-noise look-alikes that its identity is nearest too are its own character's other looks, not a
character of its own (issue 12, session 38 h29, anime preset: ``appearance_view_looks``).

The rows are the state ``join_view_looks`` saw on the Kenney tune film of seed 26 (the identity step replayed on
/tmp/runs/kf/home_tune_26_h2 at HEAD + h24's minor-part cut; tests/data/kenney_film_tune_s26_view_look_rows.npz,
float16): the labels before the step, the image embedding, colours and silhouettes, each identity's
``has_faces``, the faceless rows, the faces no identity took, each row's track and frame, and the character each
kept cut-out shows ("" none). The robot's side views in shots 4 and 8 (ten rows, two tracks) are nearest the robot's
faceless group in the mix (0.83-0.86, lead 0.03-0.36) and in the colours (0.82-0.93); seven pass the view look's
conditions, but each was refused as "a look of its own": a robot row of the other track, still noise, was 0.86
alike to it, the group's prototype 0.84."""

from pathlib import Path

import numpy as np

from assets.identities.appearance import with_colours
from assets.identities.view_looks import join_view_looks
from tests.identity_rows import anime_params

ROWS = Path(__file__).resolve().parents[2] / "tests/data/kenney_film_tune_s26_view_look_rows.npz"


def joined(stored=None):
    stored = stored or dict(np.load(ROWS))
    params = anime_params()
    f32 = {k: stored[k].astype(np.float32) for k in ("appearance", "colours", "shapes")}
    labels = stored["labels"].copy()
    groups = [{"has_faces": bool(h)} for h in stored["has_faces"]]
    space = with_colours(f32["appearance"], f32["colours"], params.appearance_colour_weight)
    count = join_view_looks(labels, np.zeros(len(labels), np.float32), space, f32["appearance"], f32["colours"],
                            groups, params, stored["faceless"].tolist(), stored["loose_faces"].tolist(),
                            [str(t) for t in stored["track_ids"]], [str(f) for f in stored["frame_ids"]],
                            f32["shapes"])
    return stored, labels, count


def test_the_robots_side_views_join_its_group():
    stored, labels, count = joined()
    moved = np.flatnonzero(labels != stored["labels"])
    assert count == len(moved) == 7
    assert set(stored["character"][moved].tolist()) == {"robot"}
    target = set(labels[moved].tolist())
    assert len(target) == 1
    members = stored["character"][stored["labels"] == target.pop()]
    assert set(members[members != ""].tolist()) == {"robot"}   # the identity is the robot's
    left = np.flatnonzero(stored["noise_robot"] & (labels < 0))
    assert len(left) == 3   # the three whose mix lead is under the group's impostor bar (0.111) stay noise
