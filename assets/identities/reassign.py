"""The identity step on a film's stored faces and cut-outs, before review and stable ids: ``assign_film`` is what
``identity_clusters`` runs, and what the benches run again to score a changed setting (bench/faces_2d.py --film F
--reassign, bench/anime_image_set.py eval --reassign, bench/stage_cost.py)."""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from assets.faces.core import embedding_matrix
from assets.identities.appearance import cutout_vectors, layout_rows
from assets.identities.assignment import Assignment, assign_identities
from assets.identities.core import IdentityParams
from assets.identities.cutout_reuse import CutoutRowReuse
from assets.identities.fixed_spot_faces import without_fixed_spot_faces
from assets.identities.prototypes import best_faces
from assets.identities.shared_frames import face_boxes_of
from resources.protocols import ImageEmbedder


@dataclass
class FilmAssignment:
    """The kept instances (the assignment's rows, in order), their face vectors (instance id -> embedding, the best
    face of each faced instance), their appearance vectors (None where no row needed them), the image embedder used
    (None where none was) and the assignment."""
    kept: pl.DataFrame
    face_vectors: dict[str, np.ndarray]
    appearance: np.ndarray | None
    embedder: ImageEmbedder | None
    assignment: Assignment


def assign_film(workspace, params: IdentityParams, faces: pl.DataFrame, embedder: Callable[[], ImageEmbedder],
                cutout_reuse: CutoutRowReuse | None = None) -> FilmAssignment:
    """``workspace`` (resources.storage.FilmWorkspace) holds the film's `filtered_instances`; its kept instances are
    assigned with ``params`` from ``faces`` (the faces stage's table). The cut-outs' appearance (image embedding,
    colours, silhouettes) is read only where a kept instance has no face or tracks vote, with ``embedder()`` (called
    once, then); the faced rows' colour layouts in the same read of each cut-out where ``split_layout_gap`` is on.
    With ``fixed_spot_face_iou`` the faces found at a fixed spot behind the cut-outs are left out first. With
    ``cutout_reuse`` (the stage's run) an unchanged cut-out's rows come from the last run."""
    instances = workspace.read_table("filtered_instances")
    kept = instances.filter(pl.col("kept")) if "kept" in instances.columns else instances
    faces = without_fixed_spot_faces(faces, kept, params.fixed_spot_face_iou)  # faces behind are no one's
    chosen = best_faces(faces, params)
    ids = chosen["instance_id"].to_list()
    face_vectors = dict(zip(ids, embedding_matrix(chosen)))
    kept_ids = kept["instance_id"].to_list()
    paths = kept["path"].to_list()
    # the colour layouts a face cluster's split reads (only where split_layout_gap is on): the faced rows'
    laid_out = [k for k, i in enumerate(kept_ids) if i in face_vectors] if params.split_layout_gap is not None \
        else None
    model = appearance = colours = shapes = None
    layouts = None
    if any(i not in face_vectors for i in kept_ids) or params.tracks:
        model = embedder()
        wanted = {"colours": params.appearance_colour_weight > 0, "layouts": laid_out,
                  "shapes": params.faceless_shape_weight > 0 or params.appearance_view_shape is not None}
        appearance, colours, shapes, layouts = (
            cutout_reuse.vectors(kept_ids, paths, model, workspace.absolute, **wanted) if cutout_reuse is not None
            else cutout_vectors(paths, model, workspace.absolute, **wanted))
    elif laid_out is not None:   # every kept instance has a face: only the layouts are read
        layouts = layout_rows(paths, workspace.absolute, laid_out)
    assignment = assign_identities(kept_ids, face_vectors, appearance, params,
                                   dict(zip(ids, zip(chosen["quality"], chosen["gated"]))), kept,
                                   face_detectors=dict(zip(ids, chosen["detector"])), colours=colours,
                                   shapes=shapes, face_boxes=face_boxes_of(chosen), layouts=layouts)
    return FilmAssignment(kept, face_vectors, appearance, model, assignment)


def reassign_stored(workspace, params: IdentityParams, embedder: ImageEmbedder) -> Assignment:
    """The assignment ``identity_clusters`` makes of ``workspace``'s stored `faces` and kept instances with
    ``params`` and ``embedder``."""
    return assign_film(workspace, params, workspace.read_table("faces"), lambda: embedder).assignment
