"""A person box that is a creature's limb named again. YOLOX boxes a rendered film's creature (a dragon) as an
animal and, where one of its limbs fills the frame beside a person, boxes that limb a second time as a weak person;
both boxes became seeds, and the split between them gave the person seed the creature's limb together with whatever
person stood beside it (Sintel trailer 00735: the dragon's leg and the girl's hair one cut-out, the dragon's claw
with the sky between leg and claw another).

A creature's limb differs from a rider or a person in front of an animal: it has no face (a person's face makes the
box a person), its box lies inside the animal's higher-scoring box, and BlazePose finds no person on it (its pose
flag is under POSE_FLAG: 0.10 on the dragon's leg at 00735, 0.41-1.0 on the girl's back or side at 00715-00729).
Rendered and filmed shots only: BlazePose's flag on a drawn person is often as low (0.08-0.33, docs/instances.md
session 10), so there its silence says nothing."""

import numpy as np

INSIDE = 0.8  # share of the person box's area inside the animal's box
POSE_FLAG = 0.3  # BlazePose's pose flag on the person box under this: no person there
DROP_CREATURE_LIMBS = True


def share_inside(inner: np.ndarray, outer: np.ndarray) -> float:
    """Share of box ``inner``'s area (x0, y0, x1, y1) inside box ``outer``."""
    area = max(0.0, float(inner[2] - inner[0])) * max(0.0, float(inner[3] - inner[1]))
    overlap = max(0.0, float(min(inner[2], outer[2]) - max(inner[0], outer[0]))) * \
        max(0.0, float(min(inner[3], outer[3]) - max(inner[1], outer[1])))
    return overlap / area if area > 0 else 0.0


def is_creature_limb(seed, person, seeds: list) -> bool:
    """Whether the face-less person ``seed`` (BlazePose's ``person``: (PersonMatte, trusted) or None) is a limb of
    an animal seed in ``seeds`` that scores higher and holds INSIDE of its box, with no person on it for BlazePose."""
    if seed.kind != "person" or seed.face is not None:
        return False
    if person is not None and person[0].score >= POSE_FLAG:
        return False
    return any(o.kind not in ("person", "face") and o.score > seed.score and share_inside(seed.box, o.box) >= INSIDE
               for o in seeds if o is not seed)


def without_creature_limbs(seeds: list, scaled: list, people: list, drawn: bool) -> tuple[list, list, list]:
    """(seeds, scaled seeds, BlazePose per seed) less the person seeds that are a creature's limb
    (``is_creature_limb``, decided on the scaled seeds): the animal's own seed cuts the limb. Not in ``drawn``
    shots."""
    if not DROP_CREATURE_LIMBS or drawn:
        return seeds, scaled, people
    return seeds_kept(seeds, scaled, people, [not is_creature_limb(s, p, scaled) for s, p in zip(scaled, people)])


def seeds_kept(seeds: list, scaled: list, people: list, keep: list[bool]) -> tuple[list, list, list]:
    """(seeds, scaled seeds, BlazePose per seed), the three parallel lists, with only the rows ``keep`` marks."""
    pick = lambda items: [x for x, k in zip(items, keep) if k]  # noqa: E731
    return pick(seeds), pick(scaled), pick(people)
