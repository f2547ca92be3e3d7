"""A drawn character's view read by a weak cue gives way to the view its own track's faces say. Pure python.

Two cues read a drawn character's turn badly: a photo-trained pose model's keypoints, from the shoulders' spread and
order, which a big-headed drawn body does not follow (session 54: on Penny & Chip right about as often as a guess),
and a drawn face's yaw alone, from a nose drawn as a dot or a short line (session 53: it parts Penny & Chip's
three-quarter faces from its front ones at AUC 0.58). Within one shot a character mostly holds its turn from key
frame to key frame, and the face rules that read the turn better (the mouth, the head's outline, the crossing speed)
turn some of its key frames only. So a view read by the keypoints alone, or by the face's yaw alone, takes the view
more than a share of its track's faces say, those rules' turns included.
"""

from collections import Counter

import polars as pl

# view sources read by a weak cue and left as read (``core.estimate_poses``; a rule that turned one adds ``+rule``)
WEAK_SOURCES = ("keypoints", "face")
FACE_SOURCE_PREFIX = "face"
TRACK_SUFFIX = "+track"


def track_ids(identities: pl.DataFrame | None) -> dict[str, str]:
    """instance_id -> its identity track (``instance_identities.track_id``: one character's cut-outs linked through
    a shot), where it has one."""
    if identities is None or not {"instance_id", "track_id"} <= set(identities.columns):
        return {}
    linked = identities.filter(pl.col("track_id").is_not_null())
    return dict(zip(linked["instance_id"].to_list(), linked["track_id"].cast(pl.String).to_list()))


def track_face_views(poses: list[dict], tracks: dict[str, str], min_share: float) -> dict[str, str]:
    """track -> the view more than ``min_share`` of its faces say (rows whose ``view_source`` is ``face...``: a
    face's own yaw counts as one of them, so two faces that differ leave their track without a view)."""
    said: dict[str, list[str]] = {}
    for pose in poses:
        if pose["instance_id"] in tracks and pose["view_source"].startswith(FACE_SOURCE_PREFIX):
            said.setdefault(tracks[pose["instance_id"]], []).append(pose["view"])
    views = {}
    for track, track_views in said.items():
        view, count = Counter(track_views).most_common(1)[0]
        if count > min_share * len(track_views):
            views[track] = view
    return views


def views_from_tracks(poses: list[dict], tracks: dict[str, str], min_share: float) -> list[dict]:
    """``poses`` (dicts with instance_id, view, view_source) where every view read by a weak cue alone (source
    ``keypoints`` or ``face``) takes its track's face view (``track_face_views``), source ``<source>+track``, where
    that differs; ``min_share`` 0 turns it off. The track views are read from the views as given."""
    if min_share <= 0:
        return poses
    views = track_face_views(poses, tracks, min_share)
    out = []
    for pose in poses:
        view = views.get(tracks.get(pose["instance_id"])) if pose["view_source"] in WEAK_SOURCES else None
        out.append(pose if view in (None, pose["view"])
                   else {**pose, "view": view, "view_source": pose["view_source"] + TRACK_SUFFIX})
    return out
