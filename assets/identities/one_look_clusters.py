"""Face clusters of one look joined (issue #12, session 46): a face embedder reads a drawn face together with what
lies round it, so one character's faces drawn on white (a sprite sheet, a transparent image) and the same faces
pasted on real frames fall into two face clusters (the Kenney held-out image set: the female adventurer's sprites
0.69 alike in the face to her composites, 0.85 to the male adventurer's sprites). Her cut-outs are masked to the
character and say otherwise: image embedding, colours and colour layout are as alike across the two clusters as
within each. Two clusters whose cut-outs no look measure parts, by the bars the design split cuts a cluster with
(design_split.split_by_gap: ``split_gap`` in the image embedding as the faceless split reads it, ``split_colour_gap``
in the colours, ``split_layout_gap`` in the layouts), and that share no frame (two faces of one frame are two
characters), are one character: the design split would not have cut them apart had they been one cluster."""

import numpy as np

from assets.identities.core import normalise, relabel_by_size
from assets.identities.design_split import group_gap


def join_clusters_of_one_look(face_labels: np.ndarray, appearance: np.ndarray | None, colours: np.ndarray | None,
                              layouts: np.ndarray | None, frames: np.ndarray | None,
                              gaps: tuple[float | None, float, float | None]) -> tuple[np.ndarray, int]:
    """``face_labels`` (the faced rows' face clusters, -1 noise) with the clusters of one look joined, and how many
    joins were made. ``appearance``, ``colours``, ``layouts``: the faced rows' image embeddings, cut-out colours
    and colour layouts (a zero row: not read; a cluster holding one is never joined); ``frames``: each faced row's
    frame; ``gaps``: (image, colour, layout) bars, a pair joins when under all three (None or 0: off). Pairs are
    taken most alike in the colours first; a join that would put two faces of one frame together is not made."""
    image_gap, colour_gap, layout_gap = gaps
    if (appearance is None or colours is None or layouts is None or frames is None
            or not image_gap or not colour_gap or not layout_gap):
        return face_labels, 0
    looks = [normalise(appearance), normalise(colours), normalise(layouts)]
    read = np.all([np.abs(m).sum(axis=1) > 0 for m in (appearance, colours, layouts)], axis=0)
    members = {label: np.flatnonzero(face_labels == label) for label in np.unique(face_labels[face_labels >= 0])}
    # a cluster of one row has no within-cluster likeness to compare with
    members = {label: rows for label, rows in members.items() if len(rows) >= 2 and read[rows].all()}
    candidates = []
    for a in members:
        for b in members:
            if a < b:
                apart = [group_gap(m, members[a], members[b]) for m in looks]
                if all(g < bar for g, bar in zip(apart, gaps)):
                    candidates.append((apart[1], a, b))
    root = {label: label for label in members}
    frames_of = {label: set(frames[rows].tolist()) for label, rows in members.items()}  # per joined group's root

    def find(label):
        while root[label] != label:
            label = root[label]
        return label

    joins = 0
    for _, a, b in sorted(candidates):
        ra, rb = find(a), find(b)
        if ra == rb or frames_of[ra] & frames_of[rb]:
            continue
        root[rb] = ra
        frames_of[ra] |= frames_of[rb]
        joins += 1
    if not joins:
        return face_labels, 0
    joined = np.array([find(v) if v in root else v for v in face_labels.tolist()], dtype=np.int64)
    return relabel_by_size(joined), joins
