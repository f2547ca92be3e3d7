"""The identity step run again on a film's stored faces and cut-outs, without detection, review or stable ids: the
functions ``identity_clusters`` calls, in its order. The benches use it to score a changed setting
(bench/faces_2d.py --film F --reassign, bench/anime_image_set.py eval --reassign)."""

import polars as pl

from assets.faces.core import embedding_matrix
from assets.identities.appearance import cutout_vectors
from assets.identities.colour_layout import face_layouts
from assets.identities.assignment import Assignment, assign_identities
from assets.identities.core import IdentityParams
from assets.identities.prototypes import best_faces
from assets.identities.shared_frames import face_boxes_of
from resources.protocols import ImageEmbedder


def reassign_stored(workspace, params: IdentityParams, embedder: ImageEmbedder) -> Assignment:
    """``workspace`` (resources.storage.FilmWorkspace) holds the film's `filtered_instances` and `faces` tables;
    its kept instances are assigned with ``params`` and ``embedder`` for the cut-outs' appearance."""
    instances = workspace.read_table("filtered_instances")
    kept = instances.filter(pl.col("kept")) if "kept" in instances.columns else instances
    chosen = best_faces(workspace.read_table("faces"), params)
    ids = chosen["instance_id"].to_list()
    appearance, colours, shapes = cutout_vectors(kept["path"].to_list(), embedder, workspace.absolute,
                                                 colours=params.appearance_colour_weight > 0,
                                                 shapes=params.faceless_shape_weight > 0
                                                 or params.appearance_view_shape is not None)
    return assign_identities(kept["instance_id"].to_list(), dict(zip(ids, embedding_matrix(chosen))), appearance,
                             params, dict(zip(ids, zip(chosen["quality"], chosen["gated"]))), kept,
                             face_detectors=dict(zip(ids, chosen["detector"])), colours=colours,
                             shapes=shapes, face_boxes=face_boxes_of(chosen),
                             layouts=face_layouts(params, kept, ids, workspace.absolute))
