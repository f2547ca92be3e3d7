"""A face found at one fixed spot of the picture, in three shots or more and held there by different cut-outs, is
something drawn behind the characters and no one's face (``fixed_spot_face_iou``, fixed_spot_faces.py): issue 12,
session 34 h3, anime preset.

The rows are the ones the identity step saw on a Kenney tune image set with composites redrawn
(``bench/anime_image_set.py build DIR --characters kenney --split tune --redraw 39``; home made at 9850a88 with
``castforge ingest DIR --film f`` and ``castforge materialize f --select identity_clusters``; the form of
kenney_tune_r35_loose_face_rival_rows.npz, with every face of a kept row (``all_face_row``, ``all_face_box``) and
the frames' sizes). Three composites share one background plate: a child drawn on it, whose raspberry-covered hand
YuNet takes for a face at the same box (493-529, 186-230) on each. On ``single_zombie_1`` the zombie's small cut
(0.33 of his mask) holds that face; on the two others cut-outs of the background do. Clustered, the three faces made
an identity of their own: the zombie's row split off his character into an identity of background faces."""

from pathlib import Path

import numpy as np
import polars as pl

from assets.identities.fixed_spot_faces import fixed_spot_faces, without_fixed_spot_faces
from tests.identity_rows import anime_params, assign_stored
from tests.unit.test_identities_loose_face_agreement import row

ROWS = Path(__file__).resolve().parents[2] / "tests/data/kenney_tune_r39_fixed_spot_face_rows.npz"
ZOMBIE = ("single_zombie_1.png", "zombie")
SPOT_IOU = 0.85   # the anime preset's fixed_spot_face_iou
PLATE = {"single_zombie_1.png", "single_female_person_1.png", "pair_female_adventurer_male_adventurer.png"}


def stored_rows() -> dict:
    return {k: v.copy() for k, v in np.load(ROWS).items()}


def spot_tables(stored: dict) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The stored faces and kept instances as the faces stage and the filter write them (each image its own shot
    and frame)."""
    images = [str(i) for i in stored["image"]]
    shot_of = {image: number for number, image in enumerate(dict.fromkeys(images))}
    box, size, face_box = stored["box"], stored["frame_size"], stored["all_face_box"]
    instances = pl.DataFrame({"instance_id": [str(k) for k in range(len(images))], "frame_id": images,
                              "shot": [shot_of[i] for i in images], "x0": box[:, 0], "y0": box[:, 1],
                              "x1": box[:, 2], "y1": box[:, 3], "frame_width": size[:, 0],
                              "frame_height": size[:, 1]})
    faces = pl.DataFrame({"face_id": [f"face_{k}" for k in range(len(face_box))],
                          "instance_id": [str(r) for r in stored["all_face_row"]],
                          "fx0": face_box[:, 0], "fy0": face_box[:, 1], "fx1": face_box[:, 2],
                          "fy1": face_box[:, 3]})
    return faces, instances


def images_of(stored: dict, face_ids: list[str]) -> set[str]:
    return {str(stored["image"][stored["all_face_row"][int(f.split("_")[1])]]) for f in face_ids}


def with_faces_in_front(stored: dict, min_face_iou: float | None) -> dict:
    """The stored rows with the faces ``without_fixed_spot_faces`` leaves out taken away (each kept row of this
    set has one face: a row whose face is left out is faceless)."""
    faces, instances = spot_tables(stored)
    left = {int(i) for i in without_fixed_spot_faces(faces, instances, min_face_iou)["instance_id"]}
    return {**stored, "has_face": stored["has_face"] & np.isin(np.arange(len(stored["image"])), sorted(left))}


def partners(stored: dict, labels: np.ndarray, k: int) -> set[int]:
    return set(np.flatnonzero(labels == labels[k]).tolist()) - {k} if labels[k] >= 0 else set()


def test_the_three_faces_on_the_plate_are_the_only_fixed_spot():
    stored = stored_rows()
    assert len(stored["all_face_row"]) == int(stored["has_face"].sum())   # one face a row
    faces, instances = spot_tables(stored)
    fixed = fixed_spot_faces(faces, instances, SPOT_IOU)
    assert len(fixed) == 3 and images_of(stored, fixed) == PLATE
    # the sprites of one size drawn centred lie at one spot too (0.93 their faces), held by cut-outs that do not
    # differ: none of them is flagged
    assert not any(i.startswith("rgba_") for i in images_of(stored, fixed))


def test_two_shots_or_cut_outs_standing_still_are_no_fixed_spot():
    stored = stored_rows()
    faces, instances = spot_tables(stored)
    iou = SPOT_IOU
    on_plate = [int(stored["all_face_row"][int(f.split("_")[1])]) for f in fixed_spot_faces(faces, instances, iou)]
    assert len(on_plate) == 3
    # one of the three frames gone: the spot is on two shots (a character still in two shots of one set)
    two = faces.filter(pl.col("instance_id") != str(on_plate[0]))
    assert fixed_spot_faces(two, instances, iou) == []
    # the three cut-outs given one box: a character standing still at one spot, its cut-out with it
    still = instances.with_columns(
        *(pl.when(pl.col("instance_id").is_in([str(k) for k in on_plate]))
          .then(float(stored["box"][on_plate[0]][c])).otherwise(pl.col(name)).alias(name)
          for c, name in enumerate(("x0", "y0", "x1", "y1"))))
    assert fixed_spot_faces(faces, still, iou) == []


def test_the_zombie_cut_leaves_the_identity_of_background_faces():
    stored = stored_rows()
    zombie = row(stored, *ZOMBIE)
    before = assign_stored(stored)
    # as stored, the zombie's row sits in an identity whose other members show no character (the plate's faces)
    assert partners(stored, before.labels, zombie)
    assert all(not stored["character"][j] for j in partners(stored, before.labels, zombie))
    after = assign_stored(with_faces_in_front(stored, anime_params().fixed_spot_face_iou))
    # with the plate's faces left out he is in no identity of background faces ...
    assert all(stored["character"][j] for j in partners(stored, after.labels, zombie))
    # ... and every other labelled row keeps the labelled rows it was with
    for k in np.flatnonzero(stored["character"] != ""):
        if k != zombie:
            labelled = {j for j in partners(stored, before.labels, k) if stored["character"][j] and j != zombie}
            assert labelled == {j for j in partners(stored, after.labels, k)
                                if stored["character"][j] and j != zombie}


def test_off_the_faces_are_as_stored():
    stored = stored_rows()
    faces, instances = spot_tables(stored)
    assert without_fixed_spot_faces(faces, instances, None).equals(faces)
