"""Colour regions for whole-character masks: graph-based regions (Felzenszwalb-Huttenlocher, scikit-image) of a
character's surroundings, for a border prior: regions that reach the edge of the search window are background
until GrabCut's colour models say otherwise. A drawn character is closed by its outline, so its regions rarely
reach the window's edge, while the sky, the floor and walls do (on the composites benchmark the prior lifts the
held-out mean IoU from 0.54 to 0.58).

Images are BGR uint8 (OpenCV order); masks bool, same size.
"""

import cv2
import numpy as np

from resources.backends.character_own_fills import own_fill_regions, own_fills_apply


# Felzenszwalb's scale: at 150 a textured background (foliage, water, rock) breaks into small regions that do not
# reach the window's border and so started as the character; at 800 texture merges into regions that do, while a
# drawn character's flat, outlined parts stay apart (composites tune split, anime preset, seeded GrabCut: mean IoU
# 0.800 -> 0.801 alone, 0.800 -> 0.806 with the edge re-cut of character_edges.py; seed 11 scenes 0.558 -> 0.569)
REGION_SCALE = 800.0


def colour_regions(bgr: np.ndarray, scale: float = REGION_SCALE, sigma: float = 0.6,
                   min_size: int | None = None) -> np.ndarray:
    """int32 region labels (0..n-1) of ``bgr``; ``min_size`` defaults to 0.05 % of the pixels (at least 20).
    scikit-image's Felzenszwalb labels, computed by resources/backends/felzenszwalb.py in a third of its CPU."""
    from resources.backends.felzenszwalb import felzenszwalb

    if min_size is None:
        min_size = max(20, int(0.0005 * bgr.shape[0] * bgr.shape[1]))
    return felzenszwalb(bgr[..., ::-1], scale=scale, sigma=sigma, min_size=min_size).astype(np.int32)


def border_regions(labels: np.ndarray, sides: tuple[bool, bool, bool, bool] = (True, True, True, True)) -> np.ndarray:
    """bool mask of the regions that touch the window's border on the given sides (left, top, right, bottom).
    A side where the window ends at the frame's edge is left out: a character cut by the frame touches it."""
    rows = [labels[:, 0], labels[0], labels[:, -1], labels[-1]]
    edge = [row for row, side in zip(rows, sides) if side]
    if not edge:
        return np.zeros(labels.shape, bool)
    return np.isin(labels, np.unique(np.concatenate(edge)))


# Where the search window ends at the frame's edge, a region touching only that edge is not known to be enclosed: a
# character cut by the frame (legs, a dress) reaches it, but so do the ground, rocks or foliage between and beside
# characters, which then started as the character and taught GrabCut's colour model their colours (the tune split's
# largest leaks). A drawn fill cut by the frame is one colour with its outlines (0.36-0.84 of its pixels within 8 Lab
# of its median, most 0.8), a filmed or rendered background there is textured (0.02-0.37 on the large leaking
# regions); such a textured region starts as background like one reaching the window's border, and GrabCut may still
# give it back by colour. Chosen on the composites' tune split (seeds 7, 11, 13; anime preset / 3D defaults, mean IoU):
# off 0.863 0.607 0.753 / 0.807 0.581 0.703; share 0.3: 0.866 0.609 0.758 / 0.808 0.589 0.699; 0.45: 0.885 0.641 0.768
# / 0.818 0.592 0.709; 0.6: 0.881 0.641 0.768 / 0.814 0.592 0.708; 0.45 at 12 Lab: 0.869 0.611 0.762 / 0.810 0.590
# 0.703; every such region as background: 0.860 0.609 0.760 / 0.804 0.573 0.703 (the cut-off legs lost).
EDGE_FILL_SHARE = 0.45
EDGE_FILL_TOLERANCE = 8.0


