"""A face-less person box around another person seed and the face that seed holds: the same character boxed again.
YOLOX's two passes (the frame, then zoomed out) can box one rendered character twice, a tight box round her head
and a loose one reaching into the background beside her; the loose one loses her face to the tight one (strongest,
then tightest boxes choose their faces first) and became a face-less seed of its own, whose cut the split between
characters then took away from her (Sintel trailer 00570: the girl seen close from above loses her shoulder to the
loose box's cut, which the filter drops as a non-character; 00741: her head at the frame's edge loses her collar and
shoulder to a box over her and the dragon's tail, dropped as blurry).

It differs from a second character whose box holds the first (a parent holding a child, a group boxed as one) by
what BlazePose finds in the loose box: the person whose face the tight seed holds (its matte holds that face), and
the loose box scores lower than the tight one (00570: 0.43 against 0.73); or no person at all (a pose flag under
NOBODY: 0.0007 at 00741, where the loose box scores 0.62 against 0.50), where a second character filling the box
would have given BlazePose one. Rendered and filmed shots only: BlazePose's matte spills over drawn characters beside
each other and its flag on a drawn person is often low."""

import numpy as np

from resources.backends.character_creatures import seeds_kept, share_inside

INSIDE = 0.9  # share of the tight box's area inside the loose one
MATTE_HOLDS = 0.5  # the loose box's matte at least this over at least this share of the tight seed's face core
DROP_BOXED_AGAIN = True
NOBODY = 0.05  # BlazePose's pose flag on the loose box under this: no person in it


def _face_core(face: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """bool plane of ``shape``: the face box's middle (shrunk by 0.2 on each side, the segmenter's core)."""
    x0, y0, x1, y1 = (float(v) for v in face[:4])
    w, h = x1 - x0, y1 - y0
    core = np.zeros(shape, bool)
    core[max(0, int(round(y0 + 0.2 * h))):max(0, int(round(y1 - 0.2 * h))),
         max(0, int(round(x0 + 0.2 * w))):max(0, int(round(x1 - 0.2 * w)))] = True
    return core


def is_boxed_again(seed, person, seeds: list) -> bool:
    """Whether the face-less person ``seed`` (BlazePose's ``person`` on it: (PersonMatte, trusted) or None) holds
    INSIDE of another seed's box and that seed's face, and BlazePose on it finds no person (flag under NOBODY) or,
    where that seed scores higher, its matte holds that face."""
    if seed.kind != "person" or seed.face is not None or person is None:
        return False
    for other in seeds:
        if other is seed or other.face is None:
            continue
        nobody = person[0].score < NOBODY
        if not nobody and other.score <= seed.score:
            continue
        if share_inside(other.box, seed.box) < INSIDE:
            continue
        if share_inside(np.asarray(other.face[:4]), seed.box) < INSIDE:
            continue
        matte = person[0].matte  # read (warped to the frame) only for a seed that holds another's face
        core = _face_core(other.face, matte.shape)
        if nobody or core.any() and (matte[core] >= MATTE_HOLDS).mean() >= MATTE_HOLDS:
            return True
    return False


def without_boxed_again(seeds: list, scaled: list, people: list, drawn: bool) -> tuple[list, list, list]:
    """(seeds, scaled seeds, BlazePose per seed) less the face-less person seeds that box another seed's character
    again (``is_boxed_again``, decided on the scaled seeds): that seed's own cut keeps what the split took. Not in
    ``drawn`` shots."""
    if not DROP_BOXED_AGAIN or drawn:
        return seeds, scaled, people
    return seeds_kept(seeds, scaled, people, [not is_boxed_again(s, p, scaled) for s, p in zip(scaled, people)])
