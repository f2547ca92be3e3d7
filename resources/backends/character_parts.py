"""Whole characters from part masks: SAM2's automatic mask generator cuts a character into parts (head, hair, jacket,
trousers), and its masks follow image edges precisely. The offline character segmenter's coarse masks (one per
character, from the same face / body / class cues) say which parts belong together: a part joins the character
whose coarse mask covers most of it, and the character's mask becomes the union of its parts. So both backends
give the same kind of instance: one whole character each, plus leftover parts that the filter judges as objects.

Masks are bool H x W in frame pixels.
"""

import numpy as np


def group_parts(parts: list[np.ndarray], characters: list[np.ndarray], min_share: float = 0.6,
                max_spill: float = 0.5) -> tuple[list[tuple[np.ndarray, list[int]]], list[int]]:
    """([(character mask, indices of its parts)], indices of parts no character took).

    A part joins the character whose coarse mask covers the largest share of it, when that share is at least
    ``min_share`` and the part does not spill far beyond the character (its pixels outside the coarse mask are at
    most ``max_spill`` of the character's area: the frame's background is one large part that covers a character
    too). A character no part joins keeps its coarse mask, so no character is lost for want of a SAM2 mask."""
    members: list[list[int]] = [[] for _ in characters]
    leftover = []
    areas = [float(c.sum()) for c in characters]
    for i, part in enumerate(parts):
        size = float(part.sum())
        if size == 0:
            continue
        shares = [float((part & c).sum()) / size for c in characters]
        best = int(np.argmax(shares)) if shares else -1
        if best >= 0 and shares[best] >= min_share and size * (1 - shares[best]) <= max_spill * areas[best]:
            members[best].append(i)
        else:
            leftover.append(i)
    grouped = []
    for character, joined in zip(characters, members):
        mask = np.any([parts[i] for i in joined], axis=0) if joined else character
        grouped.append((mask, joined))
    return grouped, leftover


def merge_instances(parts: list[dict], characters: list[dict]) -> list[dict]:
    """SAM2 items (dicts with ``mask``, ``score``) grouped by the coarse character items (dicts with ``mask``,
    ``seed``): one item per character (``seed`` "sam2+<its cue>", ``parts`` the count merged), then the leftovers."""
    grouped, leftover = group_parts([p["mask"] for p in parts], [c["mask"] for c in characters])
    out = []
    for character, (mask, joined) in zip(characters, grouped):
        score = max((parts[i]["score"] for i in joined), default=float(character.get("score", 0.0)))
        out.append({"mask": mask, "score": float(score), "seed": f"sam2+{character.get('seed', 'character')}",
                    "parts": len(joined)})
    out += [{**parts[i], "parts": 1} for i in leftover]
    return sorted(out, key=lambda item: -int(item["mask"].sum()))
