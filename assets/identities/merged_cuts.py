"""Merged cuts among the face split's rows (issues #12 / #13): a cut-out holding two characters, one character's
cut with the other's face on it. Its face names one part of the design split and its cut-out's colours another;
left in the split, its face follows whichever density cluster it fell in and pulls a part (session 54, h97: tune
film 19's female person cut over the male adventurer, his face 0.17 nearer his part than hers, her colours 0.18
nearer hers). ``merged_cut_faces`` finds such rows; ``split_placing_merged_cuts`` reads the split again without
them and places each by its colours (placed as faceless rows instead, they were no longer their character's face
members, and two later rules read her identity without them: tune film 19 0.974 -> 0.938). No Dagster."""

from collections.abc import Callable

import numpy as np


def merged_cut_faces(faces: np.ndarray, colours: np.ndarray, parts: np.ndarray,
                     gaps: tuple[float, float]) -> np.ndarray:
    """Row indices of ``parts`` (each faced row's part after the design split, -1: none) whose face (``faces``,
    unit rows) is nearer one part than the part its cut-out's colours (``colours``, unit rows) are nearest, by
    ``gaps[0]`` (mean cosine to the part's other members), while those colours are nearer their part than the
    face's by ``gaps[1]``: the face and the cut-out name two characters, as far apart as a minor design must be
    from its cluster in the face and the colours (``design_split.minor_part_cut``), its face at least as alike to
    its part as the part's least typical member (``least_typical``): the face is that character's. One character's
    odd pose or a cut-out taking in a neighbour's edge parts on one of the two at most."""
    labels = [int(v) for v in np.unique(parts) if v >= 0]
    if len(labels) < 2:
        return np.zeros(0, dtype=np.int64)
    rows = np.flatnonzero(parts >= 0)
    face_near = part_similarities(faces, parts, labels, rows)
    colour_near = part_similarities(colours, parts, labels, rows)
    by_face, by_colour = face_near.argmax(axis=1), colour_near.argmax(axis=1)
    at = np.arange(len(rows))
    face_lead = face_near[at, by_face] - face_near[at, by_colour]
    colour_lead = colour_near[at, by_colour] - colour_near[at, by_face]
    merged = (by_face != by_colour) & (face_lead >= gaps[0]) & (colour_lead >= gaps[1])
    held = [j for j in np.flatnonzero(merged)
            if face_near[j, by_face[j]] >= least_typical(faces, np.flatnonzero(parts == labels[by_face[j]]), rows[j])]
    return rows[np.array(held, dtype=np.int64)]


def least_typical(vectors: np.ndarray, members: np.ndarray, row: int) -> float:
    """The lowest mean cosine of one of ``members`` (``row`` left out) to the others: a face as alike to the part
    is one of its character's faces; a face of a character the split holds no part of (a portrait seen once, in a
    grid of others) lies below every member (the anime set's portrait_13: 0.772 against its face part's 0.824)."""
    members = members[members != row]
    if len(members) < 2:
        return np.inf
    sims = vectors[members] @ vectors[members].T
    return float(((sims.sum(axis=1) - np.diag(sims)) / (len(members) - 1)).min())


def part_similarities(vectors: np.ndarray, parts: np.ndarray, labels: list[int], rows: np.ndarray) -> np.ndarray:
    """(len(rows), len(labels)) mean cosine of each of ``rows`` to each part's members other than itself (-inf
    where the part holds no other member)."""
    sums = np.stack([vectors[parts == label].sum(axis=0) for label in labels]).astype(np.float64)
    sizes = np.array([(parts == label).sum() for label in labels], dtype=np.float64)
    own = parts[rows][:, None] == np.array(labels)[None, :]
    dots = vectors[rows].astype(np.float64) @ sums.T
    self_dot = np.einsum("ij,ij->i", vectors[rows], vectors[rows]).astype(np.float64)[:, None]
    others = sizes[None, :] - own
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (dots - own * self_dot) / others
    return np.where(others > 0, means, -np.inf)


def split_placing_merged_cuts(split: Callable[[np.ndarray], tuple[np.ndarray, int]], clusters: np.ndarray,
                              faces: np.ndarray, colours: np.ndarray | None, gaps: tuple[float, float] | None
                              ) -> tuple[np.ndarray, int, np.ndarray]:
    """``split(clusters)`` (the design split: new labels and its cuts), then, with ``gaps`` and ``colours``, the
    merged cuts it holds (``merged_cut_faces``) left out of the density clusters and the split read again without
    them, each placed in the part its colours are nearest (mean cosine to the part's members): its cut-out is that
    character's, its face another's. Returns the labels, the cuts made and the merged cuts' row indices."""
    parts, cuts = split(clusters)
    merged = (merged_cut_faces(faces, colours, parts, gaps) if gaps is not None and colours is not None
              else np.zeros(0, dtype=np.int64))
    if not merged.size:
        return parts, cuts, merged
    held = np.asarray(clusters).copy()
    held[merged] = -1
    parts, cuts = split(held)
    labels = [int(v) for v in np.unique(parts) if v >= 0]
    if labels:
        parts[merged] = np.array(labels)[part_similarities(colours, parts, labels, merged).argmax(axis=1)]
    return parts, cuts, merged
