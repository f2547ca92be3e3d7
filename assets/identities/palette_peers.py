"""A view look whose colours fit its identity no better than other faceless rows' colours do: one palette worn by
several designs. No Dagster.

The view looks (view_looks.py) let the colours name a faceless row's identity where the image embedding cannot (a
drawn back view reads as another character's there). In one palette every design's colours lead somewhere: on the
one-palette creature tune set (``bench/anime_image_set.py build DIR --characters creatures_one_palette --split
tune``) a green tree's cut-out is 0.83 alike in the colours to the green key's group and joins it, while rows of
other green designs (a flag group, a gem, a tank, the tree's own other look) sit 0.80-0.86 from that group too: the
tree's colours say "green", not "the key". Its image embedding does not single it out either (0.63 to the key's
group; the flags 0.63-0.69, the key's own unjoined row 0.75). Where a drawn back view rightly joins, the colours
are its identity's alone (the Kenney tune film 21's zombie: no other faceless row within 0.05 of its 0.91), or,
when another group shares the palette (film 31's robot, split into two groups 0.90 alike), the image embedding
puts the back view nearer its identity than any of those rows (0.85; the others 0.82 at most).

So (``appearance_view_palette_image``) a view look joins identity A only where no faceless row of the film that A's
colours fit as well as they fit the row (its colour closeness to A's prototype at most ``appearance_margin`` under
the row's) is at least as close to A's prototype in the image embedding: among the rows of A's palette, the image
must name this one. A's own members, the row's track and the rows still noise that the mix and the colours both put
nearest A (more of A's looks, view_looks.py condition 4) are no such peers.
"""

import numpy as np


def image_names_it_among_its_palette(k: int, peers: list[int], unit_colours: np.ndarray, unit_image: np.ndarray,
                                     colour_prototype: np.ndarray, image_prototype: np.ndarray,
                                     margin: float) -> bool:
    """Whether row ``k`` is nearer the identity's ``image_prototype`` (unit rows of ``unit_image``) than every row of
    ``peers`` whose colours (``unit_colours``) are at most ``margin`` less alike to ``colour_prototype`` than row
    ``k``'s: its palette's other rows, none of them as near in the image embedding."""
    if not peers:
        return True
    colour_closeness = unit_colours[peers] @ colour_prototype
    same_palette = np.asarray(peers)[colour_closeness >= float(unit_colours[k] @ colour_prototype) - margin]
    return bool(not len(same_palette) or (unit_image[same_palette] @ image_prototype).max()
                < float(unit_image[k] @ image_prototype))
