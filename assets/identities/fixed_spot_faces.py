"""Faces found at one fixed spot of the picture, held by different cut-outs: something drawn behind the characters
(a poster, a portrait, a figure painted on the set, a still background plate seen again) whose face the detectors
find wherever a cut-out happens to cover it. No Dagster.

A character's face moves with its cut-out: where it stands still (a static shot, a set the film returns to), its
cut-out stands still with it. A face that stays put, to the pixel, on frames of other shots while the cut-outs holding
it differ (one of them a character passing in front, another a different character or a cut of the background) is
not the face of the cut-out it was given to: clustered, it pulls that character's row into an identity of background
faces (tune redraw 39: the zombie's cut-out holding a face at 0.96-0.98 the box of faces on two other composites'
cut-outs). Such faces are left out of the identity step (``IdentityParams.fixed_spot_face_iou``): their rows count
as faceless and are placed by their look, as a faceless character's are."""

import numpy as np
import polars as pl

from assets.identities.tracks import box_iou

# the cut-outs holding two coinciding faces differ where their boxes overlap less than this (IoU): one character's
# cut-out standing still keeps its box, as do sprites of one size drawn centred
# (two designs' centred sprites whose faces coincide: 0.61-0.98 on the Kenney tune sets)
CUTOUT_APART = 0.6
# ... and a spot is fixed where faces lie on it in this many shots at least (the face's own among them): a
# background element recurs (a poster seen in many frames); a character standing still at one spot of two shots of
# one set (or one still frame seen twice: the cc0 set's Chip on a Penny & Chip frame and on a composite made of it,
# his face the same box, his cut-outs 0.33 apart) is not enough to say so
MIN_SHOTS = 3

BLOCK = 1024   # faces compared with every other face at a time
BOX = ("x0", "y0", "x1", "y1")
FACE_BOX = ("fx0", "fy0", "fx1", "fy1")


def fixed_spot_faces(faces: pl.DataFrame, instances: pl.DataFrame, min_face_iou: float,
                     cutout_apart: float = CUTOUT_APART, min_shots: int = MIN_SHOTS) -> list[str]:
    """The ``face_id``s of ``faces`` (the faces stage's table) found at a fixed spot: faces lie on its spot (face
    boxes' IoU at least ``min_face_iou``) on frames of the same size in ``min_shots`` shots at least (its own among
    them), and two of the cut-outs holding them differ (boxes' IoU under ``cutout_apart``). ``instances``: the kept
    instances (instance_id, frame_id, shot, x0..y1, frame_width, frame_height); faces of other instances are not
    weighed. The faces are compared a block of rows at a time (a feature film's tens of thousands of faces)."""
    needed = {"instance_id", "frame_id", "shot", *BOX, "frame_width", "frame_height"}
    if faces.height < min_shots or not needed <= set(instances.columns):
        return []
    rows = faces.select("face_id", "instance_id", *FACE_BOX).join(
        instances.select("instance_id", "frame_id", "shot", *BOX, "frame_width", "frame_height"),
        on="instance_id", how="inner")
    face_box = rows.select(FACE_BOX).to_numpy().astype(np.float32)
    cutout = rows.select(BOX).to_numpy().astype(np.float32)
    shots = np.unique(np.array([str(s) for s in rows["shot"].to_list()], dtype=object), return_inverse=True)[1]
    sizes = np.unique(np.array([f"{w}x{h}" for w, h in zip(rows["frame_width"], rows["frame_height"])],
                               dtype=object), return_inverse=True)[1]
    fixed = []
    for start in range(0, rows.height, BLOCK):
        block = slice(start, min(start + BLOCK, rows.height))
        partner = ((box_iou(face_box[block], face_box) >= min_face_iou)
                   & (shots[block, None] != shots[None, :]) & (sizes[block, None] == sizes[None, :]))
        for offset, others in enumerate(partner):
            spot = np.concatenate([[start + offset], np.flatnonzero(others)])
            fixed.append(len(set(shots[spot].tolist())) >= min_shots
                         and bool((box_iou(cutout[spot], cutout[spot]) < cutout_apart).any()))
    return [f for f, hit in zip(rows["face_id"].to_list(), fixed) if hit]


def without_fixed_spot_faces(faces: pl.DataFrame, instances: pl.DataFrame,
                             min_face_iou: float | None) -> pl.DataFrame:
    """``faces`` less those ``fixed_spot_faces`` finds with ``min_face_iou`` (the ``fixed_spot_face_iou`` setting;
    None: ``faces`` as they are)."""
    if min_face_iou is None:
        return faces
    return faces.filter(~pl.col("face_id").is_in(fixed_spot_faces(faces, instances, min_face_iou)))
