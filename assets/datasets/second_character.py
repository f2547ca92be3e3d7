"""Export items whose cut-out holds a second character, told by colour: a share of its pixels in colours that
another identity of the same shot shows in most of its items and the item's own identity shows in few, among them
colours that hold much of that identity's weight (a second character brings its hair, skin and clothes; a prop in
one of its colours, a blue tractor beside a character in blue jeans, brings one; props still pass now and then:
docs/datasets.md, session 45).

Characters crossing, overlapping or walking side by side often reach the export as one cut-out, assigned to one of
them; a trainer given it as that character learns the pair. No second face is found on such cuts (the partner is
turned away or hidden), and neither the cut's extent nor its aspect tells them apart from a single character in a
wide pose (docs/datasets.md, session 45); the partner's clothes, skin and hair colours do, when its identity is
known from its other items in the shot. Numpy and polars only; no Dagster, no models.
"""

import cv2
import numpy as np
import polars as pl

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


def colour_palette(rgb: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """The share of a cut-out's character pixels in each colour bin (``PALETTE_BINS`` float32 summing to 1, or
    zeros without pixels). The soft outline is left out: it is blended with the background."""
    inner = cv2.erode(covered.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    hsv = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2HSV)[inner].astype(np.int32)
    if not len(hsv):
        return np.zeros(PALETTE_BINS, np.float32)
    value = np.minimum(hsv[:, 2] * 4 // 256, 3)
    coloured = hsv[:, 0] * HUES // 180 * 8 + (hsv[:, 1] >= VIVID) * 4 + value
    bins = np.where(hsv[:, 1] >= SATURATED, coloured, HUES * 8 + value)
    counts = np.bincount(bins, minlength=PALETTE_BINS).astype(np.float32)
    return counts / counts.sum()


def identity_colours(palettes: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Per colour bin, the share of an identity's items (``members``: a boolean row mask) that show it."""
    return (palettes[members] >= COLOUR_SHOWN).mean(axis=0)


def other_character_colours(items: pl.DataFrame, palettes: np.ndarray) -> list[tuple[float, float, str | None]]:
    """Per item (``items``: ``identity``, ``shot``, one row per palette row): of the other identities with items in
    its shot, the one whose colours (typical of it, rare for the item's own identity) take the largest share of the
    item's pixels while the item shows colours holding at least ``MIN_COLOURS_SHOWN`` of their weight: (that share,
    that weight, the identity); (0.0, 0.0, None) where none does or the shot is unknown."""
    identities = items["identity"].cast(pl.String).to_numpy()
    shots = np.array(items["shot"].to_list() if "shot" in items.columns else [None] * items.height, dtype=object)
    colours = {i: identity_colours(palettes, identities == i) for i in set(identities)}
    weights = {i: palettes[identities == i].mean(axis=0) for i in colours}
    sizes = {i: int((identities == i).sum()) for i in colours}
    out: list[tuple[float, float, str | None]] = []
    for n, (own, shot) in enumerate(zip(identities, shots)):
        best: tuple[float, float, str | None] = (0.0, 0.0, None)
        others = [] if shot is None else sorted(
            {i for i in identities[shots == shot] if i != own and sizes[i] >= MIN_OTHER_ITEMS})
        for other in others:
            apart = (colours[own] < RARE_FOR_OWN) & (colours[other] >= TYPICAL_FOR_OTHER)
            if not apart.any():
                continue
            shown = float(weights[other][apart & (palettes[n] >= COLOUR_SHOWN)].sum() / weights[other][apart].sum())
            share = float(palettes[n][apart].sum())
            if shown >= MIN_COLOURS_SHOWN and share > best[0]:
                best = (share, shown, other)
        out.append(best)
    return out


def items_holding_another_character(items: pl.DataFrame, palettes: np.ndarray, share: float) -> dict[int, str]:
    """Row -> reason for the items with at least ``share`` of their pixels in another character's colours
    (``other_character_colours``); none when ``share`` is negative (the test is off)."""
    if share < 0 or items.height == 0:
        return {}
    found = {}
    for n, (foreign, shown, other) in enumerate(other_character_colours(items, palettes)):
        if foreign >= share and other is not None:
            found[n] = (f"holds another character: {foreign:.0%} of its pixels are in colours that {other} (in the "
                        f"same shot) shows in most of its items and {items['identity'][n]} in few, {shown:.0%} of "
                        f"{other}'s weight in them (>= other_character_share {share})")
    return found
