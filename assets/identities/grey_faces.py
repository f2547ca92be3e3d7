"""Grey faces compared without colour: a drawn face seen in a grey (desaturated, black-and-white) image carries no
colour, so the drawn face embedding's colour block (hair, skin and clothing histograms, resources/backends/
drawn_identity.py) reads "grey" rather than the character, and its nearest faces are other grey faces (the Kenney
tune set's grey female person: 0.682 to her own coloured faces, 0.713 to a grey face of the background). With that
block left out (the face and head general-vision blocks only, renormalised) she is 0.773 to her own faces and
0.691 at most to any other character's: the cue a grey image lacks is dropped on both sides.

``join_grey_faces``: a faced row still noise whose face's colour block is grey (every histogram's coloured bins
under ``GREY_COLOURED_SHARE`` of its pixels) joins face identity A where, colourless, its nearest face of A is at
least ``prototype_threshold`` alike and ahead of every face outside A (other identities' and faces still noise) by
``grey_face_margin``, and A holds no other face of its frame (two faces of one frame are two characters). Only
the drawn recogniser's vectors have the colour block; any other layout (CCIP, photo faces) is left alone. No
Dagster."""

import numpy as np

from assets.identities.core import IdentityParams
from resources.backends.drawn_identity import COLOUR_REGIONS, GREY_BINS, HUE_BINS, SAT_BINS, VAL_BINS

REGIONS = len(COLOUR_REGIONS)    # hair, skin, clothing
COLOURED_BINS = HUE_BINS * SAT_BINS * VAL_BINS
REGION_BINS = COLOURED_BINS + GREY_BINS
COLOUR_DIM = REGIONS * REGION_BINS
GREY_COLOURED_SHARE = 0.02       # a region of a grey image: no coloured pixel (JPEG noise reaches a few in a hundred)


def colour_block(vector: np.ndarray) -> np.ndarray | None:
    """The (REGIONS, REGION_BINS) colour histograms at the end of a drawn face vector, or None where the vector has
    no such block: the block's regions are unit Hellinger histograms (non-negative, equal norms)."""
    if vector.shape[0] <= COLOUR_DIM or (vector.shape[0] - COLOUR_DIM) % 2:
        return None
    block = vector[-COLOUR_DIM:].reshape(REGIONS, REGION_BINS).astype(np.float64)
    norms = np.linalg.norm(block, axis=1)
    if block.min() < -1e-6 or norms.min() <= 0 or norms.max() - norms.min() > 0.02 * norms.max():
        return None
    return block / norms[:, None]


def is_grey_face(vector: np.ndarray) -> bool:
    """True where every region of the face's colour block holds (almost) only grey-level pixels."""
    block = colour_block(vector)
    if block is None:
        return False
    coloured_share = (block[:, :COLOURED_BINS] ** 2).sum(axis=1)   # Hellinger: squares are pixel frequencies
    return bool(coloured_share.max() < GREY_COLOURED_SHARE)


def colourless(faces: np.ndarray) -> np.ndarray:
    """Face vectors without their colour block, renormalised (the face and head blocks keep their weights)."""
    x = faces[:, :-COLOUR_DIM].astype(np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def join_grey_faces(labels: np.ndarray, confidence: np.ndarray, by: list[str], face_unit: np.ndarray,
                    groups: list[dict], params: IdentityParams, candidates: list[int],
                    frame_ids: list[str] | None) -> int:
    """Grey faced rows of ``candidates`` (faced rows still noise) join a face identity as the module says; labels,
    confidence and by changed in place; returns how many joined."""
    faced = [k for k in range(len(labels)) if face_unit.shape[1] and np.any(face_unit[k])]
    grey = [k for k in candidates if labels[k] < 0 and colour_block(face_unit[k]) is not None
            and is_grey_face(face_unit[k])]
    if not grey or not faced:
        return 0
    face_identity = {label for label, group in enumerate(groups) if group.get("has_faces")}
    x = colourless(face_unit[faced])
    where = {k: j for j, k in enumerate(faced)}
    before = labels.copy()
    joined = 0
    for k in grey:
        sims = x[[j for j, f in enumerate(faced) if f != k]] @ x[where[k]]
        others = [f for f in faced if f != k]
        best: dict = {}
        for f, s in zip(others, sims):
            key = int(before[f]) if before[f] >= 0 else ("noise", f)   # a face still noise: a character of its own
            best[key] = max(best.get(key, -1.0), float(s))
        ranked = sorted(best.items(), key=lambda item: -item[1])
        target, top = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else -1.0
        if (not isinstance(target, int) or target not in face_identity or top < params.prototype_threshold
                or top - runner_up < params.grey_face_margin):
            continue
        if frame_ids is not None and any(before[f] == target and frame_ids[f] == frame_ids[k] for f in faced):
            continue
        labels[k], confidence[k], by[k] = target, top, "prototype"
        joined += 1
    return joined
