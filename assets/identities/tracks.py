"""Tracks within shots: a character's instances linked through the key frames of one shot. No Dagster.

Key frames are sparse (a handful per shot), so a character can move a long way between two of them: a link is
judged on box overlap, on how far the box centre moved relative to the box's size, on the change of scale and,
when vectors are given, on appearance (a cut-out embedding) and on faces: two clear faces that are plainly different
people never link, and neither do two clear faces that lean to different identities (``leans``: the identity each
face's own embedding was clustered into, or the prototype it is nearest by ``lean_margin``). The second rule is the
one that holds for every embedder: a fixed cosine says "different" for photo faces (~0.0) but not for drawn
characters, whose different-character cosines sit at 0.55-0.75, where two characters sharing a shot were linked. Links are made frame by frame with the Hungarian method, so two characters crossing each other
are not both given to the nearer track. A track then counts as one identity, decided by its clearest faces
(``decide_tracks``): a masked, turned or back view in the same shot inherits the identity of its clear frames.
"""

from dataclasses import dataclass

import numpy as np
import polars as pl


@dataclass(frozen=True)
class TrackParams:
    enabled: bool = True
    max_centre_shift: float = 0.6     # centre movement between linked key frames, in box diagonals
    min_iou: float = 0.3              # ... unless the boxes overlap at least this much
    max_scale_change: float = 2.0     # ratio of box diagonals
    min_appearance: float = 0.65      # cut-out appearance cosine a link needs (when vectors are given)
    face_conflict: float = 0.15       # two clear faces less alike than this (cosine) are different people
    max_gap: int = 2                  # a track waits this many key frames of its shot for its character to return
    vote_share: float = 0.6           # a track's identity needs this share of its clear faces' quality-weighted votes
    lean_margin: float = 0.02         # an unclustered clear face leans to its nearest prototype by this margin
                                      # (0.02 chosen on the odd shots of Penny & Chip; 0.0 ties, 0.05 links them)
    face_veto: bool = True            # a face that looks like another identity (nearer its prototype by
                                      # lean_margin) never inherits its track's identity (stays loose)
    min_inherit_look: float | None = None  # a row inherits its track's identity only when its cut-out is at least
                                      # this alike (cosine of ``looks`` in decide_tracks) to one of the track's rows
                                      # that voted for it; None: every row inherits
    merge_area_ratio: float | None = None  # a row whose cut-out is this many times larger than its track's rows on
                                      # either side is a merged cut-out (two characters): the track is decided
                                      # apart before it, at it and after it (track_merges.py); None: off
    min_link_look: float | None = None  # a link needs the cut-out's look (``looks`` in link_tracks: image
                                      # embedding and colours) at least this alike to one of the track's rows:
                                      # where two characters cross, a link by motion alone can go on with the
                                      # other one's cut-out; None: off