# A rendered or filmed character is textured too: a beard, fur, feathers or a woven robe that the frame cuts is such a
# region, and as background it taught GrabCut the character's own colours (the Sintel trailer's Shaman lost half his
# beard and his shoulder, 40045 -> 33273 px). Where BlazePose's trusted person matte holds the character, the part of
# a textured region inside the matte's outline (its convex hull: the sure matte misses strands and the rim) stays as
# the character; ground and foliage lie beside or below the person, outside it. Not in drawn shots (the caller's
# choice: a drawn character is not textured): there it cost the composites' held-out split 0.7387 -> 0.7239 (anime
# preset; 3D defaults on the same drawn characters 0.7127 -> 0.7022) while the tune split moved by under 0.005
# (anime seeds 7 / 11 / 13 0.8881 0.7027 0.7869 -> 0.8880 0.7031 0.7824, 3D 0.8141 0.6730 0.7458 -> 0.8135 0.6734
# 0.7461). Tried on the tune split: the matte's share of a region instead (at least 0.25 of it: 3D seed 11 0.673 ->
# 0.667; 0.5: the Shaman's cut 33207 -> 27194 px), the region's colours nearer the enclosed regions' than the border
# regions' (anime 0.875 0.696 0.779), a small region (under 5% of the window: 3D 0.810 0.656 0.738), one touching
# the frame's edge along under a tenth of its extent (3D 0.813 0.659 0.750), one holding the seed's face (anime seed 7
# 0.888 -> 0.879: a head region merged with the foliage beside it).
def textured_at_frame_edge(bgr: np.ndarray, labels: np.ndarray, sides: tuple[bool, bool, bool, bool],
                           person: np.ndarray | None = None) -> np.ndarray:
    """bool mask of the regions (``labels`` of ``bgr``) that touch the window's border only where it is the frame's
    edge (a side False in ``sides``, as for ``border_regions``) and are textured: fewer than EDGE_FILL_SHARE of their
    pixels within EDGE_FILL_TOLERANCE Lab units of their median colour, unlike a drawn fill the frame cuts; less the
    pixels inside the convex hull of ``person`` (bool, same size: the character's sure person matte), if given."""
    if all(sides):
        return np.zeros(labels.shape, bool)
    at_frame = border_regions(labels, tuple(not side for side in sides)) & ~border_regions(labels, sides)
    if not at_frame.any():
        return at_frame
    count = int(labels.max()) + 1
    lab = cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB)   # 8-bit: dominant_share counts its values
    share = dominant_share(lab[at_frame], labels[at_frame], count, EDGE_FILL_TOLERANCE)
    textured = at_frame & (share < EDGE_FILL_SHARE)[labels]
    if person is not None and person.any() and textured.any():
        textured &= ~convex_hull_plane(person)
    return textured


def convex_hull_plane(mask: np.ndarray) -> np.ndarray:
    """bool plane of ``mask``'s convex hull (``mask`` bool, not empty)."""
    hull = np.zeros(mask.shape, np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(cv2.findNonZero(mask.astype(np.uint8))), 1)
    return hull.astype(bool)


# A drawn character's fills are flat (cel shading: one colour per part, its spread in Lab is that of the
# anti-aliasing and the compression), while a filmed or rendered background has texture and noise. Hair or
# trousers that GrabCut's colour models give to a dark background of the same colour stay flat and enclosed at a
# fine Felzenszwalb scale. Chosen on the composites' tune split: black hair and dark trousers 0.0-0.4, blurred or
# compressed dark backgrounds from 0.0 (which the contrast test below sets apart), textured ones 2-10; at 1.5 a
# sky's smooth gradient between two characters was taken. Fine scale on the tune split (anime preset, mean IoU):
# 50: 0.815, 70: 0.816, 100: 0.815, 150: 0.810, 250: 0.807.
FINE_SCALE = 70.0
FLAT_STD = 0.5
# ... or most of its interior (FLAT_SHARE) within FLAT_TOLERANCE Lab units of its median colour in every channel: a
# cel fill with a crease, a seam or a few compression blocks, which its standard deviation calls textured (a grey
# trouser leg at spread 1.5, so the flat leg beyond it was never reached), while a gradient or a blurred background
# spreads its pixels evenly. Chosen on the tune split (seeds 7, 11, 13, anime preset, mean IoU over 90 characters):
# off 0.7105, share 0.9 at 2 Lab 0.7142, 0.8 at 2 Lab 0.7167, 0.9 at 1.5 Lab 0.7147, 0.8 at 1 Lab 0.7180, 0.7 at 1 Lab 0.7191;
# at 2-3 Lab the blurred street between a character's legs joins (tests/unit/test_character_regions.py).
FLAT_SHARE = 0.8
FLAT_TOLERANCE = 1.0
MIN_CONTRAST = 5.0
# A cel fill the fine scale cuts into pieces along the compression's ripples (a JPEG key frame: Kenney's dark hair
# at the frame's top, one piece flat, its neighbours of its colour 2-4 Lab apart, spread 2-3 Lab) is one fill: the
# pieces chained to a flat candidate by steps under MIN_CONTRAST (none of them on the cut) join the candidates where
# the chain stays inside the seed box and never reaches the window's border (there it is the background); each
# piece then differs from everything round the chain by construction (session 27, h2). Off: FILL_PIECES False.
FILL_PIECES = True


