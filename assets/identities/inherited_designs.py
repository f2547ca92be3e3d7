"""A second character's design carried into a face identity by a track (issue #12). No Dagster.

Two drawn characters that cross in a shot can share a track: the cut-out that took in both (a robot with a zombie
in front) shows the zombie's face, the face votes the track to the zombie's identity, and the robot's rows on the
track's other key frames inherit it (each looks enough like the merged cut-out to pass ``track_inherit_look``).
Before the tracks decide, adoption's check (``faceless_groups.release_other_designs``) sees one or two of those
rows and cannot tell a design; after them the rows the track and adoption placed in an identity are tested
together: those that part from the identity's face members as a design of their own go back to the faceless pool,
where the faceless grouping and ``faceless_design_join`` place them (the robot's own faceless group).
"""

import numpy as np

from assets.identities.core import IdentityParams, normalise
from assets.identities.faceless_groups import release_other_designs

PLACED_BY_LOOK = ("track", "appearance")   # rows an identity holds without their own face's say


def release_inherited_designs(labels: np.ndarray, confidence: np.ndarray, by: list[str], has_face: list[bool],
                              image_rows: np.ndarray, colour_rows: np.ndarray, params: IdentityParams,
                              min_part: int) -> list[int]:
    """In each identity a track carried rows into, the rows placed by their track or their look (``by`` track /
    appearance) that part from the identity's face members as a design of their own (``release_other_designs``:
    more alike each other than the face members, at least ``min_part`` of them, apart by ``split_gap`` in the image
    embedding and ``split_colour_gap`` in the colours) become noise again; ``by`` goes back to face or appearance
    (``has_face``). Identities no track added to are left to adoption's own check. ``labels`` index the face
    identities (-1 noise). Changes ``labels``, ``confidence`` and ``by`` in place; returns the released rows, in
    order."""
    carried = {int(labels[k]) for k in range(len(labels)) if labels[k] >= 0 and by[k] == "track"}
    placed = [k for k in range(len(labels)) if labels[k] in carried and by[k] in PLACED_BY_LOOK]
    if not placed:
        return []
    released = release_other_designs(normalise(image_rows), normalise(colour_rows), labels, placed, params, min_part)
    for k in released:
        labels[k], confidence[k] = -1, 0.0
        by[k] = "face" if has_face[k] else "appearance"
    return released
