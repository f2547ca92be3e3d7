"""Export items whose cut-out holds a second character, told by colour: a share of its pixels in colours that
another identity of the same shot shows in most of its items and the item's own identity shows in few, among them
colours that hold much of that identity's weight (a second character brings its hair, skin and clothes; a prop in
one of its colours, a blue tractor beside a character in blue jeans, brings one), and those colours fill solid
areas of the cut holding at least half of that weight: a body's hair, skin and clothes are areas, while a
character's own outlines, shading, stripes and specks that share the other's colours are thin and go in an opening
(docs/datasets.md, session 45: h54 the colours, h56 the solid areas).

Characters crossing, overlapping or walking side by side often reach the export as one cut-out, assigned to one of
them; a trainer given it as that character learns the pair. No second face is found on such cuts (the partner is
turned away or hidden), and neither the cut's extent nor its aspect tells them apart from a single character in a
wide pose (docs/datasets.md, session 45); the partner's clothes, skin and hair colours do, when its identity is
known from its other items in the shot. Numpy and polars only; no Dagster, no models.
"""

from collections.abc import Callable
from typing import NamedTuple

import cv2
import numpy as np
import polars as pl

from resources.colour_tables import colour_table, packed_colours

# colour bins: 12 hues x (vivid | muted) x 4 values for saturated pixels, then 4 values of grey
HUES, SATURATED, VIVID = 12, 60, 150
PALETTE_BINS = HUES * 8 + 4
COLOUR_SHOWN = 0.01       # an item shows a colour when at least 1% of its pixels fall in its bin
RARE_FOR_OWN = 0.4        # a colour the item's own identity shows in fewer than 40% of its items ...
TYPICAL_FOR_OTHER = 0.5   # ... that another identity of the shot shows in at least half of its items
MIN_OTHER_ITEMS = 3       # an identity with fewer items has no colours to go by
MIN_COLOURS_SHOWN = 0.3   # the item shows colours holding at least 30% of the other identity's pixels in the colours
                          # that set it apart from the item's own (its mean palette's weight, not a count of colours:
                          # a robot is one blue and three specks)
SOLID_WIDTH = 0.015       # solid areas: what an opening this share of the cut's height wide (3 px at least) leaves
MIN_SOLID_SHOWN = 0.5     # the solid areas show colours holding at least half of that weight (a body shows most of
                          # its colours as areas; Penny & Chip's props and Chip's own stripes and outlines in Penny's
                          # colours held at most 0.39, four of its seven pairs 0.43 to 0.67: docs/datasets.md, session
                          # 45 (h56))


class Foreign(NamedTuple):
    """The other identity whose colours take the largest share of an item: that share, the share of its weight in
    those colours the item shows, its name and the colours (a boolean bin mask) that set it apart from the item's."""
    share: float
    shown: float
    other: str | None
    apart: np.ndarray | None = None
    weight: np.ndarray | None = None   # the other identity's mean palette


NO_FOREIGN = Foreign(0.0, 0.0, None)