def flat_parts(bgr: np.ndarray, foreground: np.ndarray, inside: np.ndarray,
               sides: tuple[bool, bool, bool, bool], rounds: int = 3, own_fills: bool = False) -> np.ndarray:
    """bool mask: the flat, enclosed fine regions of ``bgr`` that lie (at least 90 %) inside the seed box
    ``inside`` and join ``foreground`` (GrabCut's character), directly or through each other; the parts of a drawn
    character that colour alone gave to the background. ``sides`` as for ``border_regions``. ``own_fills`` (drawn
    shots, with OWN_FILLS): shaded regions in the cut's own colours join too (``own_fill_regions``)."""
    regions = colour_regions(bgr, scale=FINE_SCALE)
    outer = border_regions(regions, sides)
    count = int(regions.max()) + 1
    lab_bytes = cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB)
    lab = lab_bytes.astype(np.float32)
    # spread measured on each region's interior: its anti-aliased rim mixes in the neighbours' colours
    interior = cv2.erode(np.ones(regions.shape, np.uint8), None) > 0
    interior &= regions == cv2.erode(regions.astype(np.float32), None).astype(np.int32)
    interior &= regions == cv2.dilate(regions.astype(np.float32), None).astype(np.int32)
    interior_ids = regions[interior]
    pixels = np.bincount(interior_ids, minlength=count).astype(np.float64)
    spread = np.zeros(count)  # largest standard deviation of L, a, b over the region's interior
    for channel in range(3):
        values = lab[..., channel][interior]
        mean = np.bincount(interior_ids, values, count) / np.maximum(pixels, 1)
        spread = np.maximum(spread, np.sqrt(np.maximum(
            np.bincount(interior_ids, values * values, count) / np.maximum(pixels, 1) - mean * mean, 0)))
    area = np.bincount(regions.ravel(), minlength=count)
    in_box = np.bincount(regions[inside], minlength=count)
    on_fg = np.bincount(regions[foreground], minlength=count)
    flat = spread <= FLAT_STD
    if FLAT_SHARE < 1.0:
        flat |= dominant_share(lab_bytes[interior], interior_ids, count) >= FLAT_SHARE
    candidate = (pixels >= 10) & flat & (in_box >= 0.9 * area) & (on_fg < 0.5 * area)
    outer_ids = np.unique(regions[outer])
    candidate[outer_ids] = False
    means = np.stack([np.bincount(regions.ravel(), lab[..., c].ravel(), count) for c in range(3)], 1) \
        / np.maximum(area, 1)[:, None]
    if FILL_PIECES:
        candidate |= same_fill_pieces(regions, candidate, (on_fg < 0.5 * area),
                                      (in_box >= 0.9 * area) & ~np.isin(np.arange(count), outer_ids), means)
    # at the frame's edge enclosure says nothing (the region may go on outside the frame): such a region must
    # also differ from every region that reaches the window's border (the background between a character's legs)
    frame_sides = tuple(not side for side in sides)
    at_frame = set(np.unique(regions[border_regions(regions, frame_sides)]).tolist()) if any(frame_sides) else set()
    # a fill the fine scale splits into pieces of one colour: its pieces are not each other's background
    flat_pieces = candidate[regions]
    if own_fills and own_fills_apply(bgr, foreground):
        # shaded parts in the cut's own colours (character_own_fills): not flat, yet in the box, off its border and
        # off the cut, and (below) standing out from every neighbour off the cut as a flat part must
        enclosed = (pixels >= 10) & (in_box >= 0.9 * area) & (on_fg < 0.5 * area) & ~candidate
        enclosed[outer_ids] = False
        candidate |= own_fill_regions(lab, foreground, means, enclosed, outer)
    added = np.zeros(regions.shape, bool)
    grown = foreground.copy()
    for _ in range(rounds):
        touching = np.unique(regions[cv2.dilate(grown.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0])
        new = touching[candidate[touching]]
        new = new[[_stands_out(regions, r, means, grown | flat_pieces, outer_ids if r in at_frame else ())
                   for r in new]]
        if new.size == 0:
            break
        candidate[new] = False
        part = np.isin(regions, new)
        added |= part
        grown |= part
    return added


def same_fill_pieces(regions: np.ndarray, flat: np.ndarray, off_cut: np.ndarray, enclosed: np.ndarray,
                     means: np.ndarray) -> np.ndarray:
    """bool per region: the regions chained to a ``flat`` one (bool per region) by 4-neighbour steps of mean colour
    (``means``, Lab per region) under MIN_CONTRAST through regions ``off_cut``, where every region of the chain is
    ``enclosed`` (inside the box, off the window's border); the flat ones themselves left out."""
    pairs = neighbour_pairs(regions, len(flat))
    pairs = pairs[off_cut[pairs[:, 0]] & off_cut[pairs[:, 1]]
                  & (np.linalg.norm(means[pairs[:, 0]] - means[pairs[:, 1]], axis=1) < MIN_CONTRAST)]
    if not len(pairs):
        return np.zeros(len(flat), bool)
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(flat),) * 2)
    chain = connected_components(graph, directed=False)[1]
    anchored = np.bincount(chain, flat & off_cut, chain.max() + 1) > 0
    closed = np.bincount(chain, ~enclosed, chain.max() + 1) == 0
    return anchored[chain] & closed[chain] & ~flat & off_cut


