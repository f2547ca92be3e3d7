"""Two designs of one body in one cluster (issue #12): a face cluster, or a faceless group, holding two tight groups
further apart than either is spread is cut in two (``split_by_gap``), by average linkage on the face and colour
rows joined, past a few odd rows (``linkage_parts``), the face gap waived where the colour layouts part
(``layouts_apart``); a small part apart in the face and the colours both is cut whatever its size
(``minor_part_cut``); ``group_gap`` measures the gap. No Dagster."""

from collections.abc import Callable

import numpy as np

from assets.identities.core import normalise
from assets.identities.shot_looks import cut_parts_a_look


def split_by_gap(unit: np.ndarray, labels: np.ndarray, gap: float | None, min_cluster_size: int,
                 colours: np.ndarray | None = None, colour_gap: float = 0.0,
                 max_rows: int = 2000, link_colour_weight: float = 0.0, shots: np.ndarray | None = None,
                 min_part_shots: int | None = None, frames: np.ndarray | None = None,
                 layouts: np.ndarray | None = None, layout_gap: float | None = None,
                 minor_gaps: tuple[float, float] | None = None) -> tuple[np.ndarray, int]:
    """Clusters that hold two tight groups further apart than either is spread are cut in two: average linkage
    into two parts, kept when both parts are large enough (``min_cluster_size`` members, or see ``min_part_shots``)
    and the lower of the parts' mean within-part cosines exceeds their mean cross cosine by ``gap`` (and by
    ``colour_gap`` in ``colours``, the rows' cut-out colours, when it is > 0); repeated on the parts. ``verify``
    cuts by an absolute distance, which two designs sharing one body (the same face shape and skin, other hair and
    clothes) stay within; this cut is relative to how alike each character's own looks are. Off with ``gap`` None; a
    cluster larger than ``max_rows`` is left as it is. With ``link_colour_weight`` > 0 and ``colours``, the two parts
    are found by linkage on the face rows and the colour rows joined (each block scaled by the square root of its
    share, so a cosine there is the weighted mean of the two cosines): two designs of one body sit closer in the
    face than in colour, and a face-only linkage can cut a cluster across poses (three of one character's looks
    with another's four), a cut the colour gap then refuses, leaving the two designs together. The dendrogram's
    root cut can part one odd row from the rest (a cut-out that took in the background, its colours far from all:
    the Kenney film's two adventurers, 15 + 14 faces, stayed one at 720p); ``linkage_parts`` sets such rows aside,
    cuts where both sides are large enough and the gaps are read on those two sides, the odd rows left out (two
    cut-outs that took in the sky pulled one adventurer's colour spread down to the gap across). With ``shots``
    (each row's shot) and ``min_part_shots``, a part is also large enough when it holds rows of that many shots
    (and at least that many rows): a minor design with fewer faces than a cluster needs (a man in 3 shots, 6
    faces, in the woman's cluster of 19) is cut out as a character of its own, unless, with ``frames`` (each row's
    key frame), it is a look of the other part's character (shot_looks.py: in each of its shots that character's
    faces fill other key frames, never one of its own: Chip's cheer, one face in each of 3 shots). With
    ``layouts`` (each row's ``colour_layout.layout_descriptor``, zero where not read) and ``layout_gap``, parts
    closer than ``gap`` in the face are still cut where their colour layouts are ``layout_gap`` apart (every core
    row's layout read) and the colour gap holds: two designs of one palette drawn with one face (Kenney's male and
    female adventurer, face gap 0.029, colours 0.147, layouts 0.105), which one character's outfits, views and
    poses never are (layout gap 0.00 at most, session 32). With ``minor_gaps`` (face, colour), a cluster no such cut
    parts is cut where a part of any size (``MINOR_MIN_ROWS`` rows and up) is that far apart in the face and in the
    colours both (``minor_part_cut``; where the layouts part, ``gap`` apart in the face is enough; where its smaller
    part fills ``min_part_shots`` shots of its own, a film's shots, the face alone). Returns new labels and how many
    cuts were made."""
    out = np.asarray(labels).copy()
    if gap is None or not out.size:
        return out, 0
    linked = unit
    if link_colour_weight > 0 and colours is not None:
        linked = np.hstack([np.sqrt(1 - link_colour_weight) * unit, np.sqrt(link_colour_weight) * colours])
    smallest = min(min_cluster_size, min_part_shots or min_cluster_size) if shots is not None else min_cluster_size
    own_shots = min_part_shots if shots_hold_frames(shots, frames) else None
    pending = [v for v in np.unique(out) if v >= 0]
    next_label = int(out.max()) + 1
    cuts = 0
    while pending:
        label = pending.pop()
        rows = np.flatnonzero(out == label)
        if len(rows) > max_rows:
            continue
        parts = None
        if len(rows) >= 2 * smallest:
            parts = design_cut(unit, linked, rows, (gap, colour_gap), part_size_rule(min_cluster_size, shots,
                               min_part_shots), colours, layouts, layout_gap)
        if parts is None and minor_gaps is not None and colours is not None:
            parts = minor_part_cut(unit, linked, colours, rows, minor_gaps, layouts, layout_gap, gap,
                                   shots, own_shots)
        if parts is None or cut_parts_a_look(parts, min_cluster_size, shots, frames):
            continue
        out[parts[1]] = next_label
        pending += [label, next_label]
        next_label += 1
        cuts += 1
    return out, cuts