def _boxes(table: pl.DataFrame) -> np.ndarray:
    return table.select("x0", "y0", "x1", "y1").to_numpy().astype(np.float64)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box of ``a`` (n, 4: x0 y0 x1 y1) with every box of ``b`` (m, 4): (n, m)."""
    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = ix * iy
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def link_cost(a: np.ndarray, b: np.ndarray, params: TrackParams, appearance: np.ndarray | None = None
              ) -> np.ndarray:
    """(len(a), len(b)) link costs in [0, 1] between boxes ``a`` (track ends) and ``b`` (a key frame's instances);
    ``inf`` where a link is not allowed. ``appearance`` is the (len(a), len(b)) cosine matrix, if known."""
    iou = box_iou(a, b)
    diag_a = np.hypot(a[:, 2] - a[:, 0], a[:, 3] - a[:, 1])
    diag_b = np.hypot(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
    centre_a = np.stack([(a[:, 0] + a[:, 2]) / 2, (a[:, 1] + a[:, 3]) / 2], axis=1)
    centre_b = np.stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2], axis=1)
    shift = np.linalg.norm(centre_a[:, None] - centre_b[None], axis=2) / np.maximum(
        np.maximum(diag_a[:, None], diag_b[None, :]), 1e-9)
    scale = np.maximum(diag_a[:, None], diag_b[None, :]) / np.maximum(np.minimum(diag_a[:, None], diag_b[None, :]),
                                                                      1e-9)
    allowed = ((iou >= params.min_iou) | (shift <= params.max_centre_shift)) & (scale <= params.max_scale_change)
    motion = 1.0 - iou * 0.5 - 0.5 * np.clip(1 - shift / params.max_centre_shift, 0, 1)
    cost = motion
    if appearance is not None:
        allowed &= appearance >= params.min_appearance
        cost = 0.5 * motion + 0.5 * np.clip(1 - appearance, 0, 1)
    return np.where(allowed, cost, np.inf)


def link_tracks(instances: pl.DataFrame, params: TrackParams, appearance: np.ndarray | None = None,
                faces: dict[int, np.ndarray] | None = None, leans: dict[int, int] | None = None,
                looks: np.ndarray | None = None) -> list[str]:
    """A track id per row of ``instances`` (instance_id, shot, timestamp_s, frame_id, x0..y1), in row order.

    ``appearance``: (rows, D) unit vectors or None (zero rows: unknown appearance, judged on motion alone);
    ``faces``: row -> unit face embedding of the rows whose face passed the quality gate; ``leans``: row -> the
    identity such a face leans to (``face_leans``): a track whose clear faces lean to one identity takes no clear
    face leaning to another; ``looks``: (rows, D) unit cut-out looks that ``params.min_link_look`` reads (zero rows
    unknown: no veto). Ids read
    ``s<shot>-t<n>`` (n counts from 0 within the shot, in order of the track's first key frame)."""
    from scipy.optimize import linear_sum_assignment

    n = instances.height
    track_of = [""] * n
    if n == 0:
        return track_of
    faces = faces or {}
    boxes = _boxes(instances)
    known = np.abs(appearance).sum(axis=1) > 0 if appearance is not None else None
    look_known = np.abs(looks).sum(axis=1) > 0 if looks is not None else None
    for shot, frames in _shots_and_frames(instances):
        shot_label = "x" if shot is None else str(int(shot))
        tracks: list[dict] = []  # {"rows": [...], "last": row, "frame": key-frame index}
        for frame_index, rows in enumerate(frames):
            live = [t for t in tracks if frame_index - t["frame"] <= params.max_gap + 1]
            linked: set[int] = set()
            if live:
                ends = [t["last"] for t in live]
                similarity = None
                if appearance is not None:
                    similarity = appearance[ends] @ appearance[rows].T
                    unknown = ~known[ends][:, None] | ~known[rows][None, :]
                    similarity = np.where(unknown, 1.0, similarity)  # a missing cut-out does not veto a link
                cost = link_cost(boxes[ends], boxes[rows], params, similarity)
                if looks is not None and params.min_link_look is not None:
                    cost[_unlike_looks(looks, look_known, [t["rows"] for t in live], rows,
                                       params.min_link_look)] = np.inf
                if faces:
                    for i, track in enumerate(live):
                        face, lean = _track_face(track, faces), _track_lean(track, leans or {})
                        for j, row in enumerate(rows):
                            if face is not None and row in faces and float(face @ faces[row]) < params.face_conflict:
                                cost[i, j] = np.inf
                            if lean >= 0 and (leans or {}).get(row, -1) not in (-1, lean):
                                cost[i, j] = np.inf
                if cost.size == 1:  # the common case (one character on screen): no assignment problem to solve
                    pairs = [(0, 0)]
                else:
                    pairs = zip(*linear_sum_assignment(np.where(np.isfinite(cost), cost, 1e6)))
                for i, j in pairs:
                    if np.isfinite(cost[i, j]):
                        live[i]["rows"].append(rows[j])
                        live[i]["last"], live[i]["frame"] = rows[j], frame_index
                        linked.add(rows[j])
            for row in rows:
                if row not in linked:
                    tracks.append({"rows": [row], "last": row, "frame": frame_index})
        for number, track in enumerate(tracks):
            for row in track["rows"]:
                track_of[row] = f"s{shot_label}-t{number}"
    return track_of


def _unlike_looks(looks: np.ndarray, known: np.ndarray, tracks: list[list[int]], rows: list[int],
                  bar: float) -> np.ndarray:
    """(len(tracks), len(rows)): where a key frame's row looks less alike than ``bar`` to every row a track holds so
    far (its character at each key frame it was seen: a pose or a partial cut-out changes the look from one key
    frame to the next, not from all of them); rows of unknown look (``known`` false: a zero look) never veto."""
    unlike = np.zeros((len(tracks), len(rows)), dtype=bool)
    for i, held in enumerate(tracks):
        held = [r for r in held if known[r]]
        if held:
            unlike[i] = (looks[held] @ looks[rows].T).max(axis=0) < bar
    return unlike & known[rows][None, :]


def _shots_and_frames(instances: pl.DataFrame):
    """(shot, [rows of each key frame, in time order]) per shot, with row numbers of ``instances``; numpy grouping
    (a feature film has tens of thousands of key frames: per-group DataFrame work would dominate)."""
    table = instances.select(pl.col("shot"), pl.col("timestamp_s").fill_null(0.0),
                             pl.col("frame_id").cast(pl.String).fill_null(""))
    shots = table["shot"].to_list()
    times = table["timestamp_s"].to_numpy()
    frames = table["frame_id"].to_list()
    shot_key = [(-1 if v is None else int(v)) for v in shots]
    order = sorted(range(len(shots)), key=lambda r: (shot_key[r], times[r], frames[r], r))
    start = 0
    while start < len(order):
        shot = shot_key[order[start]]
        end = start
        while end < len(order) and shot_key[order[end]] == shot:
            end += 1
        grouped: list[list[int]] = []
        for k in range(start, end):
            row = order[k]
            if grouped and times[grouped[-1][0]] == times[row] and frames[grouped[-1][0]] == frames[row]:
                grouped[-1].append(row)
            else:
                grouped.append([row])
        yield (None if shot == -1 else shot), grouped
        start = end


def _track_face(track: dict, faces: dict[int, np.ndarray]) -> np.ndarray | None:
    """The track's most recent clear face (faces change slowly within a shot)."""
    for row in reversed(track["rows"]):
        if row in faces:
            return faces[row]
    return None


def _track_lean(track: dict, leans: dict[int, int]) -> int:
    """The identity most of the track's leaning clear faces lean to (-1 when none leans; ties: the latest)."""
    found = [leans[row] for row in track["rows"] if leans.get(row, -1) >= 0]
    return max(reversed(found), key=found.count) if found else -1


def face_leans(face_unit: np.ndarray, labels: np.ndarray, prototypes: np.ndarray, rows: list[int],
               margin: float) -> dict[int, int]:
    """row -> the face identity each of ``rows`` (clear faces) leans to: its own label when its embedding was
    placed in a face identity (index below ``len(prototypes)``), else the nearest prototype when it is at least
    ``margin`` nearer than the runner-up; rows leaning nowhere are left out."""
    out: dict[int, int] = {}
    if not len(prototypes):
        return out
    for row in rows:
        if 0 <= labels[row] < len(prototypes):
            out[row] = int(labels[row])
            continue
        sims = prototypes @ face_unit[row]
        order = np.argsort(-sims)
        if len(order) == 1 or sims[order[0]] - sims[order[1]] >= margin:
            out[row] = int(order[0])
    return out


def decide_tracks(track_of: list[str], labels: np.ndarray, votes: np.ndarray, params: TrackParams,
                  own: np.ndarray | None = None, looks: np.ndarray | None = None,
                  apart: set[tuple[int, int]] | None = None) -> tuple[np.ndarray, np.ndarray, list[bool]]:
    """Each track's identity from its members' votes, and who inherits it.

    ``labels``: each row's identity index (-1 none); ``votes``: each row's vote weight (its face quality when the
    face passed the gate, else 0). A track whose weighted votes give one identity at least ``vote_share`` gives that
    identity to every member without a vote of its own (noise, faceless, or an unclear face); members that vote
    keep their own identity, and so do the rows ``own`` marks (an unclear face that its own embedding placed in
    an identity: direct evidence, where the track's is indirect, and two characters whose boxes overlap can share
    a track). A track without any clear face is left as it is: appearance alone does not decide a track.
    ``looks``: unit cut-out vectors per row; with ``params.min_inherit_look`` a row inherits only when it looks
    like one of the winner's voters that much: a drawn character whose face no detector finds (a zombie) walks
    into another's track where their cut-outs cross, and a track's one clear face is then all its vote.
    ``apart``: pairs (i < j) of rows of one frame whose boxes are apart (``shared_frames.conflicts``: two
    characters); a row does not inherit an identity that such a row of its frame shows by its own clear face: the
    character is already there (a track waiting over key frames where its character is hidden can take up another
    character's cut-out where its character was last seen, while she reappears elsewhere on a track of her own).
    Returns (labels, track share per row (0 where no decision), inherited per row)."""
    out = np.asarray(labels).copy()
    share = np.zeros(len(out), dtype=np.float32)
    inherited = [False] * len(out)
    members: dict[str, list[int]] = {}
    for row, track in enumerate(track_of):
        if track:
            members.setdefault(track, []).append(row)
    shown_beside = _identities_shown_beside(apart or set(), labels, votes)
    for rows in members.values():
        tally: dict[int, float] = {}
        for row in rows:
            if votes[row] > 0 and labels[row] >= 0:
                tally[int(labels[row])] = tally.get(int(labels[row]), 0.0) + float(votes[row])
        if not tally:
            continue
        winner, weight = max(tally.items(), key=lambda item: item[1])
        fraction = weight / sum(tally.values())
        if fraction < params.vote_share:
            continue
        voters = [row for row in rows if votes[row] > 0 and labels[row] == winner]
        for row in rows:
            share[row] = fraction
            voted = votes[row] > 0 and labels[row] >= 0
            kept_own = own is not None and bool(own[row]) and labels[row] >= 0
            if (not voted and not kept_own and out[row] != winner and _looks_alike(row, voters, looks, params)
                    and winner not in shown_beside.get(row, ())):
                out[row], inherited[row] = winner, True
    return out, share, inherited


def rows_linked_after_a_wait(track_of: list[str], instances: pl.DataFrame) -> set[int]:
    """Rows whose track skipped at least one key frame of its shot (with instances) before taking them up."""
    order = {}
    for shot, frames in _shots_and_frames(instances):
        for position, rows in enumerate(frames):
            for row in rows:
                order[row] = position
    last: dict[str, int] = {}
    waited: set[int] = set()
    for row in sorted((r for r in range(len(track_of)) if track_of[r] and r in order), key=order.get):
        if track_of[row] in last and order[row] - last[track_of[row]] > 1:
            waited.add(row)
        last[track_of[row]] = order[row]
    return waited


def _identities_shown_beside(apart: set[tuple[int, int]], labels: np.ndarray, votes: np.ndarray
                             ) -> dict[int, set[int]]:
    """Row -> the identities that rows of its frame, apart from it, hold by their own clear face (a vote)."""
    shown: dict[int, set[int]] = {}
    for i, j in apart:
        for row, other in ((i, j), (j, i)):
            if votes[other] > 0 and labels[other] >= 0:
                shown.setdefault(row, set()).add(int(labels[other]))
    return shown


def _looks_alike(row: int, voters: list[int], looks: np.ndarray | None, params: TrackParams) -> bool:
    """Whether ``row``'s cut-out is at least ``params.min_inherit_look`` alike to one of ``voters``' (always when
    the rule is off or the looks are unknown: a zero row)."""
    if params.min_inherit_look is None or looks is None or not np.abs(looks[row]).sum():
        return True
    return bool((looks[voters] @ looks[row]).max() >= params.min_inherit_look)


def veto_contradicted_inheritance(labels: np.ndarray, confidence: np.ndarray, by: list[str], face_sims: np.ndarray,
                                  margin: float) -> int:
    """Rows that inherited their track's identity (``by = track``) although their own face looks like another
    identity go back to noise (``by = face``): a track's vote is indirect evidence, a face that contradicts it is
    direct, and two characters whose cut-outs overlap can share a track. Looks like another identity: nearer its
    prototype by at least ``margin``, and as near as the least alike face clustered into an identity is to its
    own (a face that resembles nobody, masked or turned, contradicts nothing). ``face_sims``: (rows, face
    identities) face-prototype cosines, NaN for rows without a face. Changes the arrays in place; returns how
    many rows were vetoed."""
    k = face_sims.shape[1]
    clustered = [row for row, how in enumerate(by) if how == "face" and 0 <= labels[row] < k]
    if k < 2 or not clustered:
        return 0
    floor = float(np.nanmin(face_sims[clustered, labels[clustered]]))
    vetoed = 0
    for row, how in enumerate(by):
        label = int(labels[row])
        if how != "track" or not 0 <= label < k or np.isnan(face_sims[row]).any():
            continue
        if face_sims[row].max() - face_sims[row, label] >= margin and face_sims[row].max() >= floor:
            labels[row], confidence[row], by[row] = -1, 0.0, "face"
            vetoed += 1
    return vetoed