# ``neighbour_pairs`` finds the distinct pairs as one int64 key each (smaller x count + larger) instead of NumPy's
# ``unique(..., axis=0)``, which sorts the rows as opaque records (a byte comparison a pair): the same pairs in the
# same order (the keys order as the pairs do, lexicographically), in a fifth of the CPU (4.5 of 5.5 ms a call on
# Penny & Chip's windows; session 31, h3). False: the rows' unique, as before.
PAIRS_BY_KEY = True


def neighbour_pairs(regions: np.ndarray, count: int) -> np.ndarray:
    """P x 2 (``regions``' dtype): every pair of distinct labels (smaller, larger) of 4-neighbour pixels of
    ``regions`` (labels 0..``count``-1), sorted and each once."""
    if not PAIRS_BY_KEY:
        pairs = np.concatenate([np.stack([regions[:, :-1].ravel(), regions[:, 1:].ravel()], 1),
                                np.stack([regions[:-1].ravel(), regions[1:].ravel()], 1)])
        return np.unique(np.sort(pairs[pairs[:, 0] != pairs[:, 1]], axis=1), axis=0)
    first = np.concatenate([regions[:, :-1].ravel(), regions[:-1].ravel()]).astype(np.int64)
    second = np.concatenate([regions[:, 1:].ravel(), regions[1:].ravel()]).astype(np.int64)
    apart = first != second
    first, second = first[apart], second[apart]
    keys = np.unique(np.minimum(first, second) * count + np.maximum(first, second))
    return np.stack([keys // count, keys % count], 1).astype(regions.dtype)


def _stands_out(regions: np.ndarray, region: int, means: np.ndarray, foreground: np.ndarray,
                background: np.ndarray | tuple = ()) -> bool:
    """The region differs in colour (Lab distance >= MIN_CONTRAST) from every neighbour outside ``foreground``:
    a drawn part meets the background along an outline or a change of fill, while a smooth, blurred or dark
    background split by the fine scale differs from its neighbouring pieces by 1-3 (tune split)."""
    own = regions == region
    ring = (cv2.dilate(own.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0) & ~own & ~foreground
    neighbours = np.union1d(np.unique(regions[ring]), np.asarray(background, int))
    if neighbours.size == 0:
        return True
    return bool(np.linalg.norm(means[neighbours] - means[region], axis=1).min() >= MIN_CONTRAST)


def dominant_share(lab: np.ndarray, ids: np.ndarray, count: int, tolerance: float = FLAT_TOLERANCE) -> np.ndarray:
    """Per region: the share of its pixels (``lab``: N x 3, region ``ids``) within ``tolerance`` Lab units, in every
    channel, of the region's per-channel median (the value of rank n // 2 of its n pixels, from 0): a cel fill with a
    few stray pixels scores near 1, a gradient low. ``lab`` as OpenCV's 8-bit Lab (uint8) takes a compiled count of
    each region's values instead of sorting them (the same medians, the same shares); floats are sorted."""
    if lab.dtype == np.uint8 and len(ids):
        from resources.backends.region_medians import dominant_share_bytes

        return dominant_share_bytes(np.ascontiguousarray(lab), np.ascontiguousarray(ids), int(count),
                                     float(tolerance))
    pixels = np.bincount(ids, minlength=count)
    starts = np.concatenate([[0], np.cumsum(pixels)[:-1]])
    near = np.ones(len(ids), bool)
    for channel in range(3):
        values = lab[:, channel]
        order = np.lexsort((values, ids))
        median = values[order][np.minimum(starts + pixels // 2, max(0, len(ids) - 1))]
        near &= np.abs(values - median[ids]) <= tolerance
    return np.bincount(ids, near, count) / np.maximum(pixels, 1)