def colour_bins(rgb: np.ndarray, covered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each pixel's colour bin, and the character pixels without the soft outline (blended with the background)."""
    inner = cv2.erode(covered.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    # each pixel's ``hsv_bins`` answer, looked up in a table of every colour (resources/colour_tables.py)
    return colour_table("palette_hsv", hsv_bins)[packed_colours(rgb)], inner


def hsv_bins(pixels: np.ndarray) -> np.ndarray:
    """The palette bin of each of ``pixels`` ((N, 1, 3) RGB uint8): its 8-bit HSV hue in ``HUES`` steps, vivid or
    not and four levels of value where it is saturated, else grey in four levels of value."""
    hsv = cv2.cvtColor(np.ascontiguousarray(pixels), cv2.COLOR_RGB2HSV).reshape(-1, 3).astype(np.int32)
    value = np.minimum(hsv[:, 2] * 4 // 256, 3)
    coloured = hsv[:, 0] * HUES // 180 * 8 + (hsv[:, 1] >= VIVID) * 4 + value
    return np.where(hsv[:, 1] >= SATURATED, coloured, HUES * 8 + value)


def colour_palette(rgb: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """The share of a cut-out's character pixels in each colour bin (``PALETTE_BINS`` float32 summing to 1, or
    zeros without pixels). The soft outline is left out: it is blended with the background."""
    bins, inner = colour_bins(rgb, covered)
    if not inner.any():
        return np.zeros(PALETTE_BINS, np.float32)
    counts = np.bincount(bins[inner], minlength=PALETTE_BINS).astype(np.float32)
    return counts / counts.sum()


def solid_palette(rgb: np.ndarray, covered: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """The share of a cut-out's character pixels in each of ``colours`` (a boolean bin mask) that lie in solid areas
    of those colours together: an opening ``SOLID_WIDTH`` of the cut's height wide removes outlines, shading lines,
    stripes and specks (``PALETTE_BINS`` float32; zeros without pixels)."""
    bins, inner = colour_bins(rgb, covered)
    rows = np.flatnonzero(inner.any(axis=1))
    if not len(rows):
        return np.zeros(PALETTE_BINS, np.float32)
    width = max(3, int(SOLID_WIDTH * (rows[-1] - rows[0] + 1)) | 1)
    chosen = (colours[bins] & inner).astype(np.uint8)
    solid = cv2.morphologyEx(chosen, cv2.MORPH_OPEN,
                             cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (width, width))).astype(bool)
    return (np.bincount(bins[solid], minlength=PALETTE_BINS) / inner.sum()).astype(np.float32)


def identity_colours(palettes: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Per colour bin, the share of an identity's items (``members``: a boolean row mask) that show it."""
    return (palettes[members] >= COLOUR_SHOWN).mean(axis=0)


def other_character_colours(items: pl.DataFrame, palettes: np.ndarray) -> list[Foreign]:
    """Per item (``items``: ``identity``, ``shot``, one row per palette row): of the other identities with items in
    its shot, the one whose colours (typical of it, rare for the item's own identity) take the largest share of the
    item's pixels while the item shows colours holding at least ``MIN_COLOURS_SHOWN`` of their weight
    (``Foreign``); ``NO_FOREIGN`` where none does or the shot is unknown."""
    identities = items["identity"].cast(pl.String).to_numpy()
    shots = np.array(items["shot"].to_list() if "shot" in items.columns else [None] * items.height, dtype=object)
    colours = {i: identity_colours(palettes, identities == i) for i in set(identities)}
    weights = {i: palettes[identities == i].mean(axis=0) for i in colours}
    sizes = {i: int((identities == i).sum()) for i in colours}
    out: list[Foreign] = []
    for n, (own, shot) in enumerate(zip(identities, shots)):
        best = NO_FOREIGN
        others = [] if shot is None else sorted(
            {i for i in identities[shots == shot] if i != own and sizes[i] >= MIN_OTHER_ITEMS})
        for other in others:
            apart = (colours[own] < RARE_FOR_OWN) & (colours[other] >= TYPICAL_FOR_OTHER)
            if not apart.any():
                continue
            shown = float(weights[other][apart & (palettes[n] >= COLOUR_SHOWN)].sum() / weights[other][apart].sum())
            share = float(palettes[n][apart].sum())
            if shown >= MIN_COLOURS_SHOWN and share > best.share:
                best = Foreign(share, shown, other, apart, weights[other])
        out.append(best)
    return out


def solid_shown(foreign: Foreign, solid: np.ndarray) -> float:
    """The share of the other identity's weight in its distinctive colours that the item's solid areas of them
    (``solid``: ``solid_palette``) show, each in at least ``COLOUR_SHOWN`` of the item's pixels."""
    weight = foreign.weight[foreign.apart]
    return float(weight[solid[foreign.apart] >= COLOUR_SHOWN].sum() / weight.sum())


def items_holding_another_character(items: pl.DataFrame, palettes: np.ndarray, share: float,
                                    solid: Callable[[int, np.ndarray], np.ndarray]) -> dict[int, str]:
    """Row -> reason for the items with at least ``share`` of their pixels in another character's colours
    (``other_character_colours``) whose solid areas of them show at least ``MIN_SOLID_SHOWN`` of its weight
    (``solid``: row, colour bin mask -> that row's ``solid_palette``, read only for the items passing the colour
    test); none when ``share`` is negative (the test is off)."""
    if share < 0 or items.height == 0:
        return {}
    # the reason names characters as the export does (pc_char0, a reviewed name), not by their identity ids
    names = dict(zip(items["identity"].cast(pl.String), items["label"].cast(pl.String))) \
        if "label" in items.columns else {}
    found = {}
    for n, foreign in enumerate(other_character_colours(items, palettes)):
        if foreign.share < share or foreign.other is None:
            continue
        areas = solid_shown(foreign, solid(n, foreign.apart))
        if areas >= MIN_SOLID_SHOWN:
            own, other = str(items["identity"][n]), foreign.other
            own, other = names.get(own) or own, names.get(other) or other
            found[n] = (f"holds another character: {foreign.share:.0%} of its pixels are in colours that "
                        f"{other} (in the same shot) shows in most of its items and {own} in few, "
                        f"{foreign.shown:.0%} of {other}'s weight in them, {areas:.0%} in solid areas "
                        f"(>= other_character_share {share})")
    return found
