"""A faceless look whose view the image embedding reads as another character's: a drawn character seen from behind.
No Dagster.

The general-vision embedding of a cut-out reads the pose and the view as much as the character: on the Kenney tune
image sets (``bench/anime_image_set.py build --characters kenney --split tune --redraw 31 .. 33``) every back view
(``climb0``) of a person is nearest *another* person's identity in the image embedding (or the faceless group the
adventurers' back views form), by 0.01-0.03, while its colours are nearest its own identity's members in every view
by 0.07-0.17; and the robot's back view, 0.95 alike in colour to the robot's faceless group and 0.3 to anything else,
ties another identity in the image embedding. The clear lead (clear_lead.py, lone_looks.py) asks every block to name
the identity and only face identities to adopt, so each stayed noise.

Here a faceless row still noise once the faceless groups are formed and the lone looks placed joins identity A, a
face identity or a faceless group, when
1. A is its nearest identity in the adoption mix (the image embedding and the colours), at least
   ``appearance_threshold`` close and ahead of the runner-up by ``appearance_margin`` and by more than any face not
   A's leads toward A (the impostor bar of the clear lead);
2. A is its nearest identity in the colours too, ahead of the runner-up there by ``appearance_margin``, and at
   least ``appearance_view_looks`` (0.8 in the anime preset, as ``faceless_design_join`` asks of a design's looks)
   alike to A's prototype there: a view changes a drawn character's outline, not its palette (the back views above
   0.89-0.96; a cut of no character 0.64, a composite's cut beside a grid portrait's group 0.79);
3. in the image embedding A is at most ``appearance_margin`` behind the nearest identity (a view that reads as
   another character's, not another character);
4. no member of A shares its frame (two rows of one frame are two characters), and no row still noise of another
   track is at least as alike to it in the mix as A's prototype is (a character of its own whose looks did not
   group: lone_looks.a_look_of_its_own). A row still noise that the mix and the colours both put nearest A is no
   such rival but more of A's looks: the Kenney tune film's robot, seen from the side in two shots, its rows 0.86
   alike to each other and 0.84-0.86 to the robot's group, each refused the other (seed 26; session 38, h29).
With ``appearance_view_colour_leads`` (anime: on) condition 1 is met too where the mix only names A (nearest, by
any lead; its impostor bar waived) and the colours lead toward A by ``appearance_margin`` and by more than
any row not A's leads toward A there (the impostor bar, in the colours): two designs that share a palette (Kenney's
adventurers; its persons) put a back view 0.001-0.04 ahead of its own identity in the mix, 0.036-0.075 in the
colours, while no row of the other design leads there by more than 0.016 (the Kenney tune redraws 31-38; the
silhouette and the box's size do not tell the designs apart: one body). Decided on the labels before any row joined.
Its known failure (the held-out creatures set, session 30): creatures of one palette in other designs (a green fish,
a frog, a slime) pass it too, into a faceless group of green ones. With ``appearance_view_palette_image`` (anime:
on) a row whose colours fit A no better than other faceless rows' colours do (one palette, several designs) joins
only where the image embedding puts it nearer A than every such row (palette_peers.py).
"""

from typing import Any

import numpy as np

from assets.identities.clear_lead import impostor_leads
from assets.identities.core import IdentityParams, member_prototypes, normalise
from assets.identities.lone_looks import (a_look_of_its_own, noise_rows_and_identities, prototype_closeness,
                                         row_tracks)
from assets.identities.palette_peers import image_names_it_among_its_palette
from assets.identities.view_shapes import silhouette_agrees


def lead_of(similarities: np.ndarray) -> tuple[int, float, float]:
    """The nearest column, its similarity and its lead over the runner-up."""
    order = np.argsort(-similarities)
    return int(order[0]), float(similarities[order[0]]), float(similarities[order[0]] - similarities[order[1]])