def design_cut(unit: np.ndarray, linked: np.ndarray, rows: np.ndarray, gaps: tuple[float, float],
               large: Callable[[np.ndarray], bool], colours: np.ndarray | None,
               layouts: np.ndarray | None = None, layout_gap: float | None = None,
               layout_face_gap: float | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """The two parts of ``rows`` (``linkage_parts`` on ``linked``, parts ``large`` enough) when their cores are
    ``gaps[0]`` apart in the face (``unit``), or their colour layouts part (``layouts_apart``) and they are
    ``layout_face_gap`` apart in the face (None: any face gap), and ``gaps[1]`` apart in ``colours`` where that is
    > 0 (a colour gap asked for and not read: no cut); else None."""
    found = linkage_parts(linked, rows, large)
    if found is None:
        return None
    cores, parts = found
    return parts if _designs_apart(unit, cores, gaps, colours, layouts, layout_gap, layout_face_gap) else None


def _designs_apart(unit: np.ndarray, cores: tuple[np.ndarray, np.ndarray], gaps: tuple[float, float],
                   colours: np.ndarray | None, layouts: np.ndarray | None, layout_gap: float | None,
                   layout_face_gap: float | None) -> bool:
    """``design_cut``'s test on the two parts' cores."""
    face_gap = group_gap(unit, *cores)
    if face_gap < gaps[0] and not (layouts_apart(layouts, cores, layout_gap)
                                   and (layout_face_gap is None or face_gap >= layout_face_gap)):
        return False
    return not (gaps[1] > 0 and (colours is None or group_gap(colours, *cores) < gaps[1]))


MINOR_MIN_ROWS = 3   # a minor part's faces at least: a 2-face identity (a zombie's, tune seed 21) took its
                     # faceless rows out of their faceless group and held none of them


def minor_part_cut(unit: np.ndarray, linked: np.ndarray, colours: np.ndarray, rows: np.ndarray,
                   gaps: tuple[float, float], layouts: np.ndarray | None = None, layout_gap: float | None = None,
                   layout_face_gap: float | None = None, shots: np.ndarray | None = None,
                   own_shots: int | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """A small part of a cluster cut off whatever its size (issue #12, session 38): the dendrogram's first cut with
    ``MINOR_MIN_ROWS`` rows on each side (``linkage_parts``), kept when its cores are ``gaps`` (face, colour) apart
    in the face embedding and in the colours both. A character seen in one or two shots sits in another's cluster
    when its faces are fewer than a cluster needs and than ``split_min_shots`` admits (Kenney tune films: the male
    adventurer's 5-6 faces in the female adventurer's, face 0.07-0.11 and colours 0.11-0.12 apart; the male
    person's 6 in the female person's, 0.10 and 0.09; a zombie's 6 in the female person's, 0.21 and 0.22); one
    character's own looks that such a cut reaches part on one of the two at most (4 faces of one shot: face 0.065,
    colours 0.11; 3 faces: 0.14, 0.05) or are looks within its shots, which the caller keeps (shot_looks.py).
    With ``layouts`` and ``layout_gap``, where the cores' colour layouts part, the face bar falls to
    ``layout_face_gap`` (the design cut's own face gap, session 44): a design of one palette and one face drawing seen
    in a few frames (held-out film 41's male adventurer, 3 faces: face 0.059, colours 0.091, layouts 0.067), while a
    few odd cut-outs whose layouts part but not their faces stay (tune film 21: face 0.012, layouts 0.67).
    With ``shots`` (each row's shot) and ``own_shots``, a minor part whose faces fill ``own_shots`` shots of their
    own (``in_shots_of_its_own``) needs only the face gap, its colours parting at all (session 44, h52): a design
    drawn on its look-alike's body and in near its colours, seen across the film (tune film 15's male adventurer, 3
    faces in 3 shots where she shows none: face 0.090, colours 0.048), while one character's look whose colours
    part as little sits in one shot (3 faces: face 0.14, colours 0.05) or in its core's shots (Penny: face 0.101,
    colours 0.003, 6 of the minor part's 10 shots shared).
    None when no such cut."""
    found = linkage_parts(linked, rows, part_size_rule(MINOR_MIN_ROWS))
    if found is None:
        return None
    cores, parts = found
    if _designs_apart(unit, cores, gaps, colours, layouts, layout_gap, layout_face_gap):
        return parts
    if shots is None or not own_shots or group_gap(unit, *cores) < gaps[0] or group_gap(colours, *cores) <= 0:
        return None
    minor, major = sorted(parts, key=len)
    return parts if in_shots_of_its_own(minor, major, shots, own_shots) else None


def shots_hold_frames(shots: np.ndarray | None, frames: np.ndarray | None) -> bool:
    """Whether the rows' shots are a film's: some shot holds several key frames. An image folder's pictures are
    each a shot of one frame (``frames.core.extract_image_frames``): three pictures are no spread across a film."""
    if shots is None or frames is None:
        return False
    known = [(s, f) for s, f in zip(shots.tolist(), frames.tolist()) if s is not None and f is not None]
    return len({f for _, f in known}) > len({s for s, _ in known})


def in_shots_of_its_own(part: np.ndarray, other: np.ndarray, shots: np.ndarray, min_shots: int) -> bool:
    """Whether ``part``'s faces (row indices) fill ``min_shots`` shots or more, none of which holds a face of the
    ``other`` part: a second design is seen in shots of its own, across the film; one character's odd looks sit in
    one shot, or in shots its usual face fills too (Penny's two halves by the face, 24 and 28 faces, share 6
    shots). A row with an unknown shot (None) is no proof: False."""
    part_shots = shots[part].tolist()
    if any(s is None for s in part_shots):
        return False
    return len(set(part_shots)) >= min_shots and not set(part_shots) & set(shots[other].tolist())


def layouts_apart(layouts: np.ndarray | None, cores: tuple[np.ndarray, np.ndarray], gap: float | None) -> bool:
    """Whether two cores' colour layouts are at least ``gap`` apart (``group_gap``), every row's layout read (a
    zero row: an opaque crop, its layout unknown); False when off (``layouts`` or ``gap`` None)."""
    if layouts is None or gap is None:
        return False
    rows = np.concatenate(cores)
    return bool(np.abs(layouts[rows]).sum(axis=1).all()) and group_gap(layouts, *cores) >= gap


def part_size_rule(min_size: int, shots: np.ndarray | None = None,
                   min_shots: int | None = None) -> Callable[[np.ndarray], bool]:
    """Whether a part (row indices) is large enough to be a design: ``min_size`` rows, or, with ``shots`` and
    ``min_shots``, rows of ``min_shots`` shots (at least ``min_shots`` rows): a character is one from the looks of
    a few shots, as a face cluster is (``core.shot_min_cluster_size``); one shot's key frames are one look."""
    def large(part: np.ndarray) -> bool:
        if len(part) >= min_size:
            return True
        return bool(shots is not None and min_shots and len(part) >= min_shots
                    and len(set(shots[part].tolist())) >= min_shots)

    return large


def linkage_parts(space: np.ndarray, rows: np.ndarray, min_size: int | Callable[[np.ndarray], bool]
                  ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None:
    """``rows`` in two parts by average linkage (cosine) on ``space``: the dendrogram is followed down from its root
    while one side of a cut is not large enough (fewer than ``min_size`` rows, or ``min_size(part)`` false: a few
    odd rows, a cut-out that took in the background, a pose no other row shares), those rows set aside; the first
    cut with both sides that large gives the cores, and each branch set aside joins, whole, the core its rows are on
    average nearer (cosine) to give the parts. Returns (cores, parts), or None when no such cut."""
    from scipy.cluster.hierarchy import linkage, to_tree

    large = min_size if callable(min_size) else part_size_rule(min_size)
    unit = normalise(space[rows])
    node, aside = to_tree(linkage(unit, method="average", metric="cosine")), []
    while not node.is_leaf():
        left, right = node.get_left().pre_order(), node.get_right().pre_order()
        if large(rows[left]) and large(rows[right]):
            break
        small, node = (left, node.get_right()) if len(left) < len(right) else (right, node.get_left())
        aside.append(small)
    else:
        return None
    cores = [list(left), list(right)]
    parts = [list(left), list(right)]
    # a branch set aside joins a core whole, by its rows' mean: they linked with each other before anything else,
    # and one by one a near tie splits them (tune film 7: a zombie's 7 faces aside, two of them to the male
    # person's core by 0.007 and 0.001, too few there to be cut out again)
    for branch in aside:
        near = [float((unit[branch] @ unit[core].T).mean()) for core in cores]
        parts[int(near[1] > near[0])].extend(branch)
    return (rows[np.sort(cores[0])], rows[np.sort(cores[1])]), (rows[np.sort(parts[0])], rows[np.sort(parts[1])])


def group_gap(vectors: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """How much closer two groups of unit rows are within themselves than to each other: the lower of the two
    mean within-group cosines less the mean cross cosine."""
    def within(members: np.ndarray) -> float:
        sims = vectors[members] @ vectors[members].T
        return float((sims.sum() - np.trace(sims)) / (len(members) * (len(members) - 1)))

    return min(within(a), within(b)) - float((vectors[a] @ vectors[b].T).mean())
