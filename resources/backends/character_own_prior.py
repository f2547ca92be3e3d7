"""A drawn character's own-colour parts marked as GrabCut's probable foreground, then cut again (drawn shots only).
No Dagster.

Session 32 (h3) measured the parts of found Kenney characters that the kept mask misses (bench/composites.py, tune
seed 7): 21 of 38 lay in the seed box but were never GrabCut's probable foreground (the coarse colour region that
holds them reaches the window's border, so it starts as background) and GrabCut left them out; OWN_FILLS
(character_own_fills) takes some back after the cut. Here, before the cut is final: the fine colour regions
(``character_regions.FINE_SCALE``) enclosed in the seed box, off the window's border, mostly off the first cut and
in the first cut's own colours (``character_own_fills.own_fill_regions``: a share of the cut near their mean colour,
more than twice the background's) that the first labelling left as background become probable foreground, and
GrabCut runs again from that labelling, so its colour models learn them; the second cut only adds to the first (its
union: taken alone it dropped a part of Saha's side view, Sita / Saha tune 0.8934 -> 0.8931, as the union 0.8934).
Only for a cut drawn without line art (``own_fills_apply``), and only where such a region exists (else the first
cut stands). Measured (session 32, h8; mean IoU, bench/composites.py, anime preset): Kenney tune seed 7 0.7854 ->
0.7915, seed 29 0.5957 -> 0.6034, seed 11 0.5865 -> 0.5867 (a tree branch of a figure's trouser colour taken
across her legs: 0.827 -> 0.770), Sita / Saha 0.8934 both; held out Kenney 0.5605 -> 0.5822, Sita / Saha 0.7530
both. Tried: only regions touching the first cut (seed 7 0.7858: the parts it gives back lie beyond a region the
second cut takes first). Off: OWN_PRIOR False.

What the second cut adds beyond the first cut and the marked regions it took is bounded (session 33, h2; switch
BOUNDED_GROWTH): GrabCut, having learnt the character's colour, follows background of that colour out of her
silhouette (Kenney tune seed 11 scene 10: a branch of a woman's trousers' purple, crossing her legs, taken on both
sides of them). The added pieces that fill the silhouette (a leg, a robot's body between its head and its marked
feet, a hair cap along the whole top of a face) touch it along a wide seam; the branch's pieces leave it through a
narrow one. A piece is refused where more than half of it lies outside the convex hull of the first cut and the
taken marked regions and it reaches further from them than REACH_PER_SEAM of the length it touches them along
(measured on the tune composites' added pieces: the refused ones reached 0.28-0.44 of their seam and beyond, the
kept gains 0.13 and under). Measured (mean IoU, as above): Kenney tune seed 11 0.5867 -> 0.5885 (the woman before
the branch 0.770 -> 0.827), seed 29 0.6034 -> 0.6039, seed 7 0.7915 -> 0.7916, seed 3 0.5787 -> 0.5782 (a zombie's
arm refused from a robot's merged cut), Sita / Saha and both held-out splits identical. Off: BOUNDED_GROWTH False.
"""

import cv2
import numpy as np

from resources.backends.character_own_fills import own_fill_regions, own_fills_apply

OWN_PRIOR = True
BOUNDED_GROWTH = True
REACH_PER_SEAM = 0.2  # an added piece outside the silhouette: its reach over the length of its seam, at most


def own_colour_prior(roi: np.ndarray, initial: np.ndarray, foreground: np.ndarray, inside: np.ndarray,
                     sides: tuple[bool, bool, bool, bool]) -> np.ndarray:
    """bool plane (the window's size): the pixels of ``roi`` (BGR, the cut window) that the first labelling
    ``initial`` (GrabCut labels before the cut) left as (probable) background and that lie in fine regions enclosed
    in the seed box ``inside`` (at least 90 %), off the window's border (``sides`` as for ``border_regions``), under
    half in the first cut ``foreground`` and in its own colours; empty when OWN_PRIOR is off or the cut is drawn in
    line art."""
    from resources.backends.character_regions import FINE_SCALE, border_regions, colour_regions

    none = np.zeros(foreground.shape, bool)
    if not OWN_PRIOR or not foreground.any() or not own_fills_apply(roi, foreground):
        return none
    regions = colour_regions(roi, scale=FINE_SCALE)
    count = int(regions.max()) + 1
    outer = border_regions(regions, sides)
    area = np.bincount(regions.ravel(), minlength=count)
    in_box = np.bincount(regions[inside], minlength=count)
    on_cut = np.bincount(regions[foreground], minlength=count)
    unmarked = np.bincount(regions[(initial == cv2.GC_BGD) | (initial == cv2.GC_PR_BGD)], minlength=count)
    enclosed = (area >= 10) & (in_box >= 0.9 * area) & (on_cut < 0.5 * area) & (unmarked >= 0.5 * area)
    enclosed[np.unique(regions[outer])] = False
    if not enclosed.any():
        return none
    lab = cv2.cvtColor(roi, cv2.COLOR_BGR2LAB).astype(np.float32)
    means = np.stack([np.bincount(regions.ravel(), lab[..., c].ravel(), count) for c in range(3)], 1) \
        / np.maximum(area, 1)[:, None]
    own = own_fill_regions(lab, foreground, means, enclosed, outer)
    return own[regions] & (initial == cv2.GC_PR_BGD)


def recut_with_own_colours(roi: np.ndarray, initial: np.ndarray, foreground: np.ndarray, inside: np.ndarray,
                           sides: tuple[bool, bool, bool, bool], iterations: int) -> np.ndarray:
    """``foreground`` (bool, the first cut) or, where ``own_colour_prior`` finds regions, ``foreground`` plus the
    cut GrabCut makes again from ``initial`` with them as probable foreground."""
    from resources.backends.character_edges import seeded_grabcut

    prior = own_colour_prior(roi, initial, foreground, inside, sides)
    if not prior.any():
        return foreground
    labels = initial.copy()
    labels[prior] = cv2.GC_PR_FGD
    try:
        seeded_grabcut(roi, labels, iterations)
    except cv2.error:
        return foreground
    second = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
    if not BOUNDED_GROWTH:
        return foreground | second
    return foreground | within_the_silhouette(foreground | (prior & second), second)


def within_the_silhouette(known: np.ndarray, second: np.ndarray) -> np.ndarray:
    """bool plane: the second cut ``second`` less its pieces beyond ``known`` (the first cut and the marked regions
    the second cut took) that lie mostly outside ``known``'s convex hull and reach further from it than
    REACH_PER_SEAM of the length they touch it along (a branch or a pole running out of the silhouette)."""
    added = second & ~known
    count, pieces = cv2.connectedComponents(added.astype(np.uint8), connectivity=8)
    if count <= 1 or not known.any():
        return second
    hull = np.zeros(known.shape, np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(cv2.findNonZero(known.astype(np.uint8))), 1)
    seam = cv2.dilate(known.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    reach = cv2.distanceTransform((~known).astype(np.uint8), cv2.DIST_L2, 3)
    area = np.bincount(pieces.ravel(), minlength=count)
    outside = np.bincount(pieces[hull == 0], minlength=count)
    touching = np.bincount(pieces[seam], minlength=count)
    farthest = np.zeros(count)
    np.maximum.at(farthest, pieces[added], reach[added])
    refused = (outside > 0.5 * area) & (farthest > REACH_PER_SEAM * touching)
    refused[0] = False
    return second & ~refused[pieces]