def join_view_looks(labels: np.ndarray, confidence: np.ndarray, space: np.ndarray, appearance: np.ndarray,
                    colours: np.ndarray, groups: list[dict[str, Any]], params: IdentityParams,
                    faceless: list[int], loose_faces: list[int], track_ids: list[str] | None = None,
                    frame_ids: list | None = None, shapes: np.ndarray | None = None) -> int:
    """The ``faceless`` rows (no face) still noise join the identity (a face identity or a faceless group) the
    module's rule names: ``space`` the adoption mix, ``appearance`` the image embedding, ``colours`` the cut-outs'
    colours (rows aligned with ``labels``). ``loose_faces``: rows whose face no identity took (impostors of every
    identity, and rows of a character of its own). ``track_ids``: each row's track (None or "": a track of its
    own); ``frame_ids``: each row's frame (None: not used). Changes ``labels`` and ``confidence`` in place; returns
    how many rows joined."""
    rows, members, present = noise_rows_and_identities(labels, faceless, len(groups))
    if not rows or len(present) < 2:
        return 0
    space = normalise(space)
    kept = [members[i] for i in present]
    mix, image, colour = (member_prototypes(normalise(block), kept) for block in (space, appearance, colours))
    unit_image, unit_colours = normalise(appearance), normalise(colours)
    others = np.array([k for k in loose_faces if labels[k] < 0], dtype=np.int64)
    bars = impostor_leads(space, mix, kept, others)
    colour_leads = params.appearance_view_colour_leads
    colour_bars = impostor_leads(unit_colours, colour, kept, others) if colour_leads else np.zeros(len(kept))
    unplaced = np.array(rows + others.tolist(), dtype=np.int64)
    tracks = row_tracks(track_ids, len(labels))
    margin = params.appearance_margin
    named = {}   # row -> the identity conditions 1-3 name for it, before the look-of-its-own check
    nearest = {}  # row -> the identity nearest it in the mix and in the colours both (-1: they differ)
    for k in rows:
        target, best, lead = lead_of(space[k] @ mix.T)
        colour_sims, image_sims = unit_colours[k] @ colour.T, unit_image[k] @ image.T
        colour_target, _, colour_lead = lead_of(colour_sims)
        nearest[k] = present[target] if colour_target == target else -1
        # the mix names A by margin ahead of any impostor face's lead; or (colour_leads) it only names A and the
        # colours lead by margin ahead of any impostor row's lead in the colours (a back view of a palette shared)
        mix_named = (lead >= margin and lead > bars[target]) or (colour_leads and lead > 0
                                                                 and colour_lead > colour_bars[target])
        if (best < params.appearance_threshold or not mix_named
                or colour_target != target or colour_lead < margin
                or colour_sims[target] < params.appearance_view_looks
                or image_sims[target] < image_sims.max() - margin):
            continue
        identity = present[target]
        if frame_ids is not None and any(frame_ids[j] == frame_ids[k] for j in members[identity]):
            continue
        if not silhouette_agrees(shapes, [k], members[identity], params.appearance_view_shape):
            continue
        named[k] = (identity, target)
    chosen = []
    for k, (identity, target) in named.items():
        # a row still noise that the mix and the colours both put nearest the same identity: its looks, no rival
        closeness = prototype_closeness(space, k, members[identity])
        peers = [j for j in unplaced if j != k and tracks[j] != tracks[k] and nearest.get(int(j)) != identity]
        if a_look_of_its_own(space, k, peers, closeness):
            continue
        if params.appearance_view_palette_image and not image_names_it_among_its_palette(
                k, [j for j in faceless if labels[j] != identity and j != k and tracks[j] != tracks[k]
                    and nearest.get(j) != identity], unit_colours, unit_image, colour[target], image[target], margin):
            continue
        chosen.append((k, identity, closeness))
    for k, identity, closeness in chosen:  # decided on the labels before any of them joined
        labels[k], confidence[k] = identity, closeness
    return len(chosen)
